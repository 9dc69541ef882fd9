//! The `plaudit` binary end to end: golden output on every example, exit codes, and every bad-input
//! path (clear message naming the file, exit 2, no panic, nothing on stdout).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn plaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plaudit"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("run plaudit")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const EXAMPLES: [&str; 3] = ["isolated-compliant", "backend-drifted", "frontend-transit"];

fn audit_example(name: &str, extra: &[&str]) -> Output {
    let snap = format!("examples/{name}");
    let manifest = format!("examples/{name}/manifest.yaml");
    let mut args = vec!["audit", "--snapshot", &snap, "--manifest", &manifest];
    args.extend_from_slice(extra);
    plaudit(&args)
}

#[test]
fn golden_table_json_and_markdown_for_every_example() {
    for name in EXAMPLES {
        for (format, ext) in [("table", "txt"), ("json", "json"), ("markdown", "md")] {
            let out = audit_example(name, &["--format", format, "--color", "never"]);
            assert!(
                out.stderr.is_empty() || format != "table",
                "{}",
                text(&out.stderr)
            );
            insta::assert_snapshot!(format!("{name}.{ext}"), text(&out.stdout));
        }
    }
}

#[test]
fn exit_codes_follow_the_contract() {
    assert_eq!(
        audit_example("isolated-compliant", &[]).status.code(),
        Some(0)
    );
    assert_eq!(audit_example("backend-drifted", &[]).status.code(), Some(1));
    // frontend-transit has one high failure only.
    assert_eq!(
        audit_example("frontend-transit", &[]).status.code(),
        Some(1)
    );
    assert_eq!(
        audit_example("frontend-transit", &["--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        plaudit(&["audit", "--snapshot", "examples/nope"])
            .status
            .code(),
        Some(2)
    );
}

fn copy_example(name: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in std::fs::read_dir(root().join("examples").join(name)).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
    }
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("plaudit-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn a_missing_file_is_an_incomplete_audit_not_a_pass() {
    let d = scratch("missing");
    copy_example("isolated-compliant", &d);
    std::fs::remove_file(d.join("describe-network-acls.json")).unwrap();
    let s = d.to_str().unwrap();
    let m = d.join("manifest.yaml");
    let out = plaudit(&[
        "audit",
        "--snapshot",
        s,
        "--manifest",
        m.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["complete"], false);
    let nacl: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("PL-NACL"))
        .collect();
    assert!(!nacl.is_empty());
    for f in nacl {
        assert_eq!(f["status"], "error");
        assert!(f["message"]
            .as_str()
            .unwrap()
            .contains("describe-network-acls.json not collected"));
    }
    // A missing file never turns into a failure elsewhere either: the only statuses are pass/n.a./error.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] != "fail"));
}

#[test]
fn bad_input_is_a_clear_error_naming_file_and_path() {
    let deep = format!(
        "{{\"Vpcs\": [{{\"VpcId\": \"vpc-1\", \"CidrBlock\": \"10.0.0.0/16\", \"Junk\": {}",
        "[".repeat(100_000)
    );
    let cases: Vec<(&str, &str, &str)> = vec![
        ("describe-vpcs.json", "{\"Vpcs\": [", "describe-vpcs.json"),
        ("describe-vpcs.json", "", "is empty"),
        ("describe-vpcs.json", "{\"Vpcs\": {}}", "Vpcs"),
        (
            "describe-subnets.json",
            // A subnet without `CidrBlock` is an IPv6-only subnet (valid); without `VpcId` it is not.
            "{\"Subnets\": [{\"SubnetId\": \"subnet-1\", \"CidrBlock\": \"10.0.0.0/24\"}]}",
            "Subnets[0]",
        ),
        (
            "describe-vpcs.json",
            "{\"Vpcs\": [{\"VpcId\": 7, \"CidrBlock\": \"10.0.0.0/16\"}]}",
            "Vpcs[0].VpcId",
        ),
        (
            "describe-security-groups.json",
            "[]",
            "describe-security-groups.json",
        ),
        ("describe-vpcs.json", &deep, "Vpcs[0].Junk"),
        (
            "describe-network-acls.json",
            "{\"NetworkAcls\": []} trailing",
            "trailing",
        ),
    ];
    for (i, (file, content, needle)) in cases.into_iter().enumerate() {
        let d = scratch(&format!("bad{i}"));
        copy_example("backend-drifted", &d);
        std::fs::write(d.join(file), content).unwrap();
        let out = plaudit(&["audit", "--snapshot", d.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(
            err.contains(file) && err.contains(needle),
            "case {i}: {err}"
        );
        assert!(!err.contains("panicked"), "case {i}: {err}");
        assert!(
            out.stdout.is_empty(),
            "case {i}: a partial report was printed"
        );
    }
}

#[test]
fn a_folder_without_snapshot_files_is_a_usage_error() {
    let d = scratch("empty");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("notes.txt"), "hello").unwrap();
    let out = plaudit(&["audit", "--snapshot", d.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("holds none of the snapshot files"));
}

#[test]
fn bad_manifests_name_the_field() {
    let d = scratch("manifest");
    std::fs::create_dir_all(&d).unwrap();
    for (name, content, needle) in [
        ("m1.yaml", "workspaces:\n  - name: x\n    vpc_id: vpc-1\n    modez: [back-end]\n", "modez"),
        ("m2.json", "{\"workspaces\": [{\"name\": \"x\", \"vpc_id\": \"vpc-1\", \"modes\": [\"sideways\"]}]}", "workspaces[0].modes[0]"),
        ("m3.yaml", "waivers:\n  - rule: PL-EP-006\n    resource: vpce-1\n    reason: x\n    expires: 31/01/2027\n", "waivers[0].expires"),
        ("m4.json", "", "is empty"),
    ] {
        let m = d.join(name);
        std::fs::write(&m, content).unwrap();
        let out = plaudit(&["audit", "--snapshot", "examples/backend-drifted", "--manifest", m.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name) && err.contains(needle), "{name}: {err}");
    }
    let out = plaudit(&[
        "audit",
        "--snapshot",
        "examples/backend-drifted",
        "--manifest",
        "/nonexistent/m.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/m.yaml"));
}

#[test]
fn zero_configuration_discovers_and_explains() {
    let out = plaudit(&[
        "audit",
        "--snapshot",
        "examples/backend-drifted",
        "--color",
        "never",
    ]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("discovered workspace `databricks-etl`"),
        "{stdout}"
    );
    assert!(stdout.contains("Correct this with a manifest"), "{stdout}");
    // Discovery finds the same drift the manifest-driven audit does.
    assert!(
        stdout.contains("PL-SG-006") && stdout.contains("PL-NACL-002"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn tags_declare_workspaces_without_a_manifest() {
    let d = scratch("tags");
    copy_example("isolated-compliant", &d);
    let mut vpcs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("describe-vpcs.json")).unwrap()).unwrap();
    vpcs["Vpcs"][0]["Tags"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Key": "plaudit:workspace", "Value": "tagged"}));
    vpcs["Vpcs"][0]["Tags"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Key": "plaudit:modes", "Value": "isolated"}));
    std::fs::write(
        d.join("describe-vpcs.json"),
        serde_json::to_vec(&vpcs).unwrap(),
    )
    .unwrap();
    let out = plaudit(&[
        "audit",
        "--snapshot",
        d.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ws = &report["deployment"]["workspaces"][0];
    assert_eq!(ws["name"], "tagged");
    assert_eq!(ws["origin"], "tags");
    assert_eq!(ws["modes"], serde_json::json!(["isolated"]));
    // No subnets or groups carry the tag, so the subnet rules fail rather than pass.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == "PL-SUB-001" && f["status"] == "fail"));
}

#[test]
fn region_comes_from_the_option_or_the_azs_and_says_so() {
    let d = scratch("region");
    copy_example("isolated-compliant", &d);
    std::fs::remove_file(d.join("snapshot.json")).unwrap();
    let m = d.join("manifest.yaml");
    let out = plaudit(&[
        "audit",
        "--snapshot",
        d.to_str().unwrap(),
        "--manifest",
        m.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["region"], "us-east-1");
    assert_eq!(r["region_source"], "inferred_from_availability_zones");
    let out = plaudit(&[
        "audit",
        "--snapshot",
        d.to_str().unwrap(),
        "--manifest",
        m.to_str().unwrap(),
        "--format",
        "json",
        "--region",
        "us-east-1",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["region_source"], "option");
}

#[test]
fn output_file_rules_filter_and_explain() {
    let d = scratch("out");
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("report.json");
    let out = audit_example(
        "backend-drifted",
        &[
            "--format",
            "json",
            "--output",
            f.to_str().unwrap(),
            "--rules",
            "PL-SG,PL-EP-006",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("findings:"));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    assert!(r["findings"].as_array().unwrap().iter().all(|x| {
        let id = x["rule_id"].as_str().unwrap();
        id.starts_with("PL-SG-") || id == "PL-EP-006"
    }));
    let bad = audit_example("backend-drifted", &["--rules", "PL-NOPE"]);
    assert_eq!(bad.status.code(), Some(2));
    let e = plaudit(&["explain", "pl-nacl-001"]);
    assert_eq!(e.status.code(), Some(0));
    assert!(text(&e.stdout).contains("ec2:DescribeNetworkAcls"));
    assert_eq!(plaudit(&["explain", "PL-XX-001"]).status.code(), Some(2));
    let rules = plaudit(&["rules", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&rules.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), plaudit::rules::RULES.len());
}

#[test]
fn help_is_helpful() {
    let out = plaudit(&["audit", "--help"]);
    let h = text(&out.stdout);
    for flag in [
        "--snapshot",
        "--manifest",
        "--format",
        "--fail-on",
        "--output",
        "--region",
        "--rules",
    ] {
        assert!(h.contains(flag), "{flag}");
    }
    assert!(text(&plaudit(&["--help"]).stdout).contains("Exit codes"));
}

#[test]
fn explain_shows_the_port_table_per_partition_with_sources() {
    let all = text(&plaudit(&["explain", "PL-EPSG-001"]).stdout);
    assert!(
        all.contains("| tcp 6666 |") && all.contains("aws-us-gov"),
        "{all}"
    );
    let gov = plaudit(&["explain", "PL-EPSG-001", "--region", "us-gov-west-1"]);
    assert_eq!(gov.status.code(), Some(0));
    let gov = text(&gov.stdout);
    assert!(!gov.contains("| tcp 6666 |"), "{gov}");
    assert!(
        gov.contains("| tcp 2443 |") && gov.contains("SRA network.tf"),
        "{gov}"
    );
    let table = gov
        .lines()
        .skip_while(|l| !l.starts_with("Ports"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("explain-PL-EPSG-001-us-gov-west-1", table);
    // A rule without ports prints no table.
    assert!(!text(&plaudit(&["explain", "PL-VPC-001"]).stdout).contains("| Ports |"));
}

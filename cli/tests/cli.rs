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
        .env_remove("COLUMNS")
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
    let all = text(&plaudit(&["explain", "PL-EPSG-001", "--format", "markdown"]).stdout);
    assert!(
        all.contains("| tcp 6666 |") && all.contains("aws-us-gov"),
        "{all}"
    );
    let gov = plaudit(&[
        "explain",
        "PL-EPSG-001",
        "--region",
        "us-gov-west-1",
        "--format",
        "markdown",
    ]);
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

/// `plaudit` with extra environment variables.
fn plaudit_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_plaudit"));
    c.args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run plaudit")
}

#[test]
fn audit_help_says_it_audits_live_accounts_and_how_to_pick() {
    let h = text(&plaudit(&["audit", "--help"]).stdout);
    assert!(h.contains("live account"), "{h}");
    assert!(h.contains("With --snapshot DIR"), "{h}");
    assert!(h.contains("credential"), "{h}");
    let top = text(&plaudit(&["--help"]).stdout);
    assert!(
        top.contains("Audit a live account, or a snapshot folder"),
        "{top}"
    );
}

#[test]
fn snapshot_help_describes_its_own_flags() {
    let h = text(&plaudit(&["snapshot", "--help"]).stdout);
    for (flag, words) in [
        ("-o, --out <DIR>", "Folder to write"),
        ("-m, --manifest <FILE>", "collect only the VPCs it names"),
        ("-r, --region <REGION>", "its own sub-folder"),
        ("-p, --profile <PROFILE>", "AWS profile"),
    ] {
        assert!(h.contains(flag), "{flag} missing:\n{h}");
        assert!(h.contains(words), "{words:?} missing:\n{h}");
    }
    // The audit-only wording of the shared region flag is not shown here.
    assert!(!h.contains("With --snapshot"), "{h}");
}

#[test]
fn short_flags_work_like_the_long_ones() {
    let long = audit_example("backend-drifted", &["--format", "json"]);
    let short = plaudit(&[
        "audit",
        "-s",
        "examples/backend-drifted",
        "-m",
        "examples/backend-drifted/manifest.yaml",
        "-f",
        "json",
    ]);
    assert_eq!(short.status.code(), long.status.code());
    assert_eq!(text(&short.stdout), text(&long.stdout));
    let r = plaudit(&["rules", "-f", "json"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.stdout).is_ok());
}

#[test]
fn completions_name_the_subcommands() {
    let out = plaudit(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let b = text(&out.stdout);
    for sub in ["audit", "snapshot", "rules", "explain", "completions"] {
        assert!(b.contains(sub), "{sub} missing");
    }
    assert!(b.contains("--manifest") && b.contains("--fail-on"), "{b}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = plaudit(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(text(&o.stdout).contains("explain"), "{shell}");
    }
    assert_eq!(plaudit(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn explain_renders_for_a_terminal_without_markdown() {
    for rule in ["PL-EPSG-001", "PL-EP-005", "PL-VPC-001", "PL-SL-002"] {
        let out = plaudit(&["explain", rule]);
        assert_eq!(out.status.code(), Some(0));
        let t = text(&out.stdout);
        for raw in ["##", "**", "`", "](", "|---", "| "] {
            assert!(!t.contains(raw), "{rule}: raw {raw:?} in:\n{t}");
        }
        assert!(!t.contains('\u{1b}'), "{rule}: colour on a pipe:\n{t}");
        // A single word longer than the width (a URL) may stand alone on its line.
        assert!(
            t.lines().all(|l| l.chars().count() <= 100
                || l.trim_start_matches([' ', '*']).split(' ').count() == 1),
            "{rule}:\n{t}"
        );
    }
    // The tables the rules refer to are printed.
    let ports = text(&plaudit(&["explain", "PL-EPSG-001"]).stdout);
    assert!(
        ports.contains("tcp 8443") && ports.contains("tcp 6666"),
        "{ports}"
    );
    let names = text(&plaudit(&["explain", "PL-EP-005"]).stdout);
    assert!(
        names.contains("us-east-1")
            && names.contains("com.amazonaws.vpce.us-east-1.vpce-svc-09143d1e626de2f04"),
        "{names}"
    );
    let one = text(&plaudit(&["explain", "PL-EP-005", "--region", "eu-west-1"]).stdout);
    assert!(
        one.contains("eu-west-1") && !one.contains("us-east-1"),
        "{one}"
    );
    // The raw Markdown is still there for docs.
    let md = text(&plaudit(&["explain", "PL-EP-005", "-f", "markdown"]).stdout);
    assert!(
        md.starts_with("## PL-EP-005") && md.contains("| Region |"),
        "{md}"
    );
}

#[test]
fn no_color_set_and_not_empty_turns_colour_off_and_explicit_choice_wins() {
    let always = |env: &[(&str, &str)]| {
        text(
            &plaudit_env(
                &[
                    "audit",
                    "-s",
                    "examples/backend-drifted",
                    "-m",
                    "examples/backend-drifted/manifest.yaml",
                    "--color",
                    "always",
                ],
                env,
            )
            .stdout,
        )
    };
    assert!(always(&[("NO_COLOR", "1")]).contains('\u{1b}'));
    // auto on a pipe: never, whatever NO_COLOR says.
    for env in [&[][..], &[("NO_COLOR", "")][..]] {
        let o = plaudit_env(&["explain", "PL-EP-001", "--color", "auto"], env);
        assert!(!text(&o.stdout).contains('\u{1b}'));
    }
}

/// Runs `cmd` under a pseudo-terminal (util-linux `script`), so `--color auto` sees a terminal.
fn in_pty(cmd: &str, no_color: Option<&str>) -> Option<String> {
    let mut c = Command::new("script");
    c.args(["-qec", cmd, "/dev/null"])
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100");
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    let out = c.output().ok()?;
    out.status.success().then(|| text(&out.stdout))
}

#[test]
fn no_color_on_a_terminal_follows_the_standard() {
    let cmd = format!("{} explain PL-EP-001", env!("CARGO_BIN_EXE_plaudit"));
    let Some(plain_tty) = in_pty(&cmd, None) else {
        // No `script` here: the unit tests of term.rs cover the decision itself.
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    assert!(
        plain_tty.contains('\u{1b}'),
        "no colour on a terminal:\n{plain_tty}"
    );
    let set = in_pty(&cmd, Some("1")).expect("script");
    assert!(!set.contains('\u{1b}'), "NO_COLOR=1 ignored:\n{set}");
    let empty = in_pty(&cmd, Some("")).expect("script");
    assert!(
        empty.contains('\u{1b}'),
        "an empty NO_COLOR must be ignored:\n{empty}"
    );
}

#[test]
fn long_lines_wrap_to_the_width_and_stay_aligned() {
    let out = plaudit_env(
        &[
            "audit",
            "-s",
            "examples/backend-drifted",
            "-m",
            "examples/backend-drifted/manifest.yaml",
            "--color",
            "never",
        ],
        &[("COLUMNS", "60")],
    );
    let t = text(&out.stdout);
    for l in t.lines() {
        // A single word longer than the width (an ARN) may stand alone on its line, and a fix
        // that is a command stays whole so it can be copied.
        let words = l.split_whitespace().count();
        let command = l.trim_start().starts_with("fix: aws ");
        assert!(
            l.chars().count() <= 60 || words == 1 || command,
            "too long: {l:?}\n{t}"
        );
    }
    // Message continuation lines stay in the message column.
    let msg_lines: Vec<&str> = t
        .lines()
        .filter(|l| l.starts_with("         ") && !l.trim().is_empty())
        .collect();
    assert!(msg_lines.len() > 10, "{t}");
    // Every line starts in a column of the layout: the finding line (2), a note's continuation
    // (8), the message (9), a fix's (14), the rules' (16) or a waiver's (17) continuation.
    for l in t.lines().filter(|l| !l.trim().is_empty()) {
        let indent = l.len() - l.trim_start().len();
        assert!(
            [0, 2, 8, 9, 14, 16, 17].contains(&indent),
            "misaligned: {l:?}\n{t}"
        );
    }
    // Without COLUMNS and off a terminal: the default width, 100.
    let wide = text(&audit_example("backend-drifted", &["--color", "never"]).stdout);
    assert!(wide.lines().any(|l| l.chars().count() > 60), "{wide}");
    assert!(
        wide.lines().all(|l| l.chars().count() <= 100
            || l.split_whitespace().count() == 1
            || l.trim_start().starts_with("fix: aws ")),
        "{wide}"
    );
}

#[test]
fn a_wrong_vpc_id_is_one_clear_error_and_every_rule_still_errors() {
    let d = scratch("wrong-vpc");
    copy_example("backend-drifted", &d);
    let m = std::fs::read_to_string(d.join("manifest.yaml")).unwrap();
    std::fs::write(
        d.join("manifest.yaml"),
        m.replace("vpc-02b3c4d5e6f708192", "vpc-0badbadbadbadbad0"),
    )
    .unwrap();
    let snap = d.to_str().unwrap().to_string();
    let manifest = d.join("manifest.yaml").to_str().unwrap().to_string();
    let run = |format: &str| {
        plaudit(&[
            "audit",
            "--snapshot",
            &snap,
            "--manifest",
            &manifest,
            "--format",
            format,
            "--color",
            "never",
        ])
    };
    let json = run("json");
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let errors: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "error" && f["resource_id"] == "vpc-0badbadbadbadbad0")
        .collect();
    assert!(
        errors.len() > 10,
        "every applicable rule reports error: {}",
        errors.len()
    );
    let table = run("table");
    assert_eq!(table.status.code(), json.status.code());
    assert_eq!(table.status.code(), Some(3));
    let t = text(&table.stdout);
    let error_lines = t
        .lines()
        .filter(|l| l.trim_start().starts_with("ERROR"))
        .count();
    assert_eq!(error_lines, 1, "{t}");
    assert!(t.contains(&format!("{} rules", errors.len())), "{t}");
    assert_eq!(
        t.matches("which is not in describe-vpcs.json").count(),
        1,
        "{t}"
    );
    assert!(
        t.contains("vpc-0badbadbadbadbad0") && t.contains("check its vpc_id"),
        "{t}"
    );
    // Every rule is still named.
    for e in &errors {
        assert!(t.contains(e["rule_id"].as_str().unwrap()), "{t}");
    }
    let md = text(&run("markdown").stdout);
    assert_eq!(
        md.matches("which is not in describe-vpcs.json").count(),
        1,
        "{md}"
    );
}

#[test]
fn the_markdown_report_is_ticket_ready() {
    let md = text(&audit_example("backend-drifted", &["--format", "markdown"]).stdout);
    let failures = md.find("## Failures (").expect("failures section");
    let passes = md.find("<details><summary>").expect("collapsed details");
    let passed = md.find("## Passed").expect("passes section");
    assert!(failures < passes && failures < passed, "{md}");
    // Worst first: the first failure is critical, the last is not.
    let heads: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("### ") && l.contains(". FAIL "))
        .collect();
    assert_eq!(heads.len(), 7, "{md}");
    assert!(heads[0].contains("FAIL critical"), "{heads:?}");
    assert!(heads[6].contains("FAIL medium"), "{heads:?}");
    // Each failure has its fix and a waiver ready for the manifest.
    assert_eq!(md.matches("**Fix:**").count(), 7, "{md}");
    assert_eq!(md.matches("waivers:\n  - rule: \"PL-").count(), 7, "{md}");
    // The passes are folded away.
    let pass_rows = md.lines().filter(|l| l.starts_with("| PASS")).count();
    assert!(pass_rows > 0);
    let first_pass = md.find("| PASS").unwrap();
    assert!(first_pass > passed, "{md}");
    assert!(md.trim_end().ends_with("</details>"), "{md}");
}

#[test]
fn fixes_on_the_examples_carry_real_ids() {
    for name in EXAMPLES {
        let out = audit_example(name, &["--format", "json"]);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for f in r["findings"].as_array().unwrap() {
            let fix = f["remediation"].as_str().unwrap();
            assert!(!fix.contains('<'), "{name}: {}: {fix}", f["rule_id"]);
        }
    }
}

#[test]
fn a_baseline_marks_new_and_resolved_failures_and_fail_on_new_gates_on_them() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("baseline-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let before = dir.join("before.json");
    let out = audit_example(
        "backend-drifted",
        &["--format", "json", "--output", before.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let b = before.to_str().unwrap();

    // The same state again: nothing new; failures still gate unless only new ones do.
    let same = audit_example("backend-drifted", &["--baseline", b]);
    assert_eq!(same.status.code(), Some(1));
    let table = text(&same.stdout);
    assert!(
        table.contains("== changes since the baseline =="),
        "{table}"
    );
    assert!(table.contains(" 0 new,"), "{table}");
    let gated = audit_example("backend-drifted", &["--baseline", b, "--fail-on-new"]);
    assert_eq!(gated.status.code(), Some(0), "{}", text(&gated.stdout));

    // A baseline without the critical failures and with a failure on a deleted resource.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&before).unwrap()).unwrap();
    let findings = v["findings"].as_array_mut().unwrap();
    let critical: Vec<String> = findings
        .iter()
        .filter(|f| f["status"] == "fail" && f["severity"] == "critical")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!critical.is_empty());
    findings.retain(|f| !critical.contains(&f["id"].as_str().unwrap().to_string()));
    let mut gone = findings
        .iter()
        .find(|f| f["status"] == "fail")
        .unwrap()
        .clone();
    gone["id"] = "00000000000000aa".into();
    gone["resource_id"] = "sg-0deleted".into();
    findings.push(gone);
    let edited = dir.join("edited.json");
    std::fs::write(&edited, serde_json::to_string(&v).unwrap()).unwrap();
    let e = edited.to_str().unwrap();

    let json = audit_example(
        "backend-drifted",
        &["--baseline", e, "--fail-on-new", "--format", "json"],
    );
    assert_eq!(json.status.code(), Some(1), "{}", text(&json.stderr));
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let new: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["change"] == "new")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let mut want: Vec<&str> = critical.iter().map(String::as_str).collect();
    want.sort_unstable();
    let mut got = new.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(r["baseline"]["new"], critical.len());
    assert_eq!(r["baseline"]["gone"][0]["resource_id"], "sg-0deleted");

    let md = text(
        &audit_example(
            "backend-drifted",
            &["--baseline", e, "--format", "markdown"],
        )
        .stdout,
    );
    let changes = md.find("## Changes since the baseline").unwrap();
    assert!(
        changes < md.find("## Failures").unwrap(),
        "diff first:\n{md}"
    );
    assert!(md.contains("| NEW | critical |"), "{md}");
    assert!(
        md.contains("`sg-0deleted`") && md.contains("| RESOLVED |"),
        "{md}"
    );

    // A baseline that is not a report: exit 2 naming the file; --fail-on-new needs a baseline.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"schema_version\": 2}").unwrap();
    let out = audit_example("backend-drifted", &["--baseline", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("findings"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let out = audit_example("backend-drifted", &["--fail-on-new"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

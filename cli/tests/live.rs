//! The `plaudit` binary against moto's server mode: `snapshot` writes the offline layout, and the
//! live audit and the audit of that snapshot agree.
//!
//! Needs a moto server (`scripts/test.sh` starts one and sets `PLAUDIT_MOTO_URL`); ignored by a
//! plain `cargo test`. It works in a region no other test uses, so it sees only moto's default VPC.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::process::{Command, Output};

const REGION: &str = "ap-southeast-2";

fn plaudit(args: &[&str]) -> Output {
    let url = std::env::var("PLAUDIT_MOTO_URL")
        .expect("PLAUDIT_MOTO_URL is not set: run through scripts/test.sh");
    plaudit_at(&url, args)
}

/// `plaudit ARGS` with every AWS call sent to `url`, test credentials and `REGION`.
fn plaudit_at(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plaudit"))
        .args(args)
        .args(["--endpoint-url", url, "--region", REGION])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run plaudit")
}

#[test]
#[ignore = "needs moto: run scripts/test.sh"]
fn snapshot_then_audit_equals_the_live_audit() {
    let dir = std::env::temp_dir().join(format!("plaudit-cli-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = plaudit(&["snapshot", "--out", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "describe-vpcs.json",
        "describe-subnets.json",
        "describe-security-group-rules.json",
        "vpc-attributes.json",
        "snapshot.json",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(meta["region"], REGION);
    assert_eq!(meta["account_id"], "123456789012");
    let vpcs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("describe-vpcs.json")).unwrap()).unwrap();
    assert!(
        !vpcs["Vpcs"].as_array().unwrap().is_empty(),
        "moto's default VPC is missing"
    );

    let live = plaudit(&["audit", "--format", "json"]);
    let offline = Command::new(env!("CARGO_BIN_EXE_plaudit"))
        .args([
            "audit",
            "--format",
            "json",
            "--snapshot",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    // Nothing Databricks in this region: the audit is incomplete (3), never clean.
    assert_eq!(
        live.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    assert_eq!(offline.status.code(), Some(3));
    let a: serde_json::Value = serde_json::from_slice(&live.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(a["findings"], b["findings"]);
    assert_eq!(a["deployment"], b["deployment"]);
    assert_eq!(a["region"], REGION);
}

/// `--attempt-timeout` / `--call-timeout` and their environment variables: a value that cannot
/// be used is a usage error (exit 2) naming the flag or variable, before any AWS call is made
/// (the endpoint here is a closed port). No moto needed.
#[test]
fn bad_timeouts_are_usage_errors_naming_the_flag_or_variable() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_plaudit"));
        c.args(args)
            .args(["--endpoint-url", "http://127.0.0.1:9", "--region", REGION])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("PLAUDIT_ATTEMPT_TIMEOUT_SECS")
            .env_remove("PLAUDIT_CALL_TIMEOUT_SECS");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run plaudit")
    };
    let out_dir = std::env::temp_dir().join(format!("plaudit-cli-timeouts-{}", std::process::id()));
    let out_dir = out_dir.to_str().unwrap();
    for (args, env, named) in [
        (
            vec!["audit", "--call-timeout", "0"],
            vec![],
            "--call-timeout",
        ),
        (
            vec!["snapshot", "--out", out_dir, "--attempt-timeout", "4000"],
            vec![],
            "--attempt-timeout",
        ),
        (
            vec!["audit", "--attempt-timeout", "120", "--call-timeout", "60"],
            vec![],
            "--call-timeout",
        ),
        (
            vec!["snapshot", "--out", out_dir],
            vec![("PLAUDIT_CALL_TIMEOUT_SECS", "ten")],
            "PLAUDIT_CALL_TIMEOUT_SECS",
        ),
    ] {
        let out = run(&args, &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(named), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            !err.contains("DispatchFailure"),
            "{args:?}: a call was made: {err}"
        );
    }
    // Not a number at all: clap refuses it.
    let out = run(&["audit", "--call-timeout", "soon"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!std::path::Path::new(out_dir).exists());
}

#[test]
#[ignore = "needs moto: run scripts/test.sh"]
fn timeout_flags_are_taken_by_audit_and_snapshot() {
    let dir = std::env::temp_dir().join(format!("plaudit-cli-live-t-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = plaudit(&[
        "snapshot",
        "--out",
        dir.to_str().unwrap(),
        "--attempt-timeout",
        "120",
        "--call-timeout",
        "600",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("describe-vpcs.json").is_file());
    let out = plaudit(&["audit", "--call-timeout", "30", "--format", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["findings"].is_array());
    let _ = std::fs::remove_dir_all(&dir);
}

fn example(name: &str) -> (String, String) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples")
        .join(name);
    (
        dir.to_str().unwrap().to_string(),
        dir.join("manifest.yaml").to_str().unwrap().to_string(),
    )
}

/// Issue 12: `--security-hub` imports what `--format asff` prints, into the snapshot's account
/// and region, prints the counts, and keeps the audit's exit code.
#[test]
#[ignore = "needs moto: run scripts/test.sh"]
fn security_hub_imports_the_asff_report() {
    let (snap, manifest) = example("backend-drifted");
    let out = plaudit(&[
        "audit",
        "--snapshot",
        &snap,
        "--manifest",
        &manifest,
        "--format",
        "asff",
        "--security-hub",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The example has high failures: exit 1, as without the import.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let asff: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = asff.as_array().unwrap().len();
    assert!(
        stderr.contains(&format!(
            "Security Hub: 123456789012/us-east-1: imported {n} findings in {} call",
            n.div_ceil(100)
        )),
        "{stderr}"
    );
}

/// A Security Hub that cannot be reached: the report is still written, and the exit code is 4.
#[test]
fn an_import_that_fails_exits_4_after_writing_the_report() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (snap, manifest) = example("isolated-compliant");
    let out = plaudit_at(
        &format!("http://127.0.0.1:{port}"),
        &[
            "audit",
            "--snapshot",
            &snap,
            "--manifest",
            &manifest,
            "--format",
            "json",
            "--security-hub",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("Security Hub: BatchImportFindings failed (DispatchFailure"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!report["findings"].as_array().unwrap().is_empty());
}

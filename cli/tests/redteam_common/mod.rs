//! The harness of the red-team estate tests (`redteam.rs`, `redteam2.rs`): runs the offline CLI on
//! an estate folder and checks the pinned verdicts, exit code, notes and output.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)] // test code: a panic is a failed test

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// One expectation: rule id, resource id (or any), status, fragments of the message.
/// Status `not_fail`: no finding of that rule and resource fails. `absent`: no finding at all.
pub type Want = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
);

pub struct Case {
    pub dir: &'static str,
    pub manifest: bool,
    pub format: &'static str,
    pub exit: Option<i32>,
    pub want: &'static [Want],
    pub deployment_has: &'static [&'static str],
    pub stdout_lacks: &'static [&'static str],
    pub stderr_has: &'static [&'static str],
}

/// Runs the offline CLI on estate `c` of `cli/tests/<base>/` and checks every expectation.
pub fn run_in(base: &str, c: &Case) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(base)
        .join(c.dir);
    let snap = root.to_string_lossy().into_owned();
    let manifest = root.join("manifest.yaml").to_string_lossy().into_owned();
    let mut args = vec![
        "audit",
        "--snapshot",
        &snap,
        "--format",
        c.format,
        "--show-passed",
        "--color",
        "never",
    ];
    if c.manifest {
        args.extend(["--manifest", &manifest]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_plaudit"))
        .args(&args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run plaudit");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    assert!(
        code.is_some(),
        "{}: plaudit died from a signal; stderr:\n{stderr}",
        c.dir
    );
    assert!(
        !stderr.contains("panicked"),
        "{}: plaudit panicked:\n{stderr}",
        c.dir
    );
    if let Some(e) = c.exit {
        assert_eq!(code, Some(e), "{}: exit code; stderr:\n{stderr}", c.dir);
    } else {
        assert!(
            matches!(code, Some(0 | 1 | 3)),
            "{}: exit {code:?}; stderr:\n{stderr}",
            c.dir
        );
    }
    for s in c.stderr_has {
        assert!(
            stderr.contains(s),
            "{}: stderr lacks {s:?}:\n{stderr}",
            c.dir
        );
    }
    for s in c.stdout_lacks {
        assert!(
            !stdout.contains(s),
            "{}: output contains {s:?}:\n{stdout}",
            c.dir
        );
    }
    if c.format != "json" || code == Some(2) {
        return;
    }
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    let deployment = report["deployment"].to_string();
    for s in c.deployment_has {
        assert!(
            deployment.contains(s),
            "{}: deployment lacks {s:?}: {deployment}",
            c.dir
        );
    }
    let findings = report["findings"].as_array().expect("findings");
    for (rule, resource, status, frags) in c.want {
        let sel: Vec<&Value> = findings
            .iter()
            .filter(|f| f["rule_id"] == *rule && resource.is_none_or(|r| f["resource_id"] == r))
            .collect();
        let show = || {
            sel.iter()
                .map(|f| {
                    format!(
                        "  {} {} {}: {}",
                        f["rule_id"], f["status"], f["resource_id"], f["message"]
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let has = |f: &&&Value| {
            frags
                .iter()
                .all(|s| f["message"].as_str().unwrap_or("").contains(s))
        };
        match *status {
            "absent" => assert!(
                sel.is_empty(),
                "{}: {rule} {resource:?} should have no finding:\n{}",
                c.dir,
                show()
            ),
            "not_fail" => assert!(
                sel.iter().all(|f| f["status"] != "fail"),
                "{}: {rule} {resource:?} must not fail:\n{}",
                c.dir,
                show()
            ),
            "pass" => {
                assert!(!sel.is_empty(), "{}: no {rule} {resource:?} finding", c.dir);
                assert!(
                    sel.iter().all(|f| f["status"] == "pass"),
                    "{}: {rule} {resource:?} should pass:\n{}",
                    c.dir,
                    show()
                );
                assert!(
                    sel.iter().any(|f| has(&f)),
                    "{}: {rule} {resource:?} message lacks {frags:?}:\n{}",
                    c.dir,
                    show()
                );
            }
            s => assert!(
                sel.iter().any(|f| f["status"] == s && has(&f)),
                "{}: {rule} {resource:?} should be {s} mentioning {frags:?}:\n{}",
                c.dir,
                show()
            ),
        }
    }
}

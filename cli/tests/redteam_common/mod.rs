//! The harness of the red-team estate tests (`redteam*.rs`): runs the offline CLI on an estate
//! folder and checks the pinned verdicts, exit code, notes, report fields, and that other
//! descriptions of the same network (manifest, tags, discovery) give the same verdicts.

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
    pub args: &'static [&'static str],
    /// Other descriptions of the same network: (dir, manifest) whose verdicts must be identical.
    pub equiv: &'static [(&'static str, bool)],
    pub equiv_skip: &'static [&'static str],
    /// (JSON pointer, expected value as JSON) on the report.
    pub top: &'static [(&'static str, &'static str)],
}

/// A case with nothing to check, for the fields a test does not set (`..BASE`).
pub const BASE: Case = Case {
    dir: "",
    manifest: false,
    format: "json",
    exit: None,
    want: &[],
    deployment_has: &[],
    stdout_lacks: &[],
    stderr_has: &[],
    args: &[],
    equiv: &[],
    equiv_skip: &[],
    top: &[],
};

/// The (rule, resource, status) triples of a report, without the rules in `skip`.
fn triples(report: &Value, skip: &[&str]) -> std::collections::BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| !skip.iter().any(|s| f["rule_id"] == *s))
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_string(),
                f["resource_id"].as_str().unwrap_or("").to_string(),
                f["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn audit(
    base: &str,
    dir: &str,
    manifest: bool,
    format: &str,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(base)
        .join(dir);
    let snap = root.to_string_lossy().into_owned();
    let manifest_path = root.join("manifest.yaml").to_string_lossy().into_owned();
    let mut args = vec![
        "audit",
        "--snapshot",
        &snap,
        "--format",
        format,
        "--show-passed",
        "--color",
        "never",
    ];
    if manifest {
        args.extend(["--manifest", &manifest_path]);
    }
    args.extend(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_plaudit"))
        .args(&args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run plaudit");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A JSON pointer, except that a segment `rule=ID` selects the finding of that rule.
fn pointer<'a>(report: &'a Value, ptr: &str) -> Option<&'a Value> {
    let mut cur = report;
    for seg in ptr.split('/').skip(1) {
        cur = if let Some(rule) = seg.strip_prefix("rule=") {
            cur.as_array()?.iter().find(|f| f["rule_id"] == rule)?
        } else if let Ok(i) = seg.parse::<usize>() {
            cur.get(i)?
        } else {
            cur.get(seg)?
        };
    }
    Some(cur)
}

/// Runs the offline CLI on estate `c` of `cli/tests/<base>/` and checks every expectation.
pub fn run_in(base: &str, c: &Case) {
    let (code, stdout, stderr) = audit(base, c.dir, c.manifest, c.format, c.args);

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
    if code == Some(2) {
        assert!(
            stdout.trim().is_empty(),
            "{}: exit 2 must print nothing on stdout:\n{stdout}",
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
    for (ptr, want) in c.top {
        let want: Value = serde_json::from_str(want).expect("expected JSON");
        let got = pointer(&report, ptr).cloned().unwrap_or(Value::Null);
        assert_eq!(got, want, "{}: report {ptr}", c.dir);
    }
    for (dir, manifest) in c.equiv {
        let (ocode, ostdout, ostderr) = audit(base, dir, *manifest, "json", c.args);
        assert!(
            matches!(ocode, Some(0 | 1 | 3)),
            "{dir}: exit {ocode:?}; stderr:\n{ostderr}"
        );
        let other: Value = serde_json::from_str(&ostdout).expect("JSON report");
        let (mine, theirs) = (
            triples(&report, c.equiv_skip),
            triples(&other, c.equiv_skip),
        );
        let only_mine: Vec<_> = mine.difference(&theirs).collect();
        let only_theirs: Vec<_> = theirs.difference(&mine).collect();
        assert!(
            only_mine.is_empty() && only_theirs.is_empty(),
            "{} vs {dir}: verdicts differ\n  only in {}: {only_mine:?}\n  only in {dir}: {only_theirs:?}",
            c.dir,
            c.dir
        );
        assert_eq!(code, ocode, "{} vs {dir}: exit codes differ", c.dir);
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
            "not_contains_fail" => assert!(
                sel.iter().all(|f| !(f["status"] == "fail" && has(&f))),
                "{}: {rule} {resource:?} must not fail mentioning {frags:?}:\n{}",
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

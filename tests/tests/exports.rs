//! The SARIF, OCSF and CSV exports (issue 12): golden files on the bundled examples, the shape of
//! the CSV, the baseline and evidence mapping, and validity against independent validators:
//! Microsoft's SARIF Multitool and py-ocsf-models. The validators are installed by
//! `scripts/test.sh` (into `.tools/npm` and `.venv-test`); their tests are ignored by a plain
//! `cargo test` and fail with a clear message when run without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use plaudit::baseline::{compare, Baseline};
use plaudit::engine::{audit, AuditOptions};
use plaudit::evidence::{FlowPath, Hop, HopName, HopVerdict, PathVerdict};
use plaudit::render::{self, Render};
use plaudit::{Manifest, Report, Snapshot, Status};
use plaudit_tests::{example, repo_root};
use serde_json::Value;

const EXAMPLES: [&str; 3] = ["backend-drifted", "frontend-transit", "isolated-compliant"];
const REPO: &str = "https://example.com/plaudit";

fn report(name: &str) -> Report {
    let dir = example(name);
    let snap = Snapshot::load(&dir).expect("example loads");
    let manifest = Manifest::load(&dir.join("manifest.yaml")).expect("manifest loads");
    audit(
        &snap,
        &AuditOptions {
            manifest: Some(&manifest),
            ..Default::default()
        },
    )
}

/// The SARIF renderer as the CLI builds it for `--snapshot examples/NAME`.
fn sarif_for(name: &str) -> render::Sarif {
    let dir = example(name);
    render::Sarif {
        snapshot: Some(format!("examples/{name}")),
        files: Some(Box::new(move |f| std::fs::read_to_string(dir.join(f)).ok())),
        repository: REPO.to_string(),
    }
}

fn text(r: &dyn Render, report: &Report) -> String {
    let mut out = Vec::new();
    r.render(report, &mut out).expect("renders");
    String::from_utf8(out).expect("UTF-8")
}

fn json(r: &dyn Render, report: &Report) -> Value {
    serde_json::from_str(&text(r, report)).expect("valid JSON")
}

fn csv_rows(s: &str) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(s.as_bytes())
        .records()
        .map(|r| r.expect("RFC 4180 row"))
        .collect()
}

/// The SARIF log with the rule catalogue reduced to its ids (the catalogue is the same in every
/// log; the backend-drifted golden keeps it whole).
fn without_rule_help(mut v: Value) -> Value {
    let rules = &mut v["runs"][0]["tool"]["driver"]["rules"];
    let ids: Vec<Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    *rules = Value::Array(ids);
    v
}

#[test]
fn golden_sarif_ocsf_and_csv_of_the_examples() {
    for name in EXAMPLES {
        let r = report(name);
        let sarif = json(&sarif_for(name), &r);
        let sarif = if name == "backend-drifted" {
            sarif
        } else {
            without_rule_help(sarif)
        };
        insta::assert_json_snapshot!(format!("sarif-{name}"), sarif);
        insta::assert_json_snapshot!(format!("ocsf-{name}"), json(&render::Ocsf, &r));
        insta::assert_snapshot!(format!("csv-{name}"), text(&render::Csv, &r));
    }
}

#[test]
fn the_csv_has_one_row_per_finding_with_the_json_ids_in_order() {
    for name in EXAMPLES {
        let r = report(name);
        let body = text(&render::Csv, &r);
        // RFC 4180 line ends (a message with a line break would be quoted, not counted here).
        assert_eq!(
            body.matches("\r\n").count(),
            body.matches('\n').count(),
            "{name}: every line ends with CRLF"
        );
        let rows = csv_rows(&body);
        assert_eq!(
            rows[0].iter().collect::<Vec<_>>(),
            render::csv::COLUMNS.to_vec()
        );
        assert_eq!(rows.len(), r.findings.len() + 1, "{name}");
        assert!(rows
            .iter()
            .all(|row| row.len() == render::csv::COLUMNS.len()));
        let json = json(&render::Json, &r);
        let json_ids: Vec<&str> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        let csv_ids: Vec<&str> = rows[1..].iter().map(|row| &row[0]).collect();
        assert_eq!(csv_ids, json_ids, "{name}");
        let statuses: Vec<&str> = rows[1..].iter().map(|row| &row[4]).collect();
        let want: Vec<&str> = r.findings.iter().map(|f| f.status.as_str()).collect();
        assert_eq!(statuses, want);
    }
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote() {
    let mut r = report("backend-drifted");
    r.findings[0].message = "=HYPERLINK(\"http://x\",\"y\"), then\r\nmore".to_string();
    r.findings[1].message = "@SUM(1)".to_string();
    r.findings[2].message = "-1".to_string();
    let rows = csv_rows(&text(&render::Csv, &r));
    assert_eq!(
        &rows[1][12],
        "'=HYPERLINK(\"http://x\",\"y\"), then\r\nmore"
    );
    assert_eq!(&rows[2][12], "'@SUM(1)");
    assert_eq!(&rows[3][12], "'-1");
    assert_eq!(rows.len(), r.findings.len() + 1);
}

fn blocked_path(workspace: &str) -> Arc<FlowPath> {
    Arc::new(FlowPath {
        id: FlowPath::make_id(workspace, "subnet-a", "vpce-1", "tcp", "6666"),
        workspace: workspace.into(),
        purpose: "secure cluster connectivity relay".into(),
        source: "subnet-a".into(),
        destination: "vpce-1".into(),
        protocol: "tcp".into(),
        ports: "6666".into(),
        verdict: PathVerdict::Fail,
        hops: vec![
            Hop {
                hop: HopName::SrcSgEgress,
                verdict: HopVerdict::Allowed,
                resources: vec!["sg-1".into()],
                entries: vec!["sgr-1".into()],
                uncovered: vec![],
                detail: String::new(),
            },
            Hop {
                hop: HopName::SrcNaclOut,
                verdict: HopVerdict::Blocked,
                resources: vec!["acl-1".into()],
                entries: vec!["rule 90".into()],
                uncovered: vec!["tcp 6666 to 10.0.2.0/24".into()],
                detail: "rule 90 denies it".into(),
            },
        ],
    })
}

#[test]
fn the_blocking_hop_reaches_csv_sarif_and_ocsf() {
    let mut r = report("backend-drifted");
    let i = r
        .findings
        .iter()
        .position(|f| f.status == Status::Fail)
        .unwrap();
    let ws = r.findings[i]
        .workspaces
        .first()
        .map_or("ws".to_string(), |w| w.to_string());
    r.findings[i].paths = vec![blocked_path(&ws)];
    let want =
        "tcp 6666 vpce-1: src_nacl_out at acl-1 by rule 90 (uncovered: tcp 6666 to 10.0.2.0/24)";
    let rows = csv_rows(&text(&render::Csv, &r));
    assert_eq!(&rows[i + 1][17], want);
    let id = r.findings[i].id.to_string();
    let sarif = json(&sarif_for("backend-drifted"), &r);
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["partialFingerprints"][render::sarif::FINGERPRINT_KEY] == id.as_str())
        .unwrap();
    assert_eq!(result["properties"]["blockingHop"], want);
    let ocsf = json(&render::Ocsf, &r);
    assert_eq!(ocsf[i]["unmapped"]["plaudit"]["blocking_hop"], want);
}

/// The backend-drifted report compared with a baseline in which one of today's failures passed,
/// a failure on a since-deleted resource existed, and everything else was as today.
fn compared() -> (Report, String, String) {
    let mut r = report("backend-drifted");
    let mut base: Value = serde_json::from_str(&text(&render::Json, &r)).unwrap();
    let findings = base["findings"].as_array_mut().unwrap();
    let new_one = findings.iter_mut().find(|f| f["status"] == "fail").unwrap();
    new_one["status"] = "pass".into();
    let new_id = new_one["id"].as_str().unwrap().to_string();
    let mut gone = findings
        .iter()
        .find(|f| f["status"] == "fail" && f["id"] != new_id.as_str())
        .unwrap()
        .clone();
    gone["id"] = "00000000000000aa".into();
    gone["resource_id"] = "sg-0deleted".into();
    findings.push(gone);
    let b = Baseline::parse(&base.to_string()).unwrap();
    compare(&mut r, b, "previous.json");
    (r, new_id, "00000000000000aa".to_string())
}

#[test]
fn a_baseline_marks_sarif_ocsf_and_csv() {
    let (r, new_id, gone_id) = compared();
    let sarif = json(&sarif_for("backend-drifted"), &r);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let state = |id: &str| {
        results
            .iter()
            .find(|x| x["partialFingerprints"][render::sarif::FINGERPRINT_KEY] == id)
            .map(|x| x["baselineState"].as_str().unwrap().to_string())
    };
    assert_eq!(state(&new_id).as_deref(), Some("new"));
    assert_eq!(state(&gone_id).as_deref(), Some("absent"));
    let still: BTreeSet<String> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.id.to_string() != new_id)
        .map(|f| state(&f.id.to_string()).unwrap())
        .collect();
    assert_eq!(still, BTreeSet::from(["unchanged".to_string()]));
    let gone = results
        .iter()
        .find(|x| x["partialFingerprints"][render::sarif::FINGERPRINT_KEY] == gone_id.as_str())
        .unwrap();
    assert_eq!(gone["kind"], "pass");
    assert_eq!(
        gone["locations"][0]["logicalLocations"][0]["name"],
        "sg-0deleted"
    );

    let ocsf = json(&render::Ocsf, &r);
    let ev = ocsf
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["finding_info"]["uid"] == new_id.as_str())
        .unwrap();
    assert_eq!(
        (ev["activity_id"].as_u64(), ev["type_uid"].as_u64()),
        (Some(1), Some(200301))
    );
    let updated = ocsf
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["activity_id"] == 2)
        .count();
    assert_eq!(
        updated,
        r.findings
            .iter()
            .filter(|f| f.id.to_string() != new_id)
            .count(),
        "every other finding is an update (still failing or unchanged)"
    );

    let rows = csv_rows(&text(&render::Csv, &r));
    let row = rows.iter().find(|row| &row[0] == new_id.as_str()).unwrap();
    assert_eq!(&row[5], "new");
}

#[test]
fn sarif_results_point_at_the_line_that_names_the_resource() {
    let r = report("backend-drifted");
    let sarif = json(&sarif_for("backend-drifted"), &r);
    let run = &sarif["runs"][0];
    assert_eq!(
        run["originalUriBaseIds"]["SNAPSHOTROOT"],
        serde_json::json!({"uri": "examples/backend-drifted/", "uriBaseId": "%SRCROOT%"})
    );
    let results = run["results"].as_array().unwrap();
    let listed = r
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Error | Status::Waived))
        .count();
    assert_eq!(results.len(), listed);
    for x in results {
        let loc = &x["locations"][0];
        let file = loc["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let line = loc["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap() as usize;
        let id = loc["logicalLocations"][0]["name"].as_str().unwrap();
        let body = std::fs::read_to_string(example("backend-drifted").join(file)).unwrap();
        let at = body.lines().nth(line - 1).unwrap();
        assert!(
            at.contains(&format!("\"{id}\"")),
            "{file}:{line} is `{at}`, not {id}"
        );
    }
    // The waived finding is suppressed, with its reason.
    let waived = results
        .iter()
        .find(|x| x["suppressions"].is_array())
        .unwrap();
    assert_eq!(waived["suppressions"][0]["status"], "accepted");
    assert!(!waived["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .is_empty());
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        plaudit::rules::RULES.len()
    );
}

/// The values SARIF 2.1.0 allows for the enumerations plaudit writes. The Multitool skips a log
/// whose enumeration value is unknown without a word (it cannot deserialize it), so they are
/// checked here.
fn check_sarif_enums(v: &Value) {
    let run = &v["runs"][0];
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["none", "note", "warning", "error"].contains(&level));
    }
    for x in run["results"].as_array().unwrap() {
        let kind = x["kind"].as_str().unwrap();
        let level = x["level"].as_str().unwrap();
        assert!([
            "pass",
            "open",
            "informational",
            "notApplicable",
            "review",
            "fail"
        ]
        .contains(&kind));
        assert!(["none", "note", "warning", "error"].contains(&level));
        // SARIF 3.27.10: a result that is not a failure has level `none`.
        assert!(kind == "fail" || level == "none", "{x}");
        if let Some(b) = x["baselineState"].as_str() {
            assert!(["new", "unchanged", "updated", "absent"].contains(&b));
        }
        for s in x["suppressions"].as_array().into_iter().flatten() {
            assert_eq!(s["kind"], "external");
            assert_eq!(s["status"], "accepted");
        }
    }
}

/// What the validators check: each example, and backend-drifted compared with a baseline.
fn validity_cases() -> Vec<(String, Report)> {
    let (baselined, _, _) = compared();
    let mut cases: Vec<(String, Report)> = EXAMPLES
        .iter()
        .map(|n| (n.to_string(), report(n)))
        .collect();
    cases.push(("backend-drifted-baseline".to_string(), baselined));
    cases
}

fn multitool() -> PathBuf {
    if let Ok(p) = std::env::var("PLAUDIT_SARIF_MULTITOOL") {
        return PathBuf::from(p);
    }
    // The native binary: the npm wrapper runs it through a shell.
    let p = repo_root()
        .join(".tools/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    assert!(
        p.exists(),
        "{} is missing: scripts/test.sh installs the SARIF Multitool (npm @microsoft/sarif-multitool)",
        p.display()
    );
    p
}

/// Runs `sarif-multitool validate` on a log; returns the errors it reports (rule id and
/// message) and the number of warnings.
fn validate_sarif(log: &Path, out_dir: &Path) -> (Vec<String>, usize) {
    let out = out_dir.join(format!(
        "{}.validation.sarif",
        log.file_stem().unwrap().to_string_lossy()
    ));
    let run = Command::new(multitool())
        .arg("validate")
        .arg(log)
        .arg("--output")
        .arg(&out)
        .args(["--log", "ForceOverwrite"])
        .output()
        .expect("sarif-multitool runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "sarif-multitool failed: {stdout}");
    assert!(stdout.contains("1 files scanned"), "{stdout}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let results = v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let errors = results
        .iter()
        .filter(|x| x["level"] == "error")
        .map(|x| format!("{}: {}", x["ruleId"], x["message"]))
        .collect();
    let warnings = results.iter().filter(|x| x["level"] == "warning").count();
    (errors, warnings)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("plaudit-exports-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
#[ignore = "needs the SARIF Multitool: scripts/test.sh installs it into .tools/npm"]
fn sarif_of_every_example_passes_the_sarif_multitool() {
    let dir = scratch("sarif");
    // The validator is alive: a log with a schema error is reported.
    let broken = dir.join("broken.sarif");
    std::fs::write(
        &broken,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"A","message":{"text":"m"},"locations":5}]}]}"#,
    )
    .unwrap();
    let (errors, _) = validate_sarif(&broken, &dir);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("JSON1001"), "{errors:?}");

    let cases = validity_cases();
    for (name, r) in &cases {
        let example_name = name.trim_end_matches("-baseline");
        let log = json(&sarif_for(example_name), r);
        check_sarif_enums(&log);
        let path = dir.join(format!("{name}.sarif"));
        std::fs::write(&path, log.to_string()).unwrap();
        let (errors, warnings) = validate_sarif(&path, &dir);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert_eq!(warnings, 0, "{name}: the Multitool warns");
    }
    // Without a repository URL the driver lacks informationUri: a warning, not an error.
    let bare = render::Sarif::new(None, None);
    let path = dir.join("bare.sarif");
    std::fs::write(&path, text(&bare, &report("isolated-compliant"))).unwrap();
    let (errors, _) = validate_sarif(&path, &dir);
    assert!(errors.is_empty(), "{errors:#?}");
    std::fs::remove_dir_all(&dir).ok();
}

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("PLAUDIT_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let p = repo_root().join(".venv-test/bin/python");
    assert!(
        p.exists(),
        "{} is missing: scripts/test.sh creates the test venv with py-ocsf-models",
        p.display()
    );
    p
}

#[test]
#[ignore = "needs py-ocsf-models: scripts/test.sh installs it into .venv-test"]
fn ocsf_of_every_example_is_valid_for_py_ocsf_models() {
    let dir = scratch("ocsf");
    let cases = validity_cases();
    let mut files = Vec::new();
    for (name, r) in &cases {
        let path = dir.join(format!("{name}.ocsf.json"));
        std::fs::write(&path, text(&render::Ocsf, r)).unwrap();
        files.push(path);
    }
    let run = Command::new(python())
        .arg(repo_root().join("tests/python/test_ocsf.py"))
        .env("PLAUDIT_OCSF_FILES", std::env::join_paths(&files).unwrap())
        .output()
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    for f in &files {
        assert!(
            stderr.contains(&format!("{}: ", f.display())) && stderr.contains("events valid"),
            "{} was not checked: {stderr}",
            f.display()
        );
    }
    assert!(stderr.contains("Ran 2 tests"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

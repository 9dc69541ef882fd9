//! Dates through the `plaudit` binary: the snapshot's `collected_at` and a waiver's `expires`
//! are strict RFC 3339 (a waiver may give a date), offsets are honoured, expiry is compared in
//! UTC, and anything else is exit 2 naming the file and the field (docs/contracts-dates.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLE: &str = "backend-drifted";

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(EXAMPLE)
}

fn plaudit(snapshot: &Path, manifest: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plaudit"))
        .args(["audit", "--format", "json", "--snapshot"])
        .arg(snapshot)
        .arg("--manifest")
        .arg(manifest)
        .output()
        .expect("run plaudit")
}

/// A copy of the example with `collected_at` replaced, in its own folder.
fn snapshot_at(dir: &Path, collected_at: &str) -> PathBuf {
    let snap = dir.join(format!("snap-{}", collected_at.len()));
    let _ = std::fs::remove_dir_all(&snap);
    std::fs::create_dir_all(&snap).unwrap();
    for entry in std::fs::read_dir(example()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&p, snap.join(p.file_name().unwrap())).unwrap();
        }
    }
    let meta = serde_json::json!({
        "format_version": 1,
        "account_id": "123456789012",
        "region": "us-east-1",
        "collected_at": collected_at,
    });
    std::fs::write(snap.join("snapshot.json"), meta.to_string()).unwrap();
    snap
}

/// The example's manifest with one more waiver, on `rule` and `resource`, expiring at `expires`.
fn manifest_with(dir: &Path, rule: &str, resource: &str, expires: &str) -> PathBuf {
    let base = std::fs::read_to_string(example().join("manifest.yaml")).unwrap();
    let text = format!(
        "{}\n  - rule: {rule}\n    resource: {resource}\n    reason: test\n    expires: \"{expires}\"\n",
        base.trim_end()
    );
    let m = dir.join("manifest.yaml");
    std::fs::write(&m, text).unwrap();
    m
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn status_of(r: &serde_json::Value, rule: &str, resource: &str) -> String {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource_id"] == resource)
        .map(|f| f["status"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn offsets_are_honoured_and_bad_dates_are_exit_2_naming_the_file_and_field() {
    let dir = std::env::temp_dir().join(format!("plaudit-cli-dates-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // A failure of the example to waive (found, not assumed).
    let plain = plaudit(&example(), &example().join("manifest.yaml"));
    let r = report(&plain);
    let fail = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "fail")
        .expect("the drifted example has failures");
    let (rule, resource) = (
        fail["rule_id"].as_str().unwrap(),
        fail["resource_id"].as_str().unwrap(),
    );
    let manifest = manifest_with(&dir, rule, resource, "2026-11-30");

    // 01:30 at +02:00 on 1 December is 30 November 23:30 UTC: the waiver through the 30th holds.
    let out = plaudit(&snapshot_at(&dir, "2026-12-01T01:30:00+02:00"), &manifest);
    assert_eq!(status_of(&report(&out), rule, resource), "waived");
    // 22:00 at -05:00 on 30 November is 1 December 03:00 UTC: it has expired. (Cutting the text
    // to its date would have said the opposite in both cases.)
    let out = plaudit(&snapshot_at(&dir, "2026-11-30T22:00:00.5-05:00"), &manifest);
    let r = report(&out);
    assert_eq!(status_of(&r, rule, resource), "fail");
    assert_eq!(r["collected_at"], "2026-11-30T22:00:00.5-05:00");

    // A bad collected_at: exit 2, the file and the field named, no report.
    for bad in [
        "2026-11-30",
        "2026-11-30T06:00:00",
        "2026-02-30T06:00:00Z",
        "yesterday",
        "",
    ] {
        let out = plaudit(&snapshot_at(&dir, bad), &example().join("manifest.yaml"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(out.stdout.is_empty(), "{bad:?}");
        assert!(
            err.contains("snapshot.json: at JSON path `collected_at`: ")
                && err.contains("RFC 3339"),
            "{bad:?}: {err}"
        );
    }

    // A bad waiver expiry: exit 2 naming the manifest and the waiver's field.
    let waivers = {
        let base = std::fs::read_to_string(example().join("manifest.yaml")).unwrap();
        base.matches("- rule:").count()
    };
    let good = snapshot_at(&dir, "2026-11-30T06:00:00Z");
    for bad in [
        "2026-13-01",
        "2026-02-30",
        "yesterday",
        "2027-01-31T12:00:00",
        "",
    ] {
        let m = manifest_with(&dir, rule, resource, bad);
        let out = plaudit(&good, &m);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(out.stdout.is_empty(), "{bad:?}");
        let field = format!("manifest.yaml: at `waivers[{waivers}].expires`: ");
        assert!(err.contains(&field), "{bad:?}: {err}");
        assert!(err.contains("YYYY-MM-DD"), "{bad:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

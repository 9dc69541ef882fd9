//! Hostile and malformed input, as property tests (a bounded run in CI) and a kept corpus.
//!
//! Every parser plaudit exposes to the outside (AWS Config events, manifests, snapshot files) is
//! fed random and adversarial input. The promise: no panic, a clear error naming the file or field,
//! and nothing judged from input that was not understood.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};

use plaudit::config_rule::{parse_event, parse_invocation, parse_parameters};
use plaudit::engine::{audit, AuditOptions};
use plaudit::snapshot::{Input, Snapshot};
use plaudit::Manifest;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("ConfigurationItemChangeNotification"),
            Just("OversizedConfigurationItemChangeNotification"),
            Just("ScheduledNotification"),
            Just("OK"),
            Just("ResourceDeleted"),
            Just("AWS::EC2::SecurityGroup"),
            Just("vpc-0abc"),
            Just("2026-11-30T06:30:00.000Z"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let keys = prop_oneof![
            Just("messageType".to_string()),
            Just("configurationItem".to_string()),
            Just("configurationItemSummary".to_string()),
            Just("resourceType".to_string()),
            Just("resourceId".to_string()),
            Just("configurationItemStatus".to_string()),
            Just("configurationItemCaptureTime".to_string()),
            Just("notificationCreationTime".to_string()),
            Just("configuration".to_string()),
            Just("vpcId".to_string()),
            Just("relationships".to_string()),
            "[a-zA-Z]{1,12}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A Config rule event whose parts are random (`invokingEvent` and `ruleParameters` as JSON
/// strings, as Config sends them, or as other things).
fn any_config_event() -> impl Strategy<Value = Value> {
    (
        any_json(),
        prop_oneof![any_json().prop_map(|v| json!(v.to_string())), any_json()],
        prop_oneof![
            Just(Value::Null),
            any_json().prop_map(|v| json!(v.to_string())),
            ".{0,30}".prop_map(Value::String)
        ],
        any::<bool>(),
    )
        .prop_map(|(base, invoking, params, left)| {
            let mut e = match base {
                Value::Object(m) => Value::Object(m),
                _ => json!({}),
            };
            e["invokingEvent"] = invoking;
            e["ruleParameters"] = params;
            e["eventLeftScope"] = json!(left);
            e["resultToken"] = json!("TESTMODE");
            e
        })
}

fn parse_all(event: &Value) -> Result<(), String> {
    let e = parse_event(event).map_err(|e| e.to_string())?;
    parse_invocation(&e).map_err(|e| e.to_string())?;
    parse_parameters(&e).map_err(|e| e.to_string())?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn config_events_never_panic_and_errors_say_what(event in any_config_event()) {
        if let Err(msg) = parse_all(&event) {
            prop_assert!(!msg.is_empty());
        }
    }

    #[test]
    fn arbitrary_json_is_never_a_config_event_by_accident(v in any_json()) {
        // Without invokingEvent nothing may be understood as an event.
        if v.get("invokingEvent").is_none() {
            prop_assert!(parse_event(&v).is_err() || parse_all(&v).is_err());
        }
    }

    #[test]
    fn manifests_never_panic(v in any_json()) {
        match Manifest::from_json_str("manifest.json", &v.to_string()) {
            Ok(m) => prop_assert!(m.workspaces.iter().all(|w| !w.vpc_id.is_empty())),
            Err(e) => prop_assert!(e.to_string().starts_with("manifest.json")),
        }
    }

    #[test]
    fn manifest_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = scratch("manifest-bytes");
        for name in ["manifest.yaml", "manifest.json"] {
            let f = dir.join(name);
            std::fs::write(&f, &bytes).unwrap();
            if let Err(e) = Manifest::load(&f) {
                prop_assert!(e.to_string().contains(name), "{e}");
            }
        }
    }

    #[test]
    fn a_snapshot_file_with_random_content_is_refused_by_name_or_audited(
        which in 0..Input::ALL.len(),
        v in any_json(),
    ) {
        let input = Input::ALL[which];
        let dir = scratch("snapshot-file");
        copy_example(&dir);
        std::fs::write(dir.join(input.file()), v.to_string()).unwrap();
        match Snapshot::load(&dir) {
            Err(e) => prop_assert!(e.to_string().contains(input.file()), "{e}"),
            Ok(snap) => {
                // Understood (e.g. an empty list): the audit runs and says something.
                let r = audit(&snap, &AuditOptions::default());
                prop_assert!(r.findings.iter().all(|f| !f.message.is_empty()));
            }
        }
    }
}

#[test]
fn deeply_nested_and_huge_events_are_refused_without_overflow() {
    // 100,000 levels of nesting: serde_json's recursion limit refuses it; no stack overflow.
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let e = json!({"invokingEvent": deep, "resultToken": "t", "eventLeftScope": false});
    let err = parse_all(&e).unwrap_err();
    assert!(err.contains("invokingEvent"), "{err}");
    // 8 MB of configuration: parsed (Config's own limit is lower), not a crash.
    let huge = json!({
        "messageType": "ConfigurationItemChangeNotification",
        "notificationCreationTime": "2026-11-30T06:30:01.000Z",
        "configurationItem": {
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
            "configurationItemStatus": "OK", "configurationItemCaptureTime": "2026-11-30T06:30:00.000Z",
            "configuration": {"vpcId": "vpc-1", "padding": "x".repeat(8 << 20)},
        }
    });
    let e = json!({"invokingEvent": huge.to_string(), "resultToken": "t", "eventLeftScope": false});
    parse_all(&e).unwrap();
}

#[test]
fn oversized_snapshot_files_and_manifests_are_refused_by_size_before_reading() {
    // Sparse files: 2 GiB + 1 byte on paper, nothing on disk.
    let dir = scratch("oversized");
    copy_example(&dir);
    let big = |p: &Path| {
        let f = std::fs::File::create(p).unwrap();
        f.set_len(plaudit::snapshot::MAX_FILE_BYTES + 1).unwrap();
    };
    big(&dir.join("describe-subnets.json"));
    let e = Snapshot::load(&dir).unwrap_err().to_string();
    assert!(e.contains("describe-subnets.json"), "{e}");
    assert!(e.contains("2147483649"), "says the size: {e}");
    let m = dir.join("manifest.yaml");
    big(&m);
    let e = Manifest::load(&m).unwrap_err().to_string();
    assert!(e.contains("manifest.yaml"), "{e}");
}

/// Every file in `tests/corpus/<kind>/`: `*.ok.*` must be accepted, `*.bad.*` refused with a
/// message; none may panic. Interesting inputs found by the properties above are kept here.
#[test]
fn the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seen = 0;
    for kind in ["config-events", "manifests"] {
        for entry in std::fs::read_dir(root.join(kind)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let result: Result<(), String> = match kind {
                "config-events" => {
                    let text = std::fs::read_to_string(&path).unwrap();
                    match serde_json::from_str::<Value>(&text) {
                        Ok(v) => parse_all(&v),
                        Err(e) => Err(e.to_string()),
                    }
                }
                _ => Manifest::load(&path).map(|_| ()).map_err(|e| e.to_string()),
            };
            match (name.contains(".ok."), result) {
                (true, Err(e)) => panic!("{name} should be accepted: {e}"),
                (false, Ok(())) => panic!("{name} should be refused"),
                (false, Err(e)) => assert!(!e.is_empty(), "{name}"),
                (true, Ok(())) => {}
            }
            seen += 1;
        }
    }
    assert!(seen >= 10, "the corpus has {seen} files");
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "plaudit-hostile-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_example(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/isolated-compliant");
    for entry in std::fs::read_dir(src).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
}

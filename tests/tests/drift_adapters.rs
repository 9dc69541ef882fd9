//! The drift layer's AWS adapters against moto's server mode: the DynamoDB state store (item
//! layout, the conditional writes on revision and observation time, unreadable and version 1
//! items) and the SNS alert sink (one publish per copy, with the attributes filter policies use).
//! The protocol itself is tested with the in-memory fakes in `plaudit::drift::sync`.
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use plaudit::alerting::{single_alert, AlertSink, Format};
use plaudit::drift::{Change, ChangeKind, Pending, Record, StateItem, StateStore, UNREADABLE_REV};
use plaudit::finding::{FindingId, Severity, Status};
use plaudit_tests::moto::alerting;

const PART: &str = "123456789012#us-east-1";

fn change(id: u64, kind: ChangeKind) -> Change {
    Change {
        kind,
        finding_id: FindingId(id),
        rule_id: "PL-SG-006".into(),
        title: "Workspace security group allows the relay port".into(),
        severity: Severity::Critical,
        resource_type: Some(plaudit::finding::ResourceType::SecurityGroup),
        resource_id: "sg-0abc".into(),
        workspaces: vec!["ws-live".into()],
        message: "sg-0abc does not allow egress to 6666.".into(),
        remediation: "Allow TCP 6666.".into(),
    }
}

fn record(id: u64, rev: u64, collected_at: Option<&str>) -> Record {
    Record {
        item: StateItem {
            finding_id: FindingId(id),
            rule_id: "PL-SG-006".into(),
            resource_id: "sg-0abc".into(),
            status: Status::Fail,
            evidence: 0xabc,
            unreadable: false,
            first_seen: "2026-11-30T06:00:00Z".into(),
            last_changed: "2026-11-30T06:00:00Z".into(),
            workspaces: vec!["ws-live".into()],
        },
        rev,
        pending: vec![
            Pending {
                delivered: vec![Format::Chat],
                ..Pending::claimed(
                    change(id, ChangeKind::NewFailure),
                    1_800_000_000,
                    1_800_000_200,
                )
            },
            Pending::unclaimed(change(id, ChangeKind::Resolved)),
        ],
        last_notified: None,
        expires_at: None,
        collected_at: collected_at.map(str::to_string),
        damaged: None,
    }
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn the_dynamodb_store_writes_only_under_its_conditions() {
    let a = alerting("plaudit-adapter-conditions").await;
    let store = a.store();
    let first = record(1, 1, Some("2026-11-30T06:00:00Z"));
    assert!(store.put_if(PART, &first, None).await.unwrap());
    assert!(
        !store.put_if(PART, &first, None).await.unwrap(),
        "a new record only where there is none"
    );
    assert_eq!(
        store.load(PART).await.unwrap(),
        vec![first.clone()],
        "round trip"
    );
    assert!(store.load("other#partition").await.unwrap().is_empty());

    let mut next = record(1, 2, Some("2026-11-30T06:05:00Z"));
    assert!(
        !store.put_if(PART, &next, Some(7)).await.unwrap(),
        "stale revision"
    );
    assert!(store.put_if(PART, &next, Some(1)).await.unwrap());

    // The right revision, but an older observation (as an instant: +02:00 is earlier here): refused.
    let mut older = record(1, 3, Some("2026-11-30T07:04:59+02:00"));
    older.item.status = Status::Pass;
    assert!(!store.put_if(PART, &older, Some(2)).await.unwrap());
    older.collected_at = None;
    assert!(
        !store.put_if(PART, &older, Some(2)).await.unwrap(),
        "an observation without a time is older than any"
    );
    // The same observation (a delivery being recorded) and a newer one may write.
    next.rev = 3;
    next.pending.clear();
    assert!(store.put_if(PART, &next, Some(2)).await.unwrap());
    let newer = record(1, 4, Some("2026-11-30T06:10:00.5Z"));
    assert!(store.put_if(PART, &newer, Some(3)).await.unwrap());
    assert_eq!(store.load(PART).await.unwrap(), vec![newer]);

    // A record of version 1 (no time) may be replaced by any observation.
    let mut v1 = record(2, 5, None);
    v1.pending.clear();
    assert!(store.put_if(PART, &v1, None).await.unwrap());
    assert!(store
        .put_if(PART, &record(2, 6, Some("2020-01-01T00:00:00Z")), Some(5))
        .await
        .unwrap());

    let items = a.items().await;
    let item = items
        .iter()
        .find(|i| i["finding_id"].as_s().unwrap() == "0000000000000001")
        .unwrap();
    assert_eq!(item["scope"].as_s().unwrap(), PART);
    assert_eq!(
        item["collected_at"].as_s().unwrap(),
        "2026-11-30T06:10:00.5Z"
    );
    assert!(item["collected_ms"].as_n().is_ok());
    assert_eq!(
        item["workspaces"].as_ss().unwrap(),
        &vec!["ws-live".to_string()]
    );
    assert!(item["pending"].as_s().unwrap().starts_with('['));
}

async fn put_raw(a: &plaudit_tests::moto::Alerting, item: HashMap<String, Av>) {
    a.ddb
        .put_item()
        .table_name(&a.table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

fn raw(id: &str, rev: Option<Av>, status: &str) -> HashMap<String, Av> {
    let s = |v: &str| Av::S(v.into());
    let mut m = HashMap::from([
        ("scope".to_string(), s(PART)),
        ("finding_id".to_string(), s(id)),
        ("rule_id".to_string(), s("PL-SG-006")),
        ("resource_id".to_string(), s("sg-0abc")),
        ("status".to_string(), s(status)),
        ("evidence".to_string(), s("0000000000000abc")),
        ("first_seen".to_string(), s("t")),
        ("last_changed".to_string(), s("t")),
    ]);
    if let Some(rev) = rev {
        m.insert("rev".into(), rev);
    }
    m
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn unreadable_and_version_1_items_are_read_and_replaceable() {
    let a = alerting("plaudit-adapter-damaged").await;
    let store = a.store();
    // Unreadable status, readable revision.
    put_raw(
        &a,
        raw("00000000000000a1", Some(Av::N("3".into())), "exploded"),
    )
    .await;
    // Unreadable revision: missing, a string, zero.
    put_raw(&a, raw("00000000000000a2", None, "fail")).await;
    put_raw(&a, raw("00000000000000a3", Some(Av::S("3".into())), "fail")).await;
    put_raw(&a, raw("00000000000000a4", Some(Av::N("0".into())), "fail")).await;
    // Version 1: one pending transition as a JSON object, its claim on the item.
    let mut v1 = raw("00000000000000b1", Some(Av::N("2".into())), "fail");
    v1.insert(
        "pending".into(),
        Av::S(serde_json::to_string(&change(0xb1, ChangeKind::NewFailure)).unwrap()),
    );
    v1.insert("claimed_at".into(), Av::N("1800000000".into()));
    put_raw(&a, v1).await;

    let loaded: HashMap<FindingId, Record> = store
        .load(PART)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.item.finding_id, r))
        .collect();
    assert_eq!(loaded.len(), 5, "none skipped");
    let a1 = &loaded[&FindingId(0xa1)];
    assert!(a1.damaged.as_deref().unwrap().contains("status"), "{a1:?}");
    assert_eq!(a1.rev, 3);
    for id in [0xa2, 0xa3, 0xa4] {
        let r = &loaded[&FindingId(id)];
        assert!(r.damaged.is_some());
        assert_eq!(r.rev, UNREADABLE_REV, "{id:x}");
    }
    let b1 = &loaded[&FindingId(0xb1)];
    assert!(b1.damaged.is_none());
    assert_eq!(b1.collected_at, None);
    assert_eq!(b1.pending.len(), 1);
    assert_eq!(b1.pending[0].change.kind, ChangeKind::NewFailure);
    assert_eq!(b1.pending[0].claimed_at, Some(1_800_000_000));

    // Each is replaced by the write the protocol makes (a version 1 item whatever the time).
    assert!(store
        .put_if(
            PART,
            &record(0xa1, 4, Some("2026-11-30T06:00:00Z")),
            Some(3)
        )
        .await
        .unwrap());
    for id in [0xa2, 0xa3, 0xa4] {
        let r = record(id, 1, Some("2026-11-30T06:00:00Z"));
        assert!(
            !store.put_if(PART, &r, Some(7)).await.unwrap(),
            "{id:x}: only the unreadable-revision condition matches"
        );
        assert!(
            store.put_if(PART, &r, Some(UNREADABLE_REV)).await.unwrap(),
            "{id:x}"
        );
    }
    assert!(store
        .put_if(
            PART,
            &record(0xb1, 3, Some("2026-11-30T06:00:00Z")),
            Some(2)
        )
        .await
        .unwrap());
    // The unreadable-revision condition never matches a readable record.
    assert!(!store
        .put_if(
            PART,
            &record(0xa1, 5, Some("2026-11-30T06:00:00Z")),
            Some(UNREADABLE_REV)
        )
        .await
        .unwrap());
    assert!(store
        .load(PART)
        .await
        .unwrap()
        .iter()
        .all(|r| r.damaged.is_none()));
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_missing_table_is_a_store_error_naming_it() {
    let a = alerting("plaudit-adapter-notable").await;
    let mut store = a.store();
    store.table = "no-such-table".into();
    let e = store.load(PART).await.unwrap_err();
    assert_eq!(e.operation, "Query");
    assert!(e.message.contains("no-such-table"), "{e}");
    let e = store
        .put_if(PART, &record(1, 1, None), None)
        .await
        .unwrap_err();
    assert_eq!(e.operation, "PutItem");
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn the_sns_sink_publishes_one_copy_per_call_with_its_attributes() {
    let a = alerting("plaudit-adapter-sns").await;
    let sink = a.sink();
    let alert = single_alert(
        &change(1, ChangeKind::NewFailure),
        Some("123456789012"),
        Some("us-east-1"),
    );
    sink.publish(&alert, Format::Chat).await.unwrap();
    let chat = a.drain(&a.all).await;
    assert_eq!(chat.len(), 1, "the chat subscription takes the chat copy");
    assert!(a.drain(&a.critical).await.is_empty(), "not the e-mail one");
    assert_eq!(chat[0]["Message"].as_str().unwrap(), alert.chat);
    assert_eq!(chat[0]["Subject"].as_str().unwrap(), alert.subject);
    let attr = |m: &serde_json::Value, k: &str| {
        m["MessageAttributes"][k]["Value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(attr(&chat[0], "format"), "chat");
    assert_eq!(attr(&chat[0], "event"), "new_failure");
    assert_eq!(attr(&chat[0], "severity"), "critical");

    sink.publish(&alert, Format::Email).await.unwrap();
    assert!(a.drain(&a.all).await.is_empty());
    let email = a.drain(&a.critical).await;
    assert_eq!(email.len(), 1);
    assert_eq!(email[0]["Message"].as_str().unwrap(), alert.email);
    assert_eq!(attr(&email[0], "format"), "email");

    let mut broken = sink.clone();
    broken.topic_arn = "arn:aws:sns:us-east-1:123456789012:no-such-topic".into();
    let e = broken.publish(&alert, Format::Email).await.unwrap_err();
    assert_eq!(e.format, "email");
    assert!(e.message.contains("no-such-topic"), "{e}");
}

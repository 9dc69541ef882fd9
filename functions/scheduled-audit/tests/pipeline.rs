//! The scheduled-audit handler on its pipeline with in-memory fakes (EC2 serving a synthetic
//! estate, the drift store and the alert sink in memory): runs under a plain `cargo test`, no
//! moto. The moto tests in `scheduled.rs` cover the same paths through the real adapters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::time::Duration;

use plaudit::alerting::Format;
use plaudit::drift::{partition_of, DriftError};
use plaudit::finding::Status;
use plaudit::pipeline::{Collector, Invoke, Setup};
use plaudit::synth::Estate;
use plaudit::testing::ec2::FakeEc2;
use plaudit::testing::fakes::{MemoryStore, RecordingSink};
use plaudit::testing::reports::MemoryBucket;
use plaudit_scheduled_audit::{handle, Deps, HandlerError, Outcome};
use serde_json::json;
use tokio::time::Instant;

const ACCOUNT: &str = "123456789012";

type FakeDeps = Deps<MemoryStore, RecordingSink, FakeEc2>;

fn deps(e: &Estate) -> FakeDeps {
    Deps {
        collector: Collector::new(FakeEc2::serving(e.snap.clone())),
        store: MemoryStore::new(),
        sink: RecordingSink::new(),
        reports: None,
        setup: Setup {
            account_id: None,
            region: Some("us-east-1".into()),
            manifest: Some(e.manifest.clone()),
            rules: Vec::new(),
        },
    }
}

/// The same store and sink, EC2 now serving `e` (the estate changed between runs).
fn serving(d: FakeDeps, e: &Estate) -> FakeDeps {
    Deps {
        collector: Collector::new(FakeEc2::serving(e.snap.clone())),
        ..d
    }
}

fn invoke(deadline: Instant) -> Invoke {
    Invoke {
        deadline: Some(deadline),
        account_id: ACCOUNT.into(),
    }
}

async fn try_run(d: &FakeDeps) -> Result<Outcome, HandlerError> {
    let event = json!({"source": "aws.events", "detail-type": "Scheduled Event"});
    handle(
        &event,
        d,
        &invoke(Instant::now() + Duration::from_secs(120)),
    )
    .await
}

fn fails(o: &Outcome) -> usize {
    o.by_status.get(&Status::Fail).copied().unwrap_or(0)
}

fn drifted() -> Estate {
    let mut e = Estate::backend();
    e.drop_relay_egress();
    e
}

#[tokio::test]
async fn alerts_on_transitions_only_once_per_copy_and_resolves() {
    let d = deps(&drifted());
    let first = try_run(&d).await.unwrap();
    assert!(fails(&first) > 0);
    assert!(first.complete);
    assert_eq!(first.drift.transitions, fails(&first));
    let chat = d.sink.sent_as(Format::Chat);
    let email = d.sink.sent_as(Format::Email);
    assert!(!chat.is_empty() && !email.is_empty());
    assert!(
        chat.iter().any(|a| a.chat.contains("PL-SG-006")),
        "{chat:?}"
    );
    // Records live in the account's partition (the account from the invocation's ARN).
    let partition = partition_of(Some(ACCOUNT), Some("us-east-1"));
    assert!(!d.store.records(&partition).is_empty());
    d.sink.take();

    // Nothing changed: nothing to say.
    let again = try_run(&d).await.unwrap();
    assert_eq!(again.drift.transitions, 0);
    assert!(d.sink.take().is_empty());

    // Fixed: one "resolved" per copy.
    let d = serving(d, &Estate::backend());
    let fixed = try_run(&d).await.unwrap();
    assert_eq!(fails(&fixed), 0);
    assert!(fixed.drift.transitions > 0);
    let sent = d.sink.take();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|(_, a)| a.event == "resolved" || a.event == "digest"),
        "{sent:?}"
    );
}

/// A run with no time left reads nothing, says it could not evaluate once, and not again.
#[tokio::test]
async fn a_run_out_of_time_is_incomplete_and_alerts_could_not_evaluate_once() {
    let d = deps(&drifted());
    let event = json!({});
    let reserve = plaudit_scheduled_audit::PUBLISH_RESERVE;
    let out = handle(&event, &d, &invoke(Instant::now() + reserve))
        .await
        .unwrap();
    assert!(out.deadline_reached);
    assert!(!out.complete);
    assert_eq!(fails(&out), 0, "a blind run must not fail anything");
    assert_eq!(out.by_status.get(&Status::Pass).copied().unwrap_or(0), 0);
    let first = d.sink.take();
    assert!(!first.is_empty());
    assert!(first
        .iter()
        .all(|(_, a)| a.event == "could_not_evaluate" || a.event == "digest"));
    handle(&event, &d, &invoke(Instant::now() + reserve))
        .await
        .unwrap();
    assert!(d.sink.take().is_empty(), "the same blindness alerted twice");
}

/// A partial collection (endpoints unreadable) resolves nothing and reports the run incomplete.
#[tokio::test]
async fn a_partial_collection_resolves_nothing() {
    let d = deps(&drifted());
    let first = try_run(&d).await.unwrap();
    assert!(first.drift.transitions > 0);
    d.sink.take();
    let d = Deps {
        collector: Collector::new(
            FakeEc2::serving(Estate::backend().snap).fail("DescribeVpcEndpoints", "Throttling"),
        ),
        ..d
    };
    let out = try_run(&d).await.unwrap();
    assert!(!out.complete);
    assert!(out
        .collection_errors
        .iter()
        .any(|e| e.contains("DescribeVpcEndpoints")));
    assert!(
        d.sink.take().iter().all(|(_, a)| a.event != "resolved"),
        "a blind run resolved a failure it could not see"
    );
}

#[tokio::test]
async fn an_unreadable_state_sends_nothing_and_fails_the_run() {
    let d = deps(&drifted());
    d.store.fail_next_loads(1);
    let err = try_run(&d).await.unwrap_err();
    assert!(
        matches!(err, HandlerError::Drift(DriftError::State(_))),
        "{err}"
    );
    assert!(err.retryable());
    assert!(d.sink.sent().is_empty());
}

/// Defect 7 at the handler: the chat and e-mail copies are tracked apart, so a failed chat copy
/// never makes a later run send the delivered e-mail copy again.
#[tokio::test]
async fn a_failed_copy_never_resends_the_delivered_one() {
    let d = deps(&drifted());
    d.sink.fail_next(Format::Chat, 1);
    let err = try_run(&d).await.unwrap_err();
    assert!(
        matches!(err, HandlerError::Drift(DriftError::Delivery { .. })),
        "{err}"
    );
    let emails = d.sink.sent_as(Format::Email).len();
    let chats = d.sink.sent_as(Format::Chat).len();
    assert!(emails > 0);
    d.sink.take();
    assert!(chats < emails, "the failed chat copy was counted as sent");
    // The next run, while the failed run's claim holds (its lease ends after the failed run's
    // deadline; redelivery after the lease is unit-tested in drift::sync), sends neither copy
    // again: no duplicate e-mail, no double chat.
    let _ = try_run(&d).await;
    let later = d.sink.take();
    assert!(
        later.iter().all(|(f, _)| *f != Format::Email),
        "an e-mail copy was sent twice: {later:?}"
    );
}

#[tokio::test]
async fn a_malformed_event_is_refused_before_anything_is_read() {
    let d = deps(&drifted());
    let err = handle(
        &json!("ping"),
        &d,
        &invoke(Instant::now() + Duration::from_secs(60)),
    )
    .await
    .unwrap_err();
    assert!(!err.retryable());
    assert_eq!(d.collector.ec2.calls(), 0);
}

/// Issue 12: with a report bucket, the run writes its reports before alerting, and every alert
/// copy links the run's own report.
fn with_bucket(
    e: &Estate,
    bucket: MemoryBucket,
) -> Deps<MemoryStore, RecordingSink, FakeEc2, MemoryBucket> {
    let d = deps(e);
    Deps {
        collector: d.collector,
        store: d.store,
        sink: d.sink,
        reports: Some(bucket),
        setup: d.setup,
    }
}

#[tokio::test]
async fn reports_are_written_and_linked_in_every_alert() {
    let d = with_bucket(&drifted(), MemoryBucket::new());
    let event = json!({"source": "aws.events"});
    let out = handle(
        &event,
        &d,
        &invoke(Instant::now() + Duration::from_secs(120)),
    )
    .await
    .unwrap();
    let written = out.reports.as_ref().unwrap();
    assert!(written.failed.is_empty(), "{written:?}");
    let puts = d.reports.as_ref().unwrap().puts();
    let keys: Vec<&str> = puts.iter().map(|(k, _, _)| k.as_str()).collect();
    let prefix = format!("reports/{ACCOUNT}/us-east-1/");
    assert!(keys.len() == 2 || keys.len() == 4, "{keys:?}");
    assert!(
        keys[0].starts_with(&prefix) && keys[0].ends_with("Z/report.json"),
        "{keys:?}"
    );
    assert_eq!(keys[1], format!("{prefix}latest.json"));
    // The JSON report is the run's: its findings, its account.
    let report: serde_json::Value = serde_json::from_slice(&puts[0].2).unwrap();
    assert_eq!(report["account_id"], ACCOUNT);
    assert_eq!(report["findings"].as_array().unwrap().len(), out.findings);
    let linked = written.link("us-east-1").s3_uri();
    assert!(
        linked.starts_with(&format!("s3://memory-bucket/{prefix}")),
        "{linked}"
    );
    assert!(!linked.contains("latest"), "{linked}");
    let sent = d.sink.take();
    assert!(!sent.is_empty());
    for (format, a) in &sent {
        assert!(
            a.body(*format).contains(&linked),
            "{format:?}: {}",
            a.body(*format)
        );
    }
    // The chat copies are still the custom-notification JSON.
    for (_, a) in sent.iter().filter(|(f, _)| *f == Format::Chat) {
        let v: serde_json::Value = serde_json::from_str(&a.chat).unwrap();
        assert_eq!(v["version"], "1.0");
        assert!(v["content"]["description"]
            .as_str()
            .unwrap()
            .contains("https://console.aws.amazon.com/s3/object/memory-bucket?region=us-east-1&prefix=reports/"));
    }
    let e = drifted();
    let report = plaudit::audit(
        &e.snap,
        &plaudit::AuditOptions {
            manifest: Some(&e.manifest),
            ..plaudit::AuditOptions::default()
        },
    );
    let run = plaudit_scheduled_audit::metrics(&report, &out, 0);
    let doc: serde_json::Value = serde_json::from_str(run.last().unwrap()).unwrap();
    assert_eq!(doc["ReportsWritten"], keys.len());
    assert_eq!(doc["ReportsFailed"], 0);
}

/// A bucket that refuses the reports: the drift state is recorded and every alert still goes
/// out, naming the failure; the run then fails (an error, not silence).
#[tokio::test]
async fn a_refused_report_fails_the_run_after_its_alerts() {
    let d = with_bucket(&drifted(), MemoryBucket::failing("reports/"));
    let event = json!({"source": "aws.events"});
    let e = handle(
        &event,
        &d,
        &invoke(Instant::now() + Duration::from_secs(120)),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, HandlerError::Reports(_)), "{e:?}");
    assert!(e.retryable());
    let msg = e.to_string();
    assert!(
        msg.contains("s3://memory-bucket") && msg.contains("AccessDenied"),
        "{msg}"
    );
    let partition = partition_of(Some(ACCOUNT), Some("us-east-1"));
    assert!(
        !d.store.records(&partition).is_empty(),
        "the drift state is kept"
    );
    let sent = d.sink.take();
    assert!(!sent.is_empty(), "the alerts went out");
    for (format, a) in &sent {
        let body = a.body(*format);
        assert!(
            body.contains("NOT written") && body.contains("AccessDenied"),
            "{body}"
        );
    }
    // The next run (bucket still refusing) has no transitions, and still reports the failure.
    let again = handle(
        &event,
        &d,
        &invoke(Instant::now() + Duration::from_secs(120)),
    )
    .await;
    assert!(matches!(again, Err(HandlerError::Reports(_))));
    assert!(d.sink.take().is_empty());
}

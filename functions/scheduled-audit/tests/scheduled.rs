//! The scheduled-audit handler called directly against moto's server mode: EC2 estates built
//! through the SDK, the drift state in moto's DynamoDB, alerts published to moto's SNS and read
//! back from SQS queues subscribed to the topic (one of them through a severity filter policy).
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::time::Duration;

use plaudit::drift::DriftError;
use plaudit::finding::Status;
use plaudit::pipeline::{Collector, Invoke, Setup};
use plaudit::publish::{DynamoStore, SnsSink};
use plaudit_scheduled_audit::{handle, Deps, HandlerError, Outcome};
use plaudit_tests::moto::{
    alerting, bad_server, build_isolated, client, manifest, restore_relay_egress,
    revoke_relay_egress, sdk_config, Alerting, Built, FailOperations, Fault,
};
use serde_json::{json, Value};
use tokio::time::Instant;

fn schedule_event() -> Value {
    json!({"version": "0", "id": "5c0e2f6a", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "time": "2026-11-30T07:00:00Z", "region": "us-east-1",
           "resources": ["arn:aws:events:us-east-1:123456789012:rule/plaudit-schedule"], "detail": {}})
}

async fn deps(a: &Alerting, b: &Built) -> Deps<DynamoStore, SnsSink> {
    Deps {
        collector: Collector::new(client().await),
        store: a.store(),
        sink: a.sink(),
        reports: None,
        setup: Setup {
            account_id: Some("123456789012".into()),
            region: Some("us-east-1".into()),
            manifest: Some(manifest(b)),
            rules: Vec::new(),
        },
    }
}

/// An invocation of this account ending at `deadline`.
fn by(deadline: Instant) -> Invoke {
    Invoke {
        deadline: Some(deadline),
        account_id: "123456789012".into(),
    }
}

/// One scheduled run with two minutes to spare.
async fn try_run(d: &Deps<DynamoStore, SnsSink>) -> Result<Outcome, HandlerError> {
    handle(
        &schedule_event(),
        d,
        &by(Instant::now() + Duration::from_secs(120)),
    )
    .await
}

async fn run(d: &Deps<DynamoStore, SnsSink>) -> Outcome {
    try_run(d).await.unwrap()
}

fn fails(o: &Outcome) -> usize {
    o.by_status.get(&Status::Fail).copied().unwrap_or(0)
}

/// The notification inside an SNS envelope delivered to SQS.
fn chat(envelope: &Value) -> Value {
    serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
}

fn attribute<'a>(envelope: &'a Value, name: &str) -> &'a str {
    envelope["MessageAttributes"][name]["Value"]
        .as_str()
        .unwrap()
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn alerts_on_transitions_only_and_keeps_the_state() {
    let c = client().await;
    let b = build_isolated(&c, "10.81.0.0/16").await;
    let a = alerting("plaudit-sched-transitions").await;
    let d = deps(&a, &b).await;

    // The moto estate has a few real findings of its own (no S3 prefix-list egress, full-access
    // endpoint policies): the first run announces exactly those.
    let baseline = run(&d).await;
    assert!(baseline.complete, "{baseline:?}");
    let before = fails(&baseline);
    assert_eq!(baseline.drift.transitions, before);
    let first = a.drain(&a.all).await;
    assert_eq!(first.len(), before);
    let critical_before = first
        .iter()
        .filter(|m| attribute(m, "severity") == "critical")
        .count();
    assert_eq!(
        a.drain(&a.critical).await.len(),
        critical_before,
        "only critical e-mails"
    );
    assert_eq!(a.items().await.len(), before, "only failures are stored");
    assert_eq!(run(&d).await.drift.writes, 0);
    assert!(
        a.drain(&a.all).await.is_empty(),
        "a steady state sends nothing"
    );

    revoke_relay_egress(&c, &b, "10.81.0.0/16").await;
    let drifted = run(&d).await;
    let new = fails(&drifted) - before;
    assert!(new > 0);
    assert_eq!(drifted.drift.transitions, new);
    let msgs = a.drain(&a.all).await;
    assert_eq!(msgs.len(), new, "one alert per new failure");
    for m in &msgs {
        let n = chat(m);
        assert_eq!(n["version"], "1.0");
        assert_eq!(n["source"], "custom");
        assert_eq!(n["content"]["textType"], "client-markdown");
        let desc = n["content"]["description"].as_str().unwrap();
        assert!(desc.contains("live"), "names the workspace: {desc}");
        assert!(
            desc.contains("PL-SG-006")
                || n["content"]["title"]
                    .as_str()
                    .unwrap()
                    .contains("PL-SG-006")
        );
        assert_eq!(n["metadata"]["threadId"], n["id"]);
        assert_eq!(attribute(m, "event"), "new_failure");
        assert_eq!(attribute(m, "severity"), "critical");
        assert!(m["Subject"].as_str().unwrap().len() < 100);
    }
    let critical = a.drain(&a.critical).await;
    assert_eq!(
        critical.len(),
        new,
        "the filter policy passes critical alerts"
    );
    let items = a.items().await;
    assert_eq!(items.len(), before + new);
    for i in &items {
        assert_eq!(i["status"].as_s().unwrap(), "fail");
        assert_eq!(i["scope"].as_s().unwrap(), "123456789012#us-east-1");
        assert!(
            i.get("pending").is_none(),
            "delivered alerts are not pending"
        );
        assert!(i.contains_key("last_notified"));
        assert!(i.get("expires_at").is_none(), "a failure does not expire");
    }

    let steady = run(&d).await;
    assert_eq!(steady.drift.transitions, 0);
    assert_eq!(steady.drift.writes, 0);
    assert!(
        a.drain(&a.all).await.is_empty(),
        "a steady state sends nothing"
    );

    restore_relay_egress(&c, &b, "10.81.0.0/16").await;
    let fixed = run(&d).await;
    assert_eq!(fails(&fixed), before);
    let msgs = a.drain(&a.all).await;
    assert_eq!(msgs.len(), new, "one resolved per fixed failure");
    assert!(msgs.iter().all(|m| attribute(m, "event") == "resolved"));
    assert!(
        a.drain(&a.critical).await.len() == new,
        "resolved keeps the severity"
    );
    let items = a.items().await;
    let resolved: Vec<_> = items
        .iter()
        .filter(|i| i["status"].as_s().unwrap() == "pass")
        .collect();
    assert_eq!(resolved.len(), new);
    assert!(
        resolved.iter().all(|i| i["expires_at"].as_n().is_ok()),
        "resolved records expire"
    );
    let after = run(&d).await;
    assert_eq!(after.drift.writes, 0);
    assert!(a.drain(&a.all).await.is_empty());
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn concurrent_runs_send_one_alert_per_transition() {
    let c = client().await;
    let b = build_isolated(&c, "10.82.0.0/16").await;
    let a = alerting("plaudit-sched-concurrent").await;
    let d = deps(&a, &b).await;
    let before = fails(&run(&d).await);
    a.drain(&a.all).await;
    revoke_relay_egress(&c, &b, "10.82.0.0/16").await;
    let runs = futures_join(&d).await;
    let failing = fails(&runs[0]) - before;
    assert!(failing > 0);
    let owned: usize = runs.iter().map(|o| o.drift.transitions).sum();
    let lost: usize = runs.iter().map(|o| o.drift.lost_races).sum();
    assert_eq!(owned, failing, "{runs:?}");
    assert!(lost <= failing * (runs.len() - 1));
    let msgs = a.drain(&a.all).await;
    let mut ids: Vec<String> = msgs
        .iter()
        .map(|m| {
            chat(m)["metadata"]["threadId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), failing);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), failing, "no finding alerted twice");
}

async fn futures_join(d: &Deps<DynamoStore, SnsSink>) -> Vec<Outcome> {
    let (x, y, z) = tokio::join!(run(d), run(d), run(d));
    vec![x, y, z]
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_run_out_of_time_reports_errors_and_alerts_could_not_evaluate_once() {
    let c = client().await;
    let b = build_isolated(&c, "10.83.0.0/16").await;
    let a = alerting("plaudit-sched-deadline").await;
    let d = deps(&a, &b).await;
    // No time at all: nothing collected, nothing recorded (deferred to the next run), at once.
    let started = std::time::Instant::now();
    let out = handle(&schedule_event(), &d, &by(Instant::now()))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        out.drift.deferred > 0 && out.drift.transitions == 0,
        "{out:?}"
    );
    assert!(a.drain(&a.all).await.is_empty());
    // Collection out of time, but the publish reserve left: the blind rules are recorded and
    // "could not evaluate" is alerted.
    let reserve = plaudit_scheduled_audit::PUBLISH_RESERVE;
    let out = handle(&schedule_event(), &d, &by(Instant::now() + reserve))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(out.deadline_reached);
    assert!(!out.complete);
    assert!(out
        .collection_errors
        .iter()
        .all(|e| e.ends_with("DeadlineExceeded")));
    assert_eq!(out.by_status.get(&Status::Pass), None, "{out:?}");
    assert_eq!(out.by_status.get(&Status::Fail), None, "{out:?}");
    assert!(out.by_status[&Status::Error] > 0);
    let msgs = a.drain(&a.all).await;
    assert!(!msgs.is_empty());
    let events: Vec<&str> = msgs.iter().map(|m| attribute(m, "event")).collect();
    assert!(
        events
            .iter()
            .all(|e| *e == "could_not_evaluate" || *e == "digest"),
        "{events:?}"
    );
    let again = handle(&schedule_event(), &d, &by(Instant::now() + reserve))
        .await
        .unwrap();
    assert_eq!(again.drift.transitions, 0);
    assert!(
        a.drain(&a.all).await.is_empty(),
        "could-not-evaluate is said once"
    );
    // Time enough again: the estate's own failures are announced as new failures, nothing
    // is "resolved" (nothing was known to fail before).
    let ok = run(&d).await;
    assert!(ok.complete);
    let msgs = a.drain(&a.all).await;
    assert_eq!(msgs.len(), fails(&ok));
    assert!(msgs.iter().all(|m| attribute(m, "event") == "new_failure"));
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn unreadable_state_and_failed_publishing_are_errors_not_silence() {
    let c = client().await;
    let b = build_isolated(&c, "10.84.0.0/16").await;
    let a = alerting("plaudit-sched-faults").await;
    revoke_relay_egress(&c, &b, "10.84.0.0/16").await;

    let mut d = deps(&a, &b).await;
    d.store.table = "no-such-table".into();
    let e = try_run(&d).await.unwrap_err();
    assert!(
        matches!(e, HandlerError::Drift(DriftError::State(_))),
        "{e}"
    );
    assert!(e.to_string().contains("no-such-table"), "{e}");
    assert!(
        a.drain(&a.all).await.is_empty(),
        "no alert without the state"
    );

    let mut d = deps(&a, &b).await;
    d.sink.topic_arn = "arn:aws:sns:us-east-1:123456789012:no-such-topic".into();
    let e = try_run(&d).await.unwrap_err();
    assert!(
        matches!(e, HandlerError::Drift(DriftError::Delivery { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("no-such-topic"), "{e}");
    // Recorded as pending, so not lost: a later run re-sends it once the claim lapses
    // (the lease is exercised with a controlled clock in plaudit's alerting unit tests).
    let items = a.items().await;
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i.contains_key("pending")));

    let e = handle(
        &json!("not an event"),
        &deps(&a, &b).await,
        &by(Instant::now()),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, HandlerError::BadEvent(_)), "{e}");
}

fn store_with(fault: &Fault, conf: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(conf)
            .interceptor(FailOperations(vec![fault.clone()]))
            .build(),
    )
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_state_write_outage_loses_no_transition() {
    let c = client().await;
    let b = build_isolated(&c, "10.88.0.0/16").await;
    let a = alerting("plaudit-sched-putitem").await;
    revoke_relay_egress(&c, &b, "10.88.0.0/16").await;
    let conf = sdk_config().await;

    // Outage: every write refused before it reaches the table.
    let refused = Fault::refuse("PutItem");
    let mut d = deps(&a, &b).await;
    d.store.client = store_with(&refused, &conf);
    let e = try_run(&d).await.unwrap_err();
    assert!(
        matches!(e, HandlerError::Drift(DriftError::Delivery { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("PutItem"), "{e}");
    assert!(refused.hits() > 0);
    assert!(
        a.drain(&a.all).await.is_empty(),
        "nothing recorded, nothing sent"
    );
    assert!(a.items().await.is_empty());
    // The table is back: every transition of the outage is alerted now, once.
    let d = deps(&a, &b).await;
    let ok = run(&d).await;
    assert_eq!(ok.drift.transitions, fails(&ok));
    assert_eq!(a.drain(&a.all).await.len(), fails(&ok));
    run(&d).await;
    assert!(a.drain(&a.all).await.is_empty());
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_write_whose_answer_is_lost_is_kept_pending_not_sent_twice() {
    let c = client().await;
    let b = build_isolated(&c, "10.90.0.0/16").await;
    let a = alerting("plaudit-sched-ambiguous").await;
    let conf = sdk_config().await;
    // The table applies the writes but the answers are lost (throttling on the way back).
    let lost = Fault::json("PutItem", 400, "ProvisionedThroughputExceededException");
    let mut d = deps(&a, &b).await;
    d.store.client = store_with(&lost, &conf);
    let e = try_run(&d).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("ProvisionedThroughputExceededException"),
        "{e}"
    );
    assert!(a.drain(&a.all).await.is_empty());
    // Recorded and claimed, so not lost; a run within the claim's lease does not send it a
    // second time (the lease's expiry and the re-send are unit-tested with a controlled clock).
    let items = a.items().await;
    assert!(!items.is_empty());
    assert!(items
        .iter()
        .all(|i| i.contains_key("pending") && i.contains_key("claimed_at")));
    let d = deps(&a, &b).await;
    let again = run(&d).await;
    assert_eq!((again.drift.transitions, again.drift.redelivered), (0, 0));
    assert!(a.drain(&a.all).await.is_empty());
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_silent_ec2_endpoint_cannot_push_the_run_past_its_deadline() {
    let c = client().await;
    let b = build_isolated(&c, "10.89.0.0/16").await;
    let a = alerting("plaudit-sched-silent").await;
    let mut d = deps(&a, &b).await;
    let conf = sdk_config()
        .await
        .to_builder()
        .endpoint_url(bad_server(true))
        .build();
    d.collector = Collector::new(aws_sdk_ec2::Client::new(&conf));
    let started = std::time::Instant::now();
    let deadline =
        Instant::now() + plaudit_scheduled_audit::PUBLISH_RESERVE + Duration::from_secs(2);
    let out = handle(&schedule_event(), &d, &by(deadline)).await.unwrap();
    assert!(Instant::now() < deadline, "returned before the deadline");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(out.deadline_reached);
    assert_eq!(out.by_status.get(&Status::Pass), None);
    assert_eq!(out.by_status.get(&Status::Fail), None);
    let msgs = a.drain(&a.all).await;
    assert!(!msgs.is_empty(), "could-not-evaluate is alerted");
}

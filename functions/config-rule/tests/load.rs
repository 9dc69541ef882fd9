//! Load: 1,000 AWS Config change events for resources of one VPC arrive at once, around one real
//! drift (handlers called in-process against moto, 50 in flight at a time: well above the
//! template's reserved concurrency; with all 1,000 in flight moto itself drops
//! connections). Exactly one alert for the one transition, every event answered, the state table
//! consistent.
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::atomic::Ordering;

use futures_util::StreamExt;
mod common;
use common::Counting;

use plaudit::pipeline::{Collector, Setup};
use plaudit_config_rule::{handle, Deps};
use plaudit_tests::moto::{
    alerting, build_isolated, client, manifest, revoke_relay_egress, sdk_config,
};
use serde_json::{json, Value};

fn change(resource_type: &str, id: &str, vpc: &str, n: usize) -> Value {
    let item = json!({"messageType": "ConfigurationItemChangeNotification",
        "notificationCreationTime": "2026-11-30T06:30:01.000Z", "recordVersion": "1.3",
        "configurationItem": {"resourceType": resource_type, "resourceId": id,
            "configurationItemStatus": "OK", "awsRegion": "us-east-1", "awsAccountId": "123456789012",
            // Captured after the drift the test makes: no collection from before it may answer.
            "configurationItemCaptureTime": plaudit::time::rfc3339(std::time::SystemTime::now()),
            "configuration": {"vpcId": vpc}, "relationships": [], "tags": {}}});
    json!({"version": "1.0", "invokingEvent": item.to_string(), "resultToken": format!("token-{n}"),
           "eventLeftScope": false, "configRuleName": "plaudit-security-groups", "accountId": "123456789012"})
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_thousand_concurrent_change_events_one_transition_one_alert() {
    let c = client().await;
    let b = build_isolated(&c, "10.95.0.0/16").await;
    let a = alerting("plaudit-load").await;
    // Production's retry policy (standard, bounded), not the fail-fast one of the other tests.
    let conf = sdk_config()
        .await
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(4))
        .build();
    let a = plaudit_tests::moto::Alerting {
        ddb: aws_sdk_dynamodb::Client::new(&conf),
        sns: aws_sdk_sns::Client::new(&conf),
        ..a
    };
    let d = Deps {
        collector: Collector::new(aws_sdk_ec2::Client::new(&conf)),
        config: Counting::default(),
        setup: Setup {
            account_id: Some("123456789012".into()),
            region: Some("us-east-1".into()),
            manifest: Some(manifest(&b)),
            rules: Vec::new(),
        },
        alerting: Some((a.store(), a.sink())),
    };
    // The estate's own failures, recorded and announced before the storm.
    let first = handle(&change("AWS::EC2::VPC", &b.vpc, &b.vpc, 0), &d)
        .await
        .unwrap();
    let baseline = first.drift.unwrap().transitions;
    assert_eq!(a.drain(&a.all).await.len(), baseline);
    let stored_before = a.items().await.len();

    revoke_relay_egress(&c, &b, "10.95.0.0/16").await;
    let mut resources: Vec<(&str, String)> = vec![
        ("AWS::EC2::SecurityGroup", b.ws_sg.clone()),
        ("AWS::EC2::VPC", b.vpc.clone()),
    ];
    for s in &b.ws_subnets {
        resources.push(("AWS::EC2::Subnet", s.clone()));
    }
    let events: Vec<Value> = (0..1000)
        .map(|n| {
            let (t, id) = &resources[n % resources.len()];
            change(t, id, &b.vpc, n)
        })
        .collect();
    let started = std::time::Instant::now();
    let outcomes: Vec<_> = futures_util::stream::iter(events.iter().map(|e| handle(e, &d)))
        .buffered(50)
        .collect()
        .await;
    let elapsed = started.elapsed();

    let mut owned = 0;
    let mut lost_races = 0;
    for (n, o) in outcomes.into_iter().enumerate() {
        let o = o.unwrap_or_else(|e| panic!("event {n} failed: {e}"));
        assert!(o.evaluations > 0, "event {n} got no answer");
        let drift = o.drift.unwrap();
        assert!(drift.errors.is_empty(), "event {n}: {:?}", drift.errors);
        owned += drift.transitions;
        lost_races += drift.lost_races;
    }
    assert_eq!(owned, 1, "one real transition, owned by one run");
    let msgs = a.drain(&a.all).await;
    assert_eq!(msgs.len(), 1, "exactly one alert");
    let body: Value = serde_json::from_str(msgs[0]["Message"].as_str().unwrap()).unwrap();
    assert!(body["content"]["title"]
        .as_str()
        .unwrap()
        .contains("PL-SG-006"));
    let items = a.items().await;
    assert_eq!(items.len(), stored_before + 1, "one new record");
    assert!(
        items.iter().all(|i| !i.contains_key("pending")),
        "nothing left undelivered"
    );
    assert!(d.config.calls.load(Ordering::SeqCst) >= 1000);
    println!(
        "1000 events in {:.1} s; {} evaluations sent ({} compliant); {lost_races} lost races",
        elapsed.as_secs_f64(),
        d.config.evaluations.load(Ordering::SeqCst),
        d.config.compliant.load(Ordering::SeqCst)
    );
}

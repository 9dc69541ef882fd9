//! The functions' logs under the most verbose level they allow: no credentials, tokens, role ARNs
//! or event content. Its own test binary, so no other test's threads touch the log callsites while
//! the capture is on.
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;
use common::{change, deps, event, Counting};

use plaudit_config_rule::handle;
use plaudit_tests::moto::{alerting, build_isolated, client, sdk_config};
use serde_json::json;

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn logs_carry_no_credentials_tokens_or_events() {
    let c = client().await;
    let b = build_isolated(&c, "10.96.0.0/16").await;
    let a = alerting("plaudit-config-logs").await;
    // Credentials and a token that must never be written anywhere.
    let conf = sdk_config()
        .await
        .to_builder()
        .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
            aws_sdk_ec2::config::Credentials::new(
                "AKIALEAKCHECK0000000",
                "leakcheck-secret-access-key",
                Some("leakcheck-session-token".into()),
                None,
                "test",
            ),
        ))
        .build();
    let mut d = deps(Counting::default(), &b).await;
    d.collector = plaudit::pipeline::Collector::new(aws_sdk_ec2::Client::new(&conf));
    d.alerting = Some((a.store(), a.sink()));
    let (guard, logs) = plaudit_tests::capture_logs();
    let mut ev = event(
        change("AWS::EC2::SecurityGroup", &b.ws_sg, &b.vpc, "OK"),
        Some(r#"{"rules": "PL-SG"}"#),
        "leakcheck-result-token",
    );
    ev["executionRoleArn"] = json!("arn:aws:iam::123456789012:role/leakcheck-role");
    handle(&ev, &d).await.unwrap();
    // A malformed event and an unknown message type are logged too: still no event content.
    let mut bad = ev.clone();
    bad["invokingEvent"] = json!("{\"messageType\": \"leakcheck-unknown-type\"}");
    let _ = handle(&bad, &d).await;
    let mut bad = ev.clone();
    bad["invokingEvent"] = json!("leakcheck-not-json");
    let _ = handle(&bad, &d).await;
    drop(guard);
    let text = logs.text();
    assert!(text.contains("evaluated"), "logs were captured: {text}");
    for secret in [
        "AKIALEAKCHECK",
        "leakcheck-secret-access-key",
        "leakcheck-session-token",
        "leakcheck-result-token",
        "leakcheck-role",
        "leakcheck-not-json",
        "invokingEvent",
        "configurationItem",
    ] {
        assert!(!text.contains(secret), "the logs contain {secret}:\n{text}");
    }
}

//! Who receives what on the alert topic, with the subscriptions' filter policies read from
//! `template.yaml` (never copied): CloudWatch alarm notifications, which carry no message
//! attributes, reach both the e-mail and the chat subscription; plaudit's alerts, published by the
//! real `SnsSink`, reach e-mail as the `email` copy at the chosen severities and chat as the `chat`
//! copy, never the other one. SNS -> SQS in moto stands for the two endpoints (moto applies
//! `FilterPolicyScope: MessageAttributes` filter policies, `$or` and `exists` included).
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use plaudit::alerting::{single_alert, AlertSink, Change, ChangeKind, Format};
use plaudit::finding::{FindingId, ResourceType, Severity};
use plaudit_tests::moto::{alerting, Alerting};
use serde_yaml_ng::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(plaudit_tests::repo_root().join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// A template value as the JSON CloudFormation would pass on, `!Ref` to a parameter resolved to
/// its default (a `CommaDelimitedList` to its list).
fn resolve(t: &Value, v: &Value) -> serde_json::Value {
    match v {
        Value::Tagged(tag) if tag.tag == "Ref" => {
            let p = &t["Parameters"][tag.value.as_str().unwrap()];
            let default = p["Default"].as_str().unwrap();
            if p["Type"] == "CommaDelimitedList" {
                default
                    .split(',')
                    .map(|s| serde_json::Value::from(s.trim()))
                    .collect()
            } else {
                default.into()
            }
        }
        Value::Tagged(other) => panic!("unexpected {other:?} in a filter policy"),
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), resolve(t, v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Sequence(s) => s.iter().map(|v| resolve(t, v)).collect(),
        Value::String(s) => s.clone().into(),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => serde_json::to_value(n).unwrap(),
        Value::Null => serde_json::Value::Null,
    }
}

/// A queue subscribed to the topic like the template's subscription `name`: same filter policy,
/// same scope; its URL.
async fn subscribe_like(a: &Alerting, t: &Value, name: &str, queue: &str) -> String {
    let p = &t["Resources"][name]["Properties"];
    assert!(
        matches!(&p["TopicArn"], Value::Tagged(r) if r.tag == "Ref" && r.value == "AlertTopic"),
        "{name} subscribes to the alert topic"
    );
    let policy = resolve(t, &p["FilterPolicy"]).to_string();
    let scope = p["FilterPolicyScope"].as_str().unwrap();
    a.subscribe_queue(
        queue,
        &[("FilterPolicy", &policy), ("FilterPolicyScope", scope)],
    )
    .await
}

fn change(severity: Severity) -> Change {
    Change {
        kind: ChangeKind::NewFailure,
        finding_id: FindingId(0x5eed),
        rule_id: "PL-SG-006".into(),
        title: "Workspace security group allows the relay port".into(),
        severity,
        resource_type: Some(ResourceType::SecurityGroup),
        resource_id: "sg-0abc".into(),
        workspaces: vec!["ws-live".into()],
        message: "sg-0abc does not allow egress to 6666.".into(),
        remediation: "Allow TCP 6666.".into(),
    }
}

/// What CloudWatch publishes for an alarm: the alarm as JSON, a subject, no message attributes.
fn alarm_notification() -> String {
    serde_json::json!({
        "AlarmName": "plaudit-DeadLetterAlarm-1A2B3C",
        "AlarmDescription": "plaudit invocations gave up after retries (see the dead-letter queue)",
        "AWSAccountId": "123456789012",
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).",
        "StateChangeTime": "2026-12-03T10:00:00.000+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:plaudit-DeadLetterAlarm-1A2B3C",
        "OldStateValue": "OK",
        "Trigger": {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Namespace": "AWS/SQS",
            "Statistic": "MAXIMUM",
            "Dimensions": [{"name": "QueueName", "value": "plaudit-DeadLetterQueue-1A2B3C"}],
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
        },
    })
    .to_string()
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn alarms_reach_email_and_chat_and_each_gets_only_its_copy_of_alerts() {
    let t = template();
    let a = alerting("plaudit-routing").await;
    let id = std::process::id();
    let email = subscribe_like(
        &a,
        &t,
        "AlertEmailSubscription",
        &format!("routing-email-{id}"),
    )
    .await;
    let chat = subscribe_like(&a, &t, "ChatSubscription", &format!("routing-chat-{id}")).await;
    let emailed = t["Parameters"]["EmailSeverities"]["Default"]
        .as_str()
        .unwrap();
    assert_eq!(
        emailed, "critical,high",
        "the cases below assume the default"
    );

    // A CloudWatch alarm notification: both subscriptions.
    let body = alarm_notification();
    a.sns
        .publish()
        .topic_arn(&a.topic_arn)
        .subject("ALARM: \"plaudit-DeadLetterAlarm-1A2B3C\" in US East (N. Virginia)")
        .message(&body)
        .send()
        .await
        .unwrap();
    for (who, queue) in [("e-mail", &email), ("chat", &chat)] {
        let got = a.drain(queue).await;
        assert_eq!(got.len(), 1, "{who} gets the alarm");
        assert_eq!(got[0]["Message"].as_str().unwrap(), body, "{who}");
    }

    // A critical alert, both copies, through the publishing code: each side gets its own.
    let sink = a.sink();
    let alert = single_alert(
        &change(Severity::Critical),
        Some("123456789012"),
        Some("us-east-1"),
    );
    for format in Format::ALL {
        sink.publish(&alert, format).await.unwrap();
    }
    let got = a.drain(&email).await;
    assert_eq!(got.len(), 1, "e-mail gets one copy");
    assert_eq!(got[0]["Message"].as_str().unwrap(), alert.email);
    let got = a.drain(&chat).await;
    assert_eq!(got.len(), 1, "chat gets one copy");
    assert_eq!(got[0]["Message"].as_str().unwrap(), alert.chat);

    // A low-severity alert: not e-mailed (EmailSeverities), still in the channel.
    let low = single_alert(
        &change(Severity::Low),
        Some("123456789012"),
        Some("us-east-1"),
    );
    for format in Format::ALL {
        sink.publish(&low, format).await.unwrap();
    }
    assert!(a.drain(&email).await.is_empty(), "low is not e-mailed");
    let got = a.drain(&chat).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Message"].as_str().unwrap(), low.chat);
}

//! Issue 12: the scheduled audit's reports in S3, against moto through the SDK: the handler with
//! a report bucket writes the run's JSON (and, once it renders, HTML) report and the region's
//! `latest` copies with their content types and SSE-S3, and its alerts (read back from SQS)
//! link the report; with a bucket that does not exist the run still records its drift state and
//! publishes its alerts, which name the failure, and the run fails.
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::time::Duration;

use plaudit::pipeline::reports::{HTML_CONTENT_TYPE, JSON_CONTENT_TYPE};
use plaudit::pipeline::{Collector, Invoke, Setup};
use plaudit::publish::{s3_client, DynamoStore, S3Reports, SnsSink};
use plaudit_scheduled_audit::{handle, Deps, HandlerError};
use plaudit_tests::moto::{
    alerting, build_isolated, client, manifest, sdk_config, Alerting, Built,
};
use serde_json::{json, Value};
use tokio::time::Instant;

const ACCOUNT: &str = "123456789012";

async fn deps(a: &Alerting, b: &Built, bucket: &str) -> Deps<DynamoStore, SnsSink> {
    Deps {
        collector: Collector::new(client().await),
        store: a.store(),
        sink: a.sink(),
        reports: Some(S3Reports {
            client: s3_client(&sdk_config().await),
            bucket: bucket.to_string(),
        }),
        setup: Setup {
            account_id: Some(ACCOUNT.into()),
            region: Some("us-east-1".into()),
            manifest: Some(manifest(b)),
            rules: Vec::new(),
        },
    }
}

async fn run(
    d: &Deps<DynamoStore, SnsSink>,
) -> Result<plaudit_scheduled_audit::Outcome, HandlerError> {
    let invoke = Invoke {
        deadline: Some(Instant::now() + Duration::from_secs(120)),
        account_id: ACCOUNT.into(),
    };
    handle(&json!({"source": "plaudit.schedule"}), d, &invoke).await
}

/// The chat notification inside an SNS envelope delivered to SQS.
fn chat(envelope: &Value) -> Value {
    serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
}

/// The body of an object of the bucket.
async fn object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn the_scheduled_run_writes_its_reports_and_links_them_in_its_alerts() {
    let c = client().await;
    let b = build_isolated(&c, "10.91.0.0/16").await;
    let a = alerting("plaudit-reports-ok").await;
    let s3 = s3_client(&sdk_config().await);
    let bucket = format!("plaudit-reports-{}", std::process::id());
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let d = deps(&a, &b, &bucket).await;

    let out = run(&d).await.unwrap();
    let written = out.reports.clone().unwrap();
    assert!(written.failed.is_empty(), "{written:?}");
    assert_eq!(written.html_skipped, None);
    assert_eq!(written.written.len(), 4, "{written:?}");

    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap()
        .contents
        .unwrap_or_default();
    let mut keys: Vec<String> = listed.iter().filter_map(|o| o.key.clone()).collect();
    keys.sort();
    let prefix = format!("reports/{ACCOUNT}/us-east-1/");
    let run_key = written.written[0].clone();
    let stamp = run_key
        .strip_prefix(&prefix)
        .and_then(|k| k.strip_suffix("/report.json"))
        .unwrap_or_else(|| panic!("{run_key}"));
    assert_eq!(stamp.len(), "20261130T060000Z".len(), "{stamp}");
    assert!(
        stamp.ends_with('Z') && stamp.chars().nth(8) == Some('T'),
        "{stamp}"
    );
    let mut expected = vec![
        format!("{prefix}{stamp}/report.json"),
        format!("{prefix}latest.json"),
        format!("{prefix}{stamp}/report.html"),
        format!("{prefix}latest.html"),
    ];
    expected.sort();
    assert_eq!(keys, expected);

    for key in &keys {
        let head = s3
            .head_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        let want = if key.ends_with(".json") {
            JSON_CONTENT_TYPE
        } else {
            HTML_CONTENT_TYPE
        };
        assert_eq!(head.content_type(), Some(want), "{key}");
        assert_eq!(
            head.server_side_encryption().map(|s| s.as_str()),
            Some("AES256"),
            "{key}"
        );
    }
    let body = object(&s3, &bucket, &format!("{prefix}latest.json")).await;
    let report: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(report["account_id"], ACCOUNT);
    assert_eq!(report["findings"].as_array().unwrap().len(), out.findings);
    // The HTML report carries the VPC diagrams: the function hands the renderer the snapshot.
    let page = object(&s3, &bucket, &format!("{prefix}latest.html")).await;
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.contains("<svg class=\"diagram\""),
        "no diagram in the stored HTML report"
    );

    // The moto estate has findings of its own: the first run alerts on them, linking the report.
    let linked = format!("s3://{bucket}/{prefix}{stamp}/report.html");
    let console = format!("https://console.aws.amazon.com/s3/object/{bucket}?region=us-east-1&prefix={prefix}{stamp}/report.");
    let msgs = a.drain(&a.all).await;
    assert!(!msgs.is_empty());
    for m in &msgs {
        let n = chat(m);
        assert_eq!(n["version"], "1.0");
        let desc = n["content"]["description"].as_str().unwrap();
        assert!(desc.contains(&linked) && desc.contains(&console), "{desc}");
    }
    for m in a.drain(&a.critical).await {
        let text = m["Message"].as_str().unwrap();
        assert!(text.contains(&linked) && text.contains(&console), "{text}");
    }

    // A second run: a new run prefix, the same latest keys (overwritten).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = run(&d).await.unwrap();
    let second = again.reports.unwrap();
    assert_ne!(second.written[0], run_key);
    assert_eq!(second.written[1], format!("{prefix}latest.json"));
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_missing_bucket_fails_the_run_but_not_its_alerts() {
    let c = client().await;
    let b = build_isolated(&c, "10.92.0.0/16").await;
    let a = alerting("plaudit-reports-missing").await;
    let bucket = format!("plaudit-no-such-bucket-{}", std::process::id());
    let d = deps(&a, &b, &bucket).await;

    let e = run(&d).await.unwrap_err();
    let HandlerError::Reports(msg) = &e else {
        panic!("{e:?}")
    };
    assert!(
        msg.contains(&format!("s3://{bucket}")) && msg.contains("NoSuchBucket"),
        "{msg}"
    );
    assert!(!a.items().await.is_empty(), "the drift state is recorded");
    let msgs = a.drain(&a.all).await;
    assert!(!msgs.is_empty(), "the alerts went out");
    for m in &msgs {
        let desc = chat(m)["content"]["description"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            desc.contains("NOT written") && desc.contains("NoSuchBucket") && desc.contains(&bucket),
            "{desc}"
        );
    }
    for m in a.drain(&a.critical).await {
        let text = m["Message"].as_str().unwrap();
        assert!(
            text.contains("NOT written") && text.contains("NoSuchBucket"),
            "{text}"
        );
    }
}

//! Helpers shared by the Config-rule function's end-to-end tests: real event JSON and the
//! handler's dependencies against moto.

#![allow(dead_code)] // each test binary uses some of them

use std::sync::atomic::{AtomicUsize, Ordering};

use plaudit::config_rule::{Compliance, Evaluation, ResourceKey};
use plaudit::pipeline::{Collector, Setup};
use plaudit_config_rule::{ConfigApi, ConfigApiError, Deps};
use plaudit_tests::moto::{client, manifest, Built};
use serde_json::{json, Value};

pub async fn deps<C>(config: C, b: &Built) -> Deps<C> {
    Deps {
        collector: Collector::new(client().await),
        config,
        setup: Setup {
            account_id: Some("123456789012".into()),
            region: Some("us-east-1".into()),
            manifest: Some(manifest(b)),
            rules: Vec::new(),
        },
        alerting: None,
    }
}

pub fn event(invoking: Value, params: Option<&str>, token: &str) -> Value {
    json!({
        "version": "1.0",
        "invokingEvent": invoking.to_string(),
        "ruleParameters": params,
        "resultToken": token,
        "eventLeftScope": false,
        "executionRoleArn": "arn:aws:iam::123456789012:role/config",
        "configRuleArn": "arn:aws:config:us-east-1:123456789012:config-rule/config-rule-abc",
        "configRuleName": "plaudit-security-groups",
        "configRuleId": "config-rule-abc",
        "accountId": "123456789012"
    })
}

pub fn scheduled() -> Value {
    json!({"messageType": "ScheduledNotification", "notificationCreationTime": "2026-11-30T07:00:00.000Z", "awsAccountId": "123456789012", "recordVersion": "1.0"})
}

pub fn change(resource_type: &str, id: &str, vpc: &str, status: &str) -> Value {
    json!({"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": "2026-11-30T06:30:01.000Z", "recordVersion": "1.3",
           "configurationItem": {"resourceType": resource_type, "resourceId": id, "configurationItemStatus": status, "awsRegion": "us-east-1",
               "awsAccountId": "123456789012", "configurationItemCaptureTime": "2026-11-30T06:30:00.000Z", "configuration": {"vpcId": vpc},
               "relationships": [], "tags": {}}})
}

/// [`change`] captured now: a change made after everything the test did so far (a collection
/// that started before it cannot answer it).
pub fn change_now(resource_type: &str, id: &str, vpc: &str, status: &str) -> Value {
    let mut v = change(resource_type, id, vpc, status);
    v["configurationItem"]["configurationItemCaptureTime"] =
        json!(plaudit::time::rfc3339(std::time::SystemTime::now()));
    v
}

/// Counts what would go to Config (moto keeps no evaluations).
#[derive(Default)]
pub struct Counting {
    pub calls: AtomicUsize,
    pub evaluations: AtomicUsize,
    pub compliant: AtomicUsize,
}

impl ConfigApi for Counting {
    async fn put_evaluations(
        &self,
        _token: &str,
        _test_mode: bool,
        chunk: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, ConfigApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.evaluations.fetch_add(chunk.len(), Ordering::SeqCst);
        self.compliant.fetch_add(
            chunk
                .iter()
                .filter(|e| e.compliance == Compliance::Compliant)
                .count(),
            Ordering::SeqCst,
        );
        Ok(Vec::new())
    }

    async fn reported_resources(&self, _rule: &str) -> Result<Vec<ResourceKey>, ConfigApiError> {
        Ok(Vec::new())
    }

    async fn vpc_from_history(
        &self,
        _r: &ResourceKey,
        _t: &str,
    ) -> Result<Option<String>, ConfigApiError> {
        Ok(None)
    }
}

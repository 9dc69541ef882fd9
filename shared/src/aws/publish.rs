//! The publishers behind the SDK boundary (feature `aws`): the drift state in DynamoDB, alerts on
//! SNS, and the manifest from SSM Parameter Store.
//!
//! Table layout (docs/drift-state.md): partition key `scope` (`account#region`), sort key
//! `finding_id`; attributes `rule_id`, `resource_id`, `status`, `evidence`, `unreadable`,
//! `first_seen`, `last_changed`, `rev`, and optionally `pending` (the undelivered transition, JSON),
//! `claimed_at`, `last_notified`, `expires_at` (the TTL attribute).

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::alerting::{AlertSink, Record, SinkError, StateStore, StoreError};
use crate::drift::{Alert, StateItem};
use crate::finding::{FindingId, Status};

/// The IAM actions the drift-state store uses (on its table).
pub const STATE_ACTIONS: [&str; 2] = ["dynamodb:PutItem", "dynamodb:Query"];
/// The IAM actions publishing alerts uses (on the topic, and its KMS key).
pub const ALERT_ACTIONS: [&str; 3] = ["kms:Decrypt", "kms:GenerateDataKey", "sns:Publish"];
/// The IAM action reading the manifest from SSM uses (on the parameter).
pub const MANIFEST_ACTIONS: [&str; 1] = ["ssm:GetParameter"];
/// The drift-state table's partition key, sort key and TTL attribute.
pub const TABLE_KEYS: (&str, &str, &str) = ("scope", "finding_id", "expires_at");

/// The drift-state table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

/// The alert topic.
#[derive(Debug, Clone)]
pub struct SnsSink {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

/// An SDK error as `Code: message` (the code alone when there is no message).
fn describe<E: ProvideErrorMetadata>(e: &E, fallback: &str) -> String {
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => fallback.to_string(),
    }
}

fn sdk_message<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(s) => describe(s.err(), "the service returned an error"),
        SdkError::TimeoutError(_) => "Timeout: the call timed out".to_string(),
        SdkError::DispatchFailure(_) => "DispatchFailure: the request could not be sent".into(),
        other => format!("SdkError: {other}"),
    }
}

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: u64) -> Av {
    Av::N(v.to_string())
}

fn to_item(scope: &str, r: &Record) -> HashMap<String, Av> {
    let i = &r.item;
    let mut m = HashMap::from([
        ("scope".to_string(), s(scope)),
        ("finding_id".to_string(), s(&i.finding_id.to_string())),
        ("rule_id".to_string(), s(&i.rule_id)),
        ("resource_id".to_string(), s(&i.resource_id)),
        ("status".to_string(), s(i.status.as_str())),
        ("evidence".to_string(), s(&format!("{:016x}", i.evidence))),
        ("unreadable".to_string(), Av::Bool(i.unreadable)),
        ("first_seen".to_string(), s(&i.first_seen)),
        ("last_changed".to_string(), s(&i.last_changed)),
        ("rev".to_string(), n(r.rev)),
    ]);
    if let Some(p) = r
        .pending
        .as_ref()
        .and_then(|p| serde_json::to_string(p).ok())
    {
        m.insert("pending".into(), Av::S(p));
    }
    if let Some(t) = r.claimed_at {
        m.insert("claimed_at".into(), n(t));
    }
    if let Some(t) = &r.last_notified {
        m.insert("last_notified".into(), s(t));
    }
    if let Some(t) = r.expires_at {
        m.insert("expires_at".into(), n(t));
    }
    m
}

/// Reads one stored item; `Err` names the attribute that is missing or malformed.
fn from_item(m: &HashMap<String, Av>) -> Result<Record, String> {
    let text = |k: &str| -> Result<String, String> {
        m.get(k)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| format!("attribute `{k}` is missing or not a string"))
    };
    let num = |k: &str| -> Result<Option<u64>, String> {
        match m.get(k) {
            None => Ok(None),
            Some(v) => v
                .as_n()
                .ok()
                .and_then(|x| x.parse().ok())
                .map(Some)
                .ok_or_else(|| format!("attribute `{k}` is not a whole number")),
        }
    };
    let id = text("finding_id")?;
    let finding_id = u64::from_str_radix(&id, 16)
        .map(FindingId)
        .map_err(|_| format!("finding_id `{id}` is not 16 hex digits"))?;
    let status_text = text("status")?;
    let status = Status::ALL
        .into_iter()
        .find(|s| s.as_str() == status_text)
        .ok_or_else(|| format!("status `{status_text}` is unknown"))?;
    let evidence_text = text("evidence")?;
    let evidence = u64::from_str_radix(&evidence_text, 16)
        .map_err(|_| format!("evidence `{evidence_text}` is not hex"))?;
    let pending = match m.get("pending").and_then(|v| v.as_s().ok()) {
        Some(p) => Some(
            serde_json::from_str(p)
                .map_err(|e| format!("attribute `pending` is not valid: {e}"))?,
        ),
        None => None,
    };
    Ok(Record {
        item: StateItem {
            finding_id,
            rule_id: text("rule_id")?,
            resource_id: text("resource_id")?,
            status,
            evidence,
            unreadable: m
                .get("unreadable")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            first_seen: text("first_seen")?,
            last_changed: text("last_changed")?,
        },
        rev: num("rev")?.ok_or("attribute `rev` is missing")?,
        pending,
        claimed_at: num("claimed_at")?,
        last_notified: text("last_notified").ok(),
        expires_at: num("expires_at")?,
    })
}

/// The addressable part of a record [`from_item`] cannot read: its key and revision, as a record
/// that is not failing.
fn salvage(m: &HashMap<String, Av>) -> Option<Record> {
    let id = m.get("finding_id")?.as_s().ok()?;
    let rev = m.get("rev")?.as_n().ok()?.parse().ok()?;
    Some(Record {
        item: StateItem {
            finding_id: FindingId(u64::from_str_radix(id, 16).ok()?),
            rule_id: String::new(),
            resource_id: String::new(),
            status: Status::NotApplicable,
            evidence: 0,
            unreadable: false,
            first_seen: String::new(),
            last_changed: String::new(),
        },
        rev,
        pending: None,
        claimed_at: None,
        last_notified: None,
        expires_at: None,
    })
}

impl StateStore for DynamoStore {
    async fn load(&self, scope: &str) -> Result<Vec<Record>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "scope")
            .expression_attribute_values(":s", s(scope))
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| StoreError {
                operation: "Query",
                message: format!("{} on table {}", sdk_message(&e), self.table),
            })?;
            for item in page.items() {
                // A record this version cannot read does not fail every run: when its key and
                // revision are readable it counts as "not failing", so a finding that fails now
                // alerts again and its conditional write replaces the bad record (erring on the
                // side of telling); otherwise it is skipped. Either way, with a warning.
                match from_item(item) {
                    Ok(r) => out.push(r),
                    Err(why) => {
                        let salvaged = salvage(item);
                        tracing::warn!(table = %self.table, %why, replaced_if_failing = salvaged.is_some(), "unreadable drift record");
                        out.extend(salvaged);
                    }
                }
            }
        }
        Ok(out)
    }

    async fn put_if(
        &self,
        scope: &str,
        record: &Record,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(scope, record)));
        req = match expected {
            None => req.condition_expression("attribute_not_exists(finding_id)"),
            Some(rev) => req
                .condition_expression("rev = :rev")
                .expression_attribute_values(":rev", n(rev)),
        };
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError {
                operation: "PutItem",
                message: format!("{} on table {}", sdk_message(&e), self.table),
            }),
        }
    }
}

fn attr(v: &str) -> Option<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .ok()
}

/// Each alert is published twice with `MessageStructure=String` (SNS delivers message attributes,
/// and so filter policies can rely on them, only for String messages): once as the Amazon Q
/// Developer / AWS Chatbot custom notification (`format` = `chat`), once as plain text for people
/// (`format` = `email`). Both carry `severity` and `event`. Subscriptions pick one with a filter
/// policy (the SAM template's e-mail subscription takes `email`); Chatbot ignores the plain-text copy.
impl AlertSink for SnsSink {
    async fn publish(&self, alert: &Alert) -> Result<(), SinkError> {
        for (format, body) in [("chat", &alert.chat), ("email", &alert.email)] {
            self.client
                .publish()
                .topic_arn(&self.topic_arn)
                .subject(&alert.subject)
                .message(body)
                .set_message_attributes(Some(
                    [
                        ("severity", alert.severity.as_str()),
                        ("event", alert.event),
                        ("format", format),
                    ]
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_string(), attr(v)?)))
                    .collect(),
                ))
                .send()
                .await
                .map_err(|e| SinkError {
                    message: format!("{} (topic {})", sdk_message(&e), self.topic_arn),
                })?;
        }
        Ok(())
    }
}

/// Reads the manifest from an SSM parameter (String or SecureString).
pub async fn manifest_from_ssm(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<crate::Manifest, crate::manifest::ManifestError> {
    let resp = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| crate::manifest::ManifestError::Source {
            source_name: format!("SSM parameter {name}"),
            message: sdk_message(&e),
        })?;
    let text = resp.parameter().and_then(|p| p.value()).unwrap_or_default();
    crate::Manifest::from_json_str(&format!("SSM parameter {name}"), text)
}

/// The manifest named by the `PLAUDIT_MANIFEST` environment variable: inline JSON (it starts
/// with `{`), or else the name of an SSM parameter that holds it; unset or empty: none.
pub async fn manifest_from_env(
    conf: &aws_config::SdkConfig,
) -> Result<Option<crate::Manifest>, crate::manifest::ManifestError> {
    let value = std::env::var("PLAUDIT_MANIFEST").unwrap_or_default();
    let value = value.trim();
    if value.is_empty() {
        Ok(None)
    } else if value.starts_with('{') {
        crate::Manifest::from_json_str("PLAUDIT_MANIFEST", value).map(Some)
    } else {
        manifest_from_ssm(&aws_sdk_ssm::Client::new(conf), value)
            .await
            .map(Some)
    }
}

/// A Lambda invocation's deadline (milliseconds since the epoch, from the context) as a tokio
/// instant.
pub fn lambda_deadline(deadline_ms: u64) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    tokio::time::Instant::now()
        + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// The log filter for a level: plaudit's own crates at `level`, everything else (the AWS SDK,
/// hyper) at `warn`, so raising the level never logs SDK request internals (which include the
/// access key id and request contents).
pub fn log_filter(level: &str) -> String {
    let l = level.trim().to_ascii_lowercase();
    format!("warn,plaudit={l},plaudit_config_rule={l},plaudit_scheduled_audit={l}")
}

/// JSON logs for the Lambda functions: [`log_filter`] at `AWS_LAMBDA_LOG_LEVEL` (set by the
/// function's logging configuration); else `RUST_LOG` verbatim (an operator's explicit choice,
/// which can include SDK debug output); else info.
pub fn init_json_logs() {
    let filter = match (
        std::env::var("AWS_LAMBDA_LOG_LEVEL"),
        std::env::var("RUST_LOG"),
    ) {
        (Ok(level), _) => log_filter(&level),
        (Err(_), Ok(explicit)) => explicit,
        _ => log_filter("info"),
    };
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_current_span(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_dynamodb_items() {
        let r = Record {
            item: StateItem {
                finding_id: FindingId(0xfeed_beef_0000_0001),
                rule_id: "PL-SG-006".into(),
                resource_id: "sg-1".into(),
                status: Status::Fail,
                evidence: u64::MAX,
                unreadable: false,
                first_seen: "2026-11-30T06:00:00Z".into(),
                last_changed: "2026-11-30T06:00:00Z".into(),
            },
            rev: 7,
            pending: None,
            claimed_at: Some(1_800_000_000),
            last_notified: None,
            expires_at: None,
        };
        let item = to_item("111122223333#us-east-1", &r);
        assert_eq!(item["finding_id"], s("feedbeef00000001"));
        assert_eq!(from_item(&item), Ok(r));
    }

    #[test]
    fn a_record_with_a_bad_attribute_is_salvaged_by_key_and_revision() {
        let mut item = to_item(
            "s",
            &Record {
                item: StateItem {
                    finding_id: FindingId(7),
                    rule_id: "PL-SG-006".into(),
                    resource_id: "sg-1".into(),
                    status: Status::Fail,
                    evidence: 1,
                    unreadable: false,
                    first_seen: "t".into(),
                    last_changed: "t".into(),
                },
                rev: 3,
                pending: None,
                claimed_at: None,
                last_notified: None,
                expires_at: None,
            },
        );
        item.insert("status".into(), s("exploded"));
        assert!(from_item(&item).is_err());
        let r = salvage(&item).unwrap();
        assert_eq!(
            (r.item.finding_id, r.rev, r.item.status),
            (FindingId(7), 3, Status::NotApplicable)
        );
        item.insert("rev".into(), s("three"));
        assert!(
            salvage(&item).is_none(),
            "not addressable for a conditional write"
        );
    }

    #[test]
    fn a_malformed_item_names_the_attribute() {
        let mut item = HashMap::from([("finding_id".to_string(), s("zz"))]);
        assert!(from_item(&item).unwrap_err().contains("finding_id"));
        item.insert("finding_id".into(), s("0000000000000001"));
        assert!(from_item(&item).unwrap_err().contains("status"));
    }
}

//! Alerting: what to say about a change. One alert per change when there are few, digests
//! when there are many; each alert has two copies, the Amazon Q Developer (AWS Chatbot) custom
//! notification (`chat`) and plain text for people (`email`), published and tracked separately.
//! Pure: [`AlertSink`] is the seam to SNS (`aws::sns::SnsSink`).

use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::json;

pub use crate::decide::change::{Change, ChangeKind};
use crate::finding::{FindingId, Severity};

/// One copy of an alert: the `format` message attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The Amazon Q Developer in chat applications (AWS Chatbot) custom notification.
    Chat,
    /// Plain text for people.
    Email,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Chat, Format::Email];

    /// `chat` or `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Chat => "chat",
            Format::Email => "email",
        }
    }
}

/// A copy of an alert could not be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("publishing the {format} copy of the alert failed: {message}")]
pub struct SinkError {
    pub format: &'static str,
    pub message: String,
}

/// Where alerts go. Each call publishes one copy, so a copy that failed can be sent again
/// without repeating the other.
pub trait AlertSink {
    fn publish(
        &self,
        alert: &Alert,
        format: Format,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;
}

/// One message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// For e-mail: under 100 characters, one line.
    pub subject: String,
    /// The Amazon Q Developer in chat applications (AWS Chatbot) custom notification, as JSON.
    pub chat: String,
    /// What an e-mail subscriber reads.
    pub email: String,
    /// The highest severity in the alert, for SNS filter policies.
    pub severity: Severity,
    /// `new_failure`, `evidence_changed`, `could_not_evaluate`, `resolved` or `digest`: the
    /// `event` message attribute.
    pub event: &'static str,
    /// The findings this alert announces (one, or a digest's).
    pub finding_ids: Vec<FindingId>,
}

impl Alert {
    /// The body of one copy.
    pub fn body(&self, format: Format) -> &str {
        match format {
            Format::Chat => &self.chat,
            Format::Email => &self.email,
        }
    }
}

/// Where the run's full report is (the scheduled function with a report bucket), for its alerts:
/// an `s3://` URI and the S3 console address of the object, never a presigned URL (it would
/// expire, and grant access to whoever holds the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportLink {
    /// Every object was written; `key` is the run's own report.
    Written {
        bucket: String,
        key: String,
        region: String,
    },
    /// `key` was written, but some other object was not (`error`).
    Partial {
        bucket: String,
        key: String,
        region: String,
        error: String,
    },
    /// Nothing linkable was written: `key` is where the report should be, `error` why it is not.
    Failed {
        bucket: String,
        key: String,
        error: String,
    },
}

/// `s` percent-encoded for a URL query value, `/` kept (the S3 console's own form).
fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A message from outside (an SDK error) as one short line without Markdown code quotes.
fn one_line(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() || c == '`' { ' ' } else { c })
        .collect();
    if s.chars().count() <= 300 {
        return s;
    }
    let mut cut: String = s.chars().take(297).collect();
    cut.push_str("...");
    cut
}

impl ReportLink {
    /// `s3://bucket/key` of the linked (or missing) report.
    pub fn s3_uri(&self) -> String {
        match self {
            ReportLink::Written { bucket, key, .. }
            | ReportLink::Partial { bucket, key, .. }
            | ReportLink::Failed { bucket, key, .. } => format!("s3://{bucket}/{key}"),
        }
    }

    /// The S3 console page of the written report (commercial partition).
    pub fn console_url(&self) -> Option<String> {
        match self {
            ReportLink::Written {
                bucket,
                key,
                region,
            }
            | ReportLink::Partial {
                bucket,
                key,
                region,
                ..
            } => Some(format!(
                "https://console.aws.amazon.com/s3/object/{}?region={}&prefix={}",
                query_value(bucket),
                query_value(region),
                query_value(key)
            )),
            ReportLink::Failed { .. } => None,
        }
    }

    /// The failure to name, if any.
    pub fn error(&self) -> Option<String> {
        match self {
            ReportLink::Written { .. } => None,
            ReportLink::Partial { error, .. } | ReportLink::Failed { error, .. } => {
                Some(one_line(error))
            }
        }
    }

    /// The line the chat copy's description ends with (client Markdown).
    fn markdown(&self) -> String {
        let uri = self.s3_uri();
        match (self.console_url(), self.error()) {
            (Some(url), None) => format!("*Full report:* [S3 console]({url}) `{uri}`"),
            (Some(url), Some(e)) => {
                format!("*Full report:* [S3 console]({url}) `{uri}`\n*Report storage error:* {e}")
            }
            (None, e) => format!(
                "*Full report:* NOT written to `{uri}`: {}",
                e.unwrap_or_default()
            ),
        }
    }

    /// The lines the e-mail copy ends with.
    fn text(&self) -> String {
        let uri = self.s3_uri();
        match (self.console_url(), self.error()) {
            (Some(url), None) => format!("Report:     {uri}\n            {url}\n"),
            (Some(url), Some(e)) => {
                format!("Report:     {uri}\n            {url}\nReport storage error: {e}\n")
            }
            (None, e) => format!(
                "Report:     NOT written to {uri}: {}\n",
                e.unwrap_or_default()
            ),
        }
    }
}

impl Alert {
    /// This alert with the run's report linked: the chat copy's description and the e-mail copy
    /// end with it (the shapes stay those of [`single_alert`] and the digests).
    pub fn with_report(&self, link: &ReportLink) -> Alert {
        let mut a = self.clone();
        if let Ok(mut chat) = serde_json::from_str::<serde_json::Value>(&a.chat) {
            if let Some(d) = chat["content"]["description"].as_str() {
                let d = format!("{d}\n{}", link.markdown());
                chat["content"]["description"] = serde_json::Value::String(d);
                a.chat = chat.to_string();
            }
        }
        a.email = format!("{}\n{}", a.email.trim_end_matches('\n'), link.text());
        a
    }
}

/// A sink that links the run's report in every alert it passes on (`report`: `None` passes the
/// alerts unchanged).
pub struct Linked<'a, A> {
    pub sink: &'a A,
    pub report: Option<ReportLink>,
}

impl<A: AlertSink + Sync> AlertSink for Linked<'_, A> {
    async fn publish(&self, alert: &Alert, format: Format) -> Result<(), SinkError> {
        match &self.report {
            Some(link) => self.sink.publish(&alert.with_report(link), format).await,
            None => self.sink.publish(alert, format).await,
        }
    }
}

/// SNS's limit on a message, in bytes.
pub const SNS_MAX_BYTES: usize = 262_144;

/// At most this many changes get one alert each; more become digests.
pub const MAX_SINGLE_ALERTS: usize = 10;

fn subject_line(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() < 100 {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(96).collect();
    cut.push_str("...");
    cut
}

fn workspaces_text(c: &Change) -> String {
    if c.workspaces.is_empty() {
        "-".to_string()
    } else {
        c.workspaces.join(", ")
    }
}

/// The alert for one change.
pub fn single_alert(c: &Change, account: Option<&str>, region: Option<&str>) -> Alert {
    let where_ = format!("{} {}", account.unwrap_or("?"), region.unwrap_or("?"));
    let title = format!(
        "{} {}: {} on {}",
        c.kind.emoji(),
        c.kind.label(),
        c.rule_id,
        c.resource_id
    );
    let description = format!(
        "*{}* ({})\n*Workspace:* {}\n*Resource:* `{}` ({})\n*Account/region:* {where_}\n{}",
        c.title,
        c.severity,
        workspaces_text(c),
        c.resource_id,
        c.resource_type.map(|r| r.as_str()).unwrap_or("?"),
        c.message
    );
    let mut next_steps = Vec::new();
    if !c.remediation.is_empty() && c.kind != ChangeKind::Resolved {
        next_steps.push(c.remediation.clone());
    }
    next_steps.push(format!("plaudit explain {}", c.rule_id));
    let chat = json!({
        "version": "1.0",
        "source": "custom",
        "id": c.finding_id.to_string(),
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "nextSteps": next_steps,
            "keywords": [c.rule_id, c.severity.as_str(), format!("{:?}", c.kind)],
        },
        "metadata": {
            "threadId": c.finding_id.to_string(),
            "summary": format!("{}: {} {}", c.kind.label(), c.rule_id, c.resource_id),
            "eventType": format!("plaudit.{}", c.kind.as_str()),
            "relatedResources": [c.resource_id],
            "additionalContext": {"severity": c.severity.as_str(), "rule": c.rule_id, "finding_id": c.finding_id.to_string()},
        },
    });
    let email = format!(
        "{}: {} ({})\n\nRule:       {} - {}\nWorkspace:  {}\nResource:   {} ({})\nAccount:    {where_}\n\n{}\n{}\nMore: plaudit explain {}\nFinding id: {}\n",
        c.kind.label(),
        c.rule_id,
        c.severity,
        c.rule_id,
        c.title,
        workspaces_text(c),
        c.resource_id,
        c.resource_type.map(|r| r.as_str()).unwrap_or("?"),
        c.message,
        if c.remediation.is_empty() || c.kind == ChangeKind::Resolved { String::new() } else { format!("\nFix: {}\n", c.remediation) },
        c.rule_id,
        c.finding_id
    );
    Alert {
        subject: subject_line(&format!(
            "plaudit: {} {} on {} ({})",
            c.kind.label(),
            c.rule_id,
            c.resource_id,
            c.severity
        )),
        chat: chat.to_string(),
        email,
        severity: c.severity,
        event: c.kind.as_str(),
        finding_ids: vec![c.finding_id],
    }
}

/// The alerts for a run: one per change when there are few, else digests, each within SNS's size
/// limit (the chat and e-mail bodies together, as one JSON message carries both).
pub fn alerts(changes: &[Change], account: Option<&str>, region: Option<&str>) -> Vec<Alert> {
    if changes.len() <= MAX_SINGLE_ALERTS {
        return changes
            .iter()
            .map(|c| single_alert(c, account, region))
            .collect();
    }
    let mut out = Vec::new();
    let mut batch: Vec<&Change> = Vec::new();
    let mut size = 0;
    for c in changes {
        let line = digest_line(c);
        // Room for the JSON envelope and the e-mail copy of each line.
        if !batch.is_empty() && size + 3 * line.len() + 4096 > SNS_MAX_BYTES {
            out.push(digest(&batch, account, region));
            batch.clear();
            size = 0;
        }
        size += 3 * line.len();
        batch.push(c);
    }
    if !batch.is_empty() {
        out.push(digest(&batch, account, region));
    }
    out
}

fn digest_line(c: &Change) -> String {
    format!(
        "{} {} {} `{}` ({}): {}",
        c.kind.emoji(),
        c.kind.label(),
        c.rule_id,
        c.resource_id,
        c.severity,
        c.message
    )
}

fn digest(batch: &[&Change], account: Option<&str>, region: Option<&str>) -> Alert {
    let severity = batch
        .iter()
        .map(|c| c.severity)
        .max()
        .unwrap_or(Severity::Info);
    let mut counts: std::collections::BTreeMap<ChangeKind, usize> =
        std::collections::BTreeMap::new();
    for c in batch {
        *counts.entry(c.kind).or_default() += 1;
    }
    let summary = counts
        .iter()
        .map(|(k, n)| format!("{n} {}", k.label().to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    let where_ = format!("{} {}", account.unwrap_or("?"), region.unwrap_or("?"));
    let lines: Vec<String> = batch.iter().map(|c| digest_line(c)).collect();
    let chat = json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": format!("plaudit: {summary} ({where_})"),
            "description": lines.join("\n"),
            "nextSteps": ["Run `plaudit audit` for the full report", "plaudit explain <rule id>"],
        },
        "metadata": {
            "summary": summary,
            "eventType": "plaudit.digest",
            "additionalContext": {"severity": severity.as_str()},
        },
    });
    Alert {
        subject: subject_line(&format!("plaudit: {summary} in {where_}")),
        chat: chat.to_string(),
        email: format!(
            "plaudit found {summary} in {where_}.\n\n{}\n",
            lines.join("\n")
        ),
        severity,
        event: "digest",
        finding_ids: batch.iter().map(|c| c.finding_id).collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::drift::diff;
    use crate::synth::Estate;

    const NOW: &str = "2026-11-30T06:00:00Z";

    fn all_rules() -> Vec<&'static str> {
        crate::rules::RULES.iter().map(|r| r.meta.id).collect()
    }

    #[test]
    fn chat_messages_follow_the_custom_notification_schema() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let d = diff(&[], &e.findings(), &all_rules(), NOW);
        let a = alerts(&d.changes, Some("111122223333"), Some("us-east-1"));
        assert_eq!(a.len(), 1);
        let v: serde_json::Value = serde_json::from_str(&a[0].chat).unwrap();
        assert_eq!(v["version"], "1.0");
        assert_eq!(v["source"], "custom");
        assert_eq!(v["content"]["textType"], "client-markdown");
        assert_eq!(
            v["metadata"]["threadId"],
            d.changes[0].finding_id.to_string()
        );
        assert!(v["content"]["description"]
            .as_str()
            .unwrap()
            .contains("ws-0"));
        assert!(a[0].subject.len() < 100 && !a[0].subject.contains('\n'));
        assert!(a[0].email.contains("Fix: "), "{}", a[0].email);
        assert_eq!(a[0].severity, Severity::Critical);
    }

    #[test]
    fn many_changes_become_digests_within_the_size_limit() {
        let mut e = Estate::empty();
        for i in 0..400 {
            e.add_vpc(i, false);
        }
        e.drop_relay_egress();
        let d = diff(&[], &e.findings(), &all_rules(), NOW);
        assert_eq!(d.changes.len(), 400);
        let a = alerts(&d.changes, Some("111122223333"), Some("us-east-1"));
        assert!(a.len() >= 2, "{} digests", a.len());
        let mut covered = 0;
        for x in &a {
            // Each copy is published on its own; attributes and subject are small.
            assert!(x.chat.len() + 1024 < SNS_MAX_BYTES, "{}", x.chat.len());
            assert!(x.email.len() + 1024 < SNS_MAX_BYTES, "{}", x.email.len());
            assert_eq!(x.event, "digest");
            assert!(x.subject.chars().count() < 100);
            covered += x.email.lines().filter(|l| l.contains("PL-SG-006")).count();
        }
        assert_eq!(covered, 400, "every change is in some digest");
        let ids: BTreeSet<FindingId> = a.iter().flat_map(|x| x.finding_ids.clone()).collect();
        assert_eq!(
            ids.len(),
            400,
            "every change is claimed by exactly its digest"
        );
    }

    #[test]
    fn alerts_carry_only_the_schema_fields_and_no_evidence_beyond_the_finding() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let d = diff(&[], &e.findings(), &all_rules(), NOW);
        for a in alerts(&d.changes, Some("111122223333"), Some("us-east-1")) {
            let v: serde_json::Value = serde_json::from_str(&a.chat).unwrap();
            let keys = |x: &serde_json::Value| -> Vec<String> {
                x.as_object().unwrap().keys().cloned().collect()
            };
            for k in keys(&v) {
                assert!(
                    ["version", "source", "id", "content", "metadata"].contains(&k.as_str()),
                    "{k}"
                );
            }
            for k in keys(&v["content"]) {
                assert!(
                    ["textType", "title", "description", "nextSteps", "keywords"]
                        .contains(&k.as_str()),
                    "{k}"
                );
            }
            for k in keys(&v["metadata"]) {
                assert!(
                    [
                        "threadId",
                        "summary",
                        "eventType",
                        "relatedResources",
                        "additionalContext"
                    ]
                    .contains(&k.as_str()),
                    "{k}"
                );
            }
            for k in keys(&v["metadata"]["additionalContext"]) {
                assert!(
                    ["severity", "rule", "finding_id"].contains(&k.as_str()),
                    "{k}"
                );
            }
            // Nothing of the account beyond its id and region: no ARNs, no tags, no raw state.
            for text in [&a.chat, &a.email] {
                assert!(!text.contains("arn:aws"), "{text}");
                assert!(!text.contains("\"Tags\""), "{text}");
            }
        }
    }

    fn links() -> [ReportLink; 3] {
        let key = "reports/111122223333/us-east-1/20261130T060000Z/report.html".to_string();
        [
            ReportLink::Written {
                bucket: "plaudit-reports".into(),
                key: key.clone(),
                region: "us-east-1".into(),
            },
            ReportLink::Partial {
                bucket: "plaudit-reports".into(),
                key: key.clone(),
                region: "us-east-1".into(),
                error: "1 report object(s) not written".into(),
            },
            ReportLink::Failed {
                bucket: "plaudit-reports".into(),
                key,
                error: "NoSuchBucket: The specified bucket does not exist\n`x`".into(),
            },
        ]
    }

    #[test]
    fn linked_alerts_keep_their_shape_and_carry_the_report() {
        let mut e = Estate::empty();
        for i in 0..(MAX_SINGLE_ALERTS + 5) {
            e.add_vpc(i, false);
        }
        e.drop_relay_egress();
        let d = diff(&[], &e.findings(), &all_rules(), NOW);
        let single = alerts(&d.changes[..1], Some("111122223333"), Some("us-east-1"));
        let digests = alerts(&d.changes, Some("111122223333"), Some("us-east-1"));
        assert_eq!(digests[0].event, "digest");
        let uri =
            "s3://plaudit-reports/reports/111122223333/us-east-1/20261130T060000Z/report.html";
        let console = "https://console.aws.amazon.com/s3/object/plaudit-reports?region=us-east-1&prefix=reports/111122223333/us-east-1/20261130T060000Z/report.html";
        for (i, link) in links().iter().enumerate() {
            for a in single.iter().chain(&digests) {
                let l = a.with_report(link);
                assert_eq!(
                    (&l.subject, l.severity, l.event, &l.finding_ids),
                    (&a.subject, a.severity, a.event, &a.finding_ids)
                );
                let before: serde_json::Value = serde_json::from_str(&a.chat).unwrap();
                let after: serde_json::Value = serde_json::from_str(&l.chat).unwrap();
                let desc = after["content"]["description"].as_str().unwrap();
                assert!(
                    desc.starts_with(before["content"]["description"].as_str().unwrap()),
                    "{desc}"
                );
                // Only the description changed: same keys, same other values.
                let mut restored = after.clone();
                restored["content"]["description"] = before["content"]["description"].clone();
                assert_eq!(restored, before);
                assert!(l.email.starts_with(a.email.trim_end()), "{}", l.email);
                for text in [desc, l.email.as_str()] {
                    assert!(text.contains(uri), "{text}");
                    assert_eq!(text.contains(console), i < 2, "{text}");
                    assert_eq!(text.contains("NOT written"), i == 2, "{text}");
                    assert_eq!(text.contains("NoSuchBucket"), i == 2, "{text}");
                    assert!(!text.contains("X-Amz-Signature"), "no presigned URL");
                }
                // The outside error text cannot break out of the chat Markdown or add lines.
                if i == 2 {
                    assert!(!desc.contains("`x`"), "{desc}");
                    assert_eq!(
                        desc.lines().count(),
                        before["content"]["description"]
                            .as_str()
                            .unwrap()
                            .lines()
                            .count()
                            + 1
                    );
                }
                assert!(l.chat.len() + l.email.len() + 1024 < SNS_MAX_BYTES);
            }
        }
    }

    #[test]
    fn console_urls_encode_their_query() {
        let link = ReportLink::Written {
            bucket: "b".into(),
            key: "reports/a b&c/x.html".into(),
            region: "eu-west-1".into(),
        };
        assert_eq!(
            link.console_url().unwrap(),
            "https://console.aws.amazon.com/s3/object/b?region=eu-west-1&prefix=reports/a%20b%26c/x.html"
        );
        assert_eq!(link.s3_uri(), "s3://b/reports/a b&c/x.html");
    }

    #[test]
    fn the_linked_sink_links_every_copy_or_passes_them_through() {
        struct Recorder(std::sync::Mutex<Vec<(String, Format)>>);
        impl AlertSink for Recorder {
            async fn publish(&self, alert: &Alert, format: Format) -> Result<(), SinkError> {
                self.0
                    .lock()
                    .unwrap()
                    .push((alert.body(format).to_string(), format));
                Ok(())
            }
        }
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let d = diff(&[], &e.findings(), &all_rules(), NOW);
        let a = &alerts(&d.changes, Some("111122223333"), Some("us-east-1"))[0];
        let rec = Recorder(std::sync::Mutex::new(Vec::new()));
        let [written, ..] = links();
        for report in [Some(written), None] {
            let linked = Linked {
                sink: &rec,
                report: report.clone(),
            };
            for f in Format::ALL {
                futures_executor::block_on(linked.publish(a, f)).unwrap();
            }
        }
        let sent = rec.0.lock().unwrap();
        assert_eq!(sent.len(), 4);
        assert!(sent[..2]
            .iter()
            .all(|(b, _)| b.contains("s3://plaudit-reports/")));
        assert_eq!(sent[2].0, a.chat);
        assert_eq!(sent[3].0, a.email);
    }

    #[test]
    fn long_subjects_are_cut() {
        let s = subject_line(&format!("plaudit: {}\nsecond line", "x".repeat(200)));
        assert!(s.chars().count() < 100 && !s.contains('\n') && s.ends_with("..."));
    }
}

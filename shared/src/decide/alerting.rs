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

    #[test]
    fn long_subjects_are_cut() {
        let s = subject_line(&format!("plaudit: {}\nsecond line", "x".repeat(200)));
        assert!(s.chars().count() < 100 && !s.contains('\n') && s.ends_with("..."));
    }
}

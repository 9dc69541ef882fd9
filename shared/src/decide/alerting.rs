//! Drift: what changed since the last run, and the alerts that say so. Pure: the functions keep
//! the state (one [`StateItem`] per finding id) wherever they like and publish the [`Alert`]s.
//!
//! A transition is alerted once: a new failure, a resolved failure, a failure whose evidence
//! changed (a different blocking entry), and "could not evaluate" (the first run that cannot read
//! what a finding needs; not again until it has been readable in between). A steady state alerts
//! nothing. An `error` never overwrites the last known verdict, so a failure that was unreadable for
//! a while and is still failing afterwards is not announced again as new.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::finding::{Finding, FindingId, ResourceType, Severity, Status};

/// What the state store keeps per finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateItem {
    pub finding_id: FindingId,
    pub rule_id: String,
    pub resource_id: String,
    /// The last known verdict (never `error`).
    pub status: Status,
    /// Hash of the failure's evidence; 0 when not failing.
    pub evidence: u64,
    /// The last run could not evaluate this finding (and that was alerted).
    pub unreadable: bool,
    pub first_seen: String,
    pub last_changed: String,
}

/// The kinds of change that are alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    NewFailure,
    EvidenceChanged,
    CouldNotEvaluate,
    Resolved,
}

impl ChangeKind {
    fn label(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => "New failure",
            ChangeKind::EvidenceChanged => "Failure changed",
            ChangeKind::CouldNotEvaluate => "Could not evaluate",
            ChangeKind::Resolved => "Resolved",
        }
    }

    /// The wire name (`new_failure`, ...), also the `event` message attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => "new_failure",
            ChangeKind::EvidenceChanged => "evidence_changed",
            ChangeKind::CouldNotEvaluate => "could_not_evaluate",
            ChangeKind::Resolved => "resolved",
        }
    }

    fn emoji(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => ":red_circle:",
            ChangeKind::EvidenceChanged => ":large_orange_circle:",
            ChangeKind::CouldNotEvaluate => ":warning:",
            ChangeKind::Resolved => ":large_green_circle:",
        }
    }
}

/// One alerted change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub finding_id: FindingId,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub resource_type: Option<ResourceType>,
    pub resource_id: String,
    pub workspaces: Vec<String>,
    /// The current message (for a resolved finding that disappeared, why it is resolved).
    pub message: String,
    pub remediation: String,
}

/// The result of comparing a run with the stored state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    pub changes: Vec<Change>,
    /// The state to store: every current finding, minus resolved findings that disappeared.
    pub next: Vec<StateItem>,
}

/// The evidence of a failure: what makes "the same failure" the same.
pub fn evidence_hash(f: &Finding) -> u64 {
    if f.status != Status::Fail {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in f.actual.bytes().chain([0u8]).chain(f.message.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Compares the current findings with the stored state. `evaluated` are the rule ids this run
/// evaluated: stored findings of other rules are kept as they are, not taken for resolved.
pub fn diff(previous: &[StateItem], current: &[Finding], evaluated: &[&str], now: &str) -> Drift {
    let prev: HashMap<FindingId, &StateItem> = previous.iter().map(|p| (p.finding_id, p)).collect();
    let ran: BTreeSet<&str> = evaluated.iter().copied().collect();
    let mut drift = Drift::default();
    let seen: BTreeSet<FindingId> = current.iter().map(|f| f.id).collect();
    // A rule that could not read its inputs reports `error` on the workspace's VPC instead of its
    // usual resources; those resources' findings are then unknown, not resolved.
    let blind: BTreeSet<&str> = current
        .iter()
        .filter(|f| f.status == Status::Error)
        .map(|f| &*f.rule_id)
        .collect();
    for f in current {
        let p = prev.get(&f.id).copied();
        let change = |kind| Change {
            kind,
            finding_id: f.id,
            rule_id: f.rule_id.to_string(),
            title: f.title.to_string(),
            severity: f.severity,
            resource_type: Some(f.resource_type),
            resource_id: f.resource_id.to_string(),
            workspaces: f.workspaces.iter().map(|w| w.to_string()).collect(),
            message: f.message.clone(),
            remediation: f.remediation.to_string(),
        };
        let first_seen = p
            .map(|p| p.first_seen.clone())
            .unwrap_or_else(|| now.to_string());
        if f.status == Status::Error {
            if !p.is_some_and(|p| p.unreadable) {
                drift.changes.push(change(ChangeKind::CouldNotEvaluate));
            }
            drift.next.push(StateItem {
                finding_id: f.id,
                rule_id: f.rule_id.to_string(),
                resource_id: f.resource_id.to_string(),
                // Keep the last known verdict: an error says nothing about it.
                status: p.map(|p| p.status).unwrap_or(Status::NotApplicable),
                evidence: p.map(|p| p.evidence).unwrap_or(0),
                unreadable: true,
                first_seen,
                last_changed: if p.is_some_and(|p| p.unreadable) {
                    p.map(|p| p.last_changed.clone()).unwrap_or_default()
                } else {
                    now.to_string()
                },
            });
            continue;
        }
        let failing = f.status == Status::Fail;
        let evidence = evidence_hash(f);
        let was_failing = p.is_some_and(|p| p.status == Status::Fail);
        let kind = match (was_failing, failing) {
            (false, true) => Some(ChangeKind::NewFailure),
            (true, false) => Some(ChangeKind::Resolved),
            (true, true) if p.is_some_and(|p| p.evidence != evidence) => {
                Some(ChangeKind::EvidenceChanged)
            }
            _ => None,
        };
        if let Some(k) = kind {
            drift.changes.push(change(k));
        }
        let changed = kind.is_some() || p.is_none_or(|p| p.status != f.status || p.unreadable);
        drift.next.push(StateItem {
            finding_id: f.id,
            rule_id: f.rule_id.to_string(),
            resource_id: f.resource_id.to_string(),
            status: f.status,
            evidence,
            unreadable: false,
            first_seen,
            last_changed: if changed {
                now.to_string()
            } else {
                p.map(|p| p.last_changed.clone()).unwrap_or_default()
            },
        });
    }
    for p in previous {
        if seen.contains(&p.finding_id) {
            continue;
        }
        if !ran.contains(p.rule_id.as_str()) || blind.contains(p.rule_id.as_str()) {
            drift.next.push(p.clone());
            continue;
        }
        if p.status == Status::Fail {
            let meta = crate::rules::meta(&p.rule_id);
            drift.changes.push(Change {
                kind: ChangeKind::Resolved,
                finding_id: p.finding_id,
                rule_id: p.rule_id.clone(),
                title: meta.map(|m| m.title.to_string()).unwrap_or_default(),
                severity: meta.map(|m| m.severity).unwrap_or(Severity::Info),
                resource_type: meta.map(|m| m.resource_type),
                resource_id: p.resource_id.clone(),
                workspaces: Vec::new(),
                message: format!(
                    "{} is no longer reported by {}: the resource was removed or left the audited scope.",
                    p.resource_id, p.rule_id
                ),
                remediation: String::new(),
            });
        }
    }
    drift.changes.sort_by(|a, b| {
        (
            b.kind == ChangeKind::NewFailure,
            b.severity,
            &a.rule_id,
            &a.resource_id,
        )
            .cmp(&(
                a.kind == ChangeKind::NewFailure,
                a.severity,
                &b.rule_id,
                &b.resource_id,
            ))
    });
    drift
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
    use super::*;
    use crate::synth::Estate;

    const NOW: &str = "2026-11-30T06:00:00Z";
    const LATER: &str = "2026-11-30T07:00:00Z";

    fn all_rules() -> Vec<&'static str> {
        crate::rules::RULES.iter().map(|r| r.meta.id).collect()
    }

    #[test]
    fn a_steady_state_alerts_nothing_and_a_first_run_only_failures() {
        let mut e = Estate::backend();
        let first = diff(&[], &e.findings(), &all_rules(), NOW);
        assert!(first.changes.is_empty(), "{:#?}", first.changes);
        assert_eq!(first.next.len(), e.findings().len());
        let again = diff(&first.next, &e.findings(), &all_rules(), LATER);
        assert!(again.changes.is_empty());
        assert_eq!(
            again.next, first.next,
            "nothing changed, so neither does the state"
        );
        e.drop_relay_egress();
        let broken = diff(&[], &e.findings(), &all_rules(), NOW);
        assert_eq!(broken.changes.len(), 1);
        assert_eq!(broken.changes[0].kind, ChangeKind::NewFailure);
        assert_eq!(broken.changes[0].rule_id, "PL-SG-006");
    }

    #[test]
    fn failure_then_fix_alerts_once_each() {
        let mut e = Estate::backend();
        let s0 = diff(&[], &e.findings(), &all_rules(), NOW).next;
        e.drop_relay_egress();
        let d1 = diff(&s0, &e.findings(), &all_rules(), LATER);
        assert_eq!(
            d1.changes.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![ChangeKind::NewFailure]
        );
        let d2 = diff(&d1.next, &e.findings(), &all_rules(), LATER);
        assert!(
            d2.changes.is_empty(),
            "still failing the same way: no repeat"
        );
        let fixed = Estate::backend();
        let d3 = diff(&d2.next, &fixed.findings(), &all_rules(), LATER);
        assert_eq!(
            d3.changes.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![ChangeKind::Resolved]
        );
    }

    #[test]
    fn a_different_blocking_entry_is_an_evidence_change() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let s = diff(&[], &e.findings(), &all_rules(), NOW).next;
        // 6666 now reaches one of the relay's two subnets: still failing, for a different reason.
        if let Ok(r) = &mut e.snap.security_group_rules {
            r.push(crate::synth::sg_rule(
                "sgr-x",
                &crate::synth::Ids::new(0).ws_sg,
                true,
                "tcp",
                (6666, 6666),
                "10.0.28.0/26",
            ));
        }
        let d = diff(&s, &e.findings(), &all_rules(), LATER);
        assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
        assert_eq!(d.changes[0].kind, ChangeKind::EvidenceChanged);
        assert_eq!(d.changes[0].rule_id, "PL-SG-006");
    }

    #[test]
    fn could_not_evaluate_is_alerted_once_and_does_not_reset_a_failure() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let s = diff(&[], &e.findings(), &all_rules(), NOW).next;
        let mut blind = e.clone();
        blind.not_collected(crate::snapshot::Input::VpcEndpoints);
        let d1 = diff(&s, &blind.findings(), &all_rules(), LATER);
        assert!(!d1.changes.is_empty());
        assert!(d1
            .changes
            .iter()
            .all(|c| c.kind == ChangeKind::CouldNotEvaluate));
        let d2 = diff(&d1.next, &blind.findings(), &all_rules(), LATER);
        assert!(d2.changes.is_empty(), "still blind: no repeat");
        // Readable again and still failing the same way: nothing new to say.
        let d3 = diff(&d2.next, &e.findings(), &all_rules(), LATER);
        assert!(d3.changes.is_empty(), "{:#?}", d3.changes);
    }

    #[test]
    fn a_failing_resource_that_disappears_is_resolved_unless_its_rule_did_not_run() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let s = diff(&[], &e.findings(), &all_rules(), NOW).next;
        let d = diff(&s, &[], &["PL-SG-006"], LATER);
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].kind, ChangeKind::Resolved);
        assert!(d.changes[0].message.contains("no longer reported"));
        let d = diff(&s, &[], &["PL-EP-001"], LATER);
        assert!(d.changes.is_empty());
        assert!(d
            .next
            .iter()
            .any(|i| i.rule_id == "PL-SG-006" && i.status == Status::Fail));
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

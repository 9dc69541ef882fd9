//! Drift: what changed since the last run, and how it is recorded so that each change is told
//! exactly once. Three parts, each named for what it holds:
//!
//! - this module: [`diff`], a pure comparison of a run's findings with the stored state, and
//!   [`Scope`], the part of the estate a run answers for;
//! - [`record`]: the stored form of a finding's state ([`Record`], with its revision, the
//!   collection time of the observation that wrote it and its undelivered alerts) and the
//!   [`StateStore`] seam (DynamoDB in production: `aws::dynamodb::DynamoStore`; a fake:
//!   `testing::fakes::MemoryStore`);
//! - [`sync`]: the protocol that records a run's transitions and delivers their alerts through an
//!   [`crate::alerting::AlertSink`] (docs/drift-state.md).
//!
//! What the alerts *say* is [`crate::alerting`]'s business; [`Change`] is the vocabulary the two
//! share.
//!
//! A transition is alerted once: a new failure, a resolved failure, a failure whose evidence
//! changed (a different blocking entry), and "could not evaluate" (the first run that cannot read
//! what a finding needs; not again until it has been readable in between). A steady state alerts
//! nothing. An `error` never overwrites the last known verdict, so a failure that was unreadable for
//! a while and is still failing afterwards is not announced again as new.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

pub use crate::decide::change::{Change, ChangeKind};
use crate::finding::{Finding, FindingId, Severity, Status};

pub mod record;
pub mod sync;

pub use record::{
    epoch_millis, Pending, Record, StateStore, StoreError, LEASE_SECS, RESOLVED_TTL_SECS,
    UNREADABLE_REV,
};
pub use sync::{
    partition_of, sync, sync_report, DriftError, SyncInput, SyncOutcome, Unsent, UnsentReason,
};

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
    /// The workspaces the finding's resource serves (what [`Scope::Only`] matches on). Empty for
    /// records of version 1 and for findings that name no workspace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workspaces: Vec<String>,
}

/// The part of the estate a run answers for. A stored record outside it is left alone (its verdict
/// is neither changed nor resolved by this run), and so is a finding outside it (a change run that
/// audits one VPC says nothing about another VPC's workspaces, not even "could not evaluate").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// The whole account and region (a scheduled run, a periodic Config run).
    #[default]
    Everything,
    /// Part of it (a change-triggered Config run): a record is in scope when its resource is one
    /// of `resources` or `vpcs`, or when every workspace it serves is one of `workspaces`.
    Only {
        /// The VPCs audited (a record of the VPC itself is in scope).
        vpcs: BTreeSet<String>,
        /// The workspaces audited (with a manifest: those whose VPC was audited).
        workspaces: BTreeSet<String>,
        /// Every resource audited in those VPCs (e.g. `config_rule::resources_of_vpc`), and any
        /// deleted resource the run re-evaluated.
        resources: BTreeSet<String>,
    },
}

impl Scope {
    /// A scope of the given VPCs, workspaces and resources.
    pub fn only<I, J, K>(vpcs: I, workspaces: J, resources: K) -> Scope
    where
        I: IntoIterator,
        I::Item: Into<String>,
        J: IntoIterator,
        J::Item: Into<String>,
        K: IntoIterator,
        K::Item: Into<String>,
    {
        Scope::Only {
            vpcs: vpcs.into_iter().map(Into::into).collect(),
            workspaces: workspaces.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether a stored record is this run's to change or resolve.
    pub fn contains(&self, item: &StateItem) -> bool {
        self.matches(
            &item.resource_id,
            item.workspaces.iter().map(String::as_str),
        )
    }

    /// Whether a finding of this run is one the run answers for.
    pub fn covers(&self, f: &Finding) -> bool {
        self.matches(&f.resource_id, f.workspaces.iter().map(|w| &**w))
    }

    fn matches<'a>(&self, resource: &str, served: impl ExactSizeIterator<Item = &'a str>) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Only {
                vpcs,
                workspaces,
                resources,
            } => {
                resources.contains(resource)
                    || vpcs.contains(resource)
                    || (served.len() > 0 && served.into_iter().all(|w| workspaces.contains(w)))
            }
        }
    }
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
        let workspaces: Vec<String> = f.workspaces.iter().map(|w| w.to_string()).collect();
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
                workspaces,
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
            workspaces,
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
                workspaces: p.workspaces.clone(),
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

#[cfg(test)]
mod diff_tests {
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
}

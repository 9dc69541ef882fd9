//! The comparison with a previous run (`--baseline PREVIOUS.json`): each finding is marked new,
//! still failing, failing with changed evidence, resolved or unchanged, and the failures that
//! are gone from the report (their resource deleted) are listed as resolved. Pure: the caller
//! reads the file.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::pure::engine::Report;
use crate::pure::evidence::FlowPath;
use crate::pure::finding::{Change, FindingId, Severity, Status};

/// A baseline that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a plaudit JSON report: {0}")]
    Parse(String),
    #[error(
        "schema_version {0} is newer than this plaudit reads (up to {max}); upgrade plaudit",
        max = crate::pure::engine::REPORT_SCHEMA_VERSION
    )]
    TooNew(u32),
}

/// What the comparison found, in the report (`baseline` in the JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BaselineSummary {
    /// The baseline as the user named it (a path).
    pub source: String,
    pub schema_version: u32,
    /// When the baseline's state was collected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// Failing now and not before.
    pub new: usize,
    pub still_failing: usize,
    pub changed_evidence: usize,
    /// Failing before and not now: findings marked `resolved` plus `gone`.
    pub resolved: usize,
    /// Failures of the baseline with no finding now (the resource was deleted, or the workspace
    /// left the audit), counted in `resolved`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<PastFinding>,
    /// Failures of the baseline with no finding now that cannot be called resolved, because
    /// this run's collection was partial or did not run their rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unseen: Vec<PastFinding>,
}

/// A finding of the baseline, as much of it as a comparison needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastFinding {
    pub id: FindingId,
    pub rule_id: String,
    #[serde(default)]
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    #[serde(default)]
    pub resource_type: String,
    pub resource_id: String,
    #[serde(default)]
    pub workspaces: Vec<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing)]
    actual: String,
    /// The flows the finding judged: ids of the baseline's `flows` (schema 2 reports), or
    /// whole paths.
    #[serde(default, skip_serializing)]
    paths: Vec<PathRef>,
}

/// A finding's path in a baseline: the id of one of its `flows`, or the path itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum PathRef {
    Id(String),
    Full(FlowPath),
}

/// A baseline report, as much of it as a comparison needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub collected_at: Option<String>,
    pub findings: Vec<PastFinding>,
    /// The traced flows the findings' paths name (schema 2).
    #[serde(default)]
    pub flows: Vec<FlowPath>,
}

impl Baseline {
    /// Reads a JSON report of any schema version up to this one's.
    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let b: Baseline = serde_path_to_error::deserialize(de)
            .map_err(|e| BaselineError::Parse(e.to_string()))?;
        if b.schema_version > crate::pure::engine::REPORT_SCHEMA_VERSION {
            return Err(BaselineError::TooNew(b.schema_version));
        }
        Ok(b)
    }
}

/// What decides "changed evidence": the actual state and, for reachability, where each path
/// is blocked.
fn evidence_key(actual: &str, paths: &[impl std::borrow::Borrow<FlowPath>]) -> String {
    let mut k = actual.to_string();
    for p in paths {
        let p = p.borrow();
        k.push('|');
        k.push_str(&p.id);
        k.push(':');
        k.push_str(p.verdict.as_str());
        if let Some(h) = p.blocking_hop() {
            k.push(':');
            k.push_str(h.hop.as_str());
            k.push(':');
            k.push_str(&h.entries.join(","));
            k.push(':');
            k.push_str(&h.uncovered.join(","));
        }
    }
    k
}

/// Marks every finding of `report` against `baseline` and stores the summary in the report.
/// `source` is how the user named the baseline. A baseline of another account or region is
/// compared all the same (every failure is then new) and says so in a deployment note.
pub fn compare(report: &mut Report, baseline: Baseline, source: &str) {
    if baseline.account_id != report.account_id || baseline.region != report.region {
        report.deployment.notes.push(format!(
            "the baseline {source} is of account {} region {}, this audit of account {} region {}: every failure counts as new",
            baseline.account_id.as_deref().unwrap_or("unknown"),
            baseline.region.as_deref().unwrap_or("unknown"),
            report.account_id.as_deref().unwrap_or("unknown"),
            report.region.as_deref().unwrap_or("unknown"),
        ));
    }
    let flows: HashMap<&str, &FlowPath> =
        baseline.flows.iter().map(|p| (p.id.as_str(), p)).collect();
    let resolve = |refs: &[PathRef]| -> Vec<FlowPath> {
        refs.iter()
            .filter_map(|r| match r {
                PathRef::Full(p) => Some(p.clone()),
                PathRef::Id(id) => flows.get(id.as_str()).map(|p| (*p).clone()),
            })
            .collect()
    };
    let mut past: HashMap<FindingId, PastFinding> = baseline
        .findings
        .into_iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.id, f))
        .collect();
    let mut sum = BaselineSummary {
        source: source.to_string(),
        schema_version: baseline.schema_version,
        collected_at: baseline.collected_at,
        ..BaselineSummary::default()
    };
    for f in &mut report.findings {
        let before = past.remove(&f.id);
        let change = match (f.status, before) {
            (Status::Fail, None) => Change::New,
            (Status::Fail, Some(b)) => {
                if evidence_key(&b.actual, &resolve(&b.paths)) == evidence_key(&f.actual, &f.paths)
                {
                    Change::StillFailing
                } else {
                    Change::ChangedEvidence
                }
            }
            // Cannot be judged now: not resolved, and what is known has changed.
            (Status::Error, Some(_)) => Change::ChangedEvidence,
            (_, Some(_)) => Change::Resolved,
            (_, None) => Change::Unchanged,
        };
        match change {
            Change::New => sum.new += 1,
            Change::StillFailing => sum.still_failing += 1,
            Change::ChangedEvidence => sum.changed_evidence += 1,
            Change::Resolved => sum.resolved += 1,
            Change::Unchanged => {}
        }
        f.change = Some(change);
    }
    let mut left: Vec<PastFinding> = past.into_values().collect();
    left.sort_by(|a, b| (&a.rule_id, &a.resource_id).cmp(&(&b.rule_id, &b.resource_id)));
    for f in left {
        let ran = report.rules_run.contains(&f.rule_id);
        if ran && !report.collection.partial {
            sum.resolved += 1;
            sum.gone.push(f);
        } else {
            sum.unseen.push(f);
        }
    }
    report.baseline = Some(sum);
}

impl Report {
    /// `--fail-on-new`: exit 1 only for failures at or above `fail_on` that are new against the
    /// baseline (or, without one, for any such failure); otherwise as [`Report::exit_code`].
    pub fn exit_code_new(&self, fail_on: Severity) -> i32 {
        let failing_new = self.findings.iter().any(|f| {
            f.status == Status::Fail
                && f.severity >= fail_on
                && f.change.is_none_or(|c| c == Change::New)
        });
        match self.exit_code(fail_on) {
            1 if !failing_new => {
                if !self.summary.complete || self.deployment.workspaces.is_empty() {
                    3
                } else {
                    0
                }
            }
            c => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pure::finding::Change;
    use crate::pure::render::{Json, Render};
    use crate::synth::{Estate, Ids};

    /// The report as a later run reads it: rendered to JSON and parsed back.
    fn as_baseline(r: &Report) -> Baseline {
        let mut out = Vec::new();
        Json.render(r, &mut out).unwrap();
        Baseline::parse(std::str::from_utf8(&out).unwrap()).unwrap()
    }

    fn no_relay_egress(e: &mut Estate) {
        if let Ok(r) = &mut e.snap.security_group_rules {
            r.retain(|x| !(x.is_egress && x.from_port == Some(6666)));
        }
    }

    fn change_of(r: &Report, rule: &str) -> Vec<Change> {
        r.findings
            .iter()
            .filter(|f| f.rule_id == rule)
            .filter_map(|f| f.change)
            .collect()
    }

    #[test]
    fn a_new_failure_is_new_and_the_same_failure_again_is_still_failing() {
        let clean = Estate::backend();
        let mut broken = Estate::backend();
        no_relay_egress(&mut broken);
        let before = clean.audit(&[]);
        let mut now = broken.audit(&[]);
        compare(&mut now, as_baseline(&before), "before.json");
        assert_eq!(change_of(&now, "PL-SG-006"), vec![Change::New]);
        let sum = now.baseline.as_ref().unwrap();
        assert!(sum.new >= 1 && sum.resolved == 0, "{sum:?}");
        assert_eq!(now.exit_code_new(Severity::High), 1);

        let mut again = broken.audit(&[]);
        compare(&mut again, as_baseline(&now), "now.json");
        assert_eq!(change_of(&again, "PL-SG-006"), vec![Change::StillFailing]);
        assert_eq!(again.baseline.as_ref().unwrap().new, 0);
        // Still failing: the failure gates with --fail-on, not with --fail-on-new.
        assert_eq!(again.exit_code(Severity::High), 1);
        assert_eq!(again.exit_code_new(Severity::High), 0);
    }

    #[test]
    fn a_fixed_failure_is_resolved_and_a_deleted_one_is_gone() {
        let mut broken = Estate::backend();
        no_relay_egress(&mut broken);
        let before = broken.audit(&[]);
        let mut now = Estate::backend().audit(&[]);
        compare(&mut now, as_baseline(&before), "b.json");
        assert_eq!(change_of(&now, "PL-SG-006"), vec![Change::Resolved]);
        assert!(now.baseline.as_ref().unwrap().resolved >= 1);

        // The same failure, its resource gone from the next audit: resolved and listed as gone.
        let mut b = as_baseline(&before);
        let sg = Ids::new(0).ws_sg;
        let fake = b
            .findings
            .iter()
            .find(|f| f.rule_id == "PL-SG-006" && f.resource_id == sg)
            .cloned()
            .unwrap();
        b.findings.push(PastFinding {
            id: FindingId(fake.id.0 ^ 1),
            resource_id: "sg-deleted".into(),
            ..fake
        });
        let mut now = Estate::backend().audit(&[]);
        compare(&mut now, b.clone(), "b.json");
        let sum = now.baseline.as_ref().unwrap();
        assert_eq!(sum.gone.len(), 1);
        assert_eq!(sum.gone[0].resource_id, "sg-deleted");
        assert!(sum.unseen.is_empty());

        // A run that did not run the rule cannot call it resolved.
        let mut partial = Estate::backend().audit(&["PL-EP"]);
        compare(&mut partial, b, "b.json");
        let sum = partial.baseline.as_ref().unwrap();
        assert!(sum.gone.is_empty());
        assert!(sum.unseen.iter().any(|f| f.resource_id == "sg-deleted"));
    }

    #[test]
    fn a_failure_with_other_evidence_is_changed_evidence() {
        let mut broken = Estate::backend();
        no_relay_egress(&mut broken);
        let before = broken.audit(&["PL-SG-006"]);
        let mut b = as_baseline(&before);
        for f in &mut b.findings {
            f.actual = "something else was found".into();
        }
        let mut now = broken.audit(&["PL-SG-006"]);
        compare(&mut now, b, "b.json");
        assert_eq!(change_of(&now, "PL-SG-006"), vec![Change::ChangedEvidence]);
        assert_eq!(now.baseline.as_ref().unwrap().changed_evidence, 1);
    }

    #[test]
    fn a_baseline_of_another_account_says_so_and_a_newer_schema_is_refused() {
        let mut b = as_baseline(&Estate::backend().audit(&[]));
        b.account_id = Some("999999999999".into());
        let mut now = Estate::backend().audit(&[]);
        compare(&mut now, b, "other.json");
        assert!(now
            .deployment
            .notes
            .iter()
            .any(|n| n.contains("999999999999") && n.contains("other.json")));
        let e = Baseline::parse(r#"{"schema_version": 99, "findings": []}"#).unwrap_err();
        assert!(e.to_string().contains("99"), "{e}");
        let e = Baseline::parse(r#"{"schema_version": 1}"#).unwrap_err();
        assert!(e.to_string().contains("findings"), "{e}");
        // A schema-1 report (no paths, no arn) is read.
        assert!(Baseline::parse(r#"{"schema_version": 1, "findings": []}"#).is_ok());
    }
}

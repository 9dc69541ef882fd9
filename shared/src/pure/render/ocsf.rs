//! The `ocsf` format: every finding as an OCSF 1.5.0 Compliance Finding (class 2003, category
//! Findings), with the `cloud` profile, in one JSON array (`docs/exports.md` has the mapping).
//!
//! Every status is exported, as in the JSON report: a compliance finding records passes as well
//! as failures. Times are the collection time in epoch milliseconds; a report whose collection
//! time is unknown writes 0 (the renderer reads no clock).

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use crate::pure::engine::Report;
use crate::pure::finding::{Change, Finding, Severity, Status};

use super::Render;

/// The `ocsf` format.
#[derive(Debug, Clone, Default)]
pub struct Ocsf;

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.5.0";
/// Compliance Finding.
pub const CLASS_UID: u32 = 2003;
/// Findings.
pub const CATEGORY_UID: u32 = 2;

/// OCSF `severity_id` and its caption.
pub fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// The compliance `status_id` (Pass 1, Warning 2 = no result for want of information, Fail 3,
/// Other 99) and its caption.
pub fn compliance_status(s: Status) -> (u8, &'static str) {
    match s {
        Status::Pass => (1, "Pass"),
        Status::Error => (2, "Warning"),
        Status::Fail | Status::Waived => (3, "Fail"),
        Status::NotApplicable => (99, "Not applicable"),
    }
}

/// The finding's `status_id` (New 1, Suppressed 3, Resolved 4) and its caption.
pub fn finding_status(s: Status) -> (u8, &'static str) {
    match s {
        Status::Fail | Status::Error => (1, "New"),
        Status::Waived => (3, "Suppressed"),
        Status::Pass | Status::NotApplicable => (4, "Resolved"),
    }
}

/// The activity (Create 1, Update 2, Close 3): Create without a baseline, else from the
/// comparison.
pub fn activity(c: Option<Change>) -> (u8, &'static str) {
    match c {
        None | Some(Change::New) => (1, "Create"),
        Some(Change::StillFailing | Change::ChangedEvidence | Change::Unchanged) => (2, "Update"),
        Some(Change::Resolved) => (3, "Close"),
    }
}

fn partition(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        Some(r) if r.starts_with("cn-") => "aws-cn",
        _ => "aws",
    }
}

fn event(report: &Report, f: &Finding, time: i64) -> Value {
    let (sev_id, sev) = severity(f.severity);
    let (cs_id, cs) = compliance_status(f.status);
    let (st_id, st) = finding_status(f.status);
    let (act_id, act) = activity(f.change);
    let id = f.id.to_string();
    let arn = f.arn();
    let family = f.rule_id.split('-').nth(1).unwrap_or(&f.rule_id);
    let mut resource = json!({
        "uid": arn.clone().unwrap_or_else(|| f.resource_id.to_string()),
        "name": &*f.resource_id,
        "type": f.resource_type.as_str(),
        "cloud_partition": partition(f.region.as_deref()),
        "labels": f.workspaces.iter().map(|w| format!("workspace:{w}")).collect::<Vec<_>>(),
    });
    if let Some(r) = &f.region {
        resource["region"] = json!(r);
    }
    let mut cloud = json!({"provider": "AWS"});
    if let Some(r) = &f.region {
        cloud["region"] = json!(r);
    }
    if let Some(a) = &f.account_id {
        cloud["account"] = json!({"uid": a, "name": a, "type_id": 10, "type": "AWS Account"});
    }
    let mut unmapped = Map::new();
    unmapped.insert("status".into(), json!(f.status.as_str()));
    unmapped.insert("expected".into(), json!(f.expected));
    unmapped.insert("actual".into(), json!(f.actual));
    unmapped.insert("workspaces".into(), json!(f.workspaces));
    if let Some(c) = f.change {
        unmapped.insert("change".into(), json!(c.as_str()));
    }
    if let Some(h) = super::csv::blocking_hop(f) {
        unmapped.insert("blocking_hop".into(), json!(h));
    }
    if let Some(w) = &f.waiver {
        unmapped.insert("waiver".into(), json!(w));
    }
    let mut remediation = json!({"desc": f.remediation});
    let refs = f.references();
    if !refs.is_empty() {
        remediation["references"] = json!(refs);
    }
    let mut e = json!({
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "activity_id": act_id,
        "activity_name": act,
        "type_uid": CLASS_UID * 100 + u32::from(act_id),
        "type_name": format!("Compliance Finding: {act}"),
        "time": time,
        "severity_id": sev_id,
        "severity": sev,
        "status_id": st_id,
        "status": st,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "uid": id,
            "event_code": &*f.rule_id,
            "profiles": ["cloud"],
            "product": {
                "name": report.tool.name,
                "vendor_name": report.tool.name,
                "version": report.tool.version,
            },
        },
        "finding_info": {
            "uid": id,
            "title": &*f.title,
            "desc": f.message,
            "types": [format!("plaudit/{family}"), f.resource_type.as_str()],
            "created_time": time,
        },
        "compliance": {
            "control": &*f.rule_id,
            "standards": ["plaudit Databricks PrivateLink network rules"],
            "requirements": [f.expected],
            "desc": format!("expected {}; actual {}", f.expected, f.actual),
            "status_id": cs_id,
            "checks": [{
                "uid": &*f.rule_id,
                "name": &*f.title,
                "severity": f.severity.as_str(),
                "severity_id": sev_id,
                "status": cs,
                "status_id": cs_id,
            }],
        },
        "remediation": remediation,
        "resources": [resource],
        "cloud": cloud,
        "unmapped": {"plaudit": unmapped},
    });
    if let Some(w) = &f.waiver {
        e["status_detail"] = json!(format!("waived: {}", w.reason));
    }
    e
}

impl Ocsf {
    /// The events of a report, one per finding, as a JSON array.
    pub fn events(&self, report: &Report) -> Value {
        let time = report
            .collected_at
            .as_deref()
            .and_then(crate::pure::time::epoch_millis)
            .unwrap_or(0);
        Value::Array(
            report
                .findings
                .iter()
                .map(|f| {
                    let t = f
                        .collected_at
                        .as_deref()
                        .and_then(crate::pure::time::epoch_millis)
                        .unwrap_or(time);
                    event(report, f, t)
                })
                .collect(),
        )
    }
}

impl Render for Ocsf {
    /// Streams the array one event at a time: a 10,000-VPC report has half a million findings,
    /// and a tree of all their events would take gigabytes.
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let time = report
            .collected_at
            .as_deref()
            .and_then(crate::pure::time::epoch_millis)
            .unwrap_or(0);
        super::write_json_array(
            report.findings.iter().map(|f| {
                let t = f
                    .collected_at
                    .as_deref()
                    .and_then(crate::pure::time::epoch_millis)
                    .unwrap_or(time);
                event(report, f, t)
            }),
            out,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_ocsf_enums() {
        assert_eq!(severity(Severity::Critical), (5, "Critical"));
        assert_eq!(severity(Severity::Info).0, 1);
        assert_eq!(compliance_status(Status::Error).0, 2);
        assert_eq!(compliance_status(Status::Waived).0, 3);
        assert_eq!(finding_status(Status::Waived).0, 3);
        assert_eq!(activity(Some(Change::Resolved)), (3, "Close"));
        assert_eq!(activity(None).0, 1);
        assert_eq!(partition(Some("cn-north-1")), "aws-cn");
    }
}

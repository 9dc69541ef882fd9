//! What the catalogue promises about findings holds for the findings: every failure carries a
//! severity its rule's metadata declares (the catalogue, `explain` and `docs/rules.md` print
//! them from there), and no fix keeps a `<placeholder>` for an id the finding knows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::pure::engine::{audit, AuditOptions, Report};
use crate::pure::finding::{Severity, Status};
use crate::pure::manifest::Manifest;
use crate::pure::rules::{meta, FAILING};
use crate::pure::snapshot::Snapshot;

/// Every failing estate of the registry, each also in GovCloud (where the port table differs),
/// and the bundled examples: every rule on each.
fn reports() -> Vec<(String, Report)> {
    let mut out = Vec::new();
    for (id, estate) in FAILING {
        let e = estate();
        let opts = AuditOptions {
            manifest: Some(&e.manifest),
            ..AuditOptions::default()
        };
        out.push((format!("{id}'s failing estate"), audit(&e.snap, &opts)));
        let mut gov = e.snap.clone();
        gov.meta.region = Some("us-gov-west-1".into());
        out.push((
            format!("{id}'s failing estate in us-gov-west-1"),
            audit(&gov, &opts),
        ));
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for name in ["backend-drifted", "frontend-transit", "isolated-compliant"] {
        let dir = examples.join(name);
        let snap = Snapshot::load(&dir).expect("example snapshot");
        let manifest = Manifest::load(&dir.join("manifest.yaml")).expect("example manifest");
        let opts = AuditOptions {
            manifest: Some(&manifest),
            ..AuditOptions::default()
        };
        out.push((format!("example {name}"), audit(&snap, &opts)));
    }
    out
}

#[test]
fn every_failure_carries_a_severity_its_rule_declares() {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, BTreeSet<Severity>> = BTreeMap::new();
    for (estate, report) in reports() {
        for f in report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Waived))
        {
            let m = meta(&f.rule_id).expect("a registered rule");
            seen.entry(m.id).or_default().insert(f.severity);
            if !m.severities().contains(&f.severity) {
                problems.push(format!(
                    "{} on {} ({estate}) is {}, but the catalogue says {}",
                    m.id,
                    f.resource_id,
                    f.severity,
                    m.severity_column()
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Each rule's own failing estate shows its catalogue severity at work: the test above is
    // not vacuous for any rule.
    for (id, _) in FAILING {
        assert!(seen.contains_key(id), "{id} failed nowhere");
    }
}

#[test]
fn the_catalogue_severity_is_the_worst_a_failure_can_carry() {
    for (id, _) in FAILING {
        let m = meta(id).expect("registered");
        assert!(
            m.severity_when.iter().all(|(s, _)| *s < m.severity),
            "{id}: the headline severity must be the worst one"
        );
    }
}

#[test]
fn fixes_carry_the_ids_the_finding_knows() {
    let mut problems = Vec::new();
    for (estate, report) in reports() {
        for f in report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Waived))
        {
            if let Some(at) = f.remediation.find('<') {
                problems.push(format!(
                    "{} on {} ({estate}): fix keeps a placeholder: {}",
                    f.rule_id,
                    f.resource_id,
                    &f.remediation[at..]
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_fix_names_the_resource_it_is_about() {
    // PL-VPC-001's fix is an AWS CLI command on the VPC: it must name the failing VPC.
    let (_, estate) = FAILING
        .iter()
        .find(|(id, _)| *id == "PL-VPC-001")
        .expect("PL-VPC-001 has a failing estate");
    let e = estate();
    let r = audit(
        &e.snap,
        &AuditOptions {
            manifest: Some(&e.manifest),
            rules: vec!["PL-VPC-001".into()],
            ..AuditOptions::default()
        },
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.status == Status::Fail)
        .expect("a failure");
    assert!(
        f.remediation
            .contains(&format!("--vpc-id {} ", f.resource_id)),
        "{}",
        f.remediation
    );
}

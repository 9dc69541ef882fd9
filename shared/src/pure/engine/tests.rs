//! The engine: waivers, merging of shared resources, ordering, region resolution.

use super::*;
use crate::pure::manifest::Waiver;
use crate::synth::{Estate, Ids};

fn broken_relay_egress() -> Estate {
    let mut e = Estate::backend();
    if let Ok(r) = &mut e.snap.security_group_rules {
        r.retain(|x| !(x.is_egress && x.from_port == Some(6666)));
    }
    e
}

fn waiver(expires: &str) -> Waiver {
    Waiver {
        rule: "PL-SG-006".into(),
        resource: Ids::new(0).ws_sg,
        reason: "relay egress goes through the proxy until the migration".into(),
        owner: "net@example.com".into(),
        expires: Some(expires.into()),
    }
}

#[test]
fn a_waiver_turns_a_failure_into_waived_until_it_expires() {
    let mut e = broken_relay_egress();
    // The snapshot was collected on 2026-11-30: the day of expiry still counts.
    e.manifest.waivers.push(waiver("2026-11-30"));
    let r = e.audit(&["PL-SG-006"]);
    assert_eq!(r.findings[0].status, Status::Waived);
    assert_eq!(r.exit_code(Severity::High), 0);
    e.manifest.waivers[0] = waiver("2026-11-29");
    let r = e.audit(&["PL-SG-006"]);
    let f = &r.findings[0];
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("expired on 2026-11-29"), "{}", f.message);
    assert!(f.waiver.as_ref().is_some_and(|w| w.expired));
    assert_eq!(r.exit_code(Severity::High), 1);
}

#[test]
fn a_waiver_expiry_is_compared_in_utc_with_offsets_honoured() {
    let status = |collected_at: &str, expires: &str| {
        let mut e = broken_relay_egress();
        e.snap.meta.collected_at = Some(collected_at.into());
        e.manifest.waivers.push(waiver(expires));
        e.audit(&["PL-SG-006"]).findings[0].status
    };
    // 01:30 on 1 December at +02:00 is still 30 November in UTC: a waiver through the 30th holds.
    assert_eq!(
        status("2026-12-01T01:30:00+02:00", "2026-11-30"),
        Status::Waived
    );
    // 22:00 on 30 November at -05:00 is already 1 December in UTC: it has expired.
    assert_eq!(
        status("2026-11-30T22:00:00-05:00", "2026-11-30"),
        Status::Fail
    );
    // The last moment of the day still counts, the first of the next does not.
    assert_eq!(
        status("2026-11-30T23:59:59.999Z", "2026-11-30"),
        Status::Waived
    );
    assert_eq!(status("2026-12-01T00:00:00Z", "2026-11-30"), Status::Fail);
    // An expiry with a time ends the waiver at that instant, whatever the offsets.
    assert_eq!(
        status("2026-11-30T11:59:59Z", "2026-11-30T14:00:00+02:00"),
        Status::Waived
    );
    assert_eq!(
        status("2026-11-30T13:00:00+01:00", "2026-11-30T14:00:00+02:00"),
        Status::Fail
    );
}

#[test]
fn a_waiver_never_hides_an_error() {
    let mut e = Estate::backend();
    e.manifest.waivers.push(Waiver {
        resource: Ids::new(0).vpc,
        ..waiver("2030-01-01")
    });
    e.not_collected(crate::pure::snapshot::Input::VpcEndpoints);
    let r = e.audit(&["PL-SG-006"]);
    assert!(r.findings.iter().all(|f| f.status == Status::Error));
    assert!(!r.summary.complete);
    assert_eq!(r.exit_code(Severity::High), 3);
}

#[test]
fn a_shared_resource_gets_one_finding_with_the_worst_verdict_and_every_workspace() {
    let mut e = broken_relay_egress();
    // A second workspace in the same VPC, sharing the security group, without back-end
    // PrivateLink: 6666 does not apply to it.
    let mut other = e.manifest.workspaces[0].clone();
    other.name = "adhoc".into();
    other.modes = vec![crate::pure::manifest::Mode::Cmv];
    e.manifest.workspaces.push(other);
    let r = e.audit(&["PL-SG-001", "PL-SG-006"]);
    let sg = Ids::new(0).ws_sg;
    let f: Vec<_> = r.findings.iter().filter(|f| f.resource_id == sg).collect();
    assert_eq!(f.len(), 2, "{f:#?}");
    let sg001 = f.iter().find(|x| x.rule_id == "PL-SG-001").unwrap();
    assert_eq!(sg001.workspaces.len(), 2);
    assert!(sg001.message.contains("also used by"), "{}", sg001.message);
    let sg006 = f.iter().find(|x| x.rule_id == "PL-SG-006").unwrap();
    assert_eq!(sg006.status, Status::Fail);
    assert_eq!(
        sg006.workspaces.iter().map(|w| &**w).collect::<Vec<_>>(),
        vec!["ws-0"]
    );
}

#[test]
fn findings_are_sorted_and_ids_are_stable() {
    let mut e = broken_relay_egress();
    e.add_vpc(1, true);
    let a = e.audit(&[]);
    let b = e.audit(&[]);
    assert_eq!(a.findings, b.findings);
    let keys: Vec<_> = a
        .findings
        .iter()
        .map(|f| (f.rule_id.to_string(), f.resource_id.to_string()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let f = &a.findings[0];
    assert_eq!(
        f.id,
        FindingId::new(
            Some(crate::synth::ACCOUNT),
            Some(crate::synth::REGION),
            &f.rule_id,
            &f.resource_id
        )
    );
}

#[test]
fn a_workspace_vpc_missing_from_the_snapshot_is_an_error() {
    let mut e = Estate::backend();
    e.manifest.workspaces[0].vpc_id = "vpc-0404".into();
    let r = e.audit(&[]);
    assert!(!r.findings.is_empty());
    assert!(
        r.findings.iter().all(|f| f.status != Status::Pass),
        "{:#?}",
        r.findings
            .iter()
            .filter(|f| f.status == Status::Pass)
            .collect::<Vec<_>>()
    );
    assert!(r.findings.iter().any(|f| f
        .message
        .contains("vpc-0404, which is not in describe-vpcs.json")));
}

#[test]
fn nothing_to_audit_is_incomplete_not_clean() {
    let e = Estate::empty();
    let r = audit(&e.snap, &AuditOptions::default());
    assert!(r.findings.is_empty());
    assert!(r
        .deployment
        .notes
        .iter()
        .any(|n| n.contains("nothing to audit")));
    assert_eq!(r.exit_code(Severity::High), 3);
}

#[test]
fn region_resolution_says_where_it_came_from() {
    let mut e = Estate::backend();
    assert_eq!(
        resolve_region(&e.snap, Some("eu-west-1")).1,
        RegionSource::Snapshot
    );
    e.snap.meta.region = None;
    assert_eq!(
        resolve_region(&e.snap, Some("us-east-1")),
        (Some("us-east-1".into()), RegionSource::Option)
    );
    // A region the subnets' zones contradict is no region at all.
    assert_eq!(
        resolve_region(&e.snap, Some("eu-west-1")),
        (None, RegionSource::Unknown)
    );
    assert!(region_conflict(&e.snap, Some("eu-west-1"))
        .is_some_and(|m| m.contains("--region says eu-west-1") && m.contains("us-east-1")));
    assert_eq!(
        resolve_region(&e.snap, None),
        (
            Some("us-east-1".into()),
            RegionSource::InferredFromAvailabilityZones
        )
    );
    // Zones of two regions: a VPC lives in one, so the region cannot be inferred.
    let mut two = e.clone();
    two.subnets_mut()[0].availability_zone = "us-west-2b".into();
    assert_eq!(
        resolve_region(&two.snap, None),
        (None, RegionSource::Unknown)
    );
    assert!(region_conflict(&two.snap, None).is_some_and(|m| m.contains("several regions")));
    e.snap.subnets = Ok(vec![]);
    assert_eq!(resolve_region(&e.snap, None), (None, RegionSource::Unknown));
}

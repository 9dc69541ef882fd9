//! The bundled example estates through the library, end to end: each planted drift is found (and
//! nothing else), snapshots survive a write/read round trip, and the two security-group sources
//! agree.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeSet;

use plaudit::engine::{audit, AuditOptions};
use plaudit::{Manifest, Snapshot, Status};
use plaudit_tests::example;

fn run(dir: &std::path::Path, manifest: &Manifest) -> plaudit::Report {
    let snap = Snapshot::load(dir).expect("example loads");
    audit(
        &snap,
        &AuditOptions {
            manifest: Some(manifest),
            ..Default::default()
        },
    )
}

fn manifest(name: &str) -> Manifest {
    Manifest::load(&example(name).join("manifest.yaml")).expect("manifest loads")
}

fn failing(r: &plaudit::Report) -> BTreeSet<(String, String)> {
    r.findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.rule_id.to_string(), f.resource_id.to_string()))
        .collect()
}

#[test]
fn the_drifted_estate_shows_exactly_its_planted_drift() {
    let r = run(&example("backend-drifted"), &manifest("backend-drifted"));
    let want: BTreeSet<(String, String)> = [
        // The hand-made duplicate relay was never registered (pendingAcceptance): it carries no
        // traffic, so it is no duplicate for PL-EP-006, no relay for PL-EP-002, and its missing
        // private DNS changes nothing while the live relay holds the name (PL-EP-003 N/A).
        ("PL-EP-004", "vpce-02b3c4d5e6f70dup"),
        ("PL-EP-009", "vpce-02d37c3e9a41b2d5f"), // STS endpoint unreachable from half a subnet
        ("PL-EP-009", "vpce-02e47c3e9a41b2d5f"), // Kinesis, same security group
        ("PL-EPSG-001", "sg-02b3c4d5e6f708194"), // endpoint SG covers only part of a subnet on 443
        ("PL-NACL-002", "acl-02fc7c3e9a41b2d5f"), // low-numbered DENY drops replies (reachability only)
        ("PL-SG-006", "sg-02b3c4d5e6f708193"),    // 6666 egress dropped
        ("PL-VPC-001", "vpc-02b3c4d5e6f708192"),  // DNS hostnames off
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(failing(&r), want);
    // The waived STS policy is reported as waived, not failed and not dropped.
    let waived: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0].rule_id, "PL-EP-010");
    assert!(r.summary.complete);
}

#[test]
fn the_reachability_only_drift_names_the_blocking_entry() {
    let r = run(&example("backend-drifted"), &manifest("backend-drifted"));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-NACL-002" && f.status == Status::Fail)
        .unwrap();
    assert!(
        f.message
            .contains("acl-02fc7c3e9a41b2d5f rule 90 DENY tcp 1024-65535 0.0.0.0/0 blocks replies"),
        "{}",
        f.message
    );
    // The same NACL looks fine rule by rule: it does have an ALLOW ALL at 100.
    let snap = Snapshot::load(&example("backend-drifted")).unwrap();
    let acl = snap
        .network_acls
        .as_ref()
        .unwrap()
        .iter()
        .find(|a| a.network_acl_id == "acl-02fc7c3e9a41b2d5f")
        .unwrap();
    assert!(acl.entries.iter().any(|e| e.egress
        && e.rule_action == "allow"
        && e.protocol == "-1"
        && e.cidr_block.as_deref() == Some("0.0.0.0/0")));
}

#[test]
fn the_compliant_and_transit_estates() {
    let r = run(
        &example("isolated-compliant"),
        &manifest("isolated-compliant"),
    );
    assert!(failing(&r).is_empty(), "{:?}", failing(&r));
    assert!(r.summary.complete);
    assert!(r
        .findings
        .iter()
        .all(|f| matches!(f.status, Status::Pass | Status::NotApplicable)));
    let t = run(&example("frontend-transit"), &manifest("frontend-transit"));
    assert_eq!(
        failing(&t),
        BTreeSet::from([(
            "PL-EPSG-002".to_string(),
            "sg-03c4d5e6f7081920b".to_string()
        )])
    );
}

#[test]
fn a_written_snapshot_reads_back_to_the_same_audit() {
    for name in ["isolated-compliant", "backend-drifted", "frontend-transit"] {
        let snap = Snapshot::load(&example(name)).unwrap();
        let dir =
            std::env::temp_dir().join(format!("plaudit-roundtrip-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        snap.write(&dir).unwrap();
        let back = Snapshot::load(&dir).unwrap();
        assert_eq!(back.vpcs, snap.vpcs);
        assert_eq!(back.security_group_rules, snap.security_group_rules);
        let m = manifest(name);
        let a = audit(
            &snap,
            &AuditOptions {
                manifest: Some(&m),
                ..Default::default()
            },
        );
        let b = audit(
            &back,
            &AuditOptions {
                manifest: Some(&m),
                ..Default::default()
            },
        );
        assert_eq!(a.findings, b.findings, "{name}");
    }
}

#[test]
fn without_the_rules_file_the_groups_file_gives_the_same_verdicts() {
    for name in ["isolated-compliant", "backend-drifted"] {
        let dir =
            std::env::temp_dir().join(format!("plaudit-sgsource-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for f in std::fs::read_dir(example(name)).unwrap() {
            let f = f.unwrap();
            if f.file_name() != "describe-security-group-rules.json" {
                std::fs::copy(f.path(), dir.join(f.file_name())).unwrap();
            }
        }
        let m = manifest(name);
        let a = run(&example(name), &m);
        let b = run(&dir, &m);
        let key = |r: &plaudit::Report| {
            r.findings
                .iter()
                .map(|f| (f.id, f.status, f.severity))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b), "{name}");
    }
}

#[test]
fn a_failed_call_recorded_in_snapshot_json_is_reported_with_its_code() {
    let dir = std::env::temp_dir().join(format!("plaudit-denied-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut snap = Snapshot::load(&example("isolated-compliant")).unwrap();
    snap.network_acls = Err(plaudit::snapshot::CollectFailure {
        api: "DescribeNetworkAcls".into(),
        code: "UnauthorizedOperation".into(),
        message: "You are not authorized to perform this operation.".into(),
    });
    snap.write(&dir).unwrap();
    let r = run(&dir, &manifest("isolated-compliant"));
    let nacl: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule_id.starts_with("PL-NACL"))
        .collect();
    assert!(!nacl.is_empty());
    for f in nacl {
        assert_eq!(f.status, Status::Error);
        assert!(f.message.contains("UnauthorizedOperation"), "{}", f.message);
    }
    assert!(!r.summary.complete);
}

/// Issue 10, defect 9: writing a snapshot into a folder an earlier run filled never leaves a
/// stale file that a later audit reads as current, whatever the reason the input is missing now.
#[test]
fn a_snapshot_written_over_an_earlier_one_leaves_no_stale_input() {
    let dir = std::env::temp_dir().join(format!("plaudit-overwrite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let full = Snapshot::load(&example("isolated-compliant")).unwrap();
    full.write(&dir).unwrap();
    let mut later = full.clone();
    // Not collected by design this time (no error recorded), and failed with an error.
    later.managed_prefix_lists = Err(plaudit::snapshot::CollectFailure {
        api: "DescribeManagedPrefixLists".into(),
        code: plaudit::snapshot::NOT_COLLECTED.into(),
        message: "not collected".into(),
    });
    later.vpc_endpoints = Err(plaudit::snapshot::CollectFailure {
        api: "DescribeVpcEndpoints".into(),
        code: "Throttling".into(),
        message: "Rate exceeded".into(),
    });
    later.write(&dir).unwrap();
    let back = Snapshot::load(&dir).unwrap();
    assert!(
        back.managed_prefix_lists.is_err(),
        "the earlier run's prefix lists were read as current"
    );
    assert_eq!(back.vpc_endpoints.as_ref().unwrap_err().code, "Throttling");
    for file in [
        "describe-managed-prefix-lists.json",
        "describe-vpc-endpoints.json",
    ] {
        assert!(!dir.join(file).exists(), "{file} left behind");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

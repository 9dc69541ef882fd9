//! Fault injection on synthetic estates, under plain `cargo test`: every input in turn fails
//! (access denied) on every estate the tests know, and the findings must keep the fault contract
//! ([`plaudit::testing::faults::broken_promises`]): compared as a set of (rule, resource), every
//! finding of the healthy run survives, as it was or as an error, and no pass or fail appears that
//! the healthy run does not have. The moto twin (`tests/tests/faults.rs`) checks the same contract
//! through the collector.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use plaudit::engine::{audit, AuditOptions, Report};
use plaudit::model::NetworkAclAssociation;
use plaudit::snapshot::{Input, Snapshot};
use plaudit::synth::{acl_entry, Estate, Ids};
use plaudit::testing::faults::{broken_promises, fail};

fn run(e: &Estate, snap: &Snapshot) -> Report {
    audit(
        snap,
        &AuditOptions {
            manifest: Some(&e.manifest),
            ..AuditOptions::default()
        },
    )
}

/// Estates of every mode family, compliant and not.
fn estates() -> Vec<(&'static str, Estate)> {
    let mut isolated = Estate::isolated();
    isolated.manifest.workspaces[0].compliance_security_profile = true;
    isolated.manifest.workspaces[0].custom_dns = true;
    let mut backend = Estate::backend();
    backend.manifest.workspaces[0].legacy_hive_metastore = true;
    let front = Estate::backend().with_transit(0, &["192.168.0.0/16"]);
    let mut two = Estate::backend();
    two.add_vpc(1, true);
    // The endpoint subnets behind a NACL of their own: compliant, and one that admits only 443
    // (PL-NACL-001 fails on it).
    let separate = with_endpoint_acl(Estate::backend(), false);
    let mut broken = with_endpoint_acl(Estate::backend(), true);
    broken
        .snap
        .security_group_rules
        .as_mut()
        .unwrap()
        .retain(|r| !(r.is_egress && r.from_port == Some(6666)));
    vec![
        ("isolated", isolated),
        ("back-end", backend),
        ("front-end", front),
        ("two VPCs", two),
        ("endpoint NACL", separate),
        ("broken", broken),
    ]
}

/// Moves the endpoint subnets of VPC 0 to a NACL of their own; `narrow`: it admits only 443.
fn with_endpoint_acl(mut e: Estate, narrow: bool) -> Estate {
    let ep_subnets = Ids::new(0).ep_subnets;
    let mut acl = e.snap.network_acls.as_mut().unwrap()[0].clone();
    acl.network_acl_id = "acl-0endpoints".into();
    acl.associations = ep_subnets
        .iter()
        .map(|s| NetworkAclAssociation {
            subnet_id: s.into(),
        })
        .collect();
    if narrow {
        acl.entries = vec![
            acl_entry(100, false, "6", Some((443, 443)), "10.0.0.0/16", "allow"),
            acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
        ];
    }
    e.snap.network_acls.as_mut().unwrap()[0]
        .associations
        .retain(|a| !ep_subnets.iter().any(|s| *s == a.subnet_id));
    e.snap.network_acls.as_mut().unwrap().push(acl);
    e
}

#[test]
fn every_input_failing_keeps_every_finding_or_turns_it_into_an_error() {
    let mut problems = Vec::new();
    let mut cases = 0;
    for (name, e) in estates() {
        let healthy = run(&e, &e.snap);
        assert!(
            healthy.summary.complete,
            "{name}: the healthy run is incomplete"
        );
        for input in Input::ALL {
            // The groups carry their rules as IpPermissions too, as describe-security-groups
            // returns them, so that the rules file can fail alone.
            let mut snap = if input == Input::SecurityGroupRules {
                e.clone().rules_inside_groups().snap
            } else {
                e.snap.clone()
            };
            fail(&mut snap, input);
            let faulty = run(&e, &snap);
            // A failed input that another source stands in for (security-group rules from the
            // groups' permissions) fails nothing.
            let failed: Vec<Input> = Input::ALL
                .into_iter()
                .filter(|i| snap.availability(*i).is_err())
                .collect();
            for p in broken_promises(&healthy, &faulty, &failed) {
                problems.push(format!("{name}, {} failing: {p}", input.api()));
            }
            cases += 1;
        }
    }
    assert!(cases >= 60, "{cases} cases");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Zero-config: no manifest, so the workspaces are discovered from the state.
fn discovered(snap: &Snapshot) -> Report {
    audit(snap, &AuditOptions::default())
}

#[test]
fn discovery_that_cannot_read_the_endpoints_is_an_error_not_nothing_to_audit() {
    let e = Estate::backend();
    let healthy = discovered(&e.snap);
    assert_eq!(
        healthy.deployment.workspaces.len(),
        1,
        "discovery finds the workspace"
    );
    let mut snap = e.snap.clone();
    fail(&mut snap, Input::VpcEndpoints);
    let r = discovered(&snap);
    // Every rule says it could not judge the VPC, naming the call; nothing passes or fails.
    let vpc = Ids::new(0).vpc;
    for rule in &r.rules_run {
        let f = r
            .findings
            .iter()
            .find(|f| f.rule_id == *rule && f.resource_id == vpc)
            .unwrap_or_else(|| panic!("{rule} says nothing about {vpc}: {:#?}", r.findings));
        assert_eq!(f.status, plaudit::Status::Error, "{f:#?}");
        assert!(f.message.contains("DescribeVpcEndpoints"), "{}", f.message);
    }
    assert!(r
        .findings
        .iter()
        .all(|f| f.status == plaudit::Status::Error));
    assert!(!r.summary.complete);
    assert!(r.collection.partial);
    assert!(!r.deployment.scope_errors.is_empty());
    assert!(
        !r.deployment
            .notes
            .iter()
            .any(|n| n.contains("nothing to audit")),
        "{:#?}",
        r.deployment.notes
    );
    assert_eq!(r.exit_code(plaudit::Severity::High), 3);
}

#[test]
fn discovery_that_cannot_read_the_tags_is_an_error() {
    // Without a manifest the tags declare the scope: here a workspace in VPC 1. With the VPCs
    // (and so their tags) unreadable, discovery by endpoints would audit VPC 0 instead and lose
    // the declared workspace without a word.
    let mut e = Estate::backend();
    e.add_vpc(1, false);
    let tagged = Ids::new(1).vpc;
    for v in e.snap.vpcs.as_mut().unwrap() {
        if v.vpc_id == tagged {
            v.tags.push(plaudit::model::Tag {
                key: "plaudit:workspace".into(),
                value: "tagged".into(),
            });
        }
    }
    let healthy = discovered(&e.snap);
    assert_eq!(
        healthy
            .deployment
            .workspaces
            .iter()
            .map(|w| &*w.name)
            .collect::<Vec<_>>(),
        ["tagged"]
    );
    let mut snap = e.snap.clone();
    fail(&mut snap, Input::Vpcs);
    let r = discovered(&snap);
    assert!(r
        .deployment
        .scope_errors
        .iter()
        .any(|s| s.vpc_ids.contains(&tagged) && s.message.contains("DescribeVpcs")));
    for rule in &r.rules_run {
        assert!(
            r.findings.iter().any(|f| f.rule_id == *rule
                && f.resource_id == tagged
                && f.status == plaudit::Status::Error
                && f.message.contains("DescribeVpcs")),
            "{rule} says nothing about the tagged workspace's {tagged}"
        );
    }
    assert!(!r.summary.complete);
}

#[test]
fn a_discovered_workspace_whose_gateways_cannot_be_read_is_judged_by_no_rule() {
    // Isolation is discovered from the absence of NAT and internet gateways: with the NAT
    // gateways unreadable it cannot be told, so no verdict on the workspace stands.
    let e = Estate::isolated();
    let healthy = discovered(&e.snap);
    assert!(healthy
        .findings
        .iter()
        .any(|f| f.status == plaudit::Status::Pass));
    for input in [
        Input::NatGateways,
        Input::InternetGateways,
        Input::RouteTables,
    ] {
        let mut snap = e.snap.clone();
        fail(&mut snap, input);
        let r = discovered(&snap);
        assert_eq!(r.deployment.workspaces.len(), 1, "{}", input.api());
        assert!(
            r.findings
                .iter()
                .all(|f| f.status == plaudit::Status::Error),
            "{}: {:#?}",
            input.api(),
            r.findings
                .iter()
                .filter(|f| f.status != plaudit::Status::Error)
                .collect::<Vec<_>>()
        );
        // Every rule, whatever modes it applies to, reports it.
        for rule in &r.rules_run {
            assert!(
                r.findings.iter().any(|f| f.rule_id == *rule),
                "{}: {rule} is silent",
                input.api()
            );
        }
        assert!(r.findings.iter().all(|f| f.message.contains(input.api())));
    }
}

#[test]
fn modes_that_cannot_be_derived_from_unreadable_endpoints_are_an_error() {
    let mut e = Estate::backend();
    e.manifest.workspaces[0].modes.clear();
    let healthy = run(&e, &e.snap);
    assert!(healthy
        .deployment
        .notes
        .iter()
        .any(|n| n.contains("declares no modes")));
    let mut snap = e.snap.clone();
    fail(&mut snap, Input::VpcEndpoints);
    let r = run(&e, &snap);
    assert!(!r.findings.is_empty());
    assert!(
        r.findings
            .iter()
            .all(|f| f.status == plaudit::Status::Error),
        "{:#?}",
        r.findings
            .iter()
            .filter(|f| f.status != plaudit::Status::Error)
            .collect::<Vec<_>>()
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("declares no modes")));
}

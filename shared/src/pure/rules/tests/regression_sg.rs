//! Regression estates for the security-group and NACL classes of issue 9 ("Verdicts that hold
//! on real networks"): each pins the finding text of one class.

use super::testkit::*;
use crate::pure::finding::{Finding, Status};

/// The findings of some rules, one line each: `rule status resource: message`.
fn lines(e: &Estate, rules: &[&str]) -> String {
    let mut f: Vec<Finding> = rules.iter().flat_map(|r| run(r, e)).collect();
    f.sort_by(|a, b| (&a.rule_id, &a.resource_id).cmp(&(&b.rule_id, &b.resource_id)));
    f.iter()
        .map(|x| {
            format!(
                "{} {:?} {}: {}",
                x.rule_id, x.status, x.resource_id, x.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replaces the isolated workspace's CIDR egress rules with `rules` (tcp, to CIDRs).
fn isolated_with_egress(rules: &[(&str, (i32, i32), &str)]) -> Estate {
    let mut e = Estate::isolated();
    let ws = ids().ws_sg;
    e.drop_sg_rules(|r| r.group_id == ws && r.is_egress && r.cidr_ipv4.is_some());
    for (id, ports, peer) in rules {
        e.sg_rules_mut()
            .push(sg_rule(id, &ws, true, "tcp", *ports, peer));
    }
    e
}

/// Class 1: several CIDR rules and split port ranges cover the endpoint subnets together; what
/// is left uncovered is named by address and port.
#[test]
fn class1_sg_rules_combine() {
    // Two /27s cover the first /26 endpoint subnet; only one /27 of the second; ports split.
    let e = isolated_with_egress(&[
        ("sgr-a", (443, 443), "10.0.28.0/27"),
        ("sgr-b", (443, 443), "10.0.28.32/27"),
        ("sgr-c", (443, 443), "10.0.28.64/27"),
        ("sgr-d", (6666, 6666), "10.0.28.0/25"),
        ("sgr-e", (2443, 2443), "10.0.28.0/25"),
        ("sgr-f", (8443, 8447), "10.0.28.0/25"),
        ("sgr-g", (8448, 8451), "10.0.28.0/25"),
    ]);
    let f = run("PL-SG-004", &e);
    assert_all(&f, Status::Fail);
    assert!(
        f[0].message.contains("10.0.28.96/27 of"),
        "{}",
        f[0].message
    );
    // 8443-8451 split across two rules is fine.
    assert_all(&run("PL-SG-005", &e), Status::Pass);
    // Two /23s admit each /22 workspace subnet at the endpoint.
    let mut ok = Estate::backend();
    let ep = ids().ep_sg;
    ok.drop_sg_rules(|r| r.group_id == ep);
    for (i, cidr) in ["10.0.0.0/23", "10.0.2.0/23", "10.0.4.0/23", "10.0.6.0/23"]
        .iter()
        .enumerate()
    {
        ok.sg_rules_mut().push(sg_rule(
            &format!("sgr-{i}"),
            &ep,
            false,
            "tcp",
            (443, 8451),
            cidr,
        ));
    }
    assert_all(&run("PL-EPSG-001", &ok), Status::Pass);
    insta::assert_snapshot!(lines(&e, &["PL-SG-004", "PL-SG-005"]));
}

/// Class 4: an IPv6-only workspace subnet loads; it fails the subnet rule and makes the
/// SG verdicts that trace IPv4 to it errors (never a silent pass).
#[test]
fn class4_ipv6_only_subnet() {
    let mut e = Estate::backend();
    let a = ids().ws_subnets[1].clone();
    for s in e.subnets_mut().iter_mut().filter(|s| s.subnet_id == a) {
        s.cidr_block = None;
        s.ipv6_cidr_block_association_set = vec![crate::pure::model::Ipv6CidrBlockAssociation {
            ipv6_cidr_block: "2600:1f18:1:104::/64".into(),
            ipv6_cidr_block_state: None,
        }];
    }
    // The intra-cluster rules admit by CIDR, so the missing IPv4 block matters.
    let sg = ids().ws_sg;
    e.drop_sg_rules(|r| r.group_id == sg && !r.is_egress);
    e.sg_rules_mut().push(sg_rule(
        "sgr-vpc",
        &sg,
        false,
        "-1",
        (-1, -1),
        "10.0.0.0/16",
    ));
    // An IPv6 rule does not make up for it.
    e.sg_rules_mut()
        .push(sg_rule("sgr-v6", &sg, false, "-1", (-1, -1), "::/0"));
    let f = run("PL-SG-002", &e);
    assert_all(&f, Status::Error);
    assert_eq!(status_of(&run("PL-SUB-003", &e), &a), Status::Fail);
    insta::assert_snapshot!(lines(&e, &["PL-SG-002", "PL-SUB-003"]));
}

/// Class 5: a customer-managed prefix list without entries, a rule CIDR that does not parse,
/// and an endpoint whose subnet is not in the snapshot are errors naming the object.
#[test]
fn class5_unknown_is_not_absent() {
    let mut e = isolated_with_egress(&[
        ("sgr-corp", (443, 443), "pl-0c0ffee"),
        ("sgr-typo", (6666, 6666), "10.0.0.0/61"),
        ("sgr-rest", (2443, 2443), "10.0.0.0/16"),
        ("sgr-rest2", (8443, 8451), "10.0.0.0/16"),
    ]);
    if let Ok(p) = &mut e.snap.managed_prefix_lists {
        p.push(crate::pure::model::ManagedPrefixList {
            prefix_list_id: "pl-0c0ffee".into(),
            prefix_list_name: "corp-networks".into(),
            address_family: Some("IPv4".into()),
            entries: None,
        });
    }
    assert_all(&run("PL-SG-004", &e), Status::Error);
    assert_all(&run("PL-SG-006", &e), Status::Error);
    let mut gone = Estate::backend();
    let relay = ids().relay;
    for ep in gone
        .endpoints_mut()
        .iter_mut()
        .filter(|x| x.vpc_endpoint_id == relay)
    {
        ep.subnet_ids.push("subnet-0gone".into());
    }
    assert_eq!(status_of(&run("PL-SG-006", &gone), &relay), Status::Error);
    assert_eq!(status_of(&run("PL-NACL-001", &gone), &relay), Status::Error);
    insta::assert_snapshot!(format!(
        "{}\n{}",
        lines(&e, &["PL-SG-004", "PL-SG-006"]),
        lines(&gone, &["PL-SG-006"])
    ));
}

/// Class 12: a NACL DENY of icmp or of another protocol ahead of the ALLOW is reported.
#[test]
fn class12_nacl_every_protocol() {
    let mut e = Estate::backend();
    e.acls_mut()[0]
        .entries
        .push(acl_entry(50, false, "1", None, "0.0.0.0/0", "deny"));
    e.acls_mut()[0]
        .entries
        .push(acl_entry(60, true, "47", None, "10.0.0.0/16", "deny"));
    let f = run("PL-NACL-001", &e);
    let x = on(&f, &ids().acl);
    assert_eq!(x.status, Status::Fail);
    assert!(
        x.message.contains("rule 50 DENY icmp 0.0.0.0/0"),
        "{}",
        x.message
    );
    let g = run("PL-NACL-002", &e);
    let y = on(&g, &ids().acl);
    assert_eq!(y.status, Status::Fail);
    assert!(y.message.contains("rule 60 DENY proto 47"), "{}", y.message);
    insta::assert_snapshot!(format!(
        "{}\n{}",
        lines(&e, &["PL-NACL-001"]),
        lines(&e, &["PL-NACL-002"])
    ));
}

//! Reachability: table-driven cases and property tests against a brute-force reference model.

use proptest::prelude::*;

use super::*;
use crate::cidr::Family;
use crate::model::{NetworkAclEntry, PortRangeJson};
use crate::synth::{acl_entry, Estate, Ids};

fn acl(entries: Vec<NetworkAclEntry>) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: "acl-0abc".into(),
        vpc_id: "vpc-1".into(),
        is_default: false,
        associations: vec![],
        entries,
        tags: vec![],
    }
}

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

#[test]
fn nacl_rule_order_decides() {
    // (entries, peer, ports, blocked-by rule number: None = allowed, Some(-1) = implicit deny)
    let cases: Vec<(Vec<NetworkAclEntry>, &str, Ports, Option<i32>)> = vec![
        (
            vec![acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow")],
            "10.0.0.0/22",
            Ports::one(443),
            None,
        ),
        (
            vec![
                acl_entry(90, true, "6", Some((0, 65535)), "0.0.0.0/0", "deny"),
                acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::one(443),
            Some(90),
        ),
        (
            vec![
                acl_entry(110, true, "6", Some((0, 65535)), "0.0.0.0/0", "deny"),
                acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::one(443),
            None,
        ),
        // A deny of a different protocol does not matter.
        (
            vec![
                acl_entry(90, true, "17", None, "0.0.0.0/0", "deny"),
                acl_entry(100, true, "6", Some((443, 443)), "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::one(443),
            None,
        ),
        // An allow that covers only part of the ports leaves the rest to the implicit deny.
        (
            vec![acl_entry(
                100,
                true,
                "6",
                Some((443, 443)),
                "0.0.0.0/0",
                "allow",
            )],
            "10.0.0.0/22",
            Ports::range(443, 444),
            Some(-1),
        ),
        // An allow covering half the subnet: the other half falls through.
        (
            vec![acl_entry(100, true, "-1", None, "10.0.0.0/23", "allow")],
            "10.0.0.0/22",
            Ports::one(443),
            Some(-1),
        ),
        // ... unless a later entry allows it.
        (
            vec![
                acl_entry(100, true, "-1", None, "10.0.0.0/23", "allow"),
                acl_entry(200, true, "-1", None, "10.0.2.0/23", "allow"),
            ],
            "10.0.0.0/22",
            Ports::one(443),
            None,
        ),
        // A deny that hits part of the subnet blocks the flow.
        (
            vec![
                acl_entry(50, true, "-1", None, "10.0.3.0/24", "deny"),
                acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::one(443),
            Some(50),
        ),
        // Return traffic on ephemeral ports.
        (
            vec![
                acl_entry(90, true, "6", Some((1024, 65535)), "0.0.0.0/0", "deny"),
                acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::EPHEMERAL,
            Some(90),
        ),
        (
            vec![
                acl_entry(90, true, "6", Some((0, 1023)), "0.0.0.0/0", "deny"),
                acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::EPHEMERAL,
            None,
        ),
        // An entry whose CIDR cannot be read blocks where it could decide: never a silent pass.
        (
            vec![
                acl_entry(90, true, "-1", None, "10.0.0.0/99", "deny"),
                acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::one(443),
            Some(90),
        ),
        (
            vec![acl_entry(90, true, "-1", None, "not-a-cidr", "allow")],
            "10.0.0.0/22",
            Ports::one(443),
            Some(90),
        ),
        // Ingress entries do not apply to egress.
        (
            vec![
                acl_entry(90, false, "-1", None, "0.0.0.0/0", "deny"),
                acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
            ],
            "10.0.0.0/22",
            Ports::one(443),
            None,
        ),
    ];
    for (i, (entries, peer, ports, want)) in cases.into_iter().enumerate() {
        let a = acl(entries);
        let got = nacl_check(&AclRules::new(&a), true, c(peer), Proto::Tcp, ports);
        // An uncertain block is reported by the unreadable entry that could decide it.
        let got = got.map(|b| {
            b.unreadable
                .or(b.entry)
                .map(|e| e.rule_number)
                .unwrap_or(-1)
        });
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn nacl_block_names_the_entry_in_a_sentence() {
    let a = acl(vec![acl_entry(90, true, "-1", None, "0.0.0.0/0", "deny")]);
    let rules = AclRules::new(&a);
    let b = nacl_check(&rules, true, c("10.0.4.0/22"), Proto::Tcp, Ports::EPHEMERAL).unwrap();
    let s = b.sentence(&rules, "return traffic to subnet-0def");
    assert!(
        s.starts_with("acl-0abc rule 90 DENY all 0.0.0.0/0 blocks return traffic to subnet-0def"),
        "{s}"
    );
}

#[test]
fn sg_references_and_cidr_coverage() {
    let e = Estate::backend();
    let ix = Index::new(&e.snap);
    let id = Ids::new(0);
    let ws = Host::subnet(&ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    let ep = Host::subnet(&ix, &id.ep_subnets[0], vec![id.ep_sg.as_str()]).unwrap();
    // The endpoint SG admits the workspace SG by reference.
    assert_eq!(
        sg_verdict(
            &ix,
            &[id.ep_sg.as_str()],
            false,
            &ws,
            Proto::Tcp,
            Ports::one(6666),
            Family::V4
        ),
        Verdict::Allowed
    );
    // But not a host without the workspace SG.
    let stranger = Host {
        groups: vec![],
        ..ws.clone()
    };
    assert!(matches!(
        sg_verdict(
            &ix,
            &[id.ep_sg.as_str()],
            false,
            &stranger,
            Proto::Tcp,
            Ports::one(6666),
            Family::V4
        ),
        Verdict::Blocked(_)
    ));
    // Nor a port it does not list.
    assert!(matches!(
        sg_verdict(
            &ix,
            &[id.ep_sg.as_str()],
            false,
            &ws,
            Proto::Tcp,
            Ports::one(22),
            Family::V4
        ),
        Verdict::Blocked(_)
    ));
    // The whole flow passes, every hop.
    let t = trace(
        &ix,
        &Flow {
            src: ws,
            dst: ep,
            proto: Proto::Tcp,
            ports: Ports::one(443),
            family: Family::V4,
        },
    );
    assert!(t.passes(), "{t:?}");
    assert_eq!(t.hops.len(), HopKind::ALL.len());
}

#[test]
fn trace_reports_the_return_path_block() {
    let mut e = Estate::backend();
    if let Ok(acls) = &mut e.snap.network_acls {
        acls[0].entries.push(acl_entry(
            90,
            true,
            "6",
            Some((1024, 65535)),
            "0.0.0.0/0",
            "deny",
        ));
    }
    let ix = Index::new(&e.snap);
    let id = Ids::new(0);
    let ws = Host::subnet(&ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    let ep = Host::subnet(&ix, &id.ep_subnets[0], vec![id.ep_sg.as_str()]).unwrap();
    let t = trace(
        &ix,
        &Flow {
            src: ws,
            dst: ep,
            proto: Proto::Tcp,
            ports: Ports::one(443),
            family: Family::V4,
        },
    );
    let (hop, why) = t.first_block().unwrap();
    assert_eq!(hop, HopKind::DstNaclReturnOut);
    assert!(
        why.contains(
            "rule 90 DENY tcp 1024-65535 0.0.0.0/0 blocks return traffic (tcp 443) to subnet-"
        ),
        "{why}"
    );
    assert_eq!(t.hop(HopKind::SrcNaclOut), &Verdict::Allowed);
}

#[test]
fn route_blackhole_and_missing_route_block() {
    let mut e = Estate::backend();
    let id = Ids::new(0);
    if let Ok(rts) = &mut e.snap.route_tables {
        for t in rts.iter_mut().filter(|t| t.route_table_id == id.rt_private) {
            for r in t.routes.iter_mut().filter(|r| r.is_default()) {
                r.state = Some("blackhole".into());
            }
        }
    }
    let ix = Index::new(&e.snap);
    let ws = Host::subnet(&ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    let t = trace(
        &ix,
        &Flow {
            src: ws,
            dst: Host::internet(),
            proto: Proto::Tcp,
            ports: Ports::one(443),
            family: Family::V4,
        },
    );
    assert!(matches!(t.hop(HopKind::Route), Verdict::Blocked(w) if w.contains("blackhole")));
}

#[test]
fn subtract_ports() {
    assert_eq!(subtract(Ports::ALL, vec![Ports::ALL]), vec![]);
    assert_eq!(
        subtract(Ports::range(8443, 8451), vec![Ports::range(8443, 8444)]),
        vec![Ports::range(8445, 8451)]
    );
    assert_eq!(
        subtract(
            Ports::range(0, 10),
            vec![Ports::range(2, 3), Ports::range(5, 5)]
        ),
        vec![Ports::range(0, 1), Ports::one(4), Ports::range(6, 10)]
    );
}

// Property tests: the rectangle evaluation agrees with evaluating every packet one by one.

fn arb_entry() -> impl Strategy<Value = NetworkAclEntry> {
    (
        1..20i32,
        prop_oneof![Just("-1"), Just("6"), Just("17")],
        0..40i32,
        0..40i32,
        0u32..64,
        24u8..=32,
        any::<bool>(),
    )
        .prop_map(|(n, proto, a, b, host, len, allow)| NetworkAclEntry {
            rule_number: n * 10,
            protocol: proto.into(),
            rule_action: if allow { "allow" } else { "deny" }.into(),
            egress: true,
            cidr_block: Some(format!("10.0.0.{}/{}", host, len).into()),
            ipv6_cidr_block: None,
            port_range: Some(PortRangeJson {
                from: a.min(b),
                to: a.max(b),
            }),
        })
}

/// The reference model: AWS's documented semantics, one packet at a time.
fn packet_allowed(entries: &[NetworkAclEntry], ip: u32, port: u16) -> bool {
    let mut sorted: Vec<&NetworkAclEntry> = entries.iter().filter(|e| e.egress).collect();
    sorted.sort_by_key(|e| e.rule_number);
    for e in sorted {
        let (lo, hi) = Cidr::parse(e.cidr_block.as_deref().unwrap())
            .unwrap()
            .v4_range()
            .unwrap();
        let proto_ok = e.protocol == "-1" || e.protocol == "6";
        let port_ok = e.protocol == "-1"
            || e.port_range
                .as_ref()
                .is_none_or(|p| (p.from as u16..=p.to as u16).contains(&port));
        if proto_ok && port_ok && (lo..=hi).contains(&ip) {
            return e.rule_action == "allow";
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn nacl_matches_the_packet_model(entries in proptest::collection::vec(arb_entry(), 0..8), pf in 0u16..40, pt in 0u16..40) {
        let ports = Ports::range(pf.min(pt), pf.max(pt));
        let peer = c("10.0.0.0/26");
        let (lo, hi) = peer.v4_range().unwrap();
        let mut all_allowed = true;
        for ip in lo..=hi {
            for port in ports.from..=ports.to {
                all_allowed &= packet_allowed(&entries, ip, port);
            }
        }
        let a = acl(entries.clone());
        let got = nacl_check(&AclRules::new(&a), true, peer, Proto::Tcp, ports);
        prop_assert_eq!(got.is_none(), all_allowed);
        if let Some(b) = got {
            // The blocked corner really is blocked, and by the entry named.
            prop_assert!(!packet_allowed(&entries, b.addrs.lo as u32, b.ports.from));
        }
    }

    #[test]
    fn sg_coverage_matches_the_port_model(rules in proptest::collection::vec((0u16..50, 0u16..50, any::<bool>()), 0..6), wf in 0u16..50, wt in 0u16..50) {
        let mut e = Estate::empty();
        if let Ok(g) = &mut e.snap.security_groups {
            g.push(crate::model::SecurityGroup { group_id: "sg-1".into(), group_name: "x".into(), vpc_id: None, ip_permissions: vec![], ip_permissions_egress: vec![], tags: vec![] });
        }
        if let Ok(r) = &mut e.snap.security_group_rules {
            for (i, (a, b, whole)) in rules.iter().enumerate() {
                let peer = if *whole { "10.0.0.0/16" } else { "10.0.0.0/25" };
                r.push(crate::synth::sg_rule(&format!("sgr-{i}"), "sg-1", true, "tcp", (i32::from(*a.min(b)), i32::from(*a.max(b))), peer));
            }
        }
        let ix = Index::new(&e.snap);
        let dst = Host::addresses("d", vec![c("10.0.0.0/24")]);
        let want = Ports::range(wf.min(wt), wf.max(wt));
        let cov = sg_coverage(&ix, &["sg-1"], true, &dst, Proto::Tcp, want, Family::V4);
        for p in want.from..=want.to {
            let model = rules.iter().any(|(a, b, whole)| *whole && (*a.min(b)..=*a.max(b)).contains(&p));
            let missing = cov.missing.iter().any(|m| (m.from..=m.to).contains(&p));
            prop_assert_eq!(model, !missing, "port {}", p);
        }
    }
}

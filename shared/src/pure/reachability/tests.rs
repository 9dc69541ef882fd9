//! Reachability: table-driven cases and property tests against a brute-force reference model.

use proptest::prelude::*;

use super::*;
use crate::pure::cidr::Family;
use crate::pure::model::{NetworkAcl, NetworkAclEntry, PortRangeJson};
use crate::pure::nacl::*;
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
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    let id = Ids::new(0);
    let ws = Host::subnet(ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    let ep = Host::subnet(ix, &id.ep_subnets[0], vec![id.ep_sg.as_str()]).unwrap();
    // The endpoint SG admits the workspace SG by reference.
    assert_eq!(
        sg_verdict(
            ix,
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
            ix,
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
            ix,
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
        ix,
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
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    let id = Ids::new(0);
    let ws = Host::subnet(ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    let ep = Host::subnet(ix, &id.ep_subnets[0], vec![id.ep_sg.as_str()]).unwrap();
    let t = trace(
        ix,
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
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    let ws = Host::subnet(ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    let t = trace(
        ix,
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
            g.push(crate::pure::model::SecurityGroup { group_id: "sg-1".into(), group_name: "x".into(), vpc_id: None, ip_permissions: vec![], ip_permissions_egress: vec![], tags: vec![] });
        }
        if let Ok(r) = &mut e.snap.security_group_rules {
            for (i, (a, b, whole)) in rules.iter().enumerate() {
                let peer = if *whole { "10.0.0.0/16" } else { "10.0.0.0/25" };
                r.push(crate::synth::sg_rule(&format!("sgr-{i}"), "sg-1", true, "tcp", (i32::from(*a.min(b)), i32::from(*a.max(b))), peer));
            }
        }
        let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
        let dst = Host::addresses("d", vec![c("10.0.0.0/24")]);
        let want = Ports::range(wf.min(wt), wf.max(wt));
        let cov = sg_coverage(ix, &["sg-1"], true, &dst, Proto::Tcp, want, Family::V4);
        for p in want.from..=want.to {
            let model = rules.iter().any(|(a, b, whole)| *whole && (*a.min(b)..=*a.max(b)).contains(&p));
            let missing = cov.missing.iter().any(|m| (m.from..=m.to).contains(&p));
            prop_assert_eq!(model, !missing, "port {}", p);
        }
    }
}

// Class 1 of issue 9: security groups are a union over (address, port) rectangles.

/// An estate with one group `sg-1` (and `sg-2`) holding the given rules, and the managed
/// prefix lists given (with entries when `Some`).
fn sg_estate(
    rules: Vec<crate::pure::model::SecurityGroupRule>,
    lists: Vec<(&str, &str, Option<Vec<&str>>)>,
) -> Estate {
    let mut e = Estate::empty();
    if let Ok(g) = &mut e.snap.security_groups {
        for id in ["sg-1", "sg-2"] {
            g.push(crate::pure::model::SecurityGroup {
                group_id: id.into(),
                group_name: "x".into(),
                vpc_id: None,
                ip_permissions: vec![],
                ip_permissions_egress: vec![],
                tags: vec![],
            });
        }
    }
    if let Ok(r) = &mut e.snap.security_group_rules {
        r.extend(rules);
    }
    if let Ok(p) = &mut e.snap.managed_prefix_lists {
        for (id, name, entries) in lists {
            p.push(crate::pure::model::ManagedPrefixList {
                prefix_list_id: id.into(),
                prefix_list_name: name.into(),
                address_family: Some("IPv4".into()),
                entries: entries.map(|v| {
                    v.into_iter()
                        .map(|c| crate::pure::model::PrefixListEntry {
                            cidr: c.into(),
                            description: None,
                        })
                        .collect()
                }),
            });
        }
    }
    e
}

fn out(
    id: &str,
    group: &str,
    ports: (i32, i32),
    peer: &str,
) -> crate::pure::model::SecurityGroupRule {
    crate::synth::sg_rule(id, group, true, "tcp", ports, peer)
}

fn subnet_x() -> Host<'static> {
    Host {
        show_cidr: true,
        ..Host::addresses("subnet-x", vec![c("10.0.4.0/22")])
    }
}

fn egress(e: &Estate, groups: &[&str], peer: &Host<'_>, ports: Ports) -> Verdict {
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    sg_verdict(ix, groups, true, peer, Proto::Tcp, ports, Family::V4)
}

#[test]
fn two_23s_cover_a_22_and_two_27s_a_26() {
    let e = sg_estate(
        vec![
            out("sgr-a", "sg-1", (443, 443), "10.0.4.0/23"),
            out("sgr-b", "sg-1", (443, 443), "10.0.6.0/23"),
            out("sgr-c", "sg-1", (443, 443), "10.0.28.0/27"),
            out("sgr-d", "sg-1", (443, 443), "10.0.28.32/27"),
        ],
        vec![],
    );
    assert_eq!(
        egress(&e, &["sg-1"], &subnet_x(), Ports::one(443)),
        Verdict::Allowed
    );
    let ep = Host::addresses("ep", vec![c("10.0.28.0/26")]);
    assert_eq!(
        egress(&e, &["sg-1"], &ep, Ports::one(443)),
        Verdict::Allowed
    );
}

#[test]
fn rules_of_several_groups_and_kinds_combine() {
    // Addresses split across groups, ports split across rules, a reference and a prefix list
    // with collected entries: together they cover 443 and 8443-8451 to the whole subnet.
    let e = sg_estate(
        vec![
            out("sgr-a", "sg-1", (443, 443), "10.0.4.0/23"),
            out("sgr-b", "sg-2", (443, 443), "pl-0custom"),
            out("sgr-c", "sg-1", (8443, 8447), "10.0.4.0/22"),
            out("sgr-d", "sg-2", (8448, 8451), "sg-peer"),
        ],
        vec![(
            "pl-0custom",
            "corp",
            Some(vec!["10.0.6.0/24", "10.0.7.0/24"]),
        )],
    );
    let peer = Host {
        groups: vec!["sg-peer"],
        ..subnet_x()
    };
    for p in [Ports::one(443), Ports::range(8443, 8451)] {
        assert_eq!(
            egress(&e, &["sg-1", "sg-2"], &peer, p),
            Verdict::Allowed,
            "{p}"
        );
    }
    // Without the group reference, 8448-8451 is missing to the whole subnet.
    assert_eq!(
        egress(&e, &["sg-1", "sg-2"], &subnet_x(), Ports::range(8443, 8451)),
        Verdict::Blocked(
            "sg-1, sg-2 allow no egress on tcp 8448-8451 to subnet-x (10.0.4.0/22)".into()
        )
    );
}

#[test]
fn a_partial_verdict_names_the_uncovered_addresses_and_ports() {
    let e = sg_estate(
        vec![
            out("sgr-a", "sg-1", (443, 443), "10.0.4.0/23"),
            out("sgr-b", "sg-1", (8443, 8451), "10.0.4.0/22"),
        ],
        vec![],
    );
    let Verdict::Blocked(why) = egress(&e, &["sg-1"], &subnet_x(), Ports::range(443, 8451)) else {
        panic!("not blocked");
    };
    assert_eq!(
        why,
        "sg-1 allows no egress on tcp 443 to 10.0.6.0/23 of subnet-x (10.0.4.0/22), nor on tcp \
         444-8442 to subnet-x (10.0.4.0/22); sg-1 sgr-a (tcp 443 to 10.0.4.0/23) covers only part of it"
    );
}

#[test]
fn halves_of_the_address_space_make_it_open() {
    let e = sg_estate(
        vec![
            out("sgr-lo", "sg-1", (0, 65535), "0.0.0.0/1"),
            out("sgr-hi", "sg-1", (0, 65535), "128.0.0.0/1"),
            out("sgr-6lo", "sg-2", (0, 65535), "::/1"),
            out("sgr-6hi", "sg-2", (0, 65535), "8000::/1"),
        ],
        vec![],
    );
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    let o = open_to_anywhere(ix, &["sg-1"], true, Proto::Tcp, Family::V4);
    assert_eq!(o.open, vec![Ports::ALL]);
    assert_eq!(o.rules.len(), 2, "{:?}", o.rules);
    let o6 = open_to_anywhere(ix, &["sg-2"], true, Proto::Tcp, Family::V6);
    assert_eq!(o6.open, vec![Ports::ALL]);
    // IPv6 halves do not open IPv4, and IPv4 halves do not open IPv6.
    assert!(
        open_to_anywhere(ix, &["sg-2"], true, Proto::Tcp, Family::V4)
            .open
            .is_empty()
    );
    assert!(
        open_to_anywhere(ix, &["sg-1"], true, Proto::Tcp, Family::V6)
            .open
            .is_empty()
    );
    // The S3 prefix list, whose entries are unknown, is reached through the two halves.
    let s3 = Host::prefix_list(crate::synth::S3_PREFIX_LIST, "the S3 prefix list");
    assert_eq!(
        egress(&e, &["sg-1"], &s3, Ports::one(443)),
        Verdict::Allowed
    );
}

// Class 4: IPv4 and IPv6 never meet.

#[test]
fn ipv6_rules_neither_satisfy_nor_break_ipv4_flows() {
    let e = sg_estate(vec![out("sgr-6", "sg-1", (443, 443), "::/0")], vec![]);
    assert!(matches!(
        egress(&e, &["sg-1"], &Host::internet(), Ports::one(443)),
        Verdict::Blocked(_)
    ));
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    assert_eq!(
        sg_verdict(
            ix,
            &["sg-1"],
            true,
            &Host::internet_v6(),
            Proto::Tcp,
            Ports::one(443),
            Family::V6
        ),
        Verdict::Allowed
    );
    let e4 = sg_estate(vec![out("sgr-4", "sg-1", (443, 443), "0.0.0.0/0")], vec![]);
    let index_ix4 = crate::pure::index::Index::new(&e4.snap);
    let ix4 = crate::pure::view::View::whole(&index_ix4);
    assert!(matches!(
        sg_verdict(
            ix4,
            &["sg-1"],
            true,
            &Host::internet_v6(),
            Proto::Tcp,
            Ports::one(443),
            Family::V6
        ),
        Verdict::Blocked(_)
    ));
}

#[test]
fn nacl_entries_of_the_other_family_are_skipped() {
    let mut v6_deny = acl_entry(50, true, "-1", None, "0.0.0.0/0", "deny");
    v6_deny.cidr_block = None;
    v6_deny.ipv6_cidr_block = Some("::/0".into());
    let a = acl(vec![
        v6_deny,
        acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
    ]);
    let rules = AclRules::new(&a);
    assert_eq!(
        nacl_check(&rules, true, c("10.0.0.0/22"), Proto::Tcp, Ports::one(443)),
        None
    );
    let b = nacl_check(
        &rules,
        true,
        c("2600:1f18::/64"),
        Proto::Tcp,
        Ports::one(443),
    )
    .unwrap();
    assert_eq!(b.entry.map(|e| e.rule_number), Some(50));
    assert_eq!(b.addrs.to_string(), "2600:1f18::/64");
}

#[test]
fn an_ipv6_only_subnet_cannot_carry_ipv4_flows() {
    let mut e = Estate::backend();
    let id = Ids::new(0);
    for s in e
        .subnets_mut()
        .iter_mut()
        .filter(|s| s.subnet_id == id.ws_subnets[0])
    {
        s.cidr_block = None;
        s.ipv6_cidr_block_association_set = vec![crate::pure::model::Ipv6CidrBlockAssociation {
            ipv6_cidr_block: "2600:1f18:1:100::/64".into(),
            ipv6_cidr_block_state: None,
        }];
    }
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    let ws = Host::subnet(ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    assert_eq!(ws.cidr_in(Family::V4), None);
    let ep = Host::subnet(ix, &id.ep_subnets[0], vec![id.ep_sg.as_str()]).unwrap();
    let t = trace(
        ix,
        &Flow {
            src: ws,
            dst: ep,
            proto: Proto::Tcp,
            ports: Ports::one(443),
            family: Family::V4,
        },
    );
    assert!(!t.passes());
    let (_, why) = t.first_unknown().unwrap();
    assert!(
        why.contains("has no IPv4 address (an IPv6-only subnet)"),
        "{why}"
    );
}

#[test]
fn subnets_and_vpcs_load_in_the_cli_shapes_old_and_new() {
    let ipv6_only = r#"{"SubnetId":"subnet-6","VpcId":"vpc-1","AvailabilityZone":"us-east-1a",
        "Ipv6CidrBlockAssociationSet":[{"AssociationId":"a","Ipv6CidrBlock":"2600:1f18:1:100::/64",
        "Ipv6CidrBlockState":{"State":"associated"}}],"Ipv6Native":true}"#;
    let s: crate::pure::model::Subnet = serde_json::from_str(ipv6_only).unwrap();
    assert_eq!(s.cidr_block, None);
    assert!(s.ipv6_cidr_block_association_set[0].is_associated());
    let old = r#"{"SubnetId":"subnet-4","VpcId":"vpc-1","CidrBlock":"10.0.0.0/22"}"#;
    let s: crate::pure::model::Subnet = serde_json::from_str(old).unwrap();
    assert_eq!(s.cidr_block.as_deref(), Some("10.0.0.0/22"));
    let back = serde_json::to_string(&s).unwrap();
    assert!(
        back.contains(r#""CidrBlock":"10.0.0.0/22""#) && !back.contains("Ipv6"),
        "{back}"
    );
    let vpc = r#"{"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16","Ipv6CidrBlockAssociationSet":[
        {"Ipv6CidrBlock":"2600:1f18:1::/56","Ipv6CidrBlockState":{"State":"associated"}},
        {"Ipv6CidrBlock":"2600:1f18:2::/56","Ipv6CidrBlockState":{"State":"disassociated"}}]}"#;
    let mut e = Estate::empty();
    e.snap.vpcs = Ok(vec![serde_json::from_str(vpc).unwrap()]);
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    assert_eq!(
        ix.vpc_cidrs("vpc-1"),
        &[c("10.0.0.0/16"), c("2600:1f18:1::/56")]
    );
}

// Class 5: unknown is not absent.

#[test]
fn an_unreadable_rule_makes_the_verdict_unknown_only_where_it_could_decide() {
    let bad = out("sgr-bad", "sg-1", (443, 443), "10.0.0.0/40");
    let e = sg_estate(vec![bad.clone()], vec![]);
    let Verdict::Unknown(why) = egress(&e, &["sg-1"], &Host::internet(), Ports::one(443)) else {
        panic!("not unknown");
    };
    assert!(
        why.contains("sgr-bad") && why.contains("10.0.0.0/40"),
        "{why}"
    );
    // Another rule covers everything: still allowed.
    let e = sg_estate(
        vec![bad.clone(), out("sgr-all", "sg-1", (0, 65535), "0.0.0.0/0")],
        vec![],
    );
    assert_eq!(
        egress(&e, &["sg-1"], &Host::internet(), Ports::one(443)),
        Verdict::Allowed
    );
    // A port the unreadable rule cannot reach is surely missing: a confident block.
    let e = sg_estate(vec![bad], vec![]);
    assert!(matches!(
        egress(&e, &["sg-1"], &Host::internet(), Ports::range(443, 444)),
        Verdict::Blocked(w) if w.contains("tcp 444 to the internet")
    ));
}

#[test]
fn prefix_lists_without_entries_are_unknown_unless_they_cannot_matter() {
    let e = sg_estate(
        vec![
            out("sgr-corp", "sg-1", (443, 443), "pl-0corp"),
            out("sgr-s3", "sg-2", (443, 443), crate::synth::S3_PREFIX_LIST),
        ],
        vec![("pl-0corp", "corp-ranges", None)],
    );
    // A customer-managed list could hold the subnet.
    let Verdict::Unknown(why) = egress(&e, &["sg-1"], &subnet_x(), Ports::one(443)) else {
        panic!("not unknown");
    };
    assert!(
        why.contains("the entries of pl-0corp were not collected"),
        "{why}"
    );
    // The S3 list holds only public addresses: it cannot reach a private subnet.
    assert!(matches!(
        egress(&e, &["sg-2"], &subnet_x(), Ports::one(443)),
        Verdict::Blocked(_)
    ));
    // ... and it is the destination itself: fine without entries.
    let s3 = Host::prefix_list(crate::synth::S3_PREFIX_LIST, "the S3 prefix list");
    assert_eq!(
        egress(&e, &["sg-2"], &s3, Ports::one(443)),
        Verdict::Allowed
    );
    // A rule to part of the public space may or may not reach S3; a private one surely not.
    let e = sg_estate(
        vec![out("sgr-52", "sg-1", (443, 443), "52.0.0.0/8")],
        vec![],
    );
    assert!(matches!(
        egress(&e, &["sg-1"], &s3, Ports::one(443)),
        Verdict::Unknown(_)
    ));
    let e = sg_estate(
        vec![out("sgr-vpc", "sg-1", (443, 443), "10.0.0.0/8")],
        vec![],
    );
    assert!(matches!(
        egress(&e, &["sg-1"], &s3, Ports::one(443)),
        Verdict::Blocked(_)
    ));
}

#[test]
fn an_unreadable_nacl_allow_matters_only_where_a_later_entry_blocks() {
    let a = acl(vec![
        acl_entry(90, true, "-1", None, "not-a-cidr", "allow"),
        acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
    ]);
    assert_eq!(
        nacl_check(
            &AclRules::new(&a),
            true,
            c("10.0.0.0/22"),
            Proto::Tcp,
            Ports::one(443)
        ),
        None
    );
    let a = acl(vec![
        acl_entry(90, true, "-1", None, "10.0.0.0/99", "deny"),
        acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
    ]);
    let rules = AclRules::new(&a);
    let b = nacl_check(&rules, true, c("10.0.0.0/22"), Proto::Tcp, Ports::one(443)).unwrap();
    assert!(!b.is_certain());
    let s = b.sentence(&rules, "traffic to subnet-x");
    assert!(
        s.starts_with("acl-0abc rule 90 DENY all 10.0.0.0/99 cannot be read"),
        "{s}"
    );
}

// Class 12: NACLs, every protocol.

#[test]
fn nacl_protocols_cover_every_protocol() {
    let a = acl(vec![
        acl_entry(50, false, "50", None, "0.0.0.0/0", "deny"),
        acl_entry(100, false, "-1", None, "0.0.0.0/0", "allow"),
    ]);
    let rules = AclRules::new(&a);
    let protos = rules.protocols(false);
    let blocked: Vec<String> = protos
        .iter()
        .filter(|(p, _)| nacl_check(&rules, false, c("0.0.0.0/0"), *p, Ports::ALL).is_some())
        .map(|(_, n)| n.clone())
        .collect();
    assert_eq!(blocked, vec!["proto 50".to_string()]);
    assert_eq!(
        protos.last().map(|(_, n)| n.as_str()),
        Some("every other protocol")
    );
}

/// The estate with the S3 prefix list's entries collected.
fn with_s3_entries(mut e: Estate, pl_entries: &[&str]) -> Estate {
    if let Ok(p) = &mut e.snap.managed_prefix_lists {
        for l in p.iter_mut() {
            l.entries = Some(
                pl_entries
                    .iter()
                    .map(|c| crate::pure::model::PrefixListEntry {
                        cidr: (*c).into(),
                        description: None,
                    })
                    .collect(),
            );
        }
    }
    e
}

/// An isolated estate whose S3 prefix list has the given entries and whose NACL holds `entries`
/// (both directions as given), for flows from the first workspace subnet to S3.
fn s3_estate(pl_entries: &[&str], entries: Vec<NetworkAclEntry>) -> Estate {
    let mut e = with_s3_entries(Estate::isolated(), pl_entries);
    e.acls_mut()[0].entries = entries;
    e
}

/// A flow on tcp 443 from the first workspace subnet to `dst`.
fn trace_to(e: &Estate, dst: Host<'_>) -> Trace {
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    let id = Ids::new(0);
    let ws = Host::subnet(ix, &id.ws_subnets[0], vec![id.ws_sg.as_str()]).unwrap();
    trace(
        ix,
        &Flow {
            src: ws,
            dst,
            proto: Proto::Tcp,
            ports: Ports::one(443),
            family: Family::V4,
        },
    )
}

fn trace_to_s3(e: &Estate) -> Trace {
    trace_to(
        e,
        Host::prefix_list(crate::synth::S3_PREFIX_LIST, "the S3 prefix list"),
    )
}

#[test]
fn a_nacl_is_checked_against_the_collected_entries_of_a_destination_prefix_list() {
    // Found by the reference model (shrunk): a NACL allowing exactly the S3 list's entries lets
    // S3 traffic through, both ways; before, the list counted as all of IPv4 and the final deny
    // was reported for 0.0.0.0-52.215.255.255.
    let only_s3 = |cidr: &str| {
        vec![
            acl_entry(10, true, "-1", None, cidr, "allow"),
            acl_entry(10, false, "-1", None, cidr, "allow"),
        ]
    };
    let t = trace_to_s3(&s3_estate(&["52.216.0.0/15"], only_s3("52.216.0.0/15")));
    assert_eq!(t.hop(HopKind::SrcNaclOut), &Verdict::Allowed);
    assert_eq!(t.hop(HopKind::SrcNaclReturnIn), &Verdict::Allowed);
    // An entry of the list the NACL does not allow is blocked, and named.
    let t = trace_to_s3(&s3_estate(
        &["52.216.0.0/15", "3.5.0.0/19"],
        only_s3("52.216.0.0/15"),
    ));
    let Verdict::Blocked(why) = t.hop(HopKind::SrcNaclOut) else {
        panic!("not blocked: {:?}", t.hop(HopKind::SrcNaclOut));
    };
    assert!(why.contains("final DENY (*)"), "{why}");
    assert!(why.contains("addresses 3.5.0.0/19"), "{why}");
    // Entries not collected: the list may be anywhere, so the NACL must allow all of IPv4.
    let mut e = s3_estate(&[], only_s3("52.216.0.0/15"));
    if let Ok(p) = &mut e.snap.managed_prefix_lists {
        p[0].entries = None;
    }
    assert!(matches!(
        trace_to_s3(&e).hop(HopKind::SrcNaclOut),
        Verdict::Blocked(_)
    ));
}

/// Replaces the routes of the first workspace subnet's route table.
fn private_routes(e: &mut Estate, routes: Vec<crate::pure::model::Route>) {
    let id = Ids::new(0);
    for t in e
        .route_tables_mut()
        .iter_mut()
        .filter(|t| t.route_table_id == id.rt_private)
    {
        t.routes = routes.clone();
    }
}

fn rt(dest: &str, pl: bool, target: &str, state: &str) -> crate::pure::model::Route {
    crate::pure::model::Route {
        destination_cidr_block: (!pl).then(|| dest.into()),
        destination_prefix_list_id: pl.then(|| dest.into()),
        gateway_id: Some(target.into()),
        state: Some(state.into()),
        ..crate::pure::model::Route::default()
    }
}

#[test]
fn prefix_list_routes_with_collected_entries_take_part_in_longest_prefix_match() {
    // Shrunk by the reference model. AWS route priority: longest prefix first (a prefix-list
    // route counts with its entry's length), then a static CIDR route over a prefix-list route.
    let s3 = crate::synth::S3_PREFIX_LIST;
    let local = rt("10.0.0.0/16", false, "local", "active");
    // 1. The destination is the list: only its entries must be routed. The default route is a
    //    blackhole, but 54.231.0.0/16 (the list's only entry) has an active route.
    let mut e = with_s3_entries(Estate::backend(), &["54.231.0.0/16"]);
    private_routes(
        &mut e,
        vec![
            local.clone(),
            rt("0.0.0.0/0", false, "igw-1", "blackhole"),
            rt("54.231.0.0/16", false, "igw-1", "active"),
        ],
    );
    assert_eq!(trace_to_s3(&e).hop(HopKind::Route), &Verdict::Allowed);
    // 2. A CIDR route as specific as the entry wins over the list's route: when it is a
    //    blackhole, S3 is not reached even though the list's own route is active.
    let mut e = with_s3_entries(Estate::backend(), &["52.216.0.0/15"]);
    private_routes(
        &mut e,
        vec![
            local.clone(),
            rt(s3, true, "vpce-1", "active"),
            rt("52.216.0.0/15", false, "igw-1", "blackhole"),
        ],
    );
    let Verdict::Blocked(why) = trace_to_s3(&e).hop(HopKind::Route).clone() else {
        panic!("not blocked");
    };
    assert!(
        why.contains("routes 52.216.0.0/15 to 52.216.0.0/15 of pl-63a5400a (the S3 prefix list) through igw-1, which is a blackhole"),
        "{why}"
    );
    // ... and a less specific one loses to it.
    let mut e = with_s3_entries(Estate::backend(), &["52.216.0.0/15"]);
    private_routes(
        &mut e,
        vec![
            local.clone(),
            rt(s3, true, "vpce-1", "active"),
            rt("52.0.0.0/8", false, "igw-1", "blackhole"),
        ],
    );
    assert_eq!(trace_to_s3(&e).hop(HopKind::Route), &Verdict::Allowed);
    // 3. Towards the internet, a blackhole prefix-list route more specific than the default
    //    route drops the list's addresses.
    let mut e = with_s3_entries(Estate::backend(), &["52.216.0.0/15"]);
    private_routes(
        &mut e,
        vec![
            local.clone(),
            rt(s3, true, "vpce-1", "blackhole"),
            rt("0.0.0.0/0", false, "igw-1", "active"),
        ],
    );
    let Verdict::Blocked(why) = trace_to(&e, Host::internet()).hop(HopKind::Route).clone() else {
        panic!("not blocked");
    };
    assert!(
        why.contains("routes pl-63a5400a to 52.216.0.0/15 of the internet (0.0.0.0/0) through vpce-1, which is a blackhole"),
        "{why}"
    );
    // Without entries the list's route takes no part: the default route carries everything.
    let mut e = e;
    if let Ok(p) = &mut e.snap.managed_prefix_lists {
        p[0].entries = None;
    }
    assert_eq!(
        trace_to(&e, Host::internet()).hop(HopKind::Route),
        &Verdict::Allowed
    );
}

#[test]
fn an_icmpv6_rule_is_protocol_58() {
    // Found by the reference model (shrunk): an SG rule written `icmpv6` (as the API names
    // protocol 58, see IpPermission.IpProtocol) was read as an unknown protocol and admitted
    // no ICMPv6 traffic.
    assert_eq!(Proto::parse("icmpv6"), Proto::parse("58"));
    let e = sg_estate(
        vec![crate::synth::sg_rule(
            "sgr-icmp6",
            "sg-1",
            true,
            "icmpv6",
            (-1, -1),
            "::/0",
        )],
        vec![],
    );
    let index_ix = crate::pure::index::Index::new(&e.snap);
    let ix = crate::pure::view::View::whole(&index_ix);
    let v = |proto| {
        sg_verdict(
            ix,
            &["sg-1"],
            true,
            &Host::internet_v6(),
            proto,
            Ports::ALL,
            Family::V6,
        )
    };
    assert_eq!(v(Proto::Other(58)), Verdict::Allowed);
    assert!(matches!(v(Proto::Icmp), Verdict::Blocked(_)));
}

#[test]
fn a_nacl_deny_with_an_unparseable_protocol_never_passes() {
    // Before: the protocol parsed as "no protocol", the DENY matched nothing and the flow passed.
    let a = acl(vec![
        acl_entry(90, true, "tcpp", None, "0.0.0.0/0", "deny"),
        acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
    ]);
    let rules = AclRules::new(&a);
    let b = nacl_check(&rules, true, c("10.0.0.0/22"), Proto::Tcp, Ports::one(443))
        .expect("an entry that may match must not be skipped");
    assert!(!b.is_certain());
    let s = b.sentence(&rules, "traffic to subnet-x");
    assert!(s.contains("rule 90") && s.contains("cannot be read"), "{s}");
}

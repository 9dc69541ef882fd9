//! Proptest strategies for small random estates. A case is drawn as a handful of small integers
//! ("specs") and built deterministically from them, so shrinking moves towards index 0 of every
//! choice: the simplest rule, the subnet itself, the flow's own ports.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use plaudit::model::*;
use proptest::prelude::*;

use super::case::{Case, End};
use super::model::{Block, Fam, PrefixLists};

/// A security-group rule: (side: false = source ENI's groups, group pick, egress, protocol
/// pick, port pick, peer kind, peer pick, sub-pick).
pub type RuleSpec = (bool, u8, bool, u8, u8, u8, u8, u8);
/// A NACL entry: (of the destination subnet's NACL, number pick, egress, allow, protocol pick,
/// port pick, CIDR pick, IPv6, sub-pick).
pub type EntrySpec = (bool, u8, bool, bool, u8, u8, u8, bool, u8);
/// A route: (destination pick, target pick, blackhole).
pub type RouteSpec = (u8, u8, bool);
/// The frame: (source prefix length, destination prefix length, source offset, destination
/// offset, destination kind, IPv6 flow, protocol pick (TCP, UDP, ICMP, ESP), flow ports pick,
/// source groups, destination groups, one NACL for both subnets, baseline NACL entries).
pub type Frame = (u8, u8, u16, u16, u8, bool, u8, u8, u8, u8, bool, u8);
/// Extras: (print the `*` entries, main route table, prefix-list pick, IPv6-only subnets when
/// the flow is IPv6).
pub type Extras = (bool, bool, u8, bool);

pub fn frame() -> impl Strategy<Value = Frame> {
    (
        16u8..=28,
        16u8..=28,
        any::<u16>(),
        any::<u16>(),
        prop_oneof![3 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
        prop::bool::weighted(0.2),
        prop_oneof![70 => Just(0u8), 15 => Just(1u8), 8 => Just(2u8), 7 => Just(3u8)],
        0u8..4,
        1u8..=2,
        1u8..=2,
        prop::bool::weighted(0.3),
        0u8..3,
    )
}

fn small() -> impl Strategy<Value = u8> {
    prop_oneof![3 => 0u8..3, 2 => 0u8..16]
}

pub fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (
        any::<bool>(),
        0u8..4,
        any::<bool>(),
        prop_oneof![6 => Just(0u8), 4 => 0u8..7],
        small(),
        0u8..5,
        small(),
        any::<u8>(),
    )
}

pub fn entry_spec() -> impl Strategy<Value = EntrySpec> {
    (
        any::<bool>(),
        0u8..12,
        any::<bool>(),
        prop::bool::weighted(0.6),
        prop_oneof![3 => Just(0u8), 3 => Just(1u8), 2 => 2u8..5],
        small(),
        small(),
        prop::bool::weighted(0.2),
        any::<u8>(),
    )
}

pub fn route_spec() -> impl Strategy<Value = RouteSpec> {
    (0u8..11, 0u8..6, prop::bool::weighted(0.2))
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        frame(),
        (
            any::<bool>(),
            any::<bool>(),
            0u8..4,
            prop::bool::weighted(0.3),
        ),
        prop::collection::vec(rule_spec(), 0..8),
        prop::collection::vec(entry_spec(), 0..8),
        prop::collection::vec(route_spec(), 0..5),
    )
        .prop_map(|(f, x, r, e, rt)| build(f, x, &r, &e, &rt))
}

// ---------------------------------------------------------------------------------------------

pub fn fmt_block(b: &Block) -> String {
    match b.fam {
        Fam::V4 => format!("{}/{}", Ipv4Addr::from(b.lo as u32), b.len),
        Fam::V6 => format!("{}/{}", Ipv6Addr::from(b.lo), b.len),
    }
}

fn mk(fam: Fam, lo: u128, len: u8) -> Block {
    let bits = match fam {
        Fam::V4 => 32,
        Fam::V6 => 128,
    };
    let host = bits - u32::from(len);
    let mask: u128 = if host == 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    };
    let lo = lo & !mask & fam.max();
    Block {
        fam,
        lo,
        hi: lo | mask,
        len,
    }
}

fn lit(s: &str) -> Block {
    Block::parse(s).expect("literal CIDR")
}

/// A block related to `p`: itself, a half, a quarter, its parent, the whole space, the
/// `0/1` + `128/1` halves, a host inside, blocks just outside, unrelated space.
fn around4(p: Block, k: u8, sub: u8) -> Block {
    let child = |extra: u8, idx: u128| {
        let len = (p.len + extra).min(32);
        let size = 1u128 << (32 - u32::from(len));
        mk(Fam::V4, p.lo + (idx % (1u128 << (len - p.len))) * size, len)
    };
    match k % 13 {
        0 => p,
        1 => child(1, 0),
        2 => child(1, 1),
        3 => child(2, u128::from(sub)),
        4 => mk(Fam::V4, p.lo, p.len.saturating_sub(1)),
        5 => lit("10.0.0.0/8"),
        6 => lit("0.0.0.0/0"),
        7 => lit("0.0.0.0/1"),
        8 => lit("128.0.0.0/1"),
        9 => mk(Fam::V4, p.lo + u128::from(sub) % (p.hi - p.lo + 1), 32),
        10 => lit("192.168.0.0/24"),
        11 => mk(Fam::V4, p.lo, p.len.min(16)),
        _ => mk(Fam::V4, (p.hi + 1) & Fam::V4.max(), 32),
    }
}

fn around6(p: Block, k: u8) -> Block {
    let half = |i: u128| {
        let len = (p.len + 1).min(128);
        let size = if len == 0 {
            0
        } else {
            1u128 << (128 - u32::from(len))
        };
        mk(Fam::V6, p.lo.wrapping_add(i * size), len)
    };
    match k % 6 {
        0 => p,
        1 => lit("::/0"),
        2 => half(0),
        3 => half(1),
        4 => lit("2600::/16"),
        _ => lit("2001:db8::/32"),
    }
}

fn port_pick(f: (u16, u16), k: u8) -> (u16, u16) {
    let (a, b) = f;
    let mid = a + (b - a) / 2;
    match k % 10 {
        0 => f,
        1 => (a, mid),
        2 => (mid.saturating_add(1).min(b), b),
        3 => (0, 65535),
        4 => (a.saturating_add(1).min(b), b),
        5 => (a.saturating_sub(1), a.saturating_sub(1)),
        6 => (1024, 65535),
        7 => (b, b),
        8 => (0, 1023),
        _ => (b.saturating_add(1), 65535),
    }
}

const FLOW_PORTS: [(u16, u16); 4] = [(443, 443), (8443, 8451), (6666, 6666), (80, 443)];
const PL6_ENTRIES: [&str; 4] = [
    "2a05:d07a:a000::/40",
    "2600:1f14::/35",
    "2600:1f18:aa00:2::/64",
    "2406:da00:ff00::/64",
];
const PL_ENTRIES: [&str; 5] = [
    "52.216.0.0/15",
    "3.5.0.0/19",
    "16.182.0.0/16",
    "54.231.0.0/16",
    "35.71.64.0/18",
];

/// A subnet with its IPv4 block (`None`: IPv6-only, as the AWS CLI prints such a subnet) and its
/// IPv6 block.
fn subnet(id: &str, cidr: Option<Block>, v6: Block) -> Subnet {
    Subnet {
        subnet_id: id.into(),
        vpc_id: "vpc-1".into(),
        cidr_block: cidr.map(|c| fmt_block(&c).into()),
        ipv6_cidr_block_association_set: vec![Ipv6CidrBlockAssociation {
            ipv6_cidr_block: fmt_block(&v6).into(),
            ipv6_cidr_block_state: Some(StateValue {
                state: "associated".into(),
            }),
        }],
        availability_zone: "us-east-1a".into(),
        availability_zone_id: Some("use1-az1".into()),
        available_ip_address_count: None,
        map_public_ip_on_launch: false,
        tags: Vec::new(),
    }
}

fn place(base: u128, len: u8, off: u16) -> Block {
    let slots = 1u128 << (len - 16);
    let size = 1u128 << (32 - u32::from(len));
    mk(Fam::V4, base + (u128::from(off) % slots) * size, len)
}

pub fn build(
    f: Frame,
    x: Extras,
    rules: &[RuleSpec],
    entries: &[EntrySpec],
    routes: &[RouteSpec],
) -> Case {
    let (
        src_len,
        dst_len,
        src_off,
        dst_off,
        dst_kind,
        v6,
        proto_k,
        ports_k,
        nsg,
        ndg,
        same_acl,
        baseline,
    ) = f;
    let (stars, main_rt, pl_k, v6_only) = x;
    let src4 = place(
        u128::from(u32::from(Ipv4Addr::new(10, 0, 0, 0))),
        src_len,
        src_off,
    );
    let dst4 = place(
        u128::from(u32::from(Ipv4Addr::new(10, 1, 0, 0))),
        dst_len,
        dst_off,
    );
    let src6 = lit("2600:1f18:aa00:1::/64");
    let dst6 = lit("2600:1f18:aa00:2::/64");

    let mut prefix_lists: PrefixLists = BTreeMap::new();
    let n = usize::from(pl_k % 3) + 1;
    let start = usize::from(pl_k);
    prefix_lists.insert(
        "pl-1".into(),
        (0..n)
            .map(|i| lit(PL_ENTRIES[(start + i) % PL_ENTRIES.len()]))
            .collect(),
    );
    // pl-2 (used by SG rules only) overlaps the destination VPC block.
    prefix_lists.insert("pl-2".into(), vec![lit("52.94.0.0/22"), lit("10.1.0.0/24")]);
    // pl-6 is an IPv6 list (a list has one address family): the destination of IPv6
    // prefix-list flows, and a peer of SG rules and routes.
    prefix_lists.insert(
        "pl-6".into(),
        (0..n)
            .map(|i| lit(PL6_ENTRIES[(start + i) % PL6_ENTRIES.len()]))
            .collect(),
    );

    let src_groups: Vec<String> = ["sg-a", "sg-b"][..usize::from(nsg)]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let dst_groups: Vec<String> = ["sg-c", "sg-d"][..usize::from(ndg)]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let dst = match dst_kind {
        0 => End::Subnet {
            subnet_id: "subnet-dst".into(),
            groups: dst_groups.clone(),
        },
        1 => End::Internet,
        _ if v6 => End::PrefixList("pl-6".into()),
        _ => End::PrefixList("pl-1".into()),
    };
    let fam = if v6 { Fam::V6 } else { Fam::V4 };
    // The flow's protocol, by number and as SG rules name it; a protocol with ports of the other
    // kind; whether the protocol has ports. ICMP is 58 (ICMPv6) on IPv6.
    let (proto, pname, other_ported, ported): (u8, &str, &str, bool) = match (proto_k % 4, fam) {
        (0, _) => (6, "tcp", "udp", true),
        (1, _) => (17, "udp", "tcp", true),
        (2, Fam::V4) => (1, "icmp", "tcp", false),
        (2, Fam::V6) => (58, "icmpv6", "tcp", false),
        _ => (50, "50", "tcp", false),
    };
    let pnum = proto.to_string();
    let other_num = if other_ported == "tcp" { "6" } else { "17" };
    // Rules draw their ports around these; a flow of a protocol without ports has all ports.
    let fports = FLOW_PORTS[usize::from(ports_k % 4)];
    let flow_ports = if ported { fports } else { (0, 65535) };

    // The other side as seen from each side, per family.
    let pl_first = prefix_lists["pl-1"][0];
    let pl6_first = prefix_lists["pl-6"][0];
    let (dst_peer4, dst_peer6) = match &dst {
        End::Subnet { .. } => (dst4, dst6),
        End::Internet => (lit("0.0.0.0/0"), lit("::/0")),
        End::PrefixList(_) => (pl_first, pl6_first),
    };
    let (src_peer4, src_peer6) = (src4, src6);

    // Security-group rules.
    let mut sg_rules = Vec::new();
    for (i, &(dst_side, gsel, egress, pk, portk, kind, peerk, sub)) in rules.iter().enumerate() {
        let dst_side = dst_side && matches!(dst, End::Subnet { .. });
        let (own, peer_groups, p4, p6) = if dst_side {
            (&dst_groups, &src_groups, src_peer4, src_peer6)
        } else {
            (&src_groups, &dst_groups, dst_peer4, dst_peer6)
        };
        let group = own[usize::from(gsel) % own.len()].clone();
        let (ip_protocol, has_ports): (&str, bool) = match pk % 7 {
            0 => (pname, ported),
            1 => ("-1", false),
            2 => (pnum.as_str(), ported),
            3 => (other_ported, true),
            4 => ("icmp", false),
            5 => ("icmpv6", false),
            _ => ("50", false),
        };
        let (from, to) = if has_ports {
            let (a, b) = port_pick(fports, portk);
            (i32::from(a), i32::from(b))
        } else {
            (-1, -1)
        };
        let mut r = SecurityGroupRule {
            security_group_rule_id: format!("sgr-{i:02}").into(),
            group_id: group.into(),
            is_egress: egress,
            ip_protocol: ip_protocol.into(),
            from_port: Some(from),
            to_port: Some(to),
            cidr_ipv4: None,
            cidr_ipv6: None,
            prefix_list_id: None,
            referenced_group_info: None,
        };
        match kind % 5 {
            0 | 1 => r.cidr_ipv4 = Some(fmt_block(&around4(p4, peerk, sub)).into()),
            2 => {
                let mut choices: Vec<String> = peer_groups.clone();
                choices.push(own[0].clone());
                choices.push("sg-z".into());
                let g = &choices[usize::from(peerk) % choices.len()];
                r.referenced_group_info = Some(ReferencedGroup {
                    group_id: g.as_str().into(),
                    ..ReferencedGroup::default()
                });
            }
            3 => {
                let pl = match peerk % 4 {
                    2 => "pl-2",
                    3 => "pl-6",
                    _ => "pl-1",
                };
                r.prefix_list_id = Some(pl.into());
            }
            _ => r.cidr_ipv6 = Some(fmt_block(&around6(p6, peerk)).into()),
        }
        // The egress flag as drawn, but mostly the direction that matters for this side.
        r.is_egress = if sub % 4 == 0 { egress } else { !dst_side };
        sg_rules.push(r);
    }

    // NACLs.
    let mut acl_entries: [Vec<NetworkAclEntry>; 2] = [Vec::new(), Vec::new()];
    let mut used: BTreeSet<(usize, bool, i32)> = BTreeSet::new();
    for &(of_dst, num, egress, allow, pk, portk, cidrk, is_v6, sub) in entries {
        let of_dst = of_dst && matches!(dst, End::Subnet { .. });
        let slot = if same_acl { 0 } else { usize::from(of_dst) };
        let rule_number = (i32::from(num) + 1) * 10;
        if !used.insert((slot, egress, rule_number)) {
            continue;
        }
        let (p4, p6) = if of_dst {
            (src_peer4, src_peer6)
        } else {
            (dst_peer4, dst_peer6)
        };
        let protocol = match pk % 5 {
            0 => "-1",
            1 => pnum.as_str(),
            2 => other_num,
            3 => "1",
            _ => "58",
        };
        let port_range = (protocol == "6" || protocol == "17").then(|| {
            let base = if sub % 2 == 0 { fports } else { (1024, 65535) };
            let (a, b) = port_pick(base, portk);
            PortRangeJson {
                from: i32::from(a),
                to: i32::from(b),
            }
        });
        let (cidr_block, ipv6_cidr_block) = if is_v6 {
            (None, Some(fmt_block(&around6(p6, cidrk)).into()))
        } else {
            (Some(fmt_block(&around4(p4, cidrk, sub)).into()), None)
        };
        acl_entries[slot].push(NetworkAclEntry {
            rule_number,
            protocol: protocol.into(),
            rule_action: if allow { "allow" } else { "deny" }.into(),
            egress,
            cidr_block,
            ipv6_cidr_block,
            port_range,
        });
    }
    for list in &mut acl_entries {
        for egress in [false, true] {
            if baseline >= 1 {
                list.push(entry(30000, egress, "allow", Some("0.0.0.0/0"), None));
            }
            if baseline >= 2 {
                list.push(entry(30001, egress, "allow", None, Some("::/0")));
            }
            if stars {
                list.push(entry(32767, egress, "deny", Some("0.0.0.0/0"), None));
                list.push(entry(32768, egress, "deny", None, Some("::/0")));
            }
        }
    }
    let [src_entries, dst_entries] = acl_entries;
    let mut acls = vec![NetworkAcl {
        network_acl_id: "acl-src".into(),
        vpc_id: "vpc-1".into(),
        is_default: false,
        associations: vec![NetworkAclAssociation {
            subnet_id: "subnet-src".into(),
        }],
        entries: src_entries,
        tags: Vec::new(),
    }];
    if same_acl {
        acls[0].associations.push(NetworkAclAssociation {
            subnet_id: "subnet-dst".into(),
        });
    } else {
        acls.push(NetworkAcl {
            network_acl_id: "acl-dst".into(),
            vpc_id: "vpc-1".into(),
            is_default: false,
            associations: vec![NetworkAclAssociation {
                subnet_id: "subnet-dst".into(),
            }],
            entries: dst_entries,
            tags: Vec::new(),
        });
    }

    // Routes: the local routes, then the drawn ones (one per destination, as AWS enforces).
    let mut rt_routes = vec![
        route(Some("10.0.0.0/16"), None, None, "local", false),
        route(Some("10.1.0.0/16"), None, None, "local", false),
        route(None, Some("2600:1f18:aa00::/56"), None, "local", false),
    ];
    let mut dests: BTreeSet<String> = rt_routes
        .iter()
        .map(|r| r.destination().to_string())
        .collect();
    for &(dk, tk, blackhole) in routes {
        let (d4, d6, dpl): (Option<String>, Option<String>, Option<&str>) = match dk % 11 {
            0 => (Some("0.0.0.0/0".into()), None, None),
            1 => (Some("0.0.0.0/1".into()), None, None),
            2 => (Some("128.0.0.0/1".into()), None, None),
            3 => (None, Some("::/0".into()), None),
            4 => (None, None, Some("pl-1")),
            10 => (None, None, Some("pl-6")),
            5 => (Some(fmt_block(&dst_peer4)), None, None),
            6 => (
                Some(fmt_block(&mk(
                    Fam::V4,
                    dst_peer4.lo,
                    dst_peer4.len.saturating_sub(1),
                ))),
                None,
                None,
            ),
            7 => (Some("52.216.0.0/15".into()), None, None),
            8 => (None, Some("::/1".into()), None),
            _ => (Some(fmt_block(&dst4)), None, None),
        };
        let target = match tk % 6 {
            0 => "igw-1",
            1 => "nat-1",
            2 => "pcx-1",
            3 => "vpce-1",
            4 => "tgw-1",
            _ => "eigw-1",
        };
        let r = route(d4.as_deref(), d6.as_deref(), dpl, target, blackhole);
        if dests.insert(r.destination().to_string()) {
            rt_routes.push(r);
        }
    }
    let route_tables = vec![RouteTable {
        route_table_id: "rtb-1".into(),
        vpc_id: "vpc-1".into(),
        associations: vec![RouteTableAssociation {
            main: main_rt,
            subnet_id: (!main_rt).then(|| "subnet-src".into()),
            gateway_id: None,
            association_state: None,
        }],
        routes: rt_routes,
        tags: Vec::new(),
    }];

    let mut subnet_v6 = BTreeMap::new();
    subnet_v6.insert("subnet-src".to_string(), src6);
    subnet_v6.insert("subnet-dst".to_string(), dst6);
    Case {
        vpc: Vpc {
            vpc_id: "vpc-1".into(),
            cidr_block: "10.0.0.0/16".into(),
            cidr_block_association_set: vec![
                CidrBlockAssociation {
                    cidr_block: "10.0.0.0/16".into(),
                    cidr_block_state: Some(StateValue {
                        state: "associated".into(),
                    }),
                },
                CidrBlockAssociation {
                    cidr_block: "10.1.0.0/16".into(),
                    cidr_block_state: Some(StateValue {
                        state: "associated".into(),
                    }),
                },
            ],
            ipv6_cidr_block_association_set: vec![Ipv6CidrBlockAssociation {
                ipv6_cidr_block: "2600:1f18:aa00::/56".into(),
                ipv6_cidr_block_state: Some(StateValue {
                    state: "associated".into(),
                }),
            }],
            state: Some("available".into()),
            owner_id: None,
            tags: Vec::new(),
        },
        subnets: {
            let v4 = |b: Block| (!(v6_only && fam == Fam::V6)).then_some(b);
            vec![
                subnet("subnet-src", v4(src4), src6),
                subnet("subnet-dst", v4(dst4), dst6),
            ]
        },
        subnet_v6,
        group_ids: ["sg-a", "sg-b", "sg-c", "sg-d", "sg-z"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        sg_rules,
        acls,
        route_tables,
        prefix_lists,
        src: End::Subnet {
            subnet_id: "subnet-src".into(),
            groups: src_groups,
        },
        dst,
        fam,
        proto,
        ports: flow_ports,
    }
}

pub fn entry(
    n: i32,
    egress: bool,
    action: &str,
    v4: Option<&str>,
    v6: Option<&str>,
) -> NetworkAclEntry {
    NetworkAclEntry {
        rule_number: n,
        protocol: "-1".into(),
        rule_action: action.into(),
        egress,
        cidr_block: v4.map(Into::into),
        ipv6_cidr_block: v6.map(Into::into),
        port_range: None,
    }
}

pub fn route(
    d4: Option<&str>,
    d6: Option<&str>,
    pl: Option<&str>,
    target: &str,
    blackhole: bool,
) -> Route {
    let mut r = Route {
        destination_cidr_block: d4.map(Into::into),
        destination_ipv6_cidr_block: d6.map(Into::into),
        destination_prefix_list_id: pl.map(Into::into),
        state: Some(if blackhole { "blackhole" } else { "active" }.into()),
        ..Route::default()
    };
    match target.split('-').next() {
        Some("nat") => r.nat_gateway_id = Some(target.into()),
        Some("tgw") => r.transit_gateway_id = Some(target.into()),
        Some("pcx") => r.vpc_peering_connection_id = Some(target.into()),
        Some("eigw") => r.egress_only_internet_gateway_id = Some(target.into()),
        _ => r.gateway_id = Some(target.into()),
    }
    r
}

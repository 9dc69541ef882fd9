//! Reachability: can a flow Databricks needs actually pass?
//!
//! A flow goes from a source host set (a subnet with its security groups) to a destination (a
//! subnet with security groups, the internet, or a prefix list) on a protocol, a port range and
//! an address family. It passes when every hop allows it: the source SG egress, the source
//! subnet's NACL outbound (in rule-number order), the route, the destination NACL inbound, the
//! destination SG ingress, and, because NACLs are stateless, the return path on ephemeral ports
//! through both NACLs. Security groups are stateful, so their return path needs nothing.
//!
//! Each hop is decided exactly over the whole (peer address, port) rectangle of the flow:
//!
//! - **Security groups** are a union of allow rules. The rules of all the groups whose protocol
//!   matches are cut out of the rectangle one by one (a CIDR rule cuts its addresses, a reference
//!   to a group the peer carries or to the prefix list the flow goes to cuts everything, a
//!   prefix list with collected entries cuts its CIDRs); whatever is left is not admitted, and
//!   the verdict names those addresses and ports ([`sg_coverage`]).
//! - **NACLs** are evaluated first match in rule-number order over the same rectangles
//!   ([`nacl_check`]); the first DENY (or the final implicit deny) that meets what is still
//!   undecided blocks the flow, and is named.
//! - IPv4 and IPv6 never meet: rules, entries and routes of the other family are ignored.
//! - What cannot be read (a CIDR that does not parse, a prefix list whose entries were not
//!   collected, a peer whose addresses are unknown) makes the hop [`Verdict::Unknown`], but only
//!   when it could change the verdict: if the readable rules already admit everything, or
//!   already leave part surely blocked, the verdict stands.

use std::borrow::Cow;

use crate::pure::cidr::{merge_ranges, public_ranges, AddrRange, Cidr, Family};
use crate::pure::index::{SgPeer, SgRule};
use crate::pure::model::{RouteTable, Subnet};
use crate::pure::nacl::{nacl_check_with, AclRules, NaclBlock};
use crate::pure::packet::{cut, meets, Ports, Proto, Rect};
use crate::pure::view::View;

/// One end of a flow.
#[derive(Debug, Clone)]
pub struct Host<'a> {
    /// For messages: `subnet-0abc`, `the internet`, `pl-63a5400a (the S3 prefix list)`.
    pub name: Cow<'a, str>,
    /// Whether [`Host::label`] appends the CIDR to the name.
    pub show_cidr: bool,
    /// The addresses, of either family (a subnet has at most one IPv4 and one IPv6 block);
    /// `0.0.0.0/0` for the internet. Empty for a prefix list (its entries come from the index).
    pub cidrs: Vec<Cidr>,
    /// Set when the host's addresses cannot be read: why (a `CidrBlock` that does not parse).
    pub unknown: Option<String>,
    /// The security groups of the ENIs at this end (empty for the internet).
    pub groups: Vec<&'a str>,
    /// The subnet; `None` outside a VPC. Its NACL and route table are read through the view
    /// when a hop needs them ([`Host::acl`], [`Host::route_table`]).
    pub subnet: Option<&'a Subnet>,
    /// Set when the destination is a managed prefix list (S3 through a gateway endpoint).
    pub prefix_list: Option<&'a str>,
}

impl<'a> Host<'a> {
    /// The host for messages: `subnet-0abc (10.0.0.0/22)`, `the internet (0.0.0.0/0)`. Shows the
    /// IPv4 block, else the IPv6 blocks.
    pub fn label(&self) -> String {
        let shown: Vec<String> = match self.cidr_in(Family::V4) {
            Some(c) => vec![c.to_string()],
            None => self.cidrs.iter().map(|c| c.to_string()).collect(),
        };
        if self.show_cidr && !shown.is_empty() {
            format!("{} ({})", self.name, shown.join(", "))
        } else {
            self.name.to_string()
        }
    }

    /// The host's block of a family, if it has one.
    pub fn cidr_in(&self, family: Family) -> Option<Cidr> {
        self.cidrs.iter().copied().find(|c| c.family() == family)
    }

    /// A subnet of the snapshot with the given security groups; `None` only when the snapshot
    /// does not hold the subnet. An IPv6-only subnet has no IPv4 block; a subnet whose
    /// `CidrBlock` does not parse has [`Host::unknown`] set.
    pub fn subnet(ix: View<'a>, subnet_id: &'a str, groups: Vec<&'a str>) -> Option<Host<'a>> {
        let subnet = ix.subnet(subnet_id)?;
        let mut cidrs: Vec<Cidr> = ix.subnet_cidr(subnet_id).into_iter().collect();
        let unknown = match (&subnet.cidr_block, cidrs.is_empty()) {
            (Some(text), true) => Some(format!(
                "the CidrBlock `{text}` of {subnet_id} is not an IPv4 block"
            )),
            _ => None,
        };
        cidrs.extend(ix.subnet_v6(subnet_id).iter().copied());
        Some(Host {
            name: Cow::Borrowed(subnet_id),
            show_cidr: true,
            cidrs,
            unknown,
            groups,
            subnet: Some(subnet),
            prefix_list: None,
        })
    }

    /// A set of addresses outside any security group (client ranges, ...).
    pub fn addresses(name: impl Into<Cow<'a, str>>, cidrs: Vec<Cidr>) -> Host<'a> {
        Host {
            name: name.into(),
            show_cidr: false,
            cidrs,
            unknown: None,
            groups: Vec::new(),
            subnet: None,
            prefix_list: None,
        }
    }

    /// The subnet's NACL (describe-network-acls.json); `None` outside a VPC.
    pub fn acl(&self, ix: View<'a>) -> Option<&'a AclRules<'a>> {
        self.subnet.and_then(|s| ix.acl_for(&s.subnet_id))
    }

    /// The subnet's route table (describe-route-tables.json); `None` outside a VPC.
    pub fn route_table(&self, ix: View<'a>) -> Option<&'a RouteTable> {
        self.subnet.and_then(|s| ix.route_table_for(s))
    }

    /// The IPv4 internet (`0.0.0.0/0`).
    pub fn internet() -> Host<'a> {
        Host {
            show_cidr: true,
            ..Host::addresses("the internet", vec![crate::pure::cidr::ANY_V4])
        }
    }

    /// The IPv6 internet (`::/0`).
    pub fn internet_v6() -> Host<'a> {
        Host {
            show_cidr: true,
            ..Host::addresses("the internet", vec![crate::pure::cidr::ANY_V6])
        }
    }

    /// A managed prefix list as destination (S3, DynamoDB through a gateway endpoint). Its
    /// addresses are its collected entries; when they were not collected, a list AWS manages is
    /// known to hold only public addresses ([`crate::pure::cidr::public_ranges`]).
    pub fn prefix_list(id: &'a str, what: &str) -> Host<'a> {
        Host {
            prefix_list: Some(id),
            ..Host::addresses(format!("{id} ({what})"), Vec::new())
        }
    }
}

/// A flow to check.
#[derive(Debug, Clone)]
pub struct Flow<'a> {
    pub src: Host<'a>,
    pub dst: Host<'a>,
    pub proto: Proto,
    pub ports: Ports,
    /// The address family of the packets (Databricks flows are IPv4).
    pub family: Family,
}

/// The hops of a flow, in the order a packet meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HopKind {
    SrcSgEgress,
    SrcNaclOut,
    Route,
    DstNaclIn,
    DstSgIngress,
    DstNaclReturnOut,
    SrcNaclReturnIn,
}

impl HopKind {
    pub const ALL: [HopKind; 7] = [
        HopKind::SrcSgEgress,
        HopKind::SrcNaclOut,
        HopKind::Route,
        HopKind::DstNaclIn,
        HopKind::DstSgIngress,
        HopKind::DstNaclReturnOut,
        HopKind::SrcNaclReturnIn,
    ];
}

/// The verdict of one hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// The hop does not exist on this path (no NACL on the internet side, …).
    NotOnPath,
    /// Blocked; the sentence names what blocks it.
    Blocked(String),
    /// Cannot be decided from the snapshot; the sentence names the object that is unreadable or
    /// missing. Rules turn it into an `error` finding, never a pass or a fail.
    Unknown(String),
}

/// What a hop judged, beside its verdict: the evidence a report shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HopEvidence {
    /// The objects judged: security group ids, the NACL id, the route table id.
    pub resources: Vec<String>,
    /// The entries that matched (admitted or blocked) the flow: `sgr-…` (else `sg-…: tcp 443
    /// to 10.0.0.0/16`), `rule 100` / `rule *` of a NACL, a route's target (`local`, `nat-…`).
    pub entries: Vec<String>,
    /// What no entry covers where coverage is partial: `tcp 8444-8451 to 10.0.2.0/24`.
    pub uncovered: Vec<String>,
}

/// The verdicts of every hop of a flow, with the evidence of each (same order).
#[derive(Debug, Clone)]
pub struct Trace {
    pub hops: Vec<(HopKind, Verdict)>,
    pub evidence: Vec<HopEvidence>,
}

impl Trace {
    pub fn hop(&self, kind: HopKind) -> &Verdict {
        self.hops
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v)
            .unwrap_or(&Verdict::NotOnPath)
    }

    /// The first blocked hop, if any.
    pub fn first_block(&self) -> Option<(HopKind, &str)> {
        self.hops.iter().find_map(|(k, v)| match v {
            Verdict::Blocked(why) => Some((*k, why.as_str())),
            _ => None,
        })
    }

    /// The first hop that cannot be decided, if any.
    pub fn first_unknown(&self) -> Option<(HopKind, &str)> {
        self.hops.iter().find_map(|(k, v)| match v {
            Verdict::Unknown(why) => Some((*k, why.as_str())),
            _ => None,
        })
    }

    /// True when every hop allows the flow (or is not on its path).
    pub fn passes(&self) -> bool {
        self.hops
            .iter()
            .all(|(_, v)| matches!(v, Verdict::Allowed | Verdict::NotOnPath))
    }
}

/// Traces every hop of a flow. A source outside any subnet and without security groups (client
/// ranges) has no egress security group, NACL or route on the path.
pub fn trace<'a>(ix: View<'a>, flow: &Flow<'a>) -> Trace {
    // The sentences are written only for a hop that blocks or cannot decide.
    let what = || format!("{} {}", flow.proto.name(), flow.ports);
    let family = flow.family;
    let mut hops = Vec::with_capacity(7);
    let mut evidence = Vec::with_capacity(7);
    let outside = flow.src.subnet.is_none() && flow.src.groups.is_empty();
    let (v, e) = if outside {
        (Verdict::NotOnPath, HopEvidence::default())
    } else {
        sg_hop(
            ix,
            &flow.src.groups,
            true,
            &flow.dst,
            flow.proto,
            flow.ports,
            family,
        )
    };
    hops.push((HopKind::SrcSgEgress, v));
    evidence.push(e);
    let acl_hop =
        |acl: Option<&AclRules<'_>>, egress, peer: &Host, ports, text: &dyn Fn() -> String| {
            let Some(acl) = acl else {
                return (Verdict::NotOnPath, HopEvidence::default());
            };
            let mut ev = HopEvidence {
                resources: vec![acl.id.to_string()],
                ..HopEvidence::default()
            };
            let v = match nacl_peer(ix, peer, family) {
                Err(why) => Verdict::Unknown(format!(
                    "{} cannot be checked for {}: {why}",
                    acl.id,
                    text()
                )),
                Ok(cidrs) => {
                    let mut allowing: Vec<i32> = Vec::new();
                    // A certain block anywhere decides; else the first uncertain one.
                    let blocks: Vec<NaclBlock> = cidrs
                        .into_iter()
                        .filter_map(|c| {
                            nacl_check_with(acl, egress, c, flow.proto, ports, &mut allowing)
                        })
                        .collect();
                    ev.entries = allowing.iter().map(|n| format!("rule {n}")).collect();
                    match blocks.iter().find(|b| b.is_certain()).or(blocks.first()) {
                        None => Verdict::Allowed,
                        Some(b) => {
                            let entry = b.entry_label();
                            if !ev.entries.contains(&entry) {
                                ev.entries.push(entry);
                            }
                            ev.uncovered.push(b.place_text());
                            if b.is_certain() {
                                Verdict::Blocked(b.sentence(acl, &text()))
                            } else {
                                Verdict::Unknown(b.sentence(acl, &text()))
                            }
                        }
                    }
                }
            };
            (v, ev)
        };
    let (v, e) = acl_hop(flow.src.acl(ix), true, &flow.dst, flow.ports, &|| {
        format!("traffic to {}", flow.dst.label())
    });
    hops.push((HopKind::SrcNaclOut, v));
    evidence.push(e);
    let (v, e) = route_hop(ix, &flow.src, &flow.dst, family);
    hops.push((HopKind::Route, v));
    evidence.push(e);
    let (v, e) = acl_hop(flow.dst.acl(ix), false, &flow.src, flow.ports, &|| {
        format!("traffic from {}", flow.src.label())
    });
    hops.push((HopKind::DstNaclIn, v));
    evidence.push(e);
    let (v, e) = if flow.dst.groups.is_empty() {
        (Verdict::NotOnPath, HopEvidence::default())
    } else {
        sg_hop(
            ix,
            &flow.dst.groups,
            false,
            &flow.src,
            flow.proto,
            flow.ports,
            family,
        )
    };
    hops.push((HopKind::DstSgIngress, v));
    evidence.push(e);
    let (v, e) = acl_hop(flow.dst.acl(ix), true, &flow.src, Ports::EPHEMERAL, &|| {
        format!("return traffic ({}) to {}", what(), flow.src.label())
    });
    hops.push((HopKind::DstNaclReturnOut, v));
    evidence.push(e);
    let (v, e) = acl_hop(
        flow.src.acl(ix),
        false,
        &flow.dst,
        Ports::EPHEMERAL,
        &|| format!("return traffic ({}) from {}", what(), flow.dst.label()),
    );
    hops.push((HopKind::SrcNaclReturnIn, v));
    evidence.push(e);
    Trace { hops, evidence }
}

/// The blocks a NACL is evaluated against for a peer: its block of the family; for a prefix
/// list, its entries of the family when they were collected, else all of the family (its
/// addresses are then unknown, so the NACL must admit them wherever they are).
fn nacl_peer(ix: View<'_>, peer: &Host<'_>, family: Family) -> Result<Vec<Cidr>, String> {
    if let Some(pl) = peer.prefix_list {
        let Ok(entries) = ix.prefix_list_cidrs(pl) else {
            return Ok(vec![family.any()]);
        };
        let entries: Vec<Cidr> = entries
            .into_iter()
            .filter(|c| c.family() == family)
            .collect();
        if entries.is_empty() {
            return Err(no_addresses(peer, family));
        }
        return Ok(entries);
    }
    if let Some(c) = peer.cidr_in(family) {
        return Ok(vec![c]);
    }
    Err(no_addresses(peer, family))
}

/// Why a host has no addresses of a family.
fn no_addresses(peer: &Host<'_>, family: Family) -> String {
    match &peer.unknown {
        Some(why) => why.clone(),
        None => format!(
            "{} has no {} address{}, so {} traffic to or from it cannot be traced (Databricks needs IPv4)",
            peer.label(),
            family.name(),
            if family == Family::V4 && !peer.cidrs.is_empty() {
                " (an IPv6-only subnet)"
            } else {
                ""
            },
            family.name()
        ),
    }
}

/// One part of a flow that no rule admits: the port ranges, and the peer addresses left
/// uncovered at those ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub ports: Vec<Ports>,
    /// Sorted, merged.
    pub addrs: Vec<AddrRange>,
    /// True when `addrs` is all of the peer.
    pub whole: bool,
}

/// How the rules of some security groups cover a flow towards (egress) or from (ingress) a peer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SgCoverage<'a> {
    /// The port ranges at which some of the peer's addresses are surely not admitted.
    pub missing: Vec<Ports>,
    /// What is surely not admitted, grouped by the addresses left uncovered.
    pub gaps: Vec<Gap>,
    /// Port ranges, outside `missing`, at which admission cannot be decided.
    pub undecided: Vec<Ports>,
    /// Why part of the flow cannot be decided: the unreadable rules, prefix lists without
    /// entries or peer addresses that could change the verdict.
    pub unknown: Vec<String>,
    /// The rules that admit part of the flow, each with the ports of the flow it admits
    /// (described only when a message needs them).
    pub covering: Vec<(&'a SgRule<'a>, Ports)>,
}

impl SgCoverage<'_> {
    /// True when every (address, port) pair of the flow is admitted.
    pub fn admitted(&self) -> bool {
        self.missing.is_empty() && self.undecided.is_empty()
    }

    /// The rules that admit part of the flow at the ports that are missing.
    pub fn partial(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (r, p) in &self.covering {
            if self.missing.iter().any(|m| m.intersect(*p).is_some()) {
                let r = r.describe();
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        out
    }

    /// The gaps as text: `tcp 443 to 10.0.6.0/23 of DEST, nor on tcp 8443-8451 to DEST`, with
    /// `prep` "to" or "from".
    pub fn gap_text(&self, proto: Proto, prep: &str, dest: &str) -> String {
        self.gaps
            .iter()
            .map(|g| {
                let what = if proto.has_ports() {
                    format!("{} {}", proto.name(), format_ports(&g.ports))
                } else {
                    proto.name()
                };
                if g.whole {
                    format!("{what} {prep} {dest}")
                } else {
                    format!(
                        "{what} {prep} {} of {dest}",
                        crate::pure::cidr::format_ranges(&g.addrs)
                    )
                }
            })
            .collect::<Vec<_>>()
            .join(", nor on ")
    }
}

/// Disjoint rectangles regrouped by port: for each port range, the merged addresses left there.
fn by_port(rects: &[Rect], family: Family) -> Vec<(Ports, Vec<AddrRange>)> {
    let mut bounds: Vec<u32> = rects
        .iter()
        .flat_map(|r| [u32::from(r.ports.from), u32::from(r.ports.to) + 1])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut out: Vec<(Ports, Vec<AddrRange>)> = Vec::new();
    for w in bounds.windows(2) {
        let seg = Ports::range(w[0] as u16, (w[1] - 1) as u16);
        let addrs = merge_ranges(
            rects
                .iter()
                .filter(|r| r.ports.from <= seg.from && seg.to <= r.ports.to)
                .map(|r| AddrRange {
                    family,
                    lo: r.lo,
                    hi: r.hi,
                })
                .collect(),
        );
        if addrs.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((p, a)) if *a == addrs && u32::from(p.to) + 1 == u32::from(seg.from) => {
                p.to = seg.to;
            }
            _ => out.push((seg, addrs)),
        }
    }
    out
}

/// Merges port ranges into sorted disjoint ones.
fn merge_ports(mut v: Vec<Ports>) -> Vec<Ports> {
    v.sort_unstable();
    let mut out: Vec<Ports> = Vec::new();
    for p in v {
        match out.last_mut() {
            Some(l) if u32::from(p.from) <= u32::from(l.to) + 1 => l.to = l.to.max(p.to),
            _ => out.push(p),
        }
    }
    out
}

/// Where a rule's addresses are, for coverage.
enum RuleAddrs {
    /// The rule admits all of the peer (a group the peer carries, the prefix list the flow
    /// goes to).
    All,
    /// These addresses of the flow's family.
    Known(Vec<AddrRange>),
    /// Somewhere within these addresses, unknown where; the reason.
    Within(Vec<AddrRange>, String),
    /// Nothing of this peer.
    None,
}

fn rule_addrs(ix: View<'_>, peer_rule: &SgPeer<'_>, peer: &Host<'_>, family: Family) -> RuleAddrs {
    match peer_rule {
        SgPeer::Group(g) => {
            if peer.groups.contains(g) {
                RuleAddrs::All
            } else {
                RuleAddrs::None
            }
        }
        SgPeer::PrefixList(p) if peer.prefix_list == Some(*p) => RuleAddrs::All,
        SgPeer::PrefixList(p) => match ix.prefix_list_cidrs(p) {
            Ok(cidrs) => RuleAddrs::Known(
                cidrs
                    .iter()
                    .filter(|c| c.family() == family)
                    .map(|c| c.range())
                    .collect(),
            ),
            Err(why) => {
                let scope = if ix.is_aws_managed_prefix_list(p) {
                    public_ranges(family)
                } else {
                    vec![family.any().range()]
                };
                RuleAddrs::Within(scope, why)
            }
        },
        SgPeer::Cidr(c) if c.family() == family => RuleAddrs::Known(vec![c.range()]),
        SgPeer::Cidr(_) => RuleAddrs::None,
        SgPeer::Unreadable(t) => RuleAddrs::Within(
            vec![family.any().range()],
            format!("its peer `{t}` is not a CIDR block that parses"),
        ),
    }
}

/// Decides a security-group hop: the union of the allow rules of all `groups` (egress rules
/// towards `peer`, or ingress rules from it), over every (peer address, port) pair of the flow.
pub fn sg_coverage<'a>(
    ix: View<'a>,
    groups: &[&str],
    egress: bool,
    peer: &Host<'_>,
    proto: Proto,
    ports: Ports,
    family: Family,
) -> SgCoverage<'a> {
    // The peer's addresses: known, or somewhere within a known set.
    let (universe, vague): (Vec<AddrRange>, Option<String>) = match peer.prefix_list {
        Some(pl) => match ix.prefix_list_cidrs(pl) {
            Ok(cidrs) => (
                cidrs
                    .iter()
                    .filter(|c| c.family() == family)
                    .map(|c| c.range())
                    .collect(),
                None,
            ),
            Err(why) => (public_ranges(family), Some(why)),
        },
        None => match &peer.unknown {
            Some(why) => (vec![family.any().range()], Some(why.clone())),
            None => (
                peer.cidrs
                    .iter()
                    .filter(|c| c.family() == family)
                    .map(|c| c.range())
                    .collect(),
                None,
            ),
        },
    };
    let universe = merge_ranges(universe);
    if universe.is_empty() {
        return SgCoverage {
            undecided: vec![ports],
            unknown: vec![no_addresses(peer, family)],
            ..SgCoverage::default()
        };
    }
    let mut open: Vec<Rect> = universe
        .iter()
        .map(|a| Rect {
            lo: a.lo,
            hi: a.hi,
            ports,
        })
        .collect();
    let mut covering = Vec::new();
    let mut maybes: Vec<(String, Vec<AddrRange>, Ports)> = Vec::new();
    for g in groups {
        for r in ix.rules_of(g).iter().filter(|r| r.egress == egress) {
            if !r.proto.matches(proto) {
                continue;
            }
            let Some(p) = r.ports.intersect(ports) else {
                continue;
            };
            let addrs = match rule_addrs(ix, &r.peer, peer, family) {
                RuleAddrs::All => vec![family.any().range()],
                RuleAddrs::Known(a) => a,
                RuleAddrs::Within(scope, why) => {
                    maybes.push((format!("{}: {why}", r.describe()), scope, p));
                    continue;
                }
                RuleAddrs::None => continue,
            };
            if cut(&mut open, &addrs, p) {
                covering.push((r, p));
            }
        }
    }
    if open.is_empty() {
        return SgCoverage {
            covering,
            ..SgCoverage::default()
        };
    }
    // What the unreadable rules might admit is undecided; the rest is surely not admitted.
    let mut sure = open.clone();
    let mut unknown: Vec<String> = Vec::new();
    for (why, scope, p) in &maybes {
        if meets(&open, scope, *p) {
            cut(&mut sure, scope, *p);
            unknown.push(why.clone());
        }
    }
    let mut gaps: Vec<Gap> = Vec::new();
    let mut missing: Vec<Ports> = Vec::new();
    for (p, addrs) in by_port(&sure, family) {
        let whole = addrs == universe;
        if vague.is_some() && !whole {
            // The peer is somewhere in `universe`: only a port where none of it is admitted is
            // surely blocked.
            continue;
        }
        missing.push(p);
        match gaps.iter_mut().find(|g| g.addrs == addrs) {
            Some(g) => g.ports.push(p),
            None => gaps.push(Gap {
                ports: vec![p],
                addrs,
                whole,
            }),
        }
    }
    let missing = merge_ports(missing);
    let left: Vec<Ports> =
        merge_ports(by_port(&open, family).into_iter().map(|(p, _)| p).collect());
    let undecided: Vec<Ports> = merge_ports(
        left.iter()
            .flat_map(|l| subtract(*l, missing.clone()))
            .collect(),
    );
    if !undecided.is_empty() {
        if let Some(why) = vague {
            unknown.push(why);
        }
    }
    SgCoverage {
        missing,
        gaps,
        undecided,
        unknown,
        covering,
    }
}

/// `want` minus the union of `have`, as sorted disjoint ranges.
pub fn subtract(want: Ports, mut have: Vec<Ports>) -> Vec<Ports> {
    have.sort_unstable();
    let mut missing = Vec::new();
    let mut next = u32::from(want.from);
    for h in have {
        if u32::from(h.to) < next {
            continue;
        }
        if u32::from(h.from) > next {
            missing.push(Ports::range(next as u16, h.from - 1));
        }
        next = next.max(u32::from(h.to) + 1);
    }
    if next <= u32::from(want.to) {
        missing.push(Ports::range(next as u16, want.to));
    }
    missing
        .into_iter()
        .filter_map(|m| m.intersect(want))
        .collect()
}

/// Formats port ranges: `443, 8443-8451`.
pub fn format_ports(ports: &[Ports]) -> String {
    ports
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decides a security-group hop and explains a block or what cannot be decided.
pub fn sg_verdict(
    ix: View<'_>,
    groups: &[&str],
    egress: bool,
    peer: &Host<'_>,
    proto: Proto,
    ports: Ports,
    family: Family,
) -> Verdict {
    if groups.is_empty() {
        return Verdict::Blocked("no security group is attached".into());
    }
    let cov = sg_coverage(ix, groups, egress, peer, proto, ports, family);
    sg_explain(&cov, groups, egress, peer, proto)
}

/// [`sg_verdict`] with its evidence: the groups, the rules that admit part of the flow, and
/// what no rule admits (or what cannot be decided).
pub fn sg_hop(
    ix: View<'_>,
    groups: &[&str],
    egress: bool,
    peer: &Host<'_>,
    proto: Proto,
    ports: Ports,
    family: Family,
) -> (Verdict, HopEvidence) {
    if groups.is_empty() {
        return (
            Verdict::Blocked("no security group is attached".into()),
            HopEvidence {
                uncovered: vec![format!("{} {ports}", proto.name())],
                ..HopEvidence::default()
            },
        );
    }
    let cov = sg_coverage(ix, groups, egress, peer, proto, ports, family);
    let v = sg_explain(&cov, groups, egress, peer, proto);
    let mut entries: Vec<String> = Vec::new();
    for (r, _) in &cov.covering {
        let e = sg_entry(r);
        if !entries.contains(&e) {
            entries.push(e);
        }
    }
    let prep = if egress { "to" } else { "from" };
    let what = |p: &[Ports]| {
        if proto.has_ports() {
            format!("{} {}", proto.name(), format_ports(p))
        } else {
            proto.name()
        }
    };
    let mut uncovered: Vec<String> = cov
        .gaps
        .iter()
        .map(|g| {
            format!(
                "{} {prep} {}",
                what(&g.ports),
                crate::pure::cidr::format_ranges(&g.addrs)
            )
        })
        .collect();
    if !cov.undecided.is_empty() {
        uncovered.push(format!("{} (undecided)", what(&cov.undecided)));
    }
    let ev = HopEvidence {
        resources: groups.iter().map(|g| g.to_string()).collect(),
        entries,
        uncovered,
    };
    (v, ev)
}

/// A security-group rule as an evidence entry: its `sgr-…` id, else `sg-…: tcp 443 to
/// 10.0.0.0/16` (rules read from `describe-security-groups.json` have no id).
pub fn sg_entry(r: &SgRule<'_>) -> String {
    if let Some(id) = r.rule_id {
        return id.to_string();
    }
    let dir = if r.egress { "to" } else { "from" };
    if r.proto.has_ports() {
        format!(
            "{}: {} {} {dir} {}",
            r.group_id,
            r.proto.name(),
            r.ports,
            r.peer
        )
    } else {
        format!("{}: {} {dir} {}", r.group_id, r.proto.name(), r.peer)
    }
}

/// The verdict of a security-group hop from its coverage, with the sentence that explains a
/// block or what cannot be decided.
fn sg_explain(
    cov: &SgCoverage<'_>,
    groups: &[&str],
    egress: bool,
    peer: &Host<'_>,
    proto: Proto,
) -> Verdict {
    if cov.admitted() {
        return Verdict::Allowed;
    }
    let (dir, prep) = if egress {
        ("egress", "to")
    } else {
        ("ingress", "from")
    };
    let subject = format!(
        "{} allow{}",
        groups.join(", "),
        if groups.len() == 1 { "s" } else { "" }
    );
    if cov.missing.is_empty() {
        return Verdict::Unknown(format!(
            "whether {subject} {dir} on {} {} {prep} {} cannot be told: {}",
            proto.name(),
            format_ports(&cov.undecided),
            peer.label(),
            cov.unknown.join("; ")
        ));
    }
    let mut s = format!(
        "{subject} no {dir} on {}",
        cov.gap_text(proto, prep, &peer.label())
    );
    let partial = cov.partial();
    if !partial.is_empty() {
        s.push_str(&format!(
            "; {} cover{} only part of it",
            partial.join(", "),
            if partial.len() == 1 { "s" } else { "" }
        ));
    }
    Verdict::Blocked(s)
}

/// What the rules of some groups open to a whole address family (`0.0.0.0/0` or `::/0`),
/// together: a port is open when the union of the rules covers every address at it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Opening {
    /// Ports open to every address of the family.
    pub open: Vec<Ports>,
    /// Ports that may be open, through rules that cannot be read.
    pub maybe: Vec<Ports>,
    /// The rules that together open `open` (`describe()` of each).
    pub rules: Vec<String>,
    /// Why `maybe` cannot be decided.
    pub unknown: Vec<String>,
}

/// The ports on which the groups admit (ingress) or allow (egress) `proto` from or to every
/// address of `family`, through the union of their rules.
pub fn open_to_anywhere(
    ix: View<'_>,
    groups: &[&str],
    egress: bool,
    proto: Proto,
    family: Family,
) -> Opening {
    let anywhere = Host::addresses("anywhere", vec![family.any()]);
    let cov = sg_coverage(ix, groups, egress, &anywhere, proto, Ports::ALL, family);
    let mut closed = cov.missing.clone();
    closed.extend(cov.undecided.iter().copied());
    let open = subtract(Ports::ALL, closed);
    let rules = {
        let mut v: Vec<String> = Vec::new();
        for (r, p) in &cov.covering {
            if open.iter().any(|o| o.intersect(*p).is_some()) {
                let r = r.describe();
                if !v.contains(&r) {
                    v.push(r);
                }
            }
        }
        v
    };
    Opening {
        open,
        maybe: cov.undecided,
        rules,
        unknown: cov.unknown,
    }
}

/// The routes the source subnet uses towards the destination: longest-prefix match over every
/// address of the destination in the flow's family ([`crate::pure::routing::segments_with`],
/// prefix-list routes with collected entries taking part), so the destination is reached only
/// when each of its addresses takes a route that is not a blackhole. A prefix-list destination
/// is its collected entries; when they are unknown, a route to the list itself reaches it, and
/// otherwise it must be routed wherever it is. For the internet, the addresses the local route
/// keeps inside the VPC are left out.
fn route_hop<'a>(
    ix: View<'a>,
    src: &Host<'a>,
    dst: &Host<'a>,
    family: Family,
) -> (Verdict, HopEvidence) {
    let Some(rt) = src.route_table(ix) else {
        return (Verdict::NotOnPath, HopEvidence::default());
    };
    let mut ev = HopEvidence {
        resources: vec![rt.route_table_id.to_string()],
        ..HopEvidence::default()
    };
    let v = route_verdict(ix, rt, dst, family, &mut ev);
    (v, ev)
}

/// The route hop's verdict; writes the targets of the routes taken, and the addresses left
/// without a usable route, into `ev`.
fn route_verdict<'a>(
    ix: View<'a>,
    rt: &'a RouteTable,
    dst: &Host<'a>,
    family: Family,
    ev: &mut HopEvidence,
) -> Verdict {
    use crate::pure::lifecycle::{route, RouteState};
    use crate::pure::routing::{format_range, segments_with};
    let known = |pl: &str| ix.prefix_list_cidrs(pl).ok();
    let dst_cidrs: Vec<Cidr> = match (dst.prefix_list, dst.cidr_in(family)) {
        (Some(pl), _) => match known(pl) {
            Some(entries) => entries
                .into_iter()
                .filter(|c| c.family() == family)
                .collect(),
            None => {
                if let Some(r) = rt.routes.iter().find(|r| {
                    r.destination_prefix_list_id.as_deref() == Some(pl)
                        && route(r.state.as_deref()) != RouteState::Blackhole
                }) {
                    ev.entries.push(r.target().to_string());
                    return Verdict::Allowed;
                }
                vec![family.any()]
            }
        },
        (None, Some(c)) => vec![c],
        (None, None) => Vec::new(),
    };
    if dst_cidrs.is_empty() {
        return Verdict::Unknown(no_addresses(dst, family));
    }
    let segs = segments_with(rt, family, &|r: &crate::pure::model::Route| {
        r.destination_prefix_list_id.as_deref().and_then(known)
    });
    for dst_cidr in dst_cidrs {
        let whole = dst_cidr.range();
        let (lo, hi) = (whole.lo, whole.hi);
        let internet = dst_cidr.prefix_len() == 0;
        for seg in &segs {
            let (slo, shi) = (seg.lo.max(lo), seg.hi.min(hi));
            if slo > shi {
                continue;
            }
            let part = if slo == lo && shi == hi && (dst.prefix_list.is_none() || internet) {
                dst.label()
            } else {
                format!("{} of {}", format_range(family, slo, shi), dst.label())
            };
            if let Some(r) = seg
                .route
                .filter(|r| !(internet && r.gateway_id.as_deref() == Some("local")))
            {
                let t = r.target().to_string();
                if !ev.entries.contains(&t) {
                    ev.entries.push(t);
                }
            }
            match seg.route {
                None => {
                    ev.uncovered.push(format_range(family, slo, shi));
                    return Verdict::Blocked(format!(
                        "{} has no route to {part}",
                        rt.route_table_id
                    ));
                }
                Some(r) if internet && r.gateway_id.as_deref() == Some("local") => {}
                Some(r) => match route(r.state.as_deref()) {
                    RouteState::Blackhole => {
                        ev.uncovered.push(format_range(family, slo, shi));
                        return Verdict::Blocked(format!(
                    "{} routes {} to {part} through {}, which is a blackhole (its target is gone)",
                    rt.route_table_id,
                    r.destination(),
                    r.target()
                ));
                    }
                    RouteState::Unknown => {
                        return Verdict::Unknown(format!(
                        "{} routes {} to {part} through {}, whose state `{}` plaudit does not know",
                        rt.route_table_id,
                        r.destination(),
                        r.target(),
                        r.state.as_deref().unwrap_or_default()
                    ))
                    }
                    RouteState::Active | RouteState::Unstated => {}
                },
            }
        }
    }
    Verdict::Allowed
}

#[cfg(test)]
mod tests;

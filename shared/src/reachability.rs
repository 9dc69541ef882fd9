//! Reachability: can a flow Databricks needs actually pass?
//!
//! A flow goes from a source host set (a subnet with its security groups) to a destination (a
//! subnet with security groups, the internet, or a prefix list) on a protocol and port range. It
//! passes when every hop allows it: the source SG egress, the source subnet's NACL outbound (in
//! rule-number order), the route, the destination NACL inbound, the destination SG ingress, and,
//! because NACLs are stateless, the return path on ephemeral ports through both NACLs. Security
//! groups are stateful, so their return path needs nothing.
//!
//! Each hop is decided over the whole address range of the peer: a CIDR rule counts only if it
//! covers the whole subnet, and a NACL DENY that hits part of the subnet blocks the flow. A failed
//! hop names the exact entry that blocks it.

use std::borrow::Cow;

use crate::cidr::{format_v4_range, Cidr};
use crate::index::{Index, Ports, Proto, SgPeer, SgRule};
use crate::model::{NetworkAcl, RouteTable};

/// One end of a flow.
#[derive(Debug, Clone)]
pub struct Host<'a> {
    /// For messages: `subnet-0abc`, `the internet`, `pl-63a5400a (the S3 prefix list)`.
    pub name: Cow<'a, str>,
    /// Whether [`Host::label`] appends the CIDR to the name.
    pub show_cidr: bool,
    /// The addresses; `0.0.0.0/0` for the internet.
    pub cidr: Cidr,
    /// The security groups of the ENIs at this end (empty for the internet).
    pub groups: Vec<&'a str>,
    /// The subnet's NACL; `None` outside a VPC.
    pub acl: Option<&'a AclRules<'a>>,
    /// The subnet's route table; `None` outside a VPC.
    pub route_table: Option<&'a RouteTable>,
    /// Set when the destination is a managed prefix list (S3 through a gateway endpoint).
    pub prefix_list: Option<&'a str>,
}

impl<'a> Host<'a> {
    /// The host for messages: `subnet-0abc (10.0.0.0/22)`, `the internet (0.0.0.0/0)`.
    pub fn label(&self) -> String {
        if self.show_cidr {
            format!("{} ({})", self.name, self.cidr)
        } else {
            self.name.to_string()
        }
    }

    /// A subnet of the snapshot with the given security groups.
    pub fn subnet(ix: &'a Index<'a>, subnet_id: &'a str, groups: Vec<&'a str>) -> Option<Host<'a>> {
        let subnet = ix.subnets.get(subnet_id)?;
        let cidr = *ix.subnet_cidrs.get(subnet_id)?;
        Some(Host {
            name: Cow::Borrowed(subnet_id),
            show_cidr: true,
            cidr,
            groups,
            acl: ix.acl_for(subnet_id),
            route_table: ix.route_table_for(subnet),
            prefix_list: None,
        })
    }

    pub fn internet() -> Host<'a> {
        Host {
            name: Cow::Borrowed("the internet"),
            show_cidr: true,
            cidr: crate::cidr::ANY_V4,
            groups: Vec::new(),
            acl: None,
            route_table: None,
            prefix_list: None,
        }
    }

    pub fn prefix_list(id: &'a str, what: &str) -> Host<'a> {
        Host {
            name: Cow::Owned(format!("{id} ({what})")),
            show_cidr: false,
            cidr: crate::cidr::ANY_V4,
            groups: Vec::new(),
            acl: None,
            route_table: None,
            prefix_list: Some(id),
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
}

/// The verdicts of every hop of a flow.
#[derive(Debug, Clone)]
pub struct Trace {
    pub hops: Vec<(HopKind, Verdict)>,
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

    pub fn passes(&self) -> bool {
        self.first_block().is_none()
    }
}

/// Traces every hop of a flow.
pub fn trace(ix: &Index<'_>, flow: &Flow<'_>) -> Trace {
    let what = format!("{} {}", flow.proto.name(), flow.ports);
    let mut hops = Vec::with_capacity(7);
    hops.push((
        HopKind::SrcSgEgress,
        sg_verdict(
            ix,
            &flow.src.groups,
            true,
            &flow.dst,
            flow.proto,
            flow.ports,
        ),
    ));
    let acl_hop = |acl: Option<&AclRules<'_>>, egress, peer: &Host, ports, dir_text: &str| match acl
    {
        None => Verdict::NotOnPath,
        Some(acl) => match nacl_check(acl, egress, peer.cidr, flow.proto, ports) {
            None => Verdict::Allowed,
            Some(b) => Verdict::Blocked(b.sentence(acl, &format!("{dir_text} {}", peer.label()))),
        },
    };
    hops.push((
        HopKind::SrcNaclOut,
        acl_hop(flow.src.acl, true, &flow.dst, flow.ports, "traffic to"),
    ));
    hops.push((HopKind::Route, route_verdict(&flow.src, &flow.dst)));
    hops.push((
        HopKind::DstNaclIn,
        acl_hop(flow.dst.acl, false, &flow.src, flow.ports, "traffic from"),
    ));
    hops.push((
        HopKind::DstSgIngress,
        if flow.dst.groups.is_empty() {
            Verdict::NotOnPath
        } else {
            sg_verdict(
                ix,
                &flow.dst.groups,
                false,
                &flow.src,
                flow.proto,
                flow.ports,
            )
        },
    ));
    let ret = |acl, egress, peer: &Host, dir_text: &str| match acl {
        None => Verdict::NotOnPath,
        Some(acl) => match nacl_check(acl, egress, peer.cidr, flow.proto, Ports::EPHEMERAL) {
            None => Verdict::Allowed,
            Some(b) => Verdict::Blocked(b.sentence(
                acl,
                &format!("return traffic ({what}) {dir_text} {}", peer.label()),
            )),
        },
    };
    hops.push((
        HopKind::DstNaclReturnOut,
        ret(flow.dst.acl, true, &flow.src, "to"),
    ));
    hops.push((
        HopKind::SrcNaclReturnIn,
        ret(flow.src.acl, false, &flow.dst, "from"),
    ));
    Trace { hops }
}

/// Which ports of `ports` the security groups allow towards (egress) or from (ingress) a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SgCoverage {
    /// Port ranges no rule allows.
    pub missing: Vec<Ports>,
    /// Rules that touch the peer only partly (a CIDR covering part of the subnet).
    pub partial: Vec<String>,
}

/// Decides a security-group hop: the union of the rules of all `groups` that match the peer.
pub fn sg_coverage(
    ix: &Index<'_>,
    groups: &[&str],
    egress: bool,
    peer: &Host<'_>,
    proto: Proto,
    ports: Ports,
) -> SgCoverage {
    let mut allowed: Vec<Ports> = Vec::new();
    let mut partial = Vec::new();
    for g in groups {
        for r in ix.rules_of(g).iter().filter(|r| r.egress == egress) {
            if !r.proto.matches(proto) {
                continue;
            }
            let Some(p) = r.ports.intersect(ports) else {
                continue;
            };
            match peer_match(r, peer) {
                PeerMatch::Whole => allowed.push(p),
                PeerMatch::Part => partial.push(r.describe()),
                PeerMatch::No => {}
            }
        }
    }
    SgCoverage {
        missing: subtract(ports, allowed),
        partial,
    }
}

enum PeerMatch {
    Whole,
    Part,
    No,
}

fn peer_match(r: &SgRule<'_>, peer: &Host<'_>) -> PeerMatch {
    match &r.peer {
        SgPeer::Group(g) => {
            if peer.groups.contains(g) {
                PeerMatch::Whole
            } else {
                PeerMatch::No
            }
        }
        SgPeer::PrefixList(p) => {
            if peer.prefix_list == Some(*p) {
                PeerMatch::Whole
            } else {
                PeerMatch::No
            }
        }
        SgPeer::Cidr(c) => {
            if peer.prefix_list.is_some() {
                // A prefix list's addresses are unknown here: only a rule to all of IPv4 covers it.
                return if c.prefix_len() == 0 && c.v4_range().is_some() {
                    PeerMatch::Whole
                } else {
                    PeerMatch::No
                };
            }
            if c.covers(&peer.cidr) {
                PeerMatch::Whole
            } else if c.overlaps(&peer.cidr) {
                PeerMatch::Part
            } else {
                PeerMatch::No
            }
        }
    }
}

/// `want` minus the union of `have`, as sorted disjoint ranges.
pub fn subtract(want: Ports, mut have: Vec<Ports>) -> Vec<Ports> {
    have.sort_unstable();
    let mut missing = Vec::new();
    let mut next = u32::from(want.from);
    for h in have {
        if u32::from(h.from) > next {
            missing.push(Ports::range(next as u16, h.from - 1));
        }
        next = next.max(u32::from(h.to) + 1);
    }
    if next <= u32::from(want.to) {
        missing.push(Ports::range(next as u16, want.to));
    }
    missing
}

/// Formats port ranges: `443, 8443-8451`.
pub fn format_ports(ports: &[Ports]) -> String {
    ports
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decides a security-group hop and explains a block.
pub fn sg_verdict(
    ix: &Index<'_>,
    groups: &[&str],
    egress: bool,
    peer: &Host<'_>,
    proto: Proto,
    ports: Ports,
) -> Verdict {
    if groups.is_empty() {
        return Verdict::Blocked("no security group is attached".into());
    }
    let cov = sg_coverage(ix, groups, egress, peer, proto, ports);
    if cov.missing.is_empty() {
        return Verdict::Allowed;
    }
    let (dir, prep) = if egress {
        ("egress", "to")
    } else {
        ("ingress", "from")
    };
    let mut s = format!(
        "{} allow{} no {dir} on {} {} {prep} {}",
        groups.join(", "),
        if groups.len() == 1 { "s" } else { "" },
        proto.name(),
        format_ports(&cov.missing),
        peer.label()
    );
    if !cov.partial.is_empty() {
        s.push_str(&format!(
            "; {} cover{} only part of it",
            cov.partial.join(", "),
            if cov.partial.len() == 1 { "s" } else { "" }
        ));
    }
    Verdict::Blocked(s)
}

/// Where a NACL blocks a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaclBlock {
    /// The DENY entry that decides it; `None` for the implicit final deny.
    pub entry: Option<NaclEntryView>,
    pub ports: Ports,
    /// The blocked part of the peer's addresses.
    pub ip_lo: u32,
    pub ip_hi: u32,
}

/// The fields of a NACL entry a message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaclEntryView {
    pub rule_number: i32,
    pub action: String,
    pub proto: Proto,
    pub ports: Ports,
    pub cidr: String,
}

impl NaclBlock {
    /// The deciding entry: "acl-0abc rule 90 DENY tcp 0-65535 0.0.0.0/0", or the final deny.
    pub fn head(&self, acl: &AclRules<'_>) -> String {
        match &self.entry {
            Some(e) => format!(
                "{} rule {} {} {} {}",
                acl.id,
                e.rule_number,
                e.action.to_ascii_uppercase(),
                if e.proto.has_ports() {
                    format!("{} {}", e.proto.name(), e.ports)
                } else {
                    e.proto.name()
                },
                e.cidr
            ),
            None => format!("{}'s final DENY (*), with no ALLOW before it,", acl.id),
        }
    }

    /// "acl-0abc rule 90 DENY tcp 0-65535 0.0.0.0/0 blocks return traffic to subnet-0def (ports
    /// 1024-65535, addresses 10.0.0.0/22)".
    pub fn sentence(&self, acl: &AclRules<'_>, what: &str) -> String {
        format!(
            "{} blocks {what} (ports {}, addresses {})",
            self.head(acl),
            self.ports,
            format_v4_range(self.ip_lo, self.ip_hi)
        )
    }
}

/// One NACL entry, parsed once.
#[derive(Debug, Clone, Copy)]
struct NaclRule<'s> {
    rule_number: i32,
    allow: bool,
    proto: Proto,
    ports: Ports,
    lo: u32,
    hi: u32,
    action: &'s str,
    cidr: &'s str,
    /// False when `CidrBlock` does not parse: the entry's addresses are unknown, so where it could
    /// decide it blocks (failing closed) instead of being skipped (which could pass a denied flow).
    readable: bool,
}

/// A NACL with its IPv4 entries parsed and sorted by rule number, per direction: built once per
/// audit by the index, then evaluated for every flow through the subnets it guards.
#[derive(Debug, Clone)]
pub struct AclRules<'s> {
    pub id: &'s str,
    ingress: Vec<NaclRule<'s>>,
    egress: Vec<NaclRule<'s>>,
}

impl<'s> AclRules<'s> {
    pub fn new(acl: &'s NetworkAcl) -> AclRules<'s> {
        let parse = |egress: bool| {
            let mut v: Vec<NaclRule<'s>> = acl
                .entries
                .iter()
                .filter(|e| e.egress == egress)
                .filter_map(|e| {
                    let cidr = e.cidr_block.as_deref()?;
                    let range = Cidr::parse(cidr).and_then(|c| c.v4_range());
                    let (lo, hi) = range.unwrap_or((0, u32::MAX));
                    let proto = Proto::parse(&e.protocol);
                    let ports = match (&e.port_range, proto.has_ports()) {
                        (Some(p), true) => Ports::from_api(proto, Some(p.from), Some(p.to)),
                        _ => Ports::ALL,
                    };
                    Some(NaclRule {
                        rule_number: e.rule_number,
                        allow: e.rule_action.eq_ignore_ascii_case("allow"),
                        proto,
                        ports,
                        lo,
                        hi,
                        action: &e.rule_action,
                        cidr,
                        readable: range.is_some(),
                    })
                })
                .collect();
            v.sort_by_key(|r| r.rule_number);
            v
        };
        AclRules {
            id: &acl.network_acl_id,
            ingress: parse(false),
            egress: parse(true),
        }
    }
}

/// Evaluates a NACL for packets between this subnet and `peer` (the destination on egress, the
/// source on ingress), the way AWS does: entries in ascending rule number, first match decides.
/// Returns `None` when every packet of the flow is allowed.
pub fn nacl_check(
    acl: &AclRules<'_>,
    egress: bool,
    peer: Cidr,
    proto: Proto,
    ports: Ports,
) -> Option<NaclBlock> {
    let (lo, hi) = peer.v4_range()?;
    let entries = if egress { &acl.egress } else { &acl.ingress };
    // Undecided rectangles of (address range, port range).
    let mut open: Vec<(u32, u32, Ports)> = vec![(lo, hi, ports)];
    for e in entries {
        if !e.proto.matches(proto) {
            continue;
        }
        let (elo, ehi, eports) = (e.lo, e.hi, e.ports);
        let allow = e.allow && e.readable;
        let mut next = Vec::with_capacity(open.len());
        for (rlo, rhi, rp) in open {
            let ilo = rlo.max(elo);
            let ihi = rhi.min(ehi);
            let ip = rp.intersect(eports);
            let Some(ip) = ip.filter(|_| ilo <= ihi) else {
                next.push((rlo, rhi, rp));
                continue;
            };
            if !allow {
                return Some(NaclBlock {
                    entry: Some(NaclEntryView {
                        rule_number: e.rule_number,
                        action: if e.readable {
                            e.action.to_string()
                        } else {
                            format!("{} (unreadable CIDR)", e.action)
                        },
                        proto: e.proto,
                        ports: eports,
                        cidr: e.cidr.to_string(),
                    }),
                    ports: ip,
                    ip_lo: ilo,
                    ip_hi: ihi,
                });
            }
            // Keep what the entry did not decide.
            if rlo < ilo {
                next.push((rlo, ilo - 1, rp));
            }
            if ihi < rhi {
                next.push((ihi + 1, rhi, rp));
            }
            if rp.from < ip.from {
                next.push((ilo, ihi, Ports::range(rp.from, ip.from - 1)));
            }
            if ip.to < rp.to {
                next.push((ilo, ihi, Ports::range(ip.to + 1, rp.to)));
            }
        }
        open = next;
        if open.is_empty() {
            return None;
        }
    }
    open.first().map(|&(lo, hi, p)| NaclBlock {
        entry: None,
        ports: p,
        ip_lo: lo,
        ip_hi: hi,
    })
}

/// The routes the source subnet uses towards the destination: longest-prefix match over every
/// address of the destination ([`crate::routing::segments`]), so the destination is reached only
/// when each of its addresses takes a route that is not a blackhole. For the internet
/// (`0.0.0.0/0`), the addresses the local route keeps inside the VPC are left out.
fn route_verdict(src: &Host<'_>, dst: &Host<'_>) -> Verdict {
    use crate::lifecycle::{route, RouteState};
    use crate::routing::{format_range, range_of, segments};
    let Some(rt) = src.route_table else {
        return Verdict::NotOnPath;
    };
    if let Some(pl) = dst.prefix_list {
        if rt.routes.iter().any(|r| {
            r.destination_prefix_list_id.as_deref() == Some(pl)
                && route(r.state.as_deref()) != RouteState::Blackhole
        }) {
            return Verdict::Allowed;
        }
    }
    let (family, lo, hi) = range_of(&dst.cidr);
    let internet = dst.cidr.prefix_len() == 0;
    for seg in segments(rt, family) {
        let (slo, shi) = (seg.lo.max(lo), seg.hi.min(hi));
        if slo > shi {
            continue;
        }
        let part = if slo == lo && shi == hi {
            dst.label()
        } else {
            format!("{} of {}", format_range(family, slo, shi), dst.label())
        };
        match seg.route {
            None => {
                return Verdict::Blocked(format!("{} has no route to {part}", rt.route_table_id))
            }
            Some(r) if internet && r.gateway_id.as_deref() == Some("local") => {}
            Some(r) => match route(r.state.as_deref()) {
                RouteState::Blackhole => {
                    return Verdict::Blocked(format!(
                    "{} routes {} to {part} through {}, which is a blackhole (its target is gone)",
                    rt.route_table_id,
                    r.destination(),
                    r.target()
                ))
                }
                RouteState::Unknown => {
                    return Verdict::Blocked(format!(
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
    Verdict::Allowed
}

#[cfg(test)]
mod tests;

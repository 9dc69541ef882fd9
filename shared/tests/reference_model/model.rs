//! The reference model: AWS network semantics as the AWS documentation states them, evaluated by
//! brute force over individual packets. Written from the documentation, not from plaudit's
//! reachability code, and deliberately naive: no interval algebra, no caching, one packet at a time.
//!
//! Sources (AWS documentation):
//! - Security groups: <https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html>
//!   (allow rules only; the rules of every group of an ENI are aggregated; stateful; a rule's
//!   source/destination is a CIDR, a prefix list or a security group, the latter meaning the
//!   private addresses of the ENIs that carry that group) and
//!   <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html> (`-1` = all
//!   protocols, and `-1` or a protocol other than tcp/udp/icmp/icmpv6 allows every port whatever
//!   the port range says).
//! - Network ACLs: <https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html> and
//!   <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html>
//!   (separate ingress and egress entries processed in ascending rule number, the first entry that
//!   matches decides, a final `*` entry denies; stateless, so the return traffic to the client's
//!   ephemeral port 1024-65535 must be allowed too; the port range applies to TCP (6) and UDP (17)
//!   only, `-1` and other protocols match every port; IPv4 entries carry `CidrBlock`, IPv6 entries
//!   `Ipv6CidrBlock`).
//! - Routes: <https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html>
//!   (longest prefix match, IPv4 and IPv6 routes independent; on an equal prefix a static CIDR
//!   route wins over a prefix-list route) and a `blackhole` route drops what it matches.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use plaudit::model::{NetworkAclEntry, Route, RouteTable, SecurityGroupRule};

/// An address family. IPv4 addresses live in the low 32 bits of a `u128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fam {
    V4,
    V6,
}

impl Fam {
    pub fn max(self) -> u128 {
        match self {
            Fam::V4 => u128::from(u32::MAX),
            Fam::V6 => u128::MAX,
        }
    }
}

/// A CIDR block as an inclusive address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Block {
    pub fam: Fam,
    pub lo: u128,
    pub hi: u128,
    pub len: u8,
}

impl Block {
    /// Parses `a.b.c.d/n` or an IPv6 `x::/n` with the standard library only; host bits are
    /// ignored (AWS normalises them away).
    pub fn parse(s: &str) -> Option<Block> {
        let (ip, len) = s.split_once('/')?;
        let len: u8 = len.parse().ok()?;
        if let Ok(v4) = ip.parse::<Ipv4Addr>() {
            if len > 32 {
                return None;
            }
            let size: u128 = 1u128 << (32 - u32::from(len));
            let lo = u128::from(u32::from(v4)) / size * size;
            return Some(Block {
                fam: Fam::V4,
                lo,
                hi: lo + size - 1,
                len,
            });
        }
        let v6 = ip.parse::<Ipv6Addr>().ok()?;
        if len > 128 {
            return None;
        }
        let host_bits = 128 - u32::from(len);
        let mask: u128 = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let lo = u128::from(v6) & !mask;
        Some(Block {
            fam: Fam::V6,
            lo,
            hi: lo | mask,
            len,
        })
    }

    pub fn contains(&self, fam: Fam, addr: u128) -> bool {
        self.fam == fam && self.lo <= addr && addr <= self.hi
    }
}

/// One packet as a filter sees it: the address of the other side (the destination for outbound
/// filters, the source for inbound ones), the IP protocol and the destination port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Packet {
    pub fam: Fam,
    pub addr: u128,
    pub proto: u8,
    pub port: u16,
}

/// A rule's protocol: every protocol, or one protocol number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    All,
    Num(u8),
}

/// Reads a protocol as security-group rules (`tcp`, `udp`, `icmp`, `icmpv6`, `-1`, numbers) and
/// NACL entries (numbers, `-1`) write it.
pub fn parse_proto(s: &str) -> Option<Proto> {
    match s.to_ascii_lowercase().as_str() {
        "-1" | "all" => Some(Proto::All),
        "tcp" => Some(Proto::Num(6)),
        "udp" => Some(Proto::Num(17)),
        "icmp" => Some(Proto::Num(1)),
        "icmpv6" => Some(Proto::Num(58)),
        n => n.parse::<u8>().ok().map(Proto::Num),
    }
}

/// True when the protocol filters on ports (TCP and UDP; ICMP's type/code is not a port and the
/// packets this model enumerates are TCP or UDP).
fn has_ports(p: u8) -> bool {
    p == 6 || p == 17
}

// ---------------------------------------------------------------------------------------------
// Security groups
// ---------------------------------------------------------------------------------------------

/// Who the other side of a security-group check is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerId {
    /// The security groups carried by the ENI at the other side (empty for the internet or a
    /// service reached through a prefix list).
    pub groups: Vec<String>,
}

/// Prefix lists with their entries.
pub type PrefixLists = BTreeMap<String, Vec<Block>>;

/// True when the SG rule allows the packet. `peer` is who sits at `pkt.addr`.
pub fn sg_rule_matches(
    rule: &SecurityGroupRule,
    pkt: &Packet,
    peer: &PeerId,
    pls: &PrefixLists,
) -> bool {
    let Some(proto) = parse_proto(&rule.ip_protocol) else {
        return false;
    };
    match proto {
        Proto::All => {}
        Proto::Num(n) if n != pkt.proto => return false,
        Proto::Num(n) if has_ports(n) => {
            let from = rule.from_port.unwrap_or(0);
            let to = rule.to_port.unwrap_or(65535);
            let p = i32::from(pkt.port);
            // A port range of -1/-1 on TCP/UDP does not occur in AWS; read it as every port.
            let every_port = from == -1 && to == -1;
            if !(every_port || (from <= p && p <= to)) {
                return false;
            }
        }
        Proto::Num(_) => {}
    }
    let in_cidr = |c: &Option<plaudit::model::Text>| {
        c.as_deref()
            .and_then(Block::parse)
            .is_some_and(|b| b.contains(pkt.fam, pkt.addr))
    };
    if in_cidr(&rule.cidr_ipv4) || in_cidr(&rule.cidr_ipv6) {
        return true;
    }
    if let Some(pl) = &rule.prefix_list_id {
        if pls
            .get(pl.as_str())
            .is_some_and(|entries| entries.iter().any(|b| b.contains(pkt.fam, pkt.addr)))
        {
            return true;
        }
    }
    if let Some(g) = &rule.referenced_group_info {
        if peer.groups.iter().any(|pg| pg == g.group_id.as_str()) {
            return true;
        }
    }
    false
}

/// The aggregated security groups of one ENI allow the packet in that direction: some rule of
/// some group of the ENI matches.
pub fn sg_allows(
    rules: &[SecurityGroupRule],
    eni_groups: &[String],
    egress: bool,
    pkt: &Packet,
    peer: &PeerId,
    pls: &PrefixLists,
) -> bool {
    rules.iter().any(|r| {
        r.is_egress == egress
            && eni_groups.iter().any(|g| g == r.group_id.as_str())
            && sg_rule_matches(r, pkt, peer, pls)
    })
}

// ---------------------------------------------------------------------------------------------
// Network ACLs
// ---------------------------------------------------------------------------------------------

/// The NACL verdict on one packet and the entry that gave it. `None` is the final `*` entry
/// (AWS prints it as rule number 32767/32768; such an explicit entry is normalised to `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NaclDecision {
    Allow(i32),
    Deny(Option<i32>),
}

impl NaclDecision {
    pub fn allowed(self) -> bool {
        matches!(self, NaclDecision::Allow(_))
    }
}

/// The rule number AWS gives the final catch-all entry (`32767` for IPv4, `32768` for IPv6 as
/// `describe-network-acls` prints them; user entries are numbered 1-32766).
pub const STAR_RULE: i32 = 32767;

pub fn nacl_entry_matches(e: &NetworkAclEntry, pkt: &Packet) -> bool {
    let block = match pkt.fam {
        Fam::V4 => e.cidr_block.as_deref(),
        Fam::V6 => e.ipv6_cidr_block.as_deref(),
    };
    let Some(block) = block.and_then(Block::parse) else {
        return false;
    };
    if !block.contains(pkt.fam, pkt.addr) {
        return false;
    }
    match parse_proto(&e.protocol) {
        None => false,
        Some(Proto::All) => true,
        Some(Proto::Num(n)) if n != pkt.proto => false,
        Some(Proto::Num(n)) if has_ports(n) => e.port_range.as_ref().is_none_or(|r| {
            let p = i32::from(pkt.port);
            r.from <= p && p <= r.to
        }),
        Some(Proto::Num(_)) => true,
    }
}

/// Processes the entries of one direction in ascending rule number; the first match decides.
pub fn nacl_decide(entries: &[NetworkAclEntry], egress: bool, pkt: &Packet) -> NaclDecision {
    let mut dir: Vec<&NetworkAclEntry> = entries.iter().filter(|e| e.egress == egress).collect();
    dir.sort_by_key(|e| e.rule_number);
    for e in dir {
        if nacl_entry_matches(e, pkt) {
            let allow = e.rule_action.eq_ignore_ascii_case("allow");
            return match (allow, e.rule_number) {
                (true, n) => NaclDecision::Allow(n),
                (false, n) if n >= STAR_RULE => NaclDecision::Deny(None),
                (false, n) => NaclDecision::Deny(Some(n)),
            };
        }
    }
    NaclDecision::Deny(None)
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/// Where the route table sends a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteOutcome {
    /// No route matches: the packet is dropped.
    NoRoute,
    /// The most specific route is a blackhole: dropped.
    Blackhole(String),
    /// The most specific route and its target id (`local`, `igw-…`, `nat-…`, …).
    Target { destination: String, target: String },
}

impl RouteOutcome {
    pub fn target(&self) -> Option<&str> {
        match self {
            RouteOutcome::Target { target, .. } => Some(target),
            _ => None,
        }
    }
}

fn route_target(r: &Route) -> String {
    [
        &r.gateway_id,
        &r.nat_gateway_id,
        &r.transit_gateway_id,
        &r.network_interface_id,
        &r.instance_id,
        &r.vpc_peering_connection_id,
        &r.egress_only_internet_gateway_id,
        &r.local_gateway_id,
        &r.core_network_arn,
    ]
    .into_iter()
    .find_map(|t| t.as_deref().map(str::to_string))
    .unwrap_or_default()
}

/// Longest prefix match over the table. A prefix-list route counts with the length of its
/// longest entry that contains the address; on an equal length the CIDR route wins.
pub fn route_lookup(table: &RouteTable, fam: Fam, addr: u128, pls: &PrefixLists) -> RouteOutcome {
    // (prefix length, is a CIDR route) — larger is preferred.
    let mut best: Option<((u8, bool), &Route)> = None;
    for r in &table.routes {
        let dest = match fam {
            Fam::V4 => r.destination_cidr_block.as_deref(),
            Fam::V6 => r.destination_ipv6_cidr_block.as_deref(),
        };
        let key = if let Some(b) = dest.and_then(Block::parse) {
            b.contains(fam, addr).then_some((b.len, true))
        } else if let Some(pl) = r.destination_prefix_list_id.as_deref() {
            pls.get(pl).and_then(|entries| {
                entries
                    .iter()
                    .filter(|b| b.contains(fam, addr))
                    .map(|b| (b.len, false))
                    .max()
            })
        } else {
            None
        };
        if let Some(k) = key {
            if best.as_ref().is_none_or(|(bk, _)| k > *bk) {
                best = Some((k, r));
            }
        }
    }
    match best {
        None => RouteOutcome::NoRoute,
        Some((_, r)) => {
            let destination = r
                .destination_cidr_block
                .as_deref()
                .or(r.destination_ipv6_cidr_block.as_deref())
                .or(r.destination_prefix_list_id.as_deref())
                .unwrap_or_default()
                .to_string();
            if r.state
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("blackhole"))
            {
                RouteOutcome::Blackhole(destination)
            } else {
                RouteOutcome::Target {
                    destination,
                    target: route_target(r),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Boundary enumeration
// ---------------------------------------------------------------------------------------------

/// Candidate values in `[lo, hi]`: the range's own ends plus, for every range in play, its
/// first and last value and the values just outside it. Between two consecutive candidates no
/// range starts or ends, so every packet decision is constant there: checking the candidates is
/// exhaustive for unions of rectangles.
pub fn cuts(lo: u128, hi: u128, ranges: &[(u128, u128)]) -> Vec<u128> {
    let mut s = BTreeSet::new();
    s.insert(lo);
    s.insert(hi);
    for &(a, b) in ranges {
        for v in [Some(a), a.checked_sub(1), Some(b), b.checked_add(1)]
            .into_iter()
            .flatten()
        {
            if lo <= v && v <= hi {
                s.insert(v);
            }
        }
    }
    s.into_iter().collect()
}

/// The address ranges (of one family) that the rules of one SG check mention.
pub fn sg_addr_ranges(
    rules: &[SecurityGroupRule],
    fam: Fam,
    pls: &PrefixLists,
) -> Vec<(u128, u128)> {
    let mut out = Vec::new();
    for r in rules {
        for c in [&r.cidr_ipv4, &r.cidr_ipv6].into_iter().flatten() {
            if let Some(b) = Block::parse(c) {
                if b.fam == fam {
                    out.push((b.lo, b.hi));
                }
            }
        }
        if let Some(entries) = r.prefix_list_id.as_deref().and_then(|p| pls.get(p)) {
            out.extend(
                entries
                    .iter()
                    .filter(|b| b.fam == fam)
                    .map(|b| (b.lo, b.hi)),
            );
        }
    }
    out
}

pub fn sg_port_ranges(rules: &[SecurityGroupRule]) -> Vec<(u128, u128)> {
    rules
        .iter()
        .filter_map(|r| match (r.from_port, r.to_port) {
            (Some(a), Some(b)) if a >= 0 && b >= 0 => Some((a as u128, b as u128)),
            _ => None,
        })
        .collect()
}

pub fn nacl_addr_ranges(entries: &[NetworkAclEntry], fam: Fam) -> Vec<(u128, u128)> {
    entries
        .iter()
        .filter_map(|e| {
            let c = match fam {
                Fam::V4 => e.cidr_block.as_deref(),
                Fam::V6 => e.ipv6_cidr_block.as_deref(),
            };
            c.and_then(Block::parse).map(|b| (b.lo, b.hi))
        })
        .collect()
}

pub fn nacl_port_ranges(entries: &[NetworkAclEntry]) -> Vec<(u128, u128)> {
    entries
        .iter()
        .filter_map(|e| e.port_range.as_ref())
        .filter(|r| r.from >= 0 && r.to >= 0)
        .map(|r| (r.from as u128, r.to as u128))
        .collect()
}

pub fn route_addr_ranges(table: &RouteTable, fam: Fam, pls: &PrefixLists) -> Vec<(u128, u128)> {
    let mut out = Vec::new();
    for r in &table.routes {
        let dest = match fam {
            Fam::V4 => r.destination_cidr_block.as_deref(),
            Fam::V6 => r.destination_ipv6_cidr_block.as_deref(),
        };
        if let Some(b) = dest.and_then(Block::parse) {
            out.push((b.lo, b.hi));
        }
        if let Some(entries) = r
            .destination_prefix_list_id
            .as_deref()
            .and_then(|p| pls.get(p))
        {
            out.extend(
                entries
                    .iter()
                    .filter(|b| b.fam == fam)
                    .map(|b| (b.lo, b.hi)),
            );
        }
    }
    out
}

/// The candidate addresses of a set of blocks (one family), given the ranges in play.
pub fn addr_points(blocks: &[Block], ranges: &[(u128, u128)]) -> Vec<(Fam, u128)> {
    let mut s = BTreeSet::new();
    for b in blocks {
        for a in cuts(b.lo, b.hi, ranges) {
            s.insert((b.fam, a));
        }
    }
    s.into_iter().collect()
}

pub fn port_points(lo: u16, hi: u16, ranges: &[(u128, u128)]) -> Vec<u16> {
    cuts(u128::from(lo), u128::from(hi), ranges)
        .into_iter()
        .filter_map(|v| u16::try_from(v).ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------------------------

/// The ephemeral ports a client may pick, to which the NACLs must let replies through.
pub const EPHEMERAL: (u16, u16) = (1024, 65535);

/// One side of a flow.
#[derive(Debug, Clone)]
pub struct Side {
    /// The addresses of this side (one family, the flow's).
    pub addrs: Vec<Block>,
    /// For an ENI in a subnet of the estate: its subnet's NACL entries, route table and the
    /// groups of the ENI. `None` for the internet or an AWS service behind a prefix list.
    pub eni: Option<EniSide>,
}

#[derive(Debug, Clone)]
pub struct EniSide {
    pub subnet_id: String,
    pub groups: Vec<String>,
    pub nacl: Vec<NetworkAclEntry>,
    pub nacl_id: String,
    pub route_table: RouteTable,
}

/// A flow: TCP or UDP from `src` to `dst` on destination ports `ports`.
#[derive(Debug, Clone)]
pub struct Flow {
    pub src: Side,
    pub dst: Side,
    pub proto: u8,
    pub ports: (u16, u16),
}

/// The estate-wide context the checks read.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub sg_rules: Vec<SecurityGroupRule>,
    pub prefix_lists: PrefixLists,
}

/// A security-group hop: the candidate (address, port) packets it does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SgHop {
    /// Every candidate packet checked.
    pub points: Vec<(Fam, u128, u16)>,
    pub uncovered: BTreeSet<(Fam, u128, u16)>,
}

impl SgHop {
    pub fn allowed(&self) -> bool {
        self.uncovered.is_empty()
    }
}

/// A NACL hop: every candidate packet and its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaclHop {
    pub nacl_id: String,
    pub egress: bool,
    pub decisions: BTreeMap<(Fam, u128, u16), NaclDecision>,
}

impl NaclHop {
    pub fn allowed(&self) -> bool {
        self.decisions.values().all(|d| d.allowed())
    }

    /// The entries that decide a deny for at least one packet (`None` = the final `*` entry).
    pub fn deciding_denies(&self) -> BTreeSet<Option<i32>> {
        self.decisions
            .values()
            .filter_map(|d| match d {
                NaclDecision::Deny(n) => Some(*n),
                NaclDecision::Allow(_) => None,
            })
            .collect()
    }
}

/// Extra candidate ranges (addresses of the flow's family, ports): the boundaries of another
/// party's answer, so the candidates can tell whether that answer is exact.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra<'a> {
    pub addrs: &'a [(u128, u128)],
    pub ports: &'a [(u128, u128)],
}

/// The SG check of `eni` (egress or ingress) over the packets towards/from `peer`.
pub fn sg_hop(
    world: &World,
    eni: &EniSide,
    egress: bool,
    peer: &Side,
    proto: u8,
    ports: (u16, u16),
    extra: Extra<'_>,
) -> SgHop {
    let fam = match peer.addrs.first() {
        Some(b) => b.fam,
        None => Fam::V4,
    };
    let rules: Vec<SecurityGroupRule> = world
        .sg_rules
        .iter()
        .filter(|r| r.is_egress == egress && eni.groups.iter().any(|g| g == r.group_id.as_str()))
        .cloned()
        .collect();
    let peer_id = PeerId {
        groups: peer
            .eni
            .as_ref()
            .map(|e| e.groups.clone())
            .unwrap_or_default(),
    };
    let mut addr_ranges = sg_addr_ranges(&rules, fam, &world.prefix_lists);
    addr_ranges.extend_from_slice(extra.addrs);
    let addrs = addr_points(&peer.addrs, &addr_ranges);
    let mut port_ranges = sg_port_ranges(&rules);
    port_ranges.extend_from_slice(extra.ports);
    let port_list = port_points(ports.0, ports.1, &port_ranges);
    let mut uncovered = BTreeSet::new();
    let mut points = Vec::new();
    for &(f, a) in &addrs {
        for &p in &port_list {
            points.push((f, a, p));
            let pkt = Packet {
                fam: f,
                addr: a,
                proto,
                port: p,
            };
            if !sg_allows(
                &rules,
                &eni.groups,
                egress,
                &pkt,
                &peer_id,
                &world.prefix_lists,
            ) {
                uncovered.insert((f, a, p));
            }
        }
    }
    SgHop { points, uncovered }
}

/// The NACL of `eni`'s subnet on packets whose other side is `peer_addrs` and whose destination
/// port is in `ports`.
pub fn nacl_hop(
    eni: &EniSide,
    egress: bool,
    peer_addrs: &[Block],
    proto: u8,
    ports: (u16, u16),
) -> NaclHop {
    let fam = match peer_addrs.first() {
        Some(b) => b.fam,
        None => Fam::V4,
    };
    let dir: Vec<NetworkAclEntry> = eni
        .nacl
        .iter()
        .filter(|e| e.egress == egress)
        .cloned()
        .collect();
    let addrs = addr_points(peer_addrs, &nacl_addr_ranges(&dir, fam));
    let port_list = port_points(ports.0, ports.1, &nacl_port_ranges(&dir));
    let mut decisions = BTreeMap::new();
    for &(f, a) in &addrs {
        for &p in &port_list {
            let pkt = Packet {
                fam: f,
                addr: a,
                proto,
                port: p,
            };
            decisions.insert((f, a, p), nacl_decide(&dir, egress, &pkt));
        }
    }
    NaclHop {
        nacl_id: eni.nacl_id.clone(),
        egress,
        decisions,
    }
}

/// The route hop: where the source subnet's table sends each candidate destination address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteHop {
    pub outcomes: BTreeMap<(Fam, u128), RouteOutcome>,
}

pub fn route_hop(world: &World, table: &RouteTable, dst_addrs: &[Block]) -> RouteHop {
    let fam = match dst_addrs.first() {
        Some(b) => b.fam,
        None => Fam::V4,
    };
    let addrs = addr_points(
        dst_addrs,
        &route_addr_ranges(table, fam, &world.prefix_lists),
    );
    RouteHop {
        outcomes: addrs
            .into_iter()
            .map(|(f, a)| ((f, a), route_lookup(table, f, a, &world.prefix_lists)))
            .collect(),
    }
}

/// Every hop of a flow. A hop that does not apply (no ENI on that side) is `None`.
#[derive(Debug, Clone)]
pub struct FlowVerdict {
    pub sg_egress: Option<SgHop>,
    pub nacl_out: Option<NaclHop>,
    pub route: Option<RouteHop>,
    pub nacl_in: Option<NaclHop>,
    pub sg_ingress: Option<SgHop>,
    /// Replies: the destination subnet's NACL outbound to the client's ephemeral ports…
    pub nacl_return_out: Option<NaclHop>,
    /// …and the source subnet's NACL inbound on them.
    pub nacl_return_in: Option<NaclHop>,
}

impl FlowVerdict {
    /// The flow works when every hop that applies allows every candidate packet and every
    /// destination address is routed (not dropped).
    pub fn reachable(&self) -> bool {
        self.sg_egress.as_ref().is_none_or(SgHop::allowed)
            && self.sg_ingress.as_ref().is_none_or(SgHop::allowed)
            && [
                &self.nacl_out,
                &self.nacl_in,
                &self.nacl_return_out,
                &self.nacl_return_in,
            ]
            .into_iter()
            .flatten()
            .all(NaclHop::allowed)
            && self
                .route
                .as_ref()
                .is_none_or(|r| r.outcomes.values().all(|o| o.target().is_some()))
    }
}

/// Evaluates a flow hop by hop. NACLs do not filter traffic that stays inside one subnet.
pub fn evaluate(world: &World, flow: &Flow) -> FlowVerdict {
    let same_subnet = match (&flow.src.eni, &flow.dst.eni) {
        (Some(a), Some(b)) => a.subnet_id == b.subnet_id,
        _ => false,
    };
    let mut v = FlowVerdict {
        sg_egress: None,
        nacl_out: None,
        route: None,
        nacl_in: None,
        sg_ingress: None,
        nacl_return_out: None,
        nacl_return_in: None,
    };
    if let Some(src) = &flow.src.eni {
        v.sg_egress = Some(sg_hop(
            world,
            src,
            true,
            &flow.dst,
            flow.proto,
            flow.ports,
            Extra::default(),
        ));
        v.route = Some(route_hop(world, &src.route_table, &flow.dst.addrs));
        if !same_subnet {
            v.nacl_out = Some(nacl_hop(src, true, &flow.dst.addrs, flow.proto, flow.ports));
            v.nacl_return_in = Some(nacl_hop(src, false, &flow.dst.addrs, flow.proto, EPHEMERAL));
        }
    }
    if let Some(dst) = &flow.dst.eni {
        v.sg_ingress = Some(sg_hop(
            world,
            dst,
            false,
            &flow.src,
            flow.proto,
            flow.ports,
            Extra::default(),
        ));
        if !same_subnet {
            v.nacl_in = Some(nacl_hop(
                dst,
                false,
                &flow.src.addrs,
                flow.proto,
                flow.ports,
            ));
            v.nacl_return_out = Some(nacl_hop(dst, true, &flow.src.addrs, flow.proto, EPHEMERAL));
        }
    }
    v
}

//! Network ACLs: entries parsed once per audit, and evaluated the way AWS does (ascending rule
//! number, first match decides) over whole (address, port) rectangles.

use crate::pure::cidr::{format_ranges, merge_ranges, AddrRange, Cidr, Family};
use crate::pure::model::NetworkAcl;
use crate::pure::packet::{cut, Ports, Proto, Rect};

/// Where a NACL blocks a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaclBlock {
    /// The DENY entry that decides it; `None` for the implicit final deny.
    pub entry: Option<NaclEntryView>,
    /// The blocked ports (all of them for a protocol without ports).
    pub ports: Ports,
    /// The protocol of the flow.
    pub proto: Proto,
    /// The blocked part of the peer's addresses.
    pub addrs: AddrRange,
    /// Set when the block is not certain: an entry (before the deciding one, or the deciding
    /// one itself) whose CIDR does not parse, and that could decide this part of the flow.
    pub unreadable: Option<NaclEntryView>,
}

/// The fields of a NACL entry a message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaclEntryView {
    pub rule_number: i32,
    pub action: String,
    pub proto: Proto,
    pub ports: Ports,
    pub cidr: String,
    /// The protocol and port range as written, when they do not parse: "protocol `256`".
    pub unparsed: Option<String>,
}

impl NaclEntryView {
    /// "rule 90 DENY tcp 0-65535 0.0.0.0/0".
    fn text(&self) -> String {
        let what = match &self.unparsed {
            Some(u) => u.clone(),
            None if self.proto.has_ports() => format!("{} {}", self.proto.name(), self.ports),
            None => self.proto.name(),
        };
        format!(
            "rule {} {} {what} {}",
            self.rule_number,
            self.action.to_ascii_uppercase(),
            self.cidr
        )
    }
}

impl NaclBlock {
    /// True when the flow is surely blocked (no unreadable entry could decide otherwise).
    pub fn is_certain(&self) -> bool {
        self.unreadable.is_none()
    }

    /// The deciding entry as evidence: `rule 90`, or `rule *` for the final implicit deny.
    pub fn entry_label(&self) -> String {
        match &self.entry {
            Some(e) => format!("rule {}", e.rule_number),
            None => "rule *".to_string(),
        }
    }

    /// The blocked part: `tcp 1024-65535 10.0.0.0/22`, or `icmp 10.0.0.0/22` for a protocol
    /// without ports.
    pub fn place_text(&self) -> String {
        if self.proto.has_ports() {
            format!("{} {} {}", self.proto.name(), self.ports, self.addrs)
        } else {
            format!("{} {}", self.proto.name(), self.addrs)
        }
    }

    /// The deciding entry: "acl-0abc rule 90 DENY tcp 0-65535 0.0.0.0/0", or the final deny.
    pub fn head(&self, acl: &AclRules<'_>) -> String {
        match &self.entry {
            Some(e) => format!("{} {}", acl.id, e.text()),
            None => format!("{}'s final DENY (*), with no ALLOW before it,", acl.id),
        }
    }

    /// "acl-0abc rule 90 DENY tcp 0-65535 0.0.0.0/0 blocks return traffic to subnet-0def (ports
    /// 1024-65535, addresses 10.0.0.0/22)"; for an uncertain block, the unreadable entry and why
    /// the verdict cannot be told.
    pub fn sentence(&self, acl: &AclRules<'_>, what: &str) -> String {
        let place = if self.proto.has_ports() {
            format!("ports {}, addresses {}", self.ports, self.addrs)
        } else {
            format!("addresses {}", self.addrs)
        };
        match &self.unreadable {
            None => format!("{} blocks {what} ({place})", self.head(acl)),
            Some(u) => format!(
                "{} {} cannot be read (its CIDR, protocol or port range does not parse), so whether {acl_id} lets {what} through ({place}) cannot be told",
                acl.id,
                u.text(),
                acl_id = acl.id
            ),
        }
    }
}

/// One NACL entry, parsed once.
#[derive(Debug, Clone, Copy)]
struct NaclRule<'s> {
    rule_number: i32,
    allow: bool,
    proto: Proto,
    ports: Ports,
    /// The entry's family: `CidrBlock` is IPv4, `Ipv6CidrBlock` IPv6; `None` when it has
    /// neither (then it may concern either).
    family: Option<Family>,
    lo: u128,
    hi: u128,
    action: &'s str,
    cidr: &'s str,
    /// The protocol as written, and the port range as written when it is not one.
    proto_text: &'s str,
    proto_known: bool,
    bad_ports: Option<Option<(i32, i32)>>,
    /// False when the CIDR, the protocol or the port range does not parse: the entry's addresses are unknown, so where it could
    /// decide, the verdict is unknown (never a silent pass, never a confident block).
    readable: bool,
}

impl NaclRule<'_> {
    fn view(&self) -> NaclEntryView {
        NaclEntryView {
            rule_number: self.rule_number,
            action: self.action.to_string(),
            proto: self.proto,
            ports: self.ports,
            cidr: self.cidr.to_string(),
            unparsed: match (self.proto_known, self.bad_ports) {
                (false, _) => Some(format!("protocol `{}`", self.proto_text)),
                (true, Some(None)) => Some(format!("{} without a port range", self.proto.name())),
                (true, Some(Some((f, t)))) => {
                    Some(format!("{} port range {f}-{t}", self.proto.name()))
                }
                (true, None) => None,
            },
        }
    }
}

/// A NACL with its entries parsed and sorted by rule number, per direction: built once per audit
/// by the index, then evaluated for every flow through the subnets it guards.
#[derive(Debug, Clone)]
pub struct AclRules<'s> {
    pub id: &'s str,
    ingress: Vec<NaclRule<'s>>,
    egress: Vec<NaclRule<'s>>,
}

/// A NACL entry's port range, when it is one: `0 <= from <= to <= 65535`.
fn entry_ports(from: i32, to: i32) -> Option<Ports> {
    let from = u16::try_from(from).ok()?;
    let to = u16::try_from(to).ok()?;
    (from <= to).then_some(Ports { from, to })
}

impl<'s> AclRules<'s> {
    pub fn new(acl: &'s NetworkAcl) -> AclRules<'s> {
        let parse = |egress: bool| {
            let mut v: Vec<NaclRule<'s>> = acl
                .entries
                .iter()
                .filter(|e| e.egress == egress)
                .map(|e| {
                    let (family, cidr) = match (&e.cidr_block, &e.ipv6_cidr_block) {
                        (Some(c), _) => (Some(Family::V4), c.as_str()),
                        (None, Some(c)) => (Some(Family::V6), c.as_str()),
                        (None, None) => (None, "(no CIDR)"),
                    };
                    let range = Cidr::parse(cidr)
                        .filter(|c| Some(c.family()) == family)
                        .map(|c| c.range());
                    // A protocol that does not parse could be any: the entry may match every
                    // packet, so where it could decide the verdict is unknown. So may a TCP or
                    // UDP entry whose port range is missing or is not a range of ports.
                    let parsed = Proto::parse(&e.protocol);
                    let proto_known = parsed.is_known();
                    let proto = if proto_known { parsed } else { Proto::All };
                    let ports = match (&e.port_range, proto.has_ports()) {
                        (_, false) => Some(Ports::ALL),
                        (Some(p), true) => entry_ports(p.from, p.to),
                        (None, true) => None,
                    };
                    let ports_known = ports.is_some();
                    let bad_ports =
                        (!ports_known).then(|| e.port_range.as_ref().map(|p| (p.from, p.to)));
                    let ports = ports.unwrap_or(Ports::ALL);
                    NaclRule {
                        rule_number: e.rule_number,
                        allow: e.rule_action.eq_ignore_ascii_case("allow"),
                        proto,
                        ports,
                        family,
                        lo: range.map_or(0, |r| r.lo),
                        hi: range.map_or(u128::MAX, |r| r.hi),
                        action: &e.rule_action,
                        cidr,
                        proto_text: &e.protocol,
                        proto_known,
                        bad_ports,
                        readable: range.is_some() && proto_known && ports_known,
                    }
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

    /// The protocols whose packets the entries of a direction treat differently, each with a
    /// name for messages: tcp, udp, icmp, every other protocol number an entry names, and one
    /// number no entry names (standing for all the other protocols). Checking each of them
    /// checks every protocol.
    pub fn protocols(&self, egress: bool) -> Vec<(Proto, String)> {
        let entries = if egress { &self.egress } else { &self.ingress };
        let mut out: Vec<(Proto, String)> = [Proto::Tcp, Proto::Udp, Proto::Icmp]
            .into_iter()
            .map(|p| (p, p.name()))
            .collect();
        for e in entries {
            if let Proto::Other(n) = e.proto {
                if n <= 255 && !out.iter().any(|(p, _)| *p == e.proto) {
                    out.push((e.proto, e.proto.name()));
                }
            }
        }
        let named = |n: u16| out.iter().any(|(p, _)| *p == Proto::Other(n));
        if let Some(n) = (0u16..=255).find(|n| ![1, 6, 17].contains(n) && !named(*n)) {
            out.push((Proto::Other(n), "every other protocol".to_string()));
        }
        out
    }
}

/// Evaluates a NACL for packets between this subnet and `peer` (the destination on egress, the
/// source on ingress), the way AWS does: entries in ascending rule number, first match decides;
/// entries of the other address family are skipped. Returns `None` when every packet of the
/// flow is allowed.
pub fn nacl_check(
    acl: &AclRules<'_>,
    egress: bool,
    peer: Cidr,
    proto: Proto,
    ports: Ports,
) -> Option<NaclBlock> {
    nacl_check_with(acl, egress, peer, proto, ports, &mut Vec::new())
}

/// [`nacl_check`], also writing down (in `allowing`, without repeats) the rule numbers of the
/// ALLOW entries that admitted some part of the flow before any block: the entries that matched,
/// for evidence.
pub fn nacl_check_with(
    acl: &AclRules<'_>,
    egress: bool,
    peer: Cidr,
    proto: Proto,
    ports: Ports,
    allowing: &mut Vec<i32>,
) -> Option<NaclBlock> {
    let family = peer.family();
    let range = peer.range();
    let entries = if egress { &acl.egress } else { &acl.ingress };
    // Undecided rectangles of (address range, port range).
    let mut open: Vec<Rect> = vec![Rect {
        lo: range.lo,
        hi: range.hi,
        ports,
    }];
    // Unreadable ALLOW entries met so far: they may have admitted what a later entry blocks.
    let mut maybe_allowed: Vec<&NaclRule<'_>> = Vec::new();
    let block =
        |entry: Option<NaclEntryView>, r: &Rect, ip: Ports, maybe: &[&NaclRule<'_>]| NaclBlock {
            entry,
            ports: ip,
            proto,
            addrs: AddrRange {
                family,
                lo: r.lo,
                hi: r.hi,
            },
            unreadable: maybe
                .iter()
                .find(|m| m.ports.intersect(ip).is_some())
                .map(|m| m.view()),
        };
    for e in entries {
        if !e.proto.matches(proto) || e.family.is_some_and(|f| f != family) {
            continue;
        }
        let mut next = Vec::with_capacity(open.len());
        for r in &open {
            let ilo = r.lo.max(e.lo);
            let ihi = r.hi.min(e.hi);
            let Some(ip) = r.ports.intersect(e.ports).filter(|_| ilo <= ihi) else {
                next.push(*r);
                continue;
            };
            let hit = Rect {
                lo: ilo,
                hi: ihi,
                ports: ip,
            };
            if !e.readable {
                if e.allow {
                    maybe_allowed.push(e);
                    next.push(*r);
                    continue;
                }
                let mut b = block(Some(e.view()), &hit, ip, &maybe_allowed);
                b.unreadable = Some(e.view());
                return Some(b);
            }
            if !e.allow {
                return Some(block(Some(e.view()), &hit, ip, &maybe_allowed));
            }
            if !allowing.contains(&e.rule_number) {
                allowing.push(e.rule_number);
            }
            // Keep what the entry did not decide.
            let mut rest = vec![*r];
            cut(
                &mut rest,
                &[AddrRange {
                    family,
                    lo: ilo,
                    hi: ihi,
                }],
                ip,
            );
            next.extend(rest);
        }
        open = next;
        if open.is_empty() {
            return None;
        }
    }
    open.first()
        .map(|r| block(None, r, r.ports, &maybe_allowed))
}

/// How much of some address ranges a NACL lets through on a protocol and ports.
pub enum Admits {
    /// Every address of the ranges passes.
    Open,
    /// No address passes; the entry that decides (for the message).
    Closed(String),
    /// Some addresses pass: these ranges.
    Partly(String),
    /// An entry whose CIDR does not parse could decide: the sentence that says so.
    Unreadable(String),
}

/// Which part of `ranges` the NACL lets through entirely, or the entry that closes them all.
pub fn nacl_admits(
    acl: &AclRules<'_>,
    egress: bool,
    ranges: &[AddrRange],
    proto: Proto,
    ports: Ports,
) -> Admits {
    let mut allowed = Vec::new();
    let mut first_block = None;
    for r in ranges {
        split(
            acl,
            egress,
            proto,
            ports,
            *r,
            &mut allowed,
            &mut first_block,
        );
    }
    match (allowed.is_empty(), first_block) {
        (_, None) => Admits::Open,
        (_, Some(Err(why))) => Admits::Unreadable(why),
        (true, Some(Ok(head))) => Admits::Closed(head),
        (false, Some(Ok(_))) => Admits::Partly(format_ranges(&merge_ranges(allowed))),
    }
}

/// Splits `range` into the parts the NACL lets through entirely (`allowed`) and records the
/// first deciding entry of a blocked part. A part that one entry decides whole ends the split, so
/// the work is bounded by the number of entry boundaries, not by the address count.
fn split(
    acl: &AclRules<'_>,
    egress: bool,
    proto: Proto,
    ports: Ports,
    range: AddrRange,
    allowed: &mut Vec<AddrRange>,
    first_block: &mut Option<Result<String, String>>,
) {
    // Aligned CIDR blocks, so that each query is one CIDR.
    for c in range.to_cidrs() {
        let r = c.range();
        let Some(b) = nacl_check(acl, egress, c, proto, ports) else {
            allowed.push(r);
            continue;
        };
        if !b.is_certain() {
            // An unreadable entry decides here: the hop cannot be told.
            *first_block = Some(Err(b.sentence(acl, "the traffic")));
            return;
        }
        if first_block.is_none() {
            *first_block = Some(Ok(b.head(acl)));
        }
        let whole = b.addrs.lo <= r.lo && b.addrs.hi >= r.hi && b.ports == ports;
        if !whole && r.lo < r.hi {
            let mid = r.lo + (r.hi - r.lo) / 2;
            split(
                acl,
                egress,
                proto,
                ports,
                AddrRange { hi: mid, ..r },
                allowed,
                first_block,
            );
            split(
                acl,
                egress,
                proto,
                ports,
                AddrRange { lo: mid + 1, ..r },
                allowed,
                first_block,
            );
        }
    }
}

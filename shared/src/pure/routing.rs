//! Route tables as the VPC router reads them: longest-prefix match over address ranges, and what
//! each target does with traffic to public (internet) addresses.
//!
//! One mechanism for every question about routes: [`lookup`] answers "which route does this
//! address take", [`segments`] partitions an address family by the route that wins each part
//! (so `0.0.0.0/1` + `128.0.0.0/1` is a default route, and a more specific route wins over
//! `local`), and [`public_routes`] says, for the public address space, which route carries each
//! part and whether that route leads to the internet ([`Egress`]).
//!
//! Prefix-list routes rank with the CIDR routes through their entries ([`segments_with`]); the
//! route a gateway endpoint adds (S3 / DynamoDB) only concerns that service's traffic and is left
//! out of the internet paths, and a prefix-list route whose entries are unknown is reported as
//! such. Routes whose destination does not parse are listed by [`unreadable`], so callers can
//! report `error` instead of guessing.

use std::net::IpAddr;

pub use crate::pure::cidr::Family;
use crate::pure::cidr::{public_ranges, subtract_ranges, AddrRange, Cidr};
use crate::pure::lifecycle::{self, Life, RouteState};
use crate::pure::model::{Route, RouteTable};
use crate::pure::snapshot::Input;
use crate::pure::view::View;

/// A CIDR as an inclusive address range in its family.
pub fn range_of(c: &Cidr) -> (Family, u128, u128) {
    let r = c.range();
    (r.family, r.lo, r.hi)
}

/// The destination CIDR of a route (IPv4 or IPv6), `None` for prefix-list routes or when it does
/// not parse.
pub fn destination(r: &Route) -> Option<Cidr> {
    r.destination_cidr_block
        .as_deref()
        .or(r.destination_ipv6_cidr_block.as_deref())
        .and_then(Cidr::parse)
}

/// Routes with a CIDR destination that does not parse: the router's choice cannot be known for
/// any address they might cover.
pub fn unreadable(rt: &RouteTable) -> Vec<&Route> {
    rt.routes
        .iter()
        .filter(|r| {
            let text = r
                .destination_cidr_block
                .as_deref()
                .or(r.destination_ipv6_cidr_block.as_deref());
            text.is_some_and(|t| Cidr::parse(t).is_none())
        })
        .collect()
}

/// The route the VPC router uses for one address: the most specific CIDR route that contains it
/// (blackhole routes included: they match, and drop). `None` when no route matches (dropped).
pub fn lookup(rt: &RouteTable, dst: IpAddr) -> Option<&Route> {
    let (fam, a) = match dst {
        IpAddr::V4(v) => (Family::V4, u128::from(u32::from(v))),
        IpAddr::V6(v) => (Family::V6, u128::from(v)),
    };
    rt.routes
        .iter()
        .filter_map(|r| {
            let c = destination(r)?;
            let (f, lo, hi) = range_of(&c);
            (f == fam && lo <= a && a <= hi).then_some((c.prefix_len(), r))
        })
        // AWS refuses two routes with the same destination; the first wins if a file has both.
        .fold(None, |best: Option<(u8, &Route)>, (len, r)| match best {
            Some((b, _)) if b >= len => best,
            _ => Some((len, r)),
        })
        .map(|(_, r)| r)
}

/// A maximal address range in which every address takes the same route.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub lo: u128,
    pub hi: u128,
    /// The winning route; `None` when no route matches (the traffic is dropped).
    pub route: Option<&'a Route>,
}

/// Partitions the whole `family` address space by the route that wins each part, in address
/// order. Adjacent parts won by the same route are merged. Only CIDR routes take part; see
/// [`segments_with`] for prefix-list routes.
pub fn segments(rt: &RouteTable, family: Family) -> Vec<Segment<'_>> {
    segments_with(rt, family, &|_| None)
}

/// [`segments`], with prefix-list routes too: `entries` gives the blocks of a prefix-list route
/// (`None` leaves the route out). Longest prefix wins, an entry counting with its own length; on
/// a tie the CIDR route wins over the prefix-list route.
pub fn segments_with<'a>(
    rt: &'a RouteTable,
    family: Family,
    entries: &dyn Fn(&Route) -> Option<Vec<Cidr>>,
) -> Vec<Segment<'a>> {
    // (prefix length, is a CIDR route, first, last, route)
    let mut routes: Vec<(u8, bool, u128, u128, &Route)> = Vec::new();
    for r in &rt.routes {
        let blocks = match destination(r) {
            Some(c) => vec![(c, true)],
            None if r.destination_prefix_list_id.is_some() => entries(r)
                .unwrap_or_default()
                .into_iter()
                .map(|c| (c, false))
                .collect(),
            None => Vec::new(),
        };
        for (c, cidr) in blocks {
            let (f, lo, hi) = range_of(&c);
            if f == family {
                routes.push((c.prefix_len(), cidr, lo, hi, r));
            }
        }
    }
    // Boundaries: every range start and every address just after a range end.
    let mut starts: Vec<u128> = vec![0];
    for &(_, _, lo, hi, _) in &routes {
        starts.push(lo);
        if hi < family.max() {
            starts.push(hi + 1);
        }
    }
    starts.sort_unstable();
    starts.dedup();
    let mut out: Vec<Segment<'a>> = Vec::with_capacity(starts.len());
    for (i, &lo) in starts.iter().enumerate() {
        let hi = starts.get(i + 1).map(|n| n - 1).unwrap_or(family.max());
        let mut best: Option<((u8, bool), &Route)> = None;
        for &(len, cidr, rlo, rhi, r) in &routes {
            if rlo <= lo && hi <= rhi && best.is_none_or(|(b, _)| (len, cidr) > b) {
                best = Some(((len, cidr), r));
            }
        }
        let route = best.map(|(_, r)| r);
        match out.last_mut() {
            Some(prev) if same(prev.route, route) => prev.hi = hi,
            _ => out.push(Segment { lo, hi, route }),
        }
    }
    out
}

/// What a prefix-list route covers, for the internet-path question: `Ok(Some(blocks))` from the
/// collected entries, `Ok(None)` for a gateway endpoint's route (S3 / DynamoDB traffic only, never
/// general internet traffic), `Err(why)` when the entries are not known.
fn prefix_list_blocks(ix: View<'_>, vpc_id: &str, r: &Route) -> Result<Option<Vec<Cidr>>, String> {
    let Some(pl) = r.destination_prefix_list_id.as_deref() else {
        return Ok(None);
    };
    let t = r.target();
    if t.starts_with("vpce-") {
        if let Err(f) = ix.availability(Input::VpcEndpoints) {
            // A gateway endpoint's route carries S3 or DynamoDB only; a Gateway Load Balancer
            // endpoint's may carry anything. Without the endpoints, which one this is is unknown.
            return Err(format!(
                "the route sends prefix list {pl} to {t}, and whether {t} is a gateway endpoint cannot be told ({f})"
            ));
        }
    }
    let gateway_endpoint = t.starts_with("vpce-")
        && ix
            .endpoints(vpc_id)
            .iter()
            .find(|e| e.vpc_endpoint_id == t)
            .is_none_or(|e| e.is_gateway());
    if gateway_endpoint {
        return Ok(None);
    }
    ix.prefix_list_cidrs(pl).map(Some).map_err(|why| {
        format!(
            "the route sends prefix list {pl} to {t}, and {why} (describe-managed-prefix-lists.json `Entries`), so which addresses take it cannot be told"
        )
    })
}

fn same(a: Option<&Route>, b: Option<&Route>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => std::ptr::eq(x, y),
        (None, None) => true,
        _ => false,
    }
}

/// Address ranges that are never internet destinations: private, shared, link-local, loopback,
/// "this network", multicast and reserved (IPv4); unique-local, link-local and multicast (IPv6).
/// The public address space of a family seen from a VPC: everything outside the VPC's own blocks
/// and outside the special-purpose blocks ([`public_ranges`]), as sorted disjoint ranges.
pub fn public_space(family: Family, vpc_cidrs: &[Cidr]) -> Vec<(u128, u128)> {
    let vpc: Vec<AddrRange> = vpc_cidrs.iter().map(Cidr::range).collect();
    subtract_ranges(&public_ranges(family), &vpc)
        .into_iter()
        .map(|r| (r.lo, r.hi))
        .collect()
}

/// What a route does with traffic to a public address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Egress {
    /// Straight to an attached internet gateway (or an egress-only one, for IPv6): the subnet is
    /// public.
    InternetGateway(String),
    /// Through an available public NAT gateway.
    Nat(String),
    /// To a target whose far side plaudit cannot see and which often leads to the internet; the
    /// text says which and why.
    May(String),
    /// Delivered somewhere that is not the internet (peering, private NAT, local).
    NotInternet(String),
    /// Dropped: blackhole route, gone or not-yet-working target, no route.
    Dropped(String),
    /// The route's state or target cannot be read; the text says why.
    Unknown(String),
}

impl Egress {
    /// A definite internet path (direct or NAT).
    pub fn is_internet(&self) -> bool {
        matches!(self, Egress::InternetGateway(_) | Egress::Nat(_))
    }

    /// Traffic leaves the VPC towards the internet or an egress appliance.
    pub fn leaves(&self) -> bool {
        matches!(
            self,
            Egress::InternetGateway(_) | Egress::Nat(_) | Egress::May(_)
        )
    }

    /// The explanation of the verdict.
    pub fn why(&self) -> &str {
        match self {
            Egress::InternetGateway(s)
            | Egress::Nat(s)
            | Egress::May(s)
            | Egress::NotInternet(s)
            | Egress::Dropped(s)
            | Egress::Unknown(s) => s,
        }
    }
}

/// Classifies a route of a table in `vpc_id` for traffic to public addresses.
pub fn egress(ix: View<'_>, vpc_id: &str, r: &Route) -> Egress {
    let t = r.target().to_string();
    match lifecycle::route(r.state.as_deref()) {
        RouteState::Blackhole => {
            return Egress::Dropped(format!(
                "the route to {t} is a blackhole (its target is gone), so it drops the traffic"
            ))
        }
        RouteState::Unknown => {
            return Egress::Unknown(format!(
                "the route to {t} has state `{}`, which plaudit does not know",
                r.state.as_deref().unwrap_or_default()
            ))
        }
        RouteState::Unstated => {
            // describe-route-tables always prints a State: without it, whether the route is
            // active or a blackhole cannot be told.
            return Egress::Unknown(format!(
                "the route {} -> {t} has no State, so whether it is active or a blackhole cannot be told",
                r.destination()
            ));
        }
        RouteState::Active => {}
    }
    if let Some(n) = r.nat_gateway_id.as_deref() {
        let Some(nat) = ix.nat_gateway(n) else {
            return Egress::Unknown(format!(
                "NAT gateway {n} is not in describe-nat-gateways.json"
            ));
        };
        let private = nat
            .connectivity_type
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("private"));
        return match lifecycle::nat(&nat.state) {
            Life::Live if private => Egress::NotInternet(format!(
                "NAT gateway {n} is private (ConnectivityType private): it translates to private addresses and gives no internet access"
            )),
            Life::Live => Egress::Nat(format!("public NAT gateway {n} is available")),
            Life::Broken | Life::Gone => Egress::Dropped(format!(
                "NAT gateway {n} is {}, so it forwards nothing",
                lifecycle::shown(&nat.state)
            )),
            Life::Unknown => Egress::Unknown(format!(
                "NAT gateway {n} has state {}, which plaudit does not know",
                lifecycle::shown(&nat.state)
            )),
        };
    }
    if let Some(e) = r.egress_only_internet_gateway_id.as_deref() {
        return Egress::InternetGateway(format!(
            "egress-only internet gateway {e} gives outbound IPv6 internet access"
        ));
    }
    if let Some(p) = r.vpc_peering_connection_id.as_deref() {
        return Egress::NotInternet(format!(
            "VPC peering connection {p} never carries internet traffic (AWS does not route through a peer's internet or NAT gateway)"
        ));
    }
    if let Some(g) = r.transit_gateway_id.as_deref() {
        return Egress::May(format!(
            "through transit gateway {g}, whose attachments plaudit cannot see; a transit gateway often leads to an inspection or egress VPC with an internet exit"
        ));
    }
    if let Some(i) = r.instance_id.as_deref() {
        return Egress::May(format!(
            "through instance {i}, typically a NAT instance or firewall that forwards to the internet"
        ));
    }
    if let Some(e) = r.network_interface_id.as_deref() {
        return Egress::May(format!(
            "through network interface {e}, typically a NAT instance or firewall appliance that forwards to the internet"
        ));
    }
    if let Some(c) = r.carrier_gateway_id.as_deref() {
        return Egress::May(format!(
            "through carrier gateway {c}, which sends Wavelength Zone traffic to the carrier network and from there to the internet"
        ));
    }
    if let Some(l) = r.local_gateway_id.as_deref() {
        return Egress::May(format!(
            "through local gateway {l}, into the on-premises network of an Outpost, which may have an internet exit"
        ));
    }
    if let Some(c) = r.core_network_arn.as_deref() {
        return Egress::May(format!(
            "through Cloud WAN core network {c}, whose segments plaudit cannot see and which may include an internet exit"
        ));
    }
    let Some(g) = r.gateway_id.as_deref() else {
        return Egress::Unknown(format!(
            "the route to {} names no target plaudit knows",
            r.destination()
        ));
    };
    if g.eq_ignore_ascii_case("local") {
        return Egress::NotInternet("the local route stays inside the VPC".into());
    }
    if g.starts_with("igw-") {
        let Some(igw) = ix.internet_gateway(g) else {
            if let Err(f) = ix.availability(Input::InternetGateways) {
                return Egress::Unknown(format!(
                    "whether internet gateway {g} is attached cannot be told ({f})"
                ));
            }
            // Fail closed: an active route to an internet gateway is an internet path.
            return Egress::InternetGateway(format!(
                "internet gateway {g} (not in describe-internet-gateways.json; the route is active, so it is counted as attached)"
            ));
        };
        let att = igw.attachments.iter().find(|a| a.vpc_id == vpc_id);
        return match att.map(|a| (lifecycle::igw_attachment(&a.state), a)) {
            Some((Life::Live, _)) => {
                Egress::InternetGateway(format!("internet gateway {g} is attached to {vpc_id}"))
            }
            Some((Life::Unknown, a)) => Egress::Unknown(format!(
                "internet gateway {g}'s attachment to {vpc_id} has state {}, which plaudit does not know",
                lifecycle::shown(&a.state)
            )),
            Some((_, a)) => Egress::Dropped(format!(
                "internet gateway {g}'s attachment to {vpc_id} is {}, so it forwards nothing",
                lifecycle::shown(&a.state)
            )),
            None => Egress::Dropped(format!(
                "internet gateway {g} is not attached to {vpc_id}"
            )),
        };
    }
    if g.starts_with("vgw-") {
        return Egress::May(format!(
            "through virtual private gateway {g}, to a VPN or Direct Connect network that may have an internet exit"
        ));
    }
    if g.starts_with("vpce-") {
        return Egress::May(format!(
            "through Gateway Load Balancer endpoint {g}, to inspection appliances that usually forward to the internet"
        ));
    }
    Egress::Unknown(format!(
        "route target {g} is of a kind plaudit does not know"
    ))
}

/// One route's share of the public address space.
#[derive(Debug, Clone)]
pub struct PublicRoute<'a> {
    /// `None`: no route matches these addresses (dropped).
    pub route: Option<&'a Route>,
    pub family: Family,
    pub ranges: Vec<(u128, u128)>,
    pub egress: Egress,
}

impl PublicRoute<'_> {
    /// "0.0.0.0/0 -> igw-1" or "no route".
    pub fn describe(&self) -> String {
        match self.route {
            Some(r) if r.destination_prefix_list_id.is_some() && !self.ranges.is_empty() => {
                format!(
                    "{} ({}) -> {}",
                    r.destination(),
                    self.addresses(),
                    r.target()
                )
            }
            Some(r) => format!("{} -> {}", r.destination(), r.target()),
            None => "no route".to_string(),
        }
    }

    /// The addresses, compactly ("0.0.0.0/1, 128.0.0.0/1" is not merged back: ranges as found).
    pub fn addresses(&self) -> String {
        self.ranges
            .iter()
            .map(|&(lo, hi)| format_range(self.family, lo, hi))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Formats a range as a CIDR when it is one, else `first-last`.
pub fn format_range(family: Family, lo: u128, hi: u128) -> String {
    let size = (hi - lo).checked_add(1);
    let bits = match family {
        Family::V4 => 32,
        Family::V6 => 128,
    };
    let as_cidr = match size {
        Some(s) if s.is_power_of_two() && lo.is_multiple_of(s) => Some(bits - s.trailing_zeros()),
        None if lo == 0 => Some(0),
        _ => None,
    };
    let addr = |a: u128| -> String {
        match family {
            Family::V4 => {
                std::net::Ipv4Addr::from(u32::try_from(a).unwrap_or(u32::MAX)).to_string()
            }
            Family::V6 => std::net::Ipv6Addr::from(a).to_string(),
        }
    };
    match as_cidr {
        Some(len) => format!("{}/{len}", addr(lo)),
        None => format!("{}-{}", addr(lo), addr(hi)),
    }
}

/// For each route (or "no route") that carries part of the public space of either family, the
/// addresses it carries and what it does with them. Routes appear in table order, "no route"
/// last; IPv6 is included only when the table has an IPv6 route.
pub fn public_routes<'a>(ix: View<'_>, rt: &'a RouteTable) -> Vec<PublicRoute<'a>> {
    let vpc_cidrs = ix.vpc_cidrs(&rt.vpc_id);
    let mut out: Vec<PublicRoute<'a>> = Vec::new();
    let has_v6 = rt.routes.iter().any(|r| {
        destination(r).is_some_and(|c| matches!(c, Cidr::V6 { .. }))
            && r.gateway_id.as_deref() != Some("local")
    });
    let families: &[Family] = if has_v6 {
        &[Family::V4, Family::V6]
    } else {
        &[Family::V4]
    };
    for &fam in families {
        let public = public_space(fam, vpc_cidrs);
        let start = out.len();
        let entries = |r: &Route| prefix_list_blocks(ix, &rt.vpc_id, r).ok().flatten();
        for seg in segments_with(rt, fam, &entries) {
            for &(plo, phi) in &public {
                let lo = plo.max(seg.lo);
                let hi = phi.min(seg.hi);
                if lo > hi {
                    continue;
                }
                match out[start..].iter_mut().find(|p| same(p.route, seg.route)) {
                    Some(p) => push_range(&mut p.ranges, lo, hi),
                    None => out.push(PublicRoute {
                        route: seg.route,
                        family: fam,
                        ranges: vec![(lo, hi)],
                        egress: match seg.route {
                            Some(r) => egress(ix, &rt.vpc_id, r),
                            None => Egress::Dropped(format!(
                                "{} has no route for these addresses",
                                rt.route_table_id
                            )),
                        },
                    }),
                }
            }
        }
        // Prefix-list routes whose entries are unknown: which addresses they take cannot be told,
        // which matters only when the target could lead to the internet.
        if fam == Family::V4 {
            for r in &rt.routes {
                if let Err(why) = prefix_list_blocks(ix, &rt.vpc_id, r) {
                    let e = egress(ix, &rt.vpc_id, r);
                    if e.leaves() || matches!(e, Egress::Unknown(_)) {
                        out.push(PublicRoute {
                            route: Some(r),
                            family: fam,
                            ranges: Vec::new(),
                            egress: Egress::Unknown(format!("{why}; {}", e.why())),
                        });
                    }
                }
            }
        }
        // Table order, "no route" last.
        let pos = |p: &PublicRoute<'_>| {
            p.route
                .and_then(|r| rt.routes.iter().position(|x| std::ptr::eq(x, r)))
                .unwrap_or(usize::MAX)
        };
        out[start..].sort_by_key(pos);
    }
    out
}

fn push_range(v: &mut Vec<(u128, u128)>, lo: u128, hi: u128) {
    match v.last_mut() {
        Some(last) if last.1.checked_add(1) == Some(lo) => last.1 = hi,
        _ => v.push((lo, hi)),
    }
}

#[cfg(test)]
mod tests;

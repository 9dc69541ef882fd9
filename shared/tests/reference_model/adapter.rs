//! The ONLY place that calls plaudit's production reachability code. It turns a generated
//! [`Case`] into a [`plaudit::Snapshot`], indexes it, runs the production checks and returns
//! what they say in plain data, so the harness compares plain data with the model. When the
//! production API changes, only this file needs re-pointing.
//!
//! Production gets the same information the model gets: the subnets' and the VPC's IPv6 blocks
//! (`Ipv6CidrBlockAssociationSet`, written by the generator into the estate), and the entries of
//! every managed prefix list.

use std::collections::BTreeMap;

use plaudit::cidr::{Cidr, Family};
use plaudit::index::{Index, Ports, Proto};
use plaudit::model::{ManagedPrefixList, PrefixListEntry, SecurityGroup};
use plaudit::pure::view::View;
use plaudit::reachability::{self, Flow, HopKind, Host, Verdict};
use plaudit::synth::Estate;
use plaudit::Snapshot;

use super::case::{Case, End};
use super::model::Fam;

/// A hop's verdict as production gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    NotOnPath,
    Allowed,
    Blocked(String),
    /// Production cannot decide; why.
    Unknown(String),
}

impl Hop {
    /// `Some(allowed)` for a decided hop, `None` when not on the path; `Err` for unknown.
    pub fn decided(&self) -> Result<Option<bool>, &str> {
        match self {
            Hop::NotOnPath => Ok(None),
            Hop::Allowed => Ok(Some(true)),
            Hop::Blocked(_) => Ok(Some(false)),
            Hop::Unknown(why) => Err(why),
        }
    }
}

fn hop(v: &Verdict) -> Hop {
    match v {
        Verdict::Allowed => Hop::Allowed,
        Verdict::NotOnPath => Hop::NotOnPath,
        Verdict::Blocked(s) => Hop::Blocked(s.clone()),
        Verdict::Unknown(s) => Hop::Unknown(s.clone()),
    }
}

/// A rectangle of (addresses of one family, ports): `((family, first, last), (from, to))`.
pub type Rect = ((Fam, u128, u128), (u16, u16));

/// Production's view of one security-group hop.
#[derive(Debug, Clone)]
pub struct ProdSg {
    pub verdict: Hop,
    /// Ports at which some peer addresses are surely not admitted (`SgCoverage::missing`).
    pub missing: Vec<(u16, u16)>,
    /// What is surely not admitted, as (address range, port range) rectangles, from
    /// `SgCoverage::gaps` (each gap's ports x each of its address ranges).
    pub uncovered: Vec<Rect>,
    /// `SgCoverage::undecided` and `SgCoverage::unknown`: both must be empty on generated cases.
    pub undecided: Vec<(u16, u16)>,
    pub unknown: Vec<String>,
    /// A gap flagged `whole` whose addresses are not all of the peer, or the reverse.
    pub bad_whole: Option<String>,
}

/// Production's view of one NACL hop when it blocks: the deciding entry (`None` = the implicit
/// final deny), the blocked rectangle (addresses, ports) and whether the block is certain.
#[derive(Debug, Clone)]
pub struct ProdNaclBlock {
    /// The peer block production checked (the peer's block, or one prefix-list entry).
    pub peer: (Fam, u128, u128),
    pub entry: Option<i32>,
    pub addrs: (Fam, u128, u128),
    pub ports: (u16, u16),
    pub certain: bool,
}

#[derive(Debug, Clone)]
pub struct Production {
    /// The seven hops of `reachability::trace`, by name.
    pub hops: BTreeMap<&'static str, Hop>,
    pub sg_egress: Option<ProdSg>,
    pub sg_ingress: Option<ProdSg>,
    /// The NACL hops by name (only those with a NACL): `None` = every packet allowed. One hop
    /// may be checked over several peer blocks (a prefix list's entries): one answer per block.
    pub nacl: BTreeMap<&'static str, Vec<Option<ProdNaclBlock>>>,
    /// Set when production could not build the flow's hosts.
    pub no_hosts: Option<String>,
}

pub const HOPS: [&str; 7] = [
    "src-sg-egress",
    "src-nacl-out",
    "route",
    "dst-nacl-in",
    "dst-sg-ingress",
    "dst-nacl-return-out",
    "src-nacl-return-in",
];

fn hop_name(k: HopKind) -> &'static str {
    match k {
        HopKind::SrcSgEgress => HOPS[0],
        HopKind::SrcNaclOut => HOPS[1],
        HopKind::Route => HOPS[2],
        HopKind::DstNaclIn => HOPS[3],
        HopKind::DstSgIngress => HOPS[4],
        HopKind::DstNaclReturnOut => HOPS[5],
        HopKind::SrcNaclReturnIn => HOPS[6],
    }
}

pub fn fam(f: Family) -> Fam {
    match f {
        Family::V4 => Fam::V4,
        Family::V6 => Fam::V6,
    }
}

fn family(f: Fam) -> Family {
    match f {
        Fam::V4 => Family::V4,
        Fam::V6 => Family::V6,
    }
}

/// The estate as a snapshot in the files' shapes.
pub fn snapshot(case: &Case) -> Snapshot {
    let mut snap = Estate::empty().snap;
    snap.vpcs = Ok(vec![case.vpc.clone()]);
    snap.subnets = Ok(case.subnets.clone());
    snap.route_tables = Ok(case.route_tables.clone());
    snap.network_acls = Ok(case.acls.clone());
    snap.security_groups = Ok(case
        .group_ids
        .iter()
        .map(|g| SecurityGroup {
            group_id: g.as_str().into(),
            group_name: g.as_str().into(),
            vpc_id: Some(case.vpc.vpc_id.clone()),
            ip_permissions: Vec::new(),
            ip_permissions_egress: Vec::new(),
            tags: Vec::new(),
        })
        .collect());
    snap.security_group_rules = Ok(case.sg_rules.clone());
    snap.managed_prefix_lists = Ok(case
        .prefix_lists
        .iter()
        .map(|(id, blocks)| ManagedPrefixList {
            prefix_list_id: id.as_str().into(),
            prefix_list_name: id.as_str().into(),
            address_family: Some(
                if blocks.iter().any(|b| b.fam == Fam::V6) {
                    "IPv6"
                } else {
                    "IPv4"
                }
                .into(),
            ),
            entries: Some(
                blocks
                    .iter()
                    .map(|b| PrefixListEntry {
                        cidr: super::gen::fmt_block(b).into(),
                        description: None,
                    })
                    .collect(),
            ),
        })
        .collect());
    snap
}

fn host<'a>(ix: View<'a>, end: &'a End, f: Family) -> Option<Host<'a>> {
    match end {
        End::Subnet { subnet_id, groups } => {
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            Host::subnet(ix, subnet_id, groups)
        }
        End::Internet => Some(match f {
            Family::V4 => Host::internet(),
            Family::V6 => Host::internet_v6(),
        }),
        End::PrefixList(id) => Some(Host::prefix_list(id, "the service")),
    }
}

/// The blocks a NACL is checked against for a peer: its block of the family, or the entries of
/// the prefix list it is.
fn nacl_peers(ix: View<'_>, peer: &Host<'_>, f: Family) -> Vec<Cidr> {
    match peer.prefix_list {
        Some(pl) => ix
            .prefix_list_cidrs(pl)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.family() == f)
            .collect(),
        None => peer.cidr_in(f).into_iter().collect(),
    }
}

/// Runs production on the case.
pub fn production(case: &Case) -> Production {
    let snap = snapshot(case);
    let index = Index::new(&snap);
    let ix = View::whole(&index);
    let f = family(case.fam);
    let (Some(src), Some(dst)) = (host(ix, &case.src, f), host(ix, &case.dst, f)) else {
        return Production {
            hops: BTreeMap::new(),
            sg_egress: None,
            sg_ingress: None,
            nacl: BTreeMap::new(),
            no_hosts: Some("a subnet of the flow is not in the index".into()),
        };
    };
    let proto = match case.proto {
        6 => Proto::Tcp,
        17 => Proto::Udp,
        1 => Proto::Icmp,
        n => Proto::Other(u16::from(n)),
    };
    let ports = Ports::range(case.ports.0, case.ports.1);
    let flow = Flow {
        src: src.clone(),
        dst: dst.clone(),
        proto,
        ports,
        family: f,
    };
    let trace = reachability::trace(ix, &flow);
    let hops = trace
        .hops
        .iter()
        .map(|(k, v)| (hop_name(*k), hop(v)))
        .collect();
    let sg = |groups: &[&str], egress: bool, peer: &Host<'_>| {
        if groups.is_empty() {
            return None;
        }
        let cov = reachability::sg_coverage(ix, groups, egress, peer, proto, ports, f);
        let verdict = reachability::sg_verdict(ix, groups, egress, peer, proto, ports, f);
        let universe: Vec<(u128, u128)> = {
            let mut v: Vec<(u128, u128)> = match peer.prefix_list {
                Some(pl) => ix
                    .prefix_list_cidrs(pl)
                    .unwrap_or_default()
                    .iter()
                    .filter(|c| c.family() == f)
                    .map(|c| (c.range().lo, c.range().hi))
                    .collect(),
                None => peer
                    .cidrs
                    .iter()
                    .filter(|c| c.family() == f)
                    .map(|c| (c.range().lo, c.range().hi))
                    .collect(),
            };
            v.sort_unstable();
            v
        };
        let mut bad_whole = None;
        let mut uncovered = Vec::new();
        for g in &cov.gaps {
            let addrs: Vec<(u128, u128)> = g.addrs.iter().map(|a| (a.lo, a.hi)).collect();
            // `whole` means the gap's addresses are all of the peer (merged ranges compare
            // equal only when both are merged; the generated peers are single blocks or
            // disjoint prefix-list entries).
            let is_whole = {
                let mut u = universe.clone();
                u.dedup();
                merged(&u) == addrs
            };
            if g.whole != is_whole {
                bad_whole = Some(format!(
                    "gap {:?} x {:?} says whole={}, its addresses {} all of the peer",
                    g.addrs,
                    g.ports,
                    g.whole,
                    if is_whole { "are" } else { "are not" }
                ));
            }
            for a in &g.addrs {
                for p in &g.ports {
                    uncovered.push(((fam(a.family), a.lo, a.hi), (p.from, p.to)));
                }
            }
        }
        Some(ProdSg {
            verdict: hop(&verdict),
            missing: cov.missing.iter().map(|p| (p.from, p.to)).collect(),
            uncovered,
            undecided: cov.undecided.iter().map(|p| (p.from, p.to)).collect(),
            unknown: cov.unknown.clone(),
            bad_whole,
        })
    };
    let sg_egress = sg(&src.groups, true, &dst);
    let sg_ingress = sg(&dst.groups, false, &src);
    let mut nacl = BTreeMap::new();
    let mut check = |name: &'static str, host: &Host<'_>, egress: bool, peer: &Host<'_>, ports| {
        if let Some(acl) = host.acl(ix) {
            let answers = nacl_peers(ix, peer, f)
                .into_iter()
                .map(|c| {
                    plaudit::pure::nacl::nacl_check(acl, egress, c, proto, ports).map(|b| {
                        ProdNaclBlock {
                            peer: (fam(c.family()), c.range().lo, c.range().hi),
                            entry: b.entry.as_ref().map(|e| e.rule_number),
                            addrs: (fam(b.addrs.family), b.addrs.lo, b.addrs.hi),
                            ports: (b.ports.from, b.ports.to),
                            certain: b.is_certain(),
                        }
                    })
                })
                .collect();
            nacl.insert(name, answers);
        }
    };
    check(HOPS[1], &src, true, &dst, ports);
    check(HOPS[3], &dst, false, &src, ports);
    check(HOPS[5], &dst, true, &src, Ports::EPHEMERAL);
    check(HOPS[6], &src, false, &dst, Ports::EPHEMERAL);
    Production {
        hops,
        sg_egress,
        sg_ingress,
        nacl,
        no_hosts: None,
    }
}

/// Sorted ranges merged where they touch or overlap.
fn merged(v: &[(u128, u128)]) -> Vec<(u128, u128)> {
    let mut out: Vec<(u128, u128)> = Vec::new();
    for &(lo, hi) in v {
        match out.last_mut() {
            Some(l) if l.1.checked_add(1).is_none_or(|n| lo <= n) => l.1 = l.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

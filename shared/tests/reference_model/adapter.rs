//! The ONLY place that calls plaudit's production reachability code. It turns a generated
//! [`Case`] into a [`plaudit::Snapshot`], indexes it, runs the production checks and returns
//! what they say in plain data, so the harness compares plain data with the model. When the
//! production API changes (SG unions over address ranges, an `Unknown` verdict, IPv6, the route
//! lookup), only this file needs re-pointing.

use std::borrow::Cow;
use std::collections::BTreeMap;

use plaudit::cidr::Cidr;
use plaudit::index::{Index, Ports, Proto};
use plaudit::model::{ManagedPrefixList, SecurityGroup};
use plaudit::reachability::{self, Flow, HopKind, Host, Verdict};
use plaudit::synth::Estate;
use plaudit::Snapshot;

use super::case::{Case, End};
use super::model::Fam;

/// A hop's verdict: `None` when production says the hop is not on the path.
pub type HopAllowed = Option<bool>;

/// Production's view of one security-group hop.
#[derive(Debug, Clone)]
pub struct ProdSg {
    pub allowed: bool,
    /// Ports of the flow no rule allows, over the whole peer.
    pub missing: Vec<(u16, u16)>,
}

/// Production's view of one NACL hop: `None` = allowed, else the deciding entry (`None` = the
/// implicit final deny) and the blocked rectangle (addresses, ports).
#[derive(Debug, Clone)]
pub struct ProdNaclBlock {
    pub entry: Option<i32>,
    pub addrs: (Fam, u128, u128),
    pub ports: (u16, u16),
}

#[derive(Debug, Clone)]
pub struct Production {
    /// The seven hops of `reachability::trace`, by name.
    pub hops: BTreeMap<&'static str, HopAllowed>,
    pub sg_egress: Option<ProdSg>,
    pub sg_ingress: Option<ProdSg>,
    /// The NACL hops by name (only those on the path).
    pub nacl: BTreeMap<&'static str, Option<ProdNaclBlock>>,
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
    // The snapshot format has no prefix-list entries yet: only the lists themselves.
    snap.managed_prefix_lists = Ok(case
        .prefix_lists
        .keys()
        .map(|id| ManagedPrefixList {
            prefix_list_id: id.as_str().into(),
            prefix_list_name: id.as_str().into(),
            address_family: Some("IPv4".into()),
        })
        .collect());
    snap
}

fn host<'a>(case: &'a Case, ix: &'a Index<'a>, end: &'a End) -> Option<Host<'a>> {
    match end {
        End::Subnet { subnet_id, groups } => {
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            match case.fam {
                Fam::V4 => Host::subnet(ix, subnet_id, groups),
                Fam::V6 => {
                    let v6 = case.subnet_v6.get(subnet_id)?;
                    let cidr = Cidr::parse(&super::gen::fmt_block(v6))?;
                    let subnet = ix.subnets.get(subnet_id.as_str())?;
                    Some(Host {
                        name: Cow::Borrowed(subnet_id.as_str()),
                        show_cidr: true,
                        cidr,
                        groups,
                        acl: ix.acl_for(subnet_id),
                        route_table: ix.route_table_for(subnet),
                        prefix_list: None,
                    })
                }
            }
        }
        End::Internet => {
            let mut h = Host::internet();
            if case.fam == Fam::V6 {
                h.cidr = Cidr::parse("::/0")?;
            }
            Some(h)
        }
        End::PrefixList(id) => Some(Host::prefix_list(id, "the service")),
    }
}

/// Runs production on the case.
pub fn production(case: &Case) -> Production {
    let snap = snapshot(case);
    let ix = Index::new(&snap);
    let (Some(src), Some(dst)) = (host(case, &ix, &case.src), host(case, &ix, &case.dst)) else {
        return Production {
            hops: BTreeMap::new(),
            sg_egress: None,
            sg_ingress: None,
            nacl: BTreeMap::new(),
        };
    };
    let proto = if case.proto == 17 {
        Proto::Udp
    } else {
        Proto::Tcp
    };
    let ports = Ports::range(case.ports.0, case.ports.1);
    let flow = Flow {
        src: src.clone(),
        dst: dst.clone(),
        proto,
        ports,
    };
    let trace = reachability::trace(&ix, &flow);
    let hops = trace
        .hops
        .iter()
        .map(|(k, v)| {
            let a = match v {
                Verdict::Allowed => Some(true),
                Verdict::Blocked(_) => Some(false),
                Verdict::NotOnPath => None,
            };
            (hop_name(*k), a)
        })
        .collect();
    let sg = |groups: &[&str], egress: bool, peer: &Host<'_>| {
        if groups.is_empty() {
            return None;
        }
        let cov = reachability::sg_coverage(&ix, groups, egress, peer, proto, ports);
        let verdict = reachability::sg_verdict(&ix, groups, egress, peer, proto, ports);
        Some(ProdSg {
            allowed: verdict == Verdict::Allowed,
            missing: cov.missing.iter().map(|p| (p.from, p.to)).collect(),
        })
    };
    let sg_egress = sg(&src.groups, true, &dst);
    let sg_ingress = sg(&dst.groups, false, &src);
    let mut nacl = BTreeMap::new();
    let mut check =
        |name: &'static str, host: &Host<'_>, egress: bool, peer: &Host<'_>, ports: Ports| {
            if let Some(acl) = host.acl {
                let block =
                    reachability::nacl_check(acl, egress, peer.cidr, proto, ports).map(|b| {
                        ProdNaclBlock {
                            entry: b.entry.as_ref().map(|e| e.rule_number),
                            addrs: (Fam::V4, u128::from(b.ip_lo), u128::from(b.ip_hi)),
                            ports: (b.ports.from, b.ports.to),
                        }
                    });
                nacl.insert(name, block);
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
    }
}

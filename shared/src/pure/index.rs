//! Lookup tables over a [`Snapshot`], built once per audit: resources by id, by VPC, the route
//! table and NACL in force for each subnet, and security-group rules normalised from either of
//! their two sources.

pub use crate::pure::fastmap::{FastMap, FnvHasher};
pub use crate::pure::packet::{Ports, Proto};

use crate::pure::cidr::{Cidr, Family};
use crate::pure::model::*;
use crate::pure::nacl::AclRules;
use crate::pure::snapshot::Snapshot;

/// What a security-group rule points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SgPeer<'s> {
    Cidr(Cidr),
    Group(&'s str),
    PrefixList(&'s str),
    /// A peer that cannot be read: a CIDR that does not parse (as written), or no peer at all.
    /// Its addresses are unknown, so where it could decide a flow the verdict is unknown.
    Unreadable(&'s str),
}

impl std::fmt::Display for SgPeer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SgPeer::Cidr(c) => write!(f, "{c}"),
            SgPeer::Group(g) => f.write_str(g),
            SgPeer::PrefixList(p) => f.write_str(p),
            SgPeer::Unreadable(t) => write!(f, "`{t}` (unreadable)"),
        }
    }
}

/// One security-group rule, whichever file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SgRule<'s> {
    pub group_id: &'s str,
    /// `sgr-…` when read from `describe-security-group-rules.json`.
    pub rule_id: Option<&'s str>,
    pub egress: bool,
    pub proto: Proto,
    pub ports: Ports,
    pub peer: SgPeer<'s>,
}

impl SgRule<'_> {
    /// True for a rule to or from all of IPv4 or all of IPv6 (`0.0.0.0/0`, `::/0`).
    pub fn is_anywhere(&self) -> bool {
        matches!(&self.peer, SgPeer::Cidr(c) if c.prefix_len() == 0)
    }

    /// "sgr-1 (tcp 443 to 10.0.0.0/16)" or "sg-1 egress tcp 443 to 10.0.0.0/16".
    pub fn describe(&self) -> String {
        let dir = if self.egress { "to" } else { "from" };
        let what = if self.proto.has_ports() {
            format!("{} {} {} {}", self.proto.name(), self.ports, dir, self.peer)
        } else {
            format!("{} {} {}", self.proto.name(), dir, self.peer)
        };
        match self.rule_id {
            Some(id) => format!("{} {id} ({what})", self.group_id),
            None => format!(
                "{} {} rule ({what})",
                self.group_id,
                if self.egress { "egress" } else { "ingress" }
            ),
        }
    }
}

/// The snapshot, indexed.
pub struct Index<'s> {
    pub snap: &'s Snapshot,
    pub vpcs: FastMap<&'s str, &'s Vpc>,
    pub vpc_cidrs: FastMap<&'s str, Vec<Cidr>>,
    pub vpc_attrs: FastMap<&'s str, &'s VpcAttributes>,
    pub subnets: FastMap<&'s str, &'s Subnet>,
    /// Each subnet's IPv4 block, when it has one that parses.
    pub subnet_cidrs: FastMap<&'s str, Cidr>,
    /// Each subnet's associated IPv6 blocks.
    pub subnet_v6: FastMap<&'s str, Vec<Cidr>>,
    pub subnets_by_vpc: FastMap<&'s str, Vec<&'s Subnet>>,
    /// Zone names related to zone ids, for counting availability zones.
    pub zones: Zones,
    pub route_tables: FastMap<&'s str, &'s RouteTable>,
    rt_explicit: FastMap<&'s str, &'s RouteTable>,
    rt_main: FastMap<&'s str, &'s RouteTable>,
    acl_by_subnet: FastMap<&'s str, &'s str>,
    acls: FastMap<&'s str, AclRules<'s>>,
    pub endpoints_by_vpc: FastMap<&'s str, Vec<&'s VpcEndpoint>>,
    pub security_groups: FastMap<&'s str, &'s SecurityGroup>,
    pub sgs_by_vpc: FastMap<&'s str, Vec<&'s SecurityGroup>>,
    pub rts_by_vpc: FastMap<&'s str, Vec<&'s RouteTable>>,
    pub sg_rules: FastMap<&'s str, Vec<SgRule<'s>>>,
    pub igws_by_vpc: FastMap<&'s str, Vec<&'s InternetGateway>>,
    /// Internet gateways by id (route targets).
    pub igws: FastMap<&'s str, &'s InternetGateway>,
    pub nats_by_vpc: FastMap<&'s str, Vec<&'s NatGateway>>,
    pub nats: FastMap<&'s str, &'s NatGateway>,
    pub prefix_lists: FastMap<&'s str, &'s ManagedPrefixList>,
    /// What rules say about the groups they reference: the group's VPC, and whether it is
    /// reached through a peering connection.
    group_refs: FastMap<&'s str, (Option<&'s str>, bool)>,
    /// Prefix lists that some route sends to a gateway endpoint (S3, DynamoDB): AWS-managed.
    gateway_prefix_lists: Vec<&'s str>,
}

fn slice<T>(c: &crate::pure::snapshot::Collected<Vec<T>>) -> &[T] {
    c.as_ref().map(Vec::as_slice).unwrap_or(&[])
}

impl<'s> Index<'s> {
    pub fn new(snap: &'s Snapshot) -> Index<'s> {
        let mut ix = Index {
            snap,
            vpcs: FastMap::default(),
            vpc_cidrs: FastMap::default(),
            vpc_attrs: FastMap::default(),
            subnets: FastMap::default(),
            subnet_cidrs: FastMap::default(),
            subnet_v6: FastMap::default(),
            subnets_by_vpc: FastMap::default(),
            zones: Zones::new(slice(&snap.subnets)),
            route_tables: FastMap::default(),
            rt_explicit: FastMap::default(),
            rt_main: FastMap::default(),
            acl_by_subnet: FastMap::default(),
            acls: FastMap::default(),
            endpoints_by_vpc: FastMap::default(),
            security_groups: FastMap::default(),
            sgs_by_vpc: FastMap::default(),
            rts_by_vpc: FastMap::default(),
            sg_rules: FastMap::default(),
            igws_by_vpc: FastMap::default(),
            igws: FastMap::default(),
            nats_by_vpc: FastMap::default(),
            nats: FastMap::default(),
            prefix_lists: FastMap::default(),
            group_refs: FastMap::default(),
            gateway_prefix_lists: Vec::new(),
        };
        for v in slice(&snap.vpcs) {
            ix.vpcs.insert(&v.vpc_id, v);
            let mut cidrs: Vec<Cidr> = Vec::new();
            let assoc = v.cidr_block_association_set.iter().filter(|a| {
                a.cidr_block_state
                    .as_ref()
                    .is_none_or(|s| s.state.eq_ignore_ascii_case("associated"))
            });
            let v6 = v
                .ipv6_cidr_block_association_set
                .iter()
                .filter(|a| a.is_associated())
                .map(|a| a.ipv6_cidr_block.as_str());
            for c in std::iter::once(v.cidr_block.as_str())
                .chain(assoc.map(|a| a.cidr_block.as_str()))
                .chain(v6)
            {
                if let Some(c) = Cidr::parse(c) {
                    if !cidrs.contains(&c) {
                        cidrs.push(c);
                    }
                }
            }
            ix.vpc_cidrs.insert(&v.vpc_id, cidrs);
        }
        for a in slice(&snap.vpc_attributes) {
            ix.vpc_attrs.insert(&a.vpc_id, a);
        }
        for s in slice(&snap.subnets) {
            ix.subnets.insert(&s.subnet_id, s);
            if let Some(c) = s
                .cidr_block
                .as_deref()
                .and_then(Cidr::parse)
                .filter(|c| c.family() == Family::V4)
            {
                ix.subnet_cidrs.insert(&s.subnet_id, c);
            }
            let v6: Vec<Cidr> = s
                .ipv6_cidr_block_association_set
                .iter()
                .filter(|a| a.is_associated())
                .filter_map(|a| Cidr::parse(&a.ipv6_cidr_block))
                .filter(|c| c.family() == Family::V6)
                .collect();
            if !v6.is_empty() {
                ix.subnet_v6.insert(&s.subnet_id, v6);
            }
            ix.subnets_by_vpc.entry(&s.vpc_id).or_default().push(s);
        }
        for rt in slice(&snap.route_tables) {
            ix.route_tables.insert(&rt.route_table_id, rt);
            ix.rts_by_vpc.entry(&rt.vpc_id).or_default().push(rt);
            for r in &rt.routes {
                if let Some(pl) = r.destination_prefix_list_id.as_deref() {
                    if r.target().starts_with("vpce-") && !ix.gateway_prefix_lists.contains(&pl) {
                        ix.gateway_prefix_lists.push(pl);
                    }
                }
            }
            for a in rt.associations.iter().filter(|a| a.in_force()) {
                if a.main {
                    ix.rt_main.insert(&rt.vpc_id, rt);
                }
                if let Some(s) = &a.subnet_id {
                    ix.rt_explicit.insert(s, rt);
                }
            }
        }
        for acl in slice(&snap.network_acls) {
            for a in &acl.associations {
                ix.acl_by_subnet.insert(&a.subnet_id, &acl.network_acl_id);
            }
            ix.acls.insert(&acl.network_acl_id, AclRules::new(acl));
        }
        for e in slice(&snap.vpc_endpoints) {
            ix.endpoints_by_vpc.entry(&e.vpc_id).or_default().push(e);
        }
        for g in slice(&snap.security_groups) {
            ix.security_groups.insert(&g.group_id, g);
            if let Some(v) = &g.vpc_id {
                ix.sgs_by_vpc.entry(v).or_default().push(g);
            }
        }
        match &snap.security_group_rules {
            Ok(rules) => {
                for r in rules {
                    ix.sg_rules
                        .entry(&r.group_id)
                        .or_default()
                        .push(normalise_rule(r));
                }
            }
            Err(_) => {
                for g in slice(&snap.security_groups) {
                    let rules = ix.sg_rules.entry(&g.group_id).or_default();
                    for (egress, perms) in
                        [(false, &g.ip_permissions), (true, &g.ip_permissions_egress)]
                    {
                        for p in perms {
                            expand_permission(&g.group_id, egress, p, rules);
                        }
                    }
                }
            }
        }
        for igw in slice(&snap.internet_gateways) {
            ix.igws.insert(&igw.internet_gateway_id, igw);
            for a in &igw.attachments {
                ix.igws_by_vpc.entry(&a.vpc_id).or_default().push(igw);
            }
        }
        for n in slice(&snap.nat_gateways) {
            ix.nats.insert(&n.nat_gateway_id, n);
            ix.nats_by_vpc.entry(&n.vpc_id).or_default().push(n);
        }
        let mut note_ref = |g: &'s str, vpc: &'s Option<Text>, peering: &'s Option<Text>| {
            let e = ix.group_refs.entry(g).or_insert((None, false));
            e.0 = e.0.or(vpc.as_deref());
            e.1 |= peering.is_some();
        };
        for r in slice(&snap.security_group_rules) {
            if let Some(g) = &r.referenced_group_info {
                note_ref(&g.group_id, &g.vpc_id, &g.vpc_peering_connection_id);
            }
        }
        for sg in slice(&snap.security_groups) {
            for p in sg.ip_permissions.iter().chain(&sg.ip_permissions_egress) {
                for g in &p.user_id_group_pairs {
                    note_ref(&g.group_id, &g.vpc_id, &g.vpc_peering_connection_id);
                }
            }
        }
        for p in slice(&snap.managed_prefix_lists) {
            ix.prefix_lists.insert(&p.prefix_list_id, p);
        }
        ix
    }

    /// The VPC a referenced security group belongs to (from the snapshot's groups, else from
    /// the references), and whether a rule reaches it through a VPC peering connection.
    pub fn group_vpc(&self, group_id: &str) -> (Option<&'s str>, bool) {
        let (ref_vpc, peered) = self
            .group_refs
            .get(group_id)
            .copied()
            .unwrap_or((None, false));
        let own = self
            .security_groups
            .get(group_id)
            .and_then(|g| g.vpc_id.as_deref());
        (own.or(ref_vpc), peered)
    }

    /// The route table in force for a subnet: its explicit association, else the VPC's main table.
    pub fn route_table_for(&self, subnet: &Subnet) -> Option<&'s RouteTable> {
        self.rt_explicit
            .get(subnet.subnet_id.as_str())
            .or_else(|| self.rt_main.get(subnet.vpc_id.as_str()))
            .copied()
    }

    /// The NACL associated with a subnet (every subnet has exactly one in AWS).
    pub fn acl_for(&self, subnet_id: &str) -> Option<&AclRules<'s>> {
        self.acls.get(self.acl_by_subnet.get(subnet_id)?)
    }

    pub fn endpoints(&self, vpc_id: &str) -> &[&'s VpcEndpoint] {
        self.endpoints_by_vpc
            .get(vpc_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The security groups of a VPC.
    pub fn groups_in(&self, vpc_id: &str) -> &[&'s SecurityGroup] {
        self.sgs_by_vpc
            .get(vpc_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn rules_of(&self, group_id: &str) -> &[SgRule<'s>] {
        self.sg_rules
            .get(group_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn cidrs_of_vpc(&self, vpc_id: &str) -> &[Cidr] {
        self.vpc_cidrs.get(vpc_id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The tags of a VPC, subnet or security group.
    pub fn tags_of(&self, id: &str) -> &'s [Tag] {
        if let Some(v) = self.vpcs.get(id) {
            return &v.tags;
        }
        if let Some(s) = self.subnets.get(id) {
            return &s.tags;
        }
        if let Some(g) = self.security_groups.get(id) {
            return &g.tags;
        }
        &[]
    }

    /// The CIDRs of a managed prefix list, when its entries were collected and all parse;
    /// otherwise why they are unknown.
    pub fn prefix_list_cidrs(&self, id: &str) -> Result<Vec<Cidr>, String> {
        let Some(p) = self.prefix_lists.get(id) else {
            return Err(format!(
                "{id} is not in describe-managed-prefix-lists.json, so its entries are unknown"
            ));
        };
        let Some(entries) = &p.entries else {
            return Err(format!("the entries of {id} were not collected"));
        };
        entries
            .iter()
            .map(|e| {
                Cidr::parse(&e.cidr)
                    .ok_or_else(|| format!("entry `{}` of {id} does not parse", e.cidr))
            })
            .collect()
    }

    /// True for a prefix list AWS manages for a gateway endpoint (S3, DynamoDB): named
    /// `com.amazonaws.*`, or the destination of a route to a gateway endpoint. Such a list holds
    /// only public AWS addresses.
    pub fn is_aws_managed_prefix_list(&self, id: &str) -> bool {
        self.prefix_lists
            .get(id)
            .is_some_and(|p| p.prefix_list_name.starts_with("com.amazonaws."))
            || self.gateway_prefix_lists.contains(&id)
    }

    /// True for a prefix list that some route sends to a gateway endpoint.
    pub fn is_gateway_prefix_list(&self, id: &str) -> bool {
        self.gateway_prefix_lists.contains(&id)
    }

    /// The S3 prefix list of a region, by name, when `describe-managed-prefix-lists.json` has it.
    pub fn s3_prefix_list(&self, region: &str) -> Option<&'s str> {
        let name = crate::pure::services::s3_service(region);
        let mut found: Vec<&str> = self
            .prefix_lists
            .values()
            .filter(|p| p.prefix_list_name == name)
            .map(|p| p.prefix_list_id.as_str())
            .collect();
        found.sort_unstable();
        found.first().copied()
    }
}

fn normalise_rule(r: &SecurityGroupRule) -> SgRule<'_> {
    let proto = Proto::parse(&r.ip_protocol);
    let peer = if let Some(g) = &r.referenced_group_info {
        SgPeer::Group(&g.group_id)
    } else if let Some(p) = &r.prefix_list_id {
        SgPeer::PrefixList(p)
    } else {
        match r.cidr_ipv4.as_deref().or(r.cidr_ipv6.as_deref()) {
            Some(text) => parse_peer_cidr(text, r.cidr_ipv4.is_some()),
            None => SgPeer::Unreadable("(no peer)"),
        }
    };
    SgRule {
        group_id: &r.group_id,
        rule_id: Some(&r.security_group_rule_id),
        egress: r.is_egress,
        proto,
        ports: Ports::from_api(proto, r.from_port, r.to_port),
        peer,
    }
}

fn expand_permission<'s>(
    group_id: &'s str,
    egress: bool,
    p: &'s IpPermission,
    out: &mut Vec<SgRule<'s>>,
) {
    let proto = Proto::parse(&p.ip_protocol);
    let ports = Ports::from_api(proto, p.from_port, p.to_port);
    let mk = |peer| SgRule {
        group_id,
        rule_id: None,
        egress,
        proto,
        ports,
        peer,
    };
    for r in &p.ip_ranges {
        out.push(mk(parse_peer_cidr(&r.cidr_ip, true)));
    }
    for r in &p.ipv6_ranges {
        out.push(mk(parse_peer_cidr(&r.cidr_ipv6, false)));
    }
    for r in &p.prefix_list_ids {
        out.push(mk(SgPeer::PrefixList(&r.prefix_list_id)));
    }
    for r in &p.user_id_group_pairs {
        out.push(mk(SgPeer::Group(&r.group_id)));
    }
}

/// A rule's CIDR peer, or [`SgPeer::Unreadable`] when it does not parse as a block of the family
/// its field names (never dropped: a dropped rule could turn an allowed flow into a confident
/// failure).
fn parse_peer_cidr(text: &str, v4: bool) -> SgPeer<'_> {
    let want = if v4 { Family::V4 } else { Family::V6 };
    match Cidr::parse(text) {
        Some(c) if c.family() == want => SgPeer::Cidr(c),
        _ => SgPeer::Unreadable(text),
    }
}

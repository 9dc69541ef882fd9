//! Synthetic estates: a compliant Databricks back-end (or isolated) VPC built in code, for the
//! rule tests and the benchmark. Each VPC `n` gets its own ids and CIDRs, so many can share one
//! snapshot.

use std::collections::BTreeMap;

use crate::manifest::{Manifest, Mode, TransitVpcSpec, WorkspaceSpec};
use crate::model::*;
use crate::snapshot::{Snapshot, SnapshotMeta};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "111122223333";
pub const WORKSPACE_SERVICE: &str = "com.amazonaws.vpce.us-east-1.vpce-svc-09143d1e626de2f04";
pub const RELAY_SERVICE: &str = "com.amazonaws.vpce.us-east-1.vpce-svc-00018a8c3ff62ffdf";
pub const S3_PREFIX_LIST: &str = "pl-63a5400a";

/// A snapshot and the manifest that describes it.
#[derive(Debug, Clone)]
pub struct Estate {
    pub snap: Snapshot,
    pub manifest: Manifest,
}

fn push<T>(v: &mut crate::snapshot::Collected<Vec<T>>, item: T) {
    if let Ok(list) = v {
        list.push(item);
    }
}

fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(k, v)| Tag {
            key: (*k).into(),
            value: (*v).into(),
        })
        .collect()
}

/// A security-group rule row.
pub fn sg_rule(
    id: &str,
    group: &str,
    egress: bool,
    proto: &str,
    ports: (i32, i32),
    peer: &str,
) -> SecurityGroupRule {
    let (mut cidr4, mut cidr6, mut pl, mut grp) = (None, None, None, None);
    if peer.starts_with("sg-") {
        grp = Some(ReferencedGroup {
            group_id: peer.into(),
            ..ReferencedGroup::default()
        });
    } else if peer.starts_with("pl-") {
        pl = Some(peer.to_string());
    } else if peer.contains(':') {
        cidr6 = Some(peer.to_string());
    } else {
        cidr4 = Some(peer.to_string());
    }
    SecurityGroupRule {
        security_group_rule_id: id.into(),
        group_id: group.into(),
        is_egress: egress,
        ip_protocol: proto.into(),
        from_port: Some(ports.0),
        to_port: Some(ports.1),
        cidr_ipv4: cidr4.map(Into::into),
        cidr_ipv6: cidr6.map(Into::into),
        prefix_list_id: pl.map(Into::into),
        referenced_group_info: grp,
    }
}

/// A NACL entry.
pub fn acl_entry(
    n: i32,
    egress: bool,
    proto: &str,
    ports: Option<(i32, i32)>,
    cidr: &str,
    action: &str,
) -> NetworkAclEntry {
    NetworkAclEntry {
        rule_number: n,
        protocol: proto.into(),
        rule_action: action.into(),
        egress,
        cidr_block: Some(cidr.into()),
        ipv6_cidr_block: None,
        port_range: ports.map(|(from, to)| PortRangeJson { from, to }),
    }
}

fn route(dest: &str, target: &str) -> Route {
    let mut r = Route {
        state: Some("active".into()),
        ..Route::default()
    };
    if dest.starts_with("pl-") {
        r.destination_prefix_list_id = Some(dest.into());
    } else {
        r.destination_cidr_block = Some(dest.into());
    }
    match target.split('-').next() {
        Some("nat") => r.nat_gateway_id = Some(target.into()),
        Some("eni") => r.network_interface_id = Some(target.into()),
        Some("tgw") => r.transit_gateway_id = Some(target.into()),
        _ => r.gateway_id = Some(target.into()),
    }
    r
}

fn endpoint(
    id: &str,
    vpc: &str,
    service: &str,
    kind: &str,
    subnets: &[String],
    groups: &[String],
) -> VpcEndpoint {
    VpcEndpoint {
        vpc_endpoint_id: id.into(),
        vpc_id: vpc.into(),
        service_name: service.into(),
        vpc_endpoint_type: kind.into(),
        state: "available".into(),
        private_dns_enabled: kind == "Interface",
        policy_document: None,
        subnet_ids: subnets.iter().map(Into::into).collect(),
        route_table_ids: Vec::new(),
        groups: groups
            .iter()
            .map(|g| GroupIdentifier {
                group_id: g.into(),
                group_name: None,
            })
            .collect(),
        tags: Vec::new(),
    }
}

/// The ids of the resources of synthetic VPC number `n`.
pub struct Ids {
    pub vpc: String,
    pub ws_subnets: [String; 2],
    pub ep_subnets: [String; 2],
    pub public_subnet: String,
    pub ws_sg: String,
    pub ep_sg: String,
    pub acl: String,
    pub rt_private: String,
    pub rt_endpoints: String,
    pub rt_public: String,
    pub igw: String,
    pub nat: String,
    pub rest: String,
    pub relay: String,
    pub s3: String,
    pub sts: String,
    pub kinesis: String,
}

impl Ids {
    pub fn new(n: usize) -> Ids {
        let h = |p: &str, k: usize| format!("{p}-{n:08x}{k:x}");
        Ids {
            vpc: h("vpc", 0),
            ws_subnets: [h("subnet", 1), h("subnet", 2)],
            ep_subnets: [h("subnet", 3), h("subnet", 4)],
            public_subnet: h("subnet", 5),
            ws_sg: h("sg", 1),
            ep_sg: h("sg", 2),
            acl: h("acl", 1),
            rt_private: h("rtb", 1),
            rt_endpoints: h("rtb", 2),
            rt_public: h("rtb", 3),
            igw: h("igw", 1),
            nat: h("nat", 1),
            rest: h("vpce", 1),
            relay: h("vpce", 2),
            s3: h("vpce", 3),
            sts: h("vpce", 4),
            kinesis: h("vpce", 5),
        }
    }
}

impl Estate {
    /// Audits the estate with its manifest, running only `rules` (ids or families; empty: all).
    pub fn audit(&self, rules: &[&str]) -> crate::engine::Report {
        crate::engine::audit(
            &self.snap,
            &crate::engine::AuditOptions {
                manifest: Some(&self.manifest),
                rules: rules.iter().map(|r| r.to_string()).collect(),
                ..crate::engine::AuditOptions::default()
            },
        )
    }

    /// An empty estate with snapshot metadata and every file collected.
    pub fn empty() -> Estate {
        Estate {
            snap: Snapshot {
                meta: SnapshotMeta {
                    format_version: Some(1),
                    account_id: Some(ACCOUNT.into()),
                    region: Some(REGION.into()),
                    collected_at: Some("2026-11-30T04:00:00Z".into()),
                    collection_errors: Vec::new(),
                },
                vpcs: Ok(Vec::new()),
                vpc_attributes: Ok(Vec::new()),
                subnets: Ok(Vec::new()),
                route_tables: Ok(Vec::new()),
                internet_gateways: Ok(Vec::new()),
                nat_gateways: Ok(Vec::new()),
                vpc_endpoints: Ok(Vec::new()),
                security_groups: Ok(Vec::new()),
                security_group_rules: Ok(Vec::new()),
                network_acls: Ok(Vec::new()),
                endpoint_service_configurations: Ok(Vec::new()),
                endpoint_service_permissions: Ok(BTreeMap::new()),
                managed_prefix_lists: Ok(vec![ManagedPrefixList {
                    prefix_list_id: S3_PREFIX_LIST.into(),
                    prefix_list_name: format!("com.amazonaws.{REGION}.s3").into(),
                    address_family: Some("IPv4".into()),
                    entries: None,
                }]),
            },
            manifest: Manifest::default(),
        }
    }

    /// One compliant back-end PrivateLink workspace (NAT egress).
    pub fn backend() -> Estate {
        let mut e = Estate::empty();
        e.add_vpc(0, false);
        e
    }

    /// One compliant completely isolated workspace (no IGW, no NAT, egress to the VPC only).
    pub fn isolated() -> Estate {
        let mut e = Estate::empty();
        e.add_vpc(0, true);
        e
    }

    /// Adds synthetic VPC `n` (10.x.0.0/16 address space) with one workspace.
    pub fn add_vpc(&mut self, n: usize, isolated: bool) {
        let id = Ids::new(n);
        // Different VPCs may reuse address space, as in real accounts; ids stay unique.
        let vpc_cidr = "10.0.0.0/16".to_string();
        let cidr_ws = ["10.0.0.0/22", "10.0.4.0/22"];
        let cidr_ep = ["10.0.28.0/26", "10.0.28.64/26"];
        let cidr_pub = "10.0.30.0/24";
        let snap = &mut self.snap;
        push(
            &mut snap.vpcs,
            Vpc {
                vpc_id: id.vpc.as_str().into(),
                cidr_block: vpc_cidr.as_str().into(),
                cidr_block_association_set: Vec::new(),
                ipv6_cidr_block_association_set: Vec::new(),
                state: Some("available".into()),
                owner_id: Some(ACCOUNT.into()),
                tags: tags(&[("Name", &format!("databricks-{n}"))]),
            },
        );
        if let Ok(list) = &mut snap.vpc_attributes {
            list.push(VpcAttributes {
                vpc_id: id.vpc.as_str().into(),
                enable_dns_hostnames: Some(BoolValue { value: true }),
                enable_dns_support: Some(BoolValue { value: true }),
            });
        }
        let azs = [("us-east-1a", "use1-az1"), ("us-east-1b", "use1-az2")];
        let subnet = |sid: &str, cidr: &str, az: usize, public: bool| Subnet {
            subnet_id: sid.into(),
            vpc_id: id.vpc.as_str().into(),
            cidr_block: Some(cidr.into()),
            ipv6_cidr_block_association_set: Vec::new(),
            availability_zone: azs[az].0.into(),
            availability_zone_id: Some(azs[az].1.into()),
            available_ip_address_count: None,
            map_public_ip_on_launch: public,
            tags: Vec::new(),
        };
        let mut subnets = vec![
            subnet(&id.ws_subnets[0], cidr_ws[0], 0, false),
            subnet(&id.ws_subnets[1], cidr_ws[1], 1, false),
            subnet(&id.ep_subnets[0], cidr_ep[0], 0, false),
            subnet(&id.ep_subnets[1], cidr_ep[1], 1, false),
        ];
        if !isolated {
            subnets.push(subnet(&id.public_subnet, cidr_pub, 0, true));
        }
        for s in subnets {
            push(&mut snap.subnets, s);
        }
        let assoc = |s: &str| RouteTableAssociation {
            main: false,
            subnet_id: Some(s.into()),
            gateway_id: None,
            association_state: None,
        };
        let local = route(&vpc_cidr, "local");
        let mut private_routes = vec![local.clone(), route(S3_PREFIX_LIST, &id.s3)];
        if !isolated {
            private_routes.push(route("0.0.0.0/0", &id.nat));
        }
        push(
            &mut snap.route_tables,
            RouteTable {
                route_table_id: id.rt_private.as_str().into(),
                vpc_id: id.vpc.as_str().into(),
                associations: id.ws_subnets.iter().map(|s| assoc(s)).collect(),
                routes: private_routes,
                tags: Vec::new(),
            },
        );
        let mut ep_assoc: Vec<_> = id.ep_subnets.iter().map(|s| assoc(s)).collect();
        ep_assoc.push(RouteTableAssociation {
            main: true,
            subnet_id: None,
            gateway_id: None,
            association_state: None,
        });
        push(
            &mut snap.route_tables,
            RouteTable {
                route_table_id: id.rt_endpoints.as_str().into(),
                vpc_id: id.vpc.as_str().into(),
                associations: ep_assoc,
                routes: vec![local.clone()],
                tags: Vec::new(),
            },
        );
        if !isolated {
            push(
                &mut snap.route_tables,
                RouteTable {
                    route_table_id: id.rt_public.as_str().into(),
                    vpc_id: id.vpc.as_str().into(),
                    associations: vec![assoc(&id.public_subnet)],
                    routes: vec![local, route("0.0.0.0/0", &id.igw)],
                    tags: Vec::new(),
                },
            );
            push(
                &mut snap.internet_gateways,
                InternetGateway {
                    internet_gateway_id: id.igw.as_str().into(),
                    attachments: vec![GatewayAttachment {
                        vpc_id: id.vpc.as_str().into(),
                        state: "available".into(),
                    }],
                    tags: Vec::new(),
                },
            );
            push(
                &mut snap.nat_gateways,
                NatGateway {
                    nat_gateway_id: id.nat.as_str().into(),
                    vpc_id: id.vpc.as_str().into(),
                    subnet_id: id.public_subnet.as_str().into(),
                    state: "available".into(),
                    connectivity_type: Some("public".into()),
                    tags: Vec::new(),
                },
            );
        }
        // Security groups.
        for (g, name) in [
            (&id.ws_sg, "databricks-workspace"),
            (&id.ep_sg, "databricks-endpoints"),
        ] {
            push(
                &mut snap.security_groups,
                SecurityGroup {
                    group_id: g.into(),
                    group_name: name.into(),
                    vpc_id: Some(id.vpc.as_str().into()),
                    ip_permissions: Vec::new(),
                    ip_permissions_egress: Vec::new(),
                    tags: Vec::new(),
                },
            );
        }
        let dest = if isolated {
            vpc_cidr.as_str()
        } else {
            "0.0.0.0/0"
        };
        let mut k = 0;
        let mut rid = || {
            k += 1;
            format!("sgr-{n:08x}{k:03x}")
        };
        let mut rules = vec![
            sg_rule(&rid(), &id.ws_sg, false, "tcp", (0, 65535), &id.ws_sg),
            sg_rule(&rid(), &id.ws_sg, false, "udp", (0, 65535), &id.ws_sg),
            sg_rule(&rid(), &id.ws_sg, true, "tcp", (0, 65535), &id.ws_sg),
            sg_rule(&rid(), &id.ws_sg, true, "udp", (0, 65535), &id.ws_sg),
            sg_rule(&rid(), &id.ws_sg, true, "tcp", (443, 443), dest),
            sg_rule(&rid(), &id.ws_sg, true, "tcp", (6666, 6666), dest),
            sg_rule(&rid(), &id.ws_sg, true, "tcp", (2443, 2443), dest),
            sg_rule(&rid(), &id.ws_sg, true, "tcp", (8443, 8451), dest),
        ];
        if isolated {
            rules.push(sg_rule(
                &rid(),
                &id.ws_sg,
                true,
                "tcp",
                (443, 443),
                S3_PREFIX_LIST,
            ));
        } else {
            rules.push(sg_rule(&rid(), &id.ws_sg, true, "tcp", (3306, 3306), dest));
        }
        for p in [(443, 443), (6666, 6666), (2443, 2443), (8443, 8451)] {
            rules.push(sg_rule(&rid(), &id.ep_sg, false, "tcp", p, &id.ws_sg));
        }
        for r in rules {
            push(&mut snap.security_group_rules, r);
        }
        // One NACL for every subnet: allow all both ways.
        let mut subnets_of_vpc = vec![
            id.ws_subnets[0].clone(),
            id.ws_subnets[1].clone(),
            id.ep_subnets[0].clone(),
            id.ep_subnets[1].clone(),
        ];
        if !isolated {
            subnets_of_vpc.push(id.public_subnet.clone());
        }
        push(
            &mut snap.network_acls,
            NetworkAcl {
                network_acl_id: id.acl.as_str().into(),
                vpc_id: id.vpc.as_str().into(),
                is_default: true,
                associations: subnets_of_vpc
                    .into_iter()
                    .map(|s| NetworkAclAssociation {
                        subnet_id: s.into(),
                    })
                    .collect(),
                entries: vec![
                    acl_entry(100, false, "-1", None, "0.0.0.0/0", "allow"),
                    acl_entry(32767, false, "-1", None, "0.0.0.0/0", "deny"),
                    acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
                    acl_entry(32767, true, "-1", None, "0.0.0.0/0", "deny"),
                ],
                tags: Vec::new(),
            },
        );
        // Endpoints.
        let eps = id.ep_subnets.to_vec();
        let epg = vec![id.ep_sg.clone()];
        let mut s3 = endpoint(
            &id.s3,
            &id.vpc,
            &format!("com.amazonaws.{REGION}.s3"),
            "Gateway",
            &[],
            &[],
        );
        s3.route_table_ids = vec![id.rt_private.as_str().into()];
        s3.policy_document = Some(r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::databricks-*/*"}]}"#.into());
        let restricted = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Resource":"*"}]}"#;
        let mut sts = endpoint(
            &id.sts,
            &id.vpc,
            &format!("com.amazonaws.{REGION}.sts"),
            "Interface",
            &eps,
            &epg,
        );
        sts.policy_document = Some(restricted.into());
        let mut kin = endpoint(
            &id.kinesis,
            &id.vpc,
            &format!("com.amazonaws.{REGION}.kinesis-streams"),
            "Interface",
            &eps,
            &epg,
        );
        kin.policy_document = Some(
            restricted
                .replace("sts:AssumeRole", "kinesis:PutRecord")
                .into(),
        );
        for e in [
            endpoint(
                &id.rest,
                &id.vpc,
                WORKSPACE_SERVICE,
                "Interface",
                &eps,
                &epg,
            ),
            endpoint(&id.relay, &id.vpc, RELAY_SERVICE, "Interface", &eps, &epg),
            s3,
            sts,
            kin,
        ] {
            push(&mut snap.vpc_endpoints, e);
        }
        self.manifest.workspaces.push(WorkspaceSpec {
            name: format!("ws-{n}"),
            vpc_id: id.vpc.clone(),
            subnet_ids: id.ws_subnets.to_vec(),
            security_group_ids: vec![id.ws_sg.clone()],
            modes: if isolated {
                vec![Mode::Isolated]
            } else {
                vec![Mode::BackEnd]
            },
            compliance_security_profile: false,
            legacy_hive_metastore: false,
            custom_dns: false,
        });
    }

    /// Declares the workspace VPC of estate `n` as its own transit VPC with client CIDRs.
    pub fn with_transit(mut self, n: usize, client_cidrs: &[&str]) -> Estate {
        self.manifest.transit_vpcs.push(TransitVpcSpec {
            vpc_id: Ids::new(n).vpc,
            client_cidrs: client_cidrs.iter().map(|c| c.to_string()).collect(),
        });
        self
    }

    /// Moves security-group rules from the rules file into the groups' `IpPermissions`, as if
    /// only `describe-security-groups.json` had been collected.
    pub fn rules_inside_groups(mut self) -> Estate {
        let rules = std::mem::replace(
            &mut self.snap.security_group_rules,
            Err(crate::snapshot::CollectFailure {
                api: "DescribeSecurityGroupRules".into(),
                code: "NotCollected".into(),
                message: "describe-security-group-rules.json not collected".into(),
            }),
        )
        .unwrap_or_default();
        if let Ok(groups) = &mut self.snap.security_groups {
            for g in groups.iter_mut() {
                for r in rules.iter().filter(|r| r.group_id == g.group_id) {
                    let mut p = IpPermission {
                        ip_protocol: r.ip_protocol.clone(),
                        from_port: r.from_port,
                        to_port: r.to_port,
                        ip_ranges: Vec::new(),
                        ipv6_ranges: Vec::new(),
                        prefix_list_ids: Vec::new(),
                        user_id_group_pairs: Vec::new(),
                    };
                    if let Some(c) = &r.cidr_ipv4 {
                        p.ip_ranges.push(IpRange { cidr_ip: c.clone() });
                    }
                    if let Some(c) = &r.cidr_ipv6 {
                        p.ipv6_ranges.push(Ipv6Range {
                            cidr_ipv6: c.clone(),
                        });
                    }
                    if let Some(c) = &r.prefix_list_id {
                        p.prefix_list_ids.push(PrefixListId {
                            prefix_list_id: c.clone(),
                        });
                    }
                    if let Some(c) = &r.referenced_group_info {
                        p.user_id_group_pairs.push(UserIdGroupPair {
                            group_id: c.group_id.clone(),
                            vpc_id: c.vpc_id.clone(),
                            vpc_peering_connection_id: c.vpc_peering_connection_id.clone(),
                        });
                    }
                    if r.is_egress {
                        g.ip_permissions_egress.push(p);
                    } else {
                        g.ip_permissions.push(p);
                    }
                }
            }
        }
        self
    }
}

/// Mutators for tests (test support: a mutator on an input the estate holds as uncollected is a
/// mistake in the test, so it panics).
#[allow(clippy::expect_used)]
impl Estate {
    pub fn vpcs_mut(&mut self) -> &mut Vec<Vpc> {
        self.snap.vpcs.as_mut().expect("collected")
    }
    pub fn subnets_mut(&mut self) -> &mut Vec<Subnet> {
        self.snap.subnets.as_mut().expect("collected")
    }
    pub fn route_tables_mut(&mut self) -> &mut Vec<RouteTable> {
        self.snap.route_tables.as_mut().expect("collected")
    }
    pub fn endpoints_mut(&mut self) -> &mut Vec<VpcEndpoint> {
        self.snap.vpc_endpoints.as_mut().expect("collected")
    }
    pub fn sg_rules_mut(&mut self) -> &mut Vec<SecurityGroupRule> {
        self.snap.security_group_rules.as_mut().expect("collected")
    }
    pub fn acls_mut(&mut self) -> &mut Vec<NetworkAcl> {
        self.snap.network_acls.as_mut().expect("collected")
    }
    pub fn attrs_mut(&mut self) -> &mut Vec<VpcAttributes> {
        self.snap.vpc_attributes.as_mut().expect("collected")
    }
    pub fn igws_mut(&mut self) -> &mut Vec<InternetGateway> {
        self.snap.internet_gateways.as_mut().expect("collected")
    }
    pub fn nats_mut(&mut self) -> &mut Vec<NatGateway> {
        self.snap.nat_gateways.as_mut().expect("collected")
    }
    pub fn endpoint(&mut self, id: &str) -> &mut VpcEndpoint {
        self.endpoints_mut()
            .iter_mut()
            .find(|e| e.vpc_endpoint_id == id)
            .expect("endpoint exists")
    }
    /// Removes the rules matching a predicate.
    pub fn drop_sg_rules(&mut self, f: impl Fn(&SecurityGroupRule) -> bool) {
        self.sg_rules_mut().retain(|r| !f(r));
    }
    /// Drift: every TCP 6666 egress rule (the relay port) disappears.
    pub fn drop_relay_egress(&mut self) {
        self.drop_sg_rules(|r| r.is_egress && r.from_port == Some(6666));
    }
    /// The findings of an audit of the estate with its manifest.
    pub fn findings(&self) -> Vec<crate::finding::Finding> {
        crate::engine::audit(
            &self.snap,
            &crate::engine::AuditOptions {
                manifest: Some(&self.manifest),
                ..crate::engine::AuditOptions::default()
            },
        )
        .findings
    }
    /// Marks an input as not collected.
    pub fn not_collected(&mut self, input: crate::snapshot::Input) {
        let f = crate::snapshot::CollectFailure {
            api: input.api().into(),
            code: "NotCollected".into(),
            message: format!("{} not collected", input.file()),
        };
        use crate::snapshot::Input as I;
        match input {
            I::Vpcs => self.snap.vpcs = Err(f),
            I::VpcAttributes => self.snap.vpc_attributes = Err(f),
            I::Subnets => self.snap.subnets = Err(f),
            I::RouteTables => self.snap.route_tables = Err(f),
            I::InternetGateways => self.snap.internet_gateways = Err(f),
            I::NatGateways => self.snap.nat_gateways = Err(f),
            I::VpcEndpoints => self.snap.vpc_endpoints = Err(f),
            I::SecurityGroups => self.snap.security_groups = Err(f),
            I::SecurityGroupRules => {
                self.snap.security_group_rules = Err(f.clone());
                self.snap.security_groups = Err(f);
            }
            I::NetworkAcls => self.snap.network_acls = Err(f),
            I::EndpointServiceConfigurations => self.snap.endpoint_service_configurations = Err(f),
            I::EndpointServicePermissions => self.snap.endpoint_service_permissions = Err(f),
            I::ManagedPrefixLists => self.snap.managed_prefix_lists = Err(f),
        }
    }
}

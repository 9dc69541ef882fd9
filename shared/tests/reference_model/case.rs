//! A generated test case: a small estate in the AWS CLI shapes plus one flow, and its reading
//! by the reference model (associations resolved here, independently of plaudit's index).

use std::collections::BTreeMap;

use plaudit::model::{NetworkAcl, NetworkAclEntry, RouteTable, SecurityGroupRule, Subnet, Vpc};

use super::model::{Block, EniSide, Fam, Flow, PrefixLists, Side, World};

/// One end of the flow.
#[derive(Debug, Clone)]
pub enum End {
    /// ENIs in a subnet of the estate carrying `groups`.
    Subnet {
        subnet_id: String,
        groups: Vec<String>,
    },
    /// The internet (all of IPv4, or all of IPv6).
    Internet,
    /// An AWS service whose addresses are the entries of a prefix list (IPv4).
    PrefixList(String),
}

#[derive(Debug, Clone)]
pub struct Case {
    pub vpc: Vpc,
    pub subnets: Vec<Subnet>,
    /// IPv6 blocks of the subnets, as the model reads them (the generator also writes them into
    /// the subnets' `Ipv6CidrBlockAssociationSet`, which production reads).
    pub subnet_v6: BTreeMap<String, Block>,
    pub group_ids: Vec<String>,
    pub sg_rules: Vec<SecurityGroupRule>,
    pub acls: Vec<NetworkAcl>,
    pub route_tables: Vec<RouteTable>,
    pub prefix_lists: PrefixLists,
    pub src: End,
    pub dst: End,
    pub fam: Fam,
    /// 6 (TCP), 17 (UDP), 1 (ICMP), 58 (ICMPv6) or 50 (ESP).
    pub proto: u8,
    pub ports: (u16, u16),
}

impl Case {
    pub fn world(&self) -> World {
        World {
            sg_rules: self.sg_rules.clone(),
            prefix_lists: self.prefix_lists.clone(),
        }
    }

    /// The addresses of one end in the flow's family.
    pub fn addrs(&self, end: &End) -> Vec<Block> {
        match end {
            End::Subnet { subnet_id, .. } => match self.fam {
                Fam::V4 => self
                    .subnets
                    .iter()
                    .find(|s| s.subnet_id == subnet_id.as_str())
                    .and_then(|s| s.cidr_block.as_deref())
                    .and_then(Block::parse)
                    .into_iter()
                    .collect(),
                Fam::V6 => self.subnet_v6.get(subnet_id).copied().into_iter().collect(),
            },
            End::Internet => match self.fam {
                Fam::V4 => vec![Block::parse("0.0.0.0/0").expect("literal")],
                Fam::V6 => vec![Block::parse("::/0").expect("literal")],
            },
            End::PrefixList(id) => self
                .prefix_lists
                .get(id)
                .map(|v| v.iter().filter(|b| b.fam == self.fam).copied().collect())
                .unwrap_or_default(),
        }
    }

    /// The NACL associated with a subnet (AWS: exactly one; else the VPC's default NACL).
    pub fn acl_of(&self, subnet_id: &str) -> Option<&NetworkAcl> {
        self.acls
            .iter()
            .find(|a| a.associations.iter().any(|x| x.subnet_id == subnet_id))
            .or_else(|| self.acls.iter().find(|a| a.is_default))
    }

    /// The route table of a subnet: its explicit association, else the main table.
    pub fn route_table_of(&self, subnet_id: &str) -> Option<&RouteTable> {
        self.route_tables
            .iter()
            .find(|t| {
                t.associations
                    .iter()
                    .any(|a| a.subnet_id.as_deref() == Some(subnet_id))
            })
            .or_else(|| {
                self.route_tables
                    .iter()
                    .find(|t| t.associations.iter().any(|a| a.main))
            })
    }

    fn side(&self, end: &End) -> Side {
        let eni = match end {
            End::Subnet { subnet_id, groups } => {
                let acl = self.acl_of(subnet_id);
                Some(EniSide {
                    subnet_id: subnet_id.clone(),
                    groups: groups.clone(),
                    nacl: acl.map(|a| a.entries.clone()).unwrap_or_default(),
                    nacl_id: acl
                        .map(|a| a.network_acl_id.to_string())
                        .unwrap_or_default(),
                    route_table: self
                        .route_table_of(subnet_id)
                        .cloned()
                        .unwrap_or(RouteTable {
                            route_table_id: "(none)".into(),
                            vpc_id: self.vpc.vpc_id.clone(),
                            associations: Vec::new(),
                            routes: Vec::new(),
                            tags: Vec::new(),
                        }),
                })
            }
            End::Internet | End::PrefixList(_) => None,
        };
        Side {
            addrs: self.addrs(end),
            eni,
        }
    }

    pub fn flow(&self) -> Flow {
        Flow {
            src: self.side(&self.src),
            dst: self.side(&self.dst),
            proto: self.proto,
            ports: self.ports,
        }
    }

    /// The entries of a NACL in one direction, for messages.
    pub fn entries(&self, acl_id: &str, egress: bool) -> Vec<&NetworkAclEntry> {
        self.acls
            .iter()
            .filter(|a| a.network_acl_id == acl_id)
            .flat_map(|a| a.entries.iter())
            .filter(|e| e.egress == egress)
            .collect()
    }
}

//! What the HTML report's diagrams draw and the report itself does not hold: each audited VPC's
//! availability zones, subnets, interface endpoints and gateways, read from the snapshot. Pure:
//! built from a [`Snapshot`] already in memory, for the VPCs a [`Report`] names.

use std::collections::{BTreeMap, BTreeSet};

use crate::pure::engine::Report;
use crate::pure::model::{tag, Subnet};
use crate::pure::services::{databricks_kind, ServiceTable};
use crate::pure::snapshot::Snapshot;

/// The layout-relevant objects of the audited VPCs, by VPC id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    pub vpcs: BTreeMap<String, VpcTopology>,
}

/// One VPC as the diagram draws it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VpcTopology {
    pub vpc_id: String,
    /// The `Name` tag, when set.
    pub name: Option<String>,
    pub cidr: String,
    /// The zones of its subnets (name, or id when the name is missing), sorted: the diagram's
    /// columns.
    pub zones: Vec<String>,
    pub subnets: Vec<SubnetNode>,
    pub endpoints: Vec<EndpointNode>,
    pub internet_gateways: Vec<String>,
    pub nat_gateways: Vec<NatNode>,
}

/// One subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetNode {
    pub id: String,
    pub name: Option<String>,
    pub cidr: String,
    pub zone: String,
}

/// One interface endpoint (gateway endpoints have no place on the grid; their prefix lists
/// appear as flow destinations outside the VPC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointNode {
    pub id: String,
    pub service_name: String,
    /// "workspace (REST API)", "SCC relay", "Service Direct", or the AWS service's short name.
    pub service: String,
    pub state: String,
    pub subnet_ids: Vec<String>,
    pub group_ids: Vec<String>,
}

/// One NAT gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatNode {
    pub id: String,
    pub subnet_id: String,
    pub state: String,
}

impl Topology {
    /// The topology of every VPC `report` names (workspace and transit VPCs), from `snap`.
    /// Objects the snapshot could not read are simply absent (the report's blind spots say so).
    pub fn of(snap: &Snapshot, report: &Report) -> Topology {
        let mut wanted: BTreeSet<&str> = report
            .deployment
            .workspaces
            .iter()
            .map(|w| w.vpc_id.as_str())
            .collect();
        wanted.extend(
            report
                .deployment
                .transit_vpcs
                .iter()
                .map(|t| t.vpc_id.as_str()),
        );
        let mut vpcs: BTreeMap<String, VpcTopology> = wanted
            .iter()
            .map(|id| {
                (
                    id.to_string(),
                    VpcTopology {
                        vpc_id: id.to_string(),
                        ..VpcTopology::default()
                    },
                )
            })
            .collect();
        for v in snap.vpcs.as_deref().unwrap_or_default() {
            if let Some(t) = vpcs.get_mut(v.vpc_id.as_str()) {
                t.name = tag(&v.tags, "Name").map(str::to_string);
                t.cidr = v.cidr_block.to_string();
            }
        }
        for s in snap.subnets.as_deref().unwrap_or_default() {
            if let Some(t) = vpcs.get_mut(s.vpc_id.as_str()) {
                t.subnets.push(subnet_node(s));
            }
        }
        let table = ServiceTable::builtin();
        let region = report.region.as_deref();
        for e in snap.vpc_endpoints.as_deref().unwrap_or_default() {
            if !e.is_interface() {
                continue;
            }
            if let Some(t) = vpcs.get_mut(e.vpc_id.as_str()) {
                let service = match databricks_kind(table, region, &e.service_name) {
                    Some(k) => k.label().to_string(),
                    None => e
                        .service_name
                        .rsplit('.')
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                };
                t.endpoints.push(EndpointNode {
                    id: e.vpc_endpoint_id.to_string(),
                    service_name: e.service_name.to_string(),
                    service,
                    state: e.state.to_string(),
                    subnet_ids: e.subnet_ids.iter().map(|s| s.to_string()).collect(),
                    group_ids: e.groups.iter().map(|g| g.group_id.to_string()).collect(),
                });
            }
        }
        for g in snap.internet_gateways.as_deref().unwrap_or_default() {
            for a in &g.attachments {
                if let Some(t) = vpcs.get_mut(a.vpc_id.as_str()) {
                    t.internet_gateways.push(g.internet_gateway_id.to_string());
                }
            }
        }
        for n in snap.nat_gateways.as_deref().unwrap_or_default() {
            if let Some(t) = vpcs.get_mut(n.vpc_id.as_str()) {
                t.nat_gateways.push(NatNode {
                    id: n.nat_gateway_id.to_string(),
                    subnet_id: n.subnet_id.to_string(),
                    state: n.state.to_string(),
                });
            }
        }
        for t in vpcs.values_mut() {
            t.subnets
                .sort_by(|a, b| (&a.zone, &a.id).cmp(&(&b.zone, &b.id)));
            t.endpoints.sort_by(|a, b| a.id.cmp(&b.id));
            t.internet_gateways.sort();
            t.internet_gateways.dedup();
            t.nat_gateways.sort_by(|a, b| a.id.cmp(&b.id));
            let zones: BTreeSet<&str> = t.subnets.iter().map(|s| s.zone.as_str()).collect();
            t.zones = zones.into_iter().map(str::to_string).collect();
        }
        Topology { vpcs }
    }
}

fn subnet_node(s: &Subnet) -> SubnetNode {
    SubnetNode {
        id: s.subnet_id.to_string(),
        name: tag(&s.tags, "Name").map(str::to_string),
        cidr: s
            .cidr_block
            .as_deref()
            .unwrap_or("no IPv4 CIDR")
            .to_string(),
        zone: if s.availability_zone.is_empty() {
            s.az_key().to_string()
        } else {
            s.availability_zone.to_string()
        },
    }
}

//! What a rule sees: the inputs it declared (and no other), the workspaces it applies to, the
//! region, the rows of the port table it declared and the Databricks endpoints of each VPC.

use crate::pure::deployment::{Deployment, Mode, Workspace};
use crate::pure::fastmap::FastMap;
use crate::pure::finding::ResourceType;
use crate::pure::index::{Index, Ports};
use crate::pure::model::{Subnet, VpcEndpoint};
use crate::pure::reachability::Host;
use crate::pure::services::{databricks_kind, ServiceKind, ServiceTable};
use crate::pure::view::View;

use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::{nacl_outbound_ports, port_needs, Partition, PortNeed};

/// What a rule sees. Its inputs come only through [`Context::view`], which hands out the inputs
/// the rule declares ([`RuleMeta::inputs`], [`RuleMeta::optional_inputs`]) and no other.
pub struct Context<'a> {
    meta: &'static RuleMeta,
    view: View<'a>,
    pub deployment: &'a Deployment,
    /// The workspaces the rule applies to.
    pub workspaces: Vec<&'a Workspace>,
    pub region: Option<&'a str>,
    pub table: &'a ServiceTable,
    /// The Databricks endpoints of each VPC, classified once per audit ([`classify_endpoints`]).
    dbx: &'a FastMap<&'a str, Vec<DatabricksEndpoint<'a>>>,
}

/// What the engine gives every rule's [`Context`] besides its view and workspaces.
pub struct Shared<'a> {
    pub deployment: &'a Deployment,
    pub region: Option<&'a str>,
    pub table: &'a ServiceTable,
    pub dbx: &'a FastMap<&'a str, Vec<DatabricksEndpoint<'a>>>,
}

/// The live interface endpoints of every VPC to Databricks services of the region, by VPC,
/// sorted by endpoint id.
pub fn classify_endpoints<'a>(
    ix: &Index<'a>,
    table: &ServiceTable,
    region: Option<&str>,
) -> FastMap<&'a str, Vec<DatabricksEndpoint<'a>>> {
    let mut out = FastMap::default();
    for (vpc, eps) in &ix.endpoints_by_vpc {
        let mut v: Vec<DatabricksEndpoint<'a>> = eps
            .iter()
            .filter(|e| e.is_interface() && !e.is_gone())
            .filter_map(|e| {
                databricks_kind(table, region, &e.service_name)
                    .map(|kind| DatabricksEndpoint { endpoint: e, kind })
            })
            .collect();
        if !v.is_empty() {
            v.sort_by(|a, b| a.endpoint.vpc_endpoint_id.cmp(&b.endpoint.vpc_endpoint_id));
            out.insert(*vpc, v);
        }
    }
    out
}

/// A VPC that carries front-end traffic, and the workspaces whose users it serves.
pub struct FrontEndVpc<'a> {
    pub vpc_id: &'a str,
    /// The declared transit VPC; `None` when the workspace VPC serves both roles.
    pub transit: Option<&'a crate::pure::deployment::TransitVpc>,
    pub serves: Vec<&'a Workspace>,
}

/// A Databricks endpoint of a VPC.
#[derive(Debug, Clone, Copy)]
pub struct DatabricksEndpoint<'a> {
    pub endpoint: &'a VpcEndpoint,
    pub kind: ServiceKind,
}

impl<'a> Context<'a> {
    /// The context of `meta`'s rule: `view` must be restricted to the inputs `meta` declares.
    pub fn new(
        meta: &'static RuleMeta,
        view: View<'a>,
        workspaces: Vec<&'a Workspace>,
        shared: &Shared<'a>,
    ) -> Context<'a> {
        Context {
            meta,
            view,
            deployment: shared.deployment,
            workspaces,
            region: shared.region,
            table: shared.table,
            dbx: shared.dbx,
        }
    }

    /// The rule's inputs.
    pub fn view(&self) -> View<'a> {
        self.view
    }

    /// The rule's declaration.
    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    /// The partition of the audited region. The engine runs no rule that declares port families
    /// without a region, so `None` only reaches rules that declare none.
    pub fn partition(&self) -> Option<Partition> {
        self.region.map(Partition::of_region)
    }

    /// [`port_needs`] of the families the rule declares, in the audited region's partition.
    pub fn port_needs(&self, ws: &Workspace, kind: Option<ServiceKind>) -> Vec<PortNeed> {
        port_needs(
            self.partition().unwrap_or(Partition::Aws),
            self.meta.ports,
            ws,
            kind,
        )
    }

    /// [`nacl_outbound_ports`] of the families the rule declares, in the audited region's
    /// partition.
    pub fn nacl_outbound_ports(&self, ws: &Workspace) -> Vec<Ports> {
        nacl_outbound_ports(
            self.partition().unwrap_or(Partition::Aws),
            self.meta.ports,
            ws,
        )
    }

    /// The workspace's subnets, or the ids the snapshot does not hold.
    pub fn subnets_of(&self, ws: &Workspace) -> Result<Vec<&'a Subnet>, Vec<String>> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for id in &ws.subnet_ids {
            match self.view.subnet(id) {
                Some(s) => found.push(s),
                None => missing.push(id.clone()),
            }
        }
        if missing.is_empty() {
            Ok(found)
        } else {
            Err(missing)
        }
    }

    /// The workspace's subnets; when some are absent, adds the `Error` outcomes that say so to
    /// `out` and returns `None`.
    pub fn subnets_or_report(
        &self,
        ws: &Workspace,
        out: &mut Vec<Outcome>,
    ) -> Option<Vec<&'a Subnet>> {
        match self.subnets_of(ws) {
            Ok(s) => Some(s),
            Err(missing) => {
                out.extend(self.missing_subnets(ws, &missing));
                None
            }
        }
    }

    /// Adds an `Error` outcome to `out` for each of the workspace's security groups the snapshot
    /// lacks; true when there was one.
    pub fn report_missing_groups(&self, ws: &Workspace, out: &mut Vec<Outcome>) -> bool {
        let missing = self.missing_groups(ws);
        let any = !missing.is_empty();
        out.extend(missing);
        any
    }

    /// The workspace's security groups that exist in the snapshot.
    pub fn groups_of(&self, ws: &'a Workspace) -> Vec<&'a str> {
        ws.security_group_ids
            .iter()
            .filter(|g| self.view.security_group(g).is_some())
            .map(String::as_str)
            .collect()
    }

    /// Error outcomes for each listed-but-absent subnet of a workspace.
    pub fn missing_subnets(&self, ws: &Workspace, missing: &[String]) -> Vec<Outcome> {
        missing
            .iter()
            .map(|id| {
                Outcome::error(
                    ResourceType::Subnet,
                    id,
                    format!(
                        "Workspace `{}` names {id}, which is not in describe-subnets.json, so its network cannot be checked.",
                        ws.name
                    ),
                )
                .ws(ws)
            })
            .collect()
    }

    /// Error outcomes for each listed-but-absent security group of a workspace.
    pub fn missing_groups(&self, ws: &Workspace) -> Vec<Outcome> {
        ws.security_group_ids
            .iter()
            .filter(|g| self.view.security_group(g).is_none())
            .map(|id| {
                Outcome::error(
                    ResourceType::SecurityGroup,
                    id,
                    format!(
                        "Workspace `{}` names {id}, which is not in describe-security-groups.json, so its rules cannot be checked.",
                        ws.name
                    ),
                )
                .ws(ws)
            })
            .collect()
    }

    /// The interface endpoints of a VPC to Databricks services of the audited region.
    pub fn databricks_endpoints(&self, vpc_id: &str) -> Vec<DatabricksEndpoint<'a>> {
        // Read through the view, so that a rule that does not declare the endpoints sees none.
        if self.view.endpoints(vpc_id).is_empty() {
            return Vec::new();
        }
        self.dbx.get(vpc_id).cloned().unwrap_or_default()
    }

    /// The endpoints of `kind` that carry the traffic: the available ones with private DNS, or all
    /// of them when none is (so a broken setup is still checked rather than skipped).
    pub fn serving_endpoints(
        &self,
        vpc_id: &str,
        kind: ServiceKind,
    ) -> Vec<DatabricksEndpoint<'a>> {
        let all: Vec<_> = self
            .databricks_endpoints(vpc_id)
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect();
        let live: Vec<_> = all
            .iter()
            .copied()
            .filter(|e| e.endpoint.is_available() && e.endpoint.private_dns_enabled)
            .collect();
        if live.is_empty() {
            all
        } else {
            live
        }
    }

    /// The subnet hosts of an endpoint's ENIs, with the endpoint's security groups; or, when
    /// some of its subnets are not in the snapshot, the `Error` outcome that names the endpoint
    /// and those subnets (its traffic cannot be traced without them).
    pub fn endpoint_hosts(&self, e: &'a VpcEndpoint) -> Result<Vec<Host<'a>>, Outcome> {
        let groups: Vec<&str> = e.groups.iter().map(|g| g.group_id.as_str()).collect();
        let mut hosts = Vec::new();
        let mut missing = Vec::new();
        for s in &e.subnet_ids {
            match Host::subnet(self.view, s, groups.clone()) {
                Some(h) => hosts.push(h),
                None => missing.push(s.as_str()),
            }
        }
        if missing.is_empty() {
            return Ok(hosts);
        }
        let id = &e.vpc_endpoint_id;
        Err(Outcome::error(
            ResourceType::VpcEndpoint,
            id,
            format!(
                "{id} has its network interfaces in {}, which {} not in describe-subnets.json, so the traffic to it cannot be traced.",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        ))
    }

    /// The hosts of a workspace's subnets, each with the workspace's security groups.
    pub fn workspace_hosts(&self, ws: &'a Workspace, subnets: &[&'a Subnet]) -> Vec<Host<'a>> {
        let groups = self.groups_of(ws);
        subnets
            .iter()
            .filter_map(|s| Host::subnet(self.view, &s.subnet_id, groups.clone()))
            .collect()
    }

    /// The front-end VPCs of the deployment: the declared transit VPCs, else the workspace VPCs
    /// of front-end workspaces (one VPC serving both roles).
    pub fn front_end_vpcs(&self) -> Vec<FrontEndVpc<'a>> {
        let front: Vec<&'a Workspace> = self
            .workspaces
            .iter()
            .copied()
            .filter(|w| w.has(Mode::FrontEnd))
            .collect();
        if front.is_empty() {
            return Vec::new();
        }
        if !self.deployment.transit_vpcs.is_empty() {
            return self
                .deployment
                .transit_vpcs
                .iter()
                .map(|t| FrontEndVpc {
                    vpc_id: &t.vpc_id,
                    transit: Some(t),
                    serves: front.clone(),
                })
                .collect();
        }
        self.vpcs()
            .into_iter()
            .map(|(v, ws)| FrontEndVpc {
                vpc_id: v,
                transit: None,
                serves: ws.into_iter().filter(|w| w.has(Mode::FrontEnd)).collect(),
            })
            .filter(|f| !f.serves.is_empty())
            .collect()
    }

    /// The distinct VPCs of the scoped workspaces, each with the workspaces in it.
    pub fn vpcs(&self) -> Vec<(&'a str, Vec<&'a Workspace>)> {
        let mut out: Vec<(&str, Vec<&Workspace>)> = Vec::new();
        let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for w in &self.workspaces {
            match at.get(w.vpc_id.as_str()) {
                Some(&i) => out[i].1.push(w),
                None => {
                    at.insert(&w.vpc_id, out.len());
                    out.push((&w.vpc_id, vec![w]));
                }
            }
        }
        out
    }
}

/// A workspace's network, resolved: its subnets, their hosts and its security groups.
pub struct WsNet<'a> {
    pub subnets: Vec<&'a Subnet>,
    pub hosts: Vec<Host<'a>>,
    pub groups: Vec<&'a str>,
}

impl<'a> Context<'a> {
    /// Resolves a workspace's network, or the `Error` outcomes that say why it cannot be.
    pub fn ws_net(&self, ws: &'a Workspace) -> Result<WsNet<'a>, Vec<Outcome>> {
        let subnets = self
            .subnets_of(ws)
            .map_err(|m| self.missing_subnets(ws, &m))?;
        let missing = self.missing_groups(ws);
        if !missing.is_empty() {
            return Err(missing);
        }
        let lacking = match (subnets.is_empty(), ws.security_group_ids.is_empty()) {
            (true, _) => Some("subnets (see PL-SUB-001)"),
            (_, true) => Some("security groups (see PL-SG-001)"),
            _ => None,
        };
        if let Some(what) = lacking {
            return Err(vec![Outcome::error(
                ResourceType::Vpc,
                &ws.vpc_id,
                format!(
                    "Workspace `{}` declares no {what}, so its traffic cannot be traced.",
                    ws.name
                ),
            )
            .ws(ws)]);
        }
        Ok(WsNet {
            hosts: self.workspace_hosts(ws, &subnets),
            groups: self.groups_of(ws),
            subnets,
        })
    }

    /// The hosts of a workspace's subnets without security groups, for hops that do not read
    /// them (NACLs, routes); or the `Error` outcomes that say why they cannot be had.
    pub fn subnet_hosts(&self, ws: &'a Workspace) -> Result<Vec<Host<'a>>, Vec<Outcome>> {
        let subnets = self
            .subnets_of(ws)
            .map_err(|m| self.missing_subnets(ws, &m))?;
        if subnets.is_empty() {
            return Err(vec![Outcome::error(
                ResourceType::Vpc,
                &ws.vpc_id,
                format!(
                    "Workspace `{}` declares no subnets (see PL-SUB-001), so its traffic cannot be traced.",
                    ws.name
                ),
            )
            .ws(ws)]);
        }
        Ok(subnets
            .iter()
            .filter_map(|s| Host::subnet(self.view, &s.subnet_id, Vec::new()))
            .collect())
    }

    /// The VPCs whose Databricks endpoints are audited: the VPCs of back-end workspaces and the
    /// front-end VPCs, each with the workspaces it serves.
    pub fn endpoint_vpcs(&self) -> Vec<(&'a str, Vec<&'a Workspace>)> {
        // Without a transit VPC, each front-end workspace's own VPC serves it, so a workspace VPC
        // is audited for its back-end and front-end workspaces alike.
        let no_transit = self.deployment.transit_vpcs.is_empty();
        let mut out: Vec<(&'a str, Vec<&'a Workspace>)> = self
            .vpcs()
            .into_iter()
            .map(|(v, ws)| {
                let served = ws
                    .into_iter()
                    .filter(|w| w.has(Mode::BackEnd) || (no_transit && w.has(Mode::FrontEnd)))
                    .collect::<Vec<_>>();
                (v, served)
            })
            .filter(|(_, ws)| !ws.is_empty())
            .collect();
        if !no_transit {
            let front: Vec<&'a Workspace> = self
                .workspaces
                .iter()
                .copied()
                .filter(|w| w.has(Mode::FrontEnd))
                .collect();
            if !front.is_empty() {
                for t in &self.deployment.transit_vpcs {
                    match out.iter_mut().find(|(v, _)| *v == t.vpc_id) {
                        Some((_, list)) => {
                            for w in &front {
                                if !list.iter().any(|x| x.name == w.name) {
                                    list.push(w);
                                }
                            }
                        }
                        None => out.push((&t.vpc_id, front.clone())),
                    }
                }
            }
        }
        out
    }
}

//! The rule catalogue: one file per rule, its metadata beside its logic, and one sorted registry.
//!
//! A rule is a pure, total function from a [`Context`] to [`Outcome`]s. The engine runs it only
//! for the workspaces whose modes it applies to, and only when every input it declares was
//! collected; otherwise the engine reports `Error` for it, never `Pass`.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::deployment::{databricks_kind, Deployment, Workspace};
use crate::finding::{ResourceType, Severity, Status};
use crate::index::{FastMap, Index};
use crate::manifest::Mode;
use crate::model::{Subnet, VpcEndpoint};
use crate::reachability::Host;
use crate::services::{ServiceKind, ServiceTable};

use crate::snapshot::Input;
pub use ports::PortNeed;

mod endpoint_policies_not_full_access;
mod endpoint_service_name;
mod endpoint_sg_admits_clients;
mod endpoint_sg_admits_workspace;
mod endpoint_sg_not_open;
mod endpoints_available;
mod endpoints_multi_az;
mod endpoints_private_dns;
mod front_end_endpoint_present;
mod nacl_front_end;
mod nacl_inbound;
mod nacl_outbound;
mod nacl_s3;
mod no_internet_gateway;
mod no_internet_route_isolated;
mod no_nat_gateway;
mod one_endpoint_per_service;
pub mod ports;
mod relay_endpoint_present;
mod rest_endpoint_present;
mod route_nat_subnet;
mod route_via_nat;
mod s3_gateway_endpoint;
mod serverless_principals;
mod serverless_service_nlb;
mod sg_conditional_ports;
mod sg_count;
mod sg_egress_443;
mod sg_egress_6666;
mod sg_egress_fips;
mod sg_egress_not_wide_open;
mod sg_egress_self;
mod sg_egress_web_ports;
mod sg_ingress_self;
mod sg_no_internet_ingress;
mod sts_kinesis_endpoints;
mod subnet_dedicated_endpoints;
mod subnet_netmask;
mod subnet_one_per_az;
mod subnet_private;
mod subnets_two_azs;
mod vpc_dns_hostnames;
mod vpc_dns_support;

/// A rule's declaration: everything users, docs and IAM policies need to know about it.
#[derive(Debug)]
pub struct RuleMeta {
    /// `PL-<AREA>-<NNN>`: stable, never reused; users write waivers against it.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The modes the rule applies to (`cmv` means every workspace).
    pub modes: &'static [Mode],
    /// Modes under which the rule does not apply even when `modes` matches.
    pub not_under: &'static [Mode],
    pub resource_type: ResourceType,
    pub rationale: &'static str,
    pub remediation: &'static str,
    pub references: &'static [&'static str],
    /// The describe calls whose answers the rule reads. The IAM actions it needs follow from
    /// them ([`RuleMeta::permissions`]).
    pub inputs: &'static [Input],
    /// Inputs the rule uses when present and does without otherwise (PL-SG-004 names the S3
    /// prefix list from `describe-managed-prefix-lists.json`, else from the routes). Their
    /// actions are part of [`RuleMeta::permissions`] too.
    pub optional_inputs: &'static [Input],
}

impl RuleMeta {
    /// The IAM actions the rule needs, one per input.
    pub fn permissions(&self) -> Vec<String> {
        let set: BTreeSet<String> = self
            .inputs
            .iter()
            .chain(self.optional_inputs)
            .map(|i| i.iam_action())
            .collect();
        set.into_iter().collect()
    }

    /// Whether the rule applies to a workspace.
    pub fn applies_to(&self, ws: &Workspace) -> bool {
        self.modes.iter().any(|m| ws.has(*m)) && !self.not_under.iter().any(|m| ws.has(*m))
    }
}

/// A rule: metadata and check.
pub struct Rule {
    pub meta: &'static RuleMeta,
    pub check: fn(&Context<'_>) -> Vec<Outcome>,
}

macro_rules! registry {
    ($($m:ident),* $(,)?) => {
        /// Every rule, sorted by id.
        pub static RULES: &[Rule] = &[$(Rule { meta: &$m::META, check: $m::check }),*];
    };
}

registry![
    rest_endpoint_present,             // PL-EP-001
    relay_endpoint_present,            // PL-EP-002
    endpoints_private_dns,             // PL-EP-003
    endpoints_available,               // PL-EP-004
    endpoint_service_name,             // PL-EP-005
    one_endpoint_per_service,          // PL-EP-006
    endpoints_multi_az,                // PL-EP-007
    front_end_endpoint_present,        // PL-EP-008
    sts_kinesis_endpoints,             // PL-EP-009
    endpoint_policies_not_full_access, // PL-EP-010
    endpoint_sg_admits_workspace,      // PL-EPSG-001
    endpoint_sg_admits_clients,        // PL-EPSG-002
    endpoint_sg_not_open,              // PL-EPSG-003
    no_internet_gateway,               // PL-IGW-001
    nacl_inbound,                      // PL-NACL-001
    nacl_outbound,                     // PL-NACL-002
    nacl_s3,                           // PL-NACL-003
    nacl_front_end,                    // PL-NACL-004
    no_nat_gateway,                    // PL-NAT-001
    route_via_nat,                     // PL-RT-001
    route_nat_subnet,                  // PL-RT-002
    no_internet_route_isolated,        // PL-RT-003
    s3_gateway_endpoint,               // PL-RT-004
    sg_count,                          // PL-SG-001
    sg_ingress_self,                   // PL-SG-002
    sg_egress_self,                    // PL-SG-003
    sg_egress_443,                     // PL-SG-004
    sg_egress_web_ports,               // PL-SG-005
    sg_egress_6666,                    // PL-SG-006
    sg_egress_fips,                    // PL-SG-007
    sg_conditional_ports,              // PL-SG-008
    sg_no_internet_ingress,            // PL-SG-009
    sg_egress_not_wide_open,           // PL-SG-010
    serverless_service_nlb,            // PL-SL-001
    serverless_principals,             // PL-SL-002
    subnets_two_azs,                   // PL-SUB-001
    subnet_one_per_az,                 // PL-SUB-002
    subnet_netmask,                    // PL-SUB-003
    subnet_private,                    // PL-SUB-004
    subnet_dedicated_endpoints,        // PL-SUB-005
    vpc_dns_hostnames,                 // PL-VPC-001
    vpc_dns_support,                   // PL-VPC-002
];

/// Looks a rule up by id.
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().map(|r| r.meta).find(|m| m.id == id)
}

/// Rules selected by ids or id prefixes (`PL-SG`, `PL-EP-006`).
pub fn select(selectors: &[String]) -> Vec<&'static Rule> {
    RULES
        .iter()
        .filter(|r| {
            selectors.is_empty()
                || selectors.iter().any(|s| {
                    r.meta.id == s
                        || (r.meta.id.starts_with(s.as_str())
                            && r.meta.id.as_bytes().get(s.len()) == Some(&b'-'))
                })
        })
        .collect()
}

/// A rule's verdict on one resource, before the engine turns it into a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub resource_type: ResourceType,
    pub resource_id: crate::model::Text,
    pub workspace: Option<Arc<str>>,
    pub message: String,
    pub expected: Cow<'static, str>,
    pub actual: Cow<'static, str>,
    /// Overrides the rule's severity (rules whose ports matter unequally).
    pub severity: Option<Severity>,
}

impl Outcome {
    fn new(status: Status, rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome {
            status,
            resource_type: rt,
            resource_id: id.into(),
            workspace: None,
            message,
            expected: Cow::Borrowed(""),
            actual: Cow::Borrowed(""),
            severity: None,
        }
    }
    pub fn pass(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::Pass, rt, id, message)
    }
    pub fn fail(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::Fail, rt, id, message)
    }
    pub fn not_applicable(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::NotApplicable, rt, id, message)
    }
    pub fn error(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::Error, rt, id, message)
    }
    /// Pass or fail on a condition.
    pub fn verdict(ok: bool, rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(
            if ok { Status::Pass } else { Status::Fail },
            rt,
            id,
            message,
        )
    }
    pub fn ws(mut self, w: &Workspace) -> Outcome {
        self.workspace = Some(w.name.clone());
        self
    }
    pub fn expect(
        mut self,
        expected: impl Into<Cow<'static, str>>,
        actual: impl Into<Cow<'static, str>>,
    ) -> Outcome {
        self.expected = expected.into();
        self.actual = actual.into();
        self
    }
    pub fn severity(mut self, s: Severity) -> Outcome {
        self.severity = Some(s);
        self
    }
}

/// What a rule sees.
pub struct Context<'a> {
    pub ix: &'a Index<'a>,
    pub deployment: &'a Deployment,
    /// The workspaces the rule applies to.
    pub workspaces: Vec<&'a Workspace>,
    pub region: Option<&'a str>,
    pub table: &'a ServiceTable,
    /// The Databricks endpoints of each VPC, classified once per audit ([`classify_endpoints`]).
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
    pub transit: Option<&'a crate::deployment::TransitVpc>,
    pub serves: Vec<&'a Workspace>,
}

/// A Databricks endpoint of a VPC.
#[derive(Debug, Clone, Copy)]
pub struct DatabricksEndpoint<'a> {
    pub endpoint: &'a VpcEndpoint,
    pub kind: ServiceKind,
}

impl<'a> Context<'a> {
    /// The workspace's subnets, or the ids the snapshot does not hold.
    pub fn subnets_of(&self, ws: &Workspace) -> Result<Vec<&'a Subnet>, Vec<String>> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for id in &ws.subnet_ids {
            match self.ix.subnets.get(id.as_str()) {
                Some(s) => found.push(*s),
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
            .filter(|g| self.ix.security_groups.contains_key(g.as_str()))
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
            .filter(|g| !self.ix.security_groups.contains_key(g.as_str()))
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
            match Host::subnet(self.ix, s, groups.clone()) {
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
            .filter_map(|s| Host::subnet(self.ix, &s.subnet_id, groups.clone()))
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

/// Outcome for every workspace of a list (a VPC-level verdict shared by its workspaces).
pub fn for_each_ws(list: &[&Workspace], o: Outcome) -> Vec<Outcome> {
    list.iter().map(|w| o.clone().ws(w)).collect()
}

/// `error` outcomes for subnets whose availability zone cannot be related to the others'
/// ([`crate::model::Zones::keys`]): zones cannot be counted, so no verdict on them.
pub fn zone_errors(ws: &Workspace, bad: &[(String, String)]) -> Vec<Outcome> {
    bad.iter()
        .map(|(id, why)| {
            Outcome::error(
                ResourceType::Subnet,
                id,
                format!(
                    "The availability zones of workspace `{}` cannot be counted: {why}.",
                    ws.name
                ),
            )
            .ws(ws)
        })
        .collect()
}

/// Names the workspaces of a list: "`a`, `b`".
pub fn names(ws: &[&Workspace]) -> String {
    ws.iter()
        .map(|w| format!("`{}`", w.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod registry_tests;

#[cfg(test)]
mod misc_regressions;
#[cfg(test)]
mod regression_sg;

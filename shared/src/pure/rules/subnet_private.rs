//! PL-SUB-004: workspace subnets are private (no public IPs on launch, no default route to an
//! internet gateway).

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::routing::{self, Egress};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SUB-004",
    title: "Workspace subnets are private",
    severity: Severity::Critical,
    resource_type: ResourceType::Subnet,
    rationale: "Databricks requires private workspace subnets: cluster nodes must not get public addresses or a direct internet route; egress goes through NAT or an appliance.",
    remediation: "Turn off MapPublicIpOnLaunch and associate the subnet with a route table whose default route targets a NAT gateway or egress appliance, not an internet gateway.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::RouteTables, Input::Vpcs],
    optional_inputs: &[Input::InternetGateways, Input::VpcEndpoints, Input::NatGateways, Input::ManagedPrefixLists],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        for s in subnets {
            let Some(rt) = ctx.view().route_table_for(s) else {
                out.push(
                    Outcome::error(
                        ResourceType::Subnet,
                        &s.subnet_id,
                        format!("No route table in describe-route-tables.json applies to {} (no explicit association and no main table for {}).", s.subnet_id, s.vpc_id),
                    )
                    .ws(ws),
                );
                continue;
            };
            // Routes that send public addresses straight to an internet gateway (IPv4 or IPv6),
            // as the router resolves them (0.0.0.0/1 + 128.0.0.0/1 counts as 0.0.0.0/0).
            let public = routing::public_routes(ctx.view(), rt);
            if let Some(p) = public.iter().find(|p| {
                matches!(p.egress, Egress::Unknown(_))
                    && p.route.is_some_and(|r| r.target().starts_with("igw-"))
            }) {
                out.push(
                    Outcome::error(
                        ResourceType::Subnet,
                        &s.subnet_id,
                        format!(
                            "Whether workspace subnet {} is public cannot be told: {} in {} ({}).",
                            s.subnet_id,
                            p.describe(),
                            rt.route_table_id,
                            p.egress.why()
                        ),
                    )
                    .ws(ws),
                );
                continue;
            }
            let igw: Vec<String> = public
                .iter()
                .filter(|p| {
                    matches!(p.egress, Egress::InternetGateway(_))
                        && p.route.is_some_and(|r| r.target().starts_with("igw-"))
                })
                .map(|p| p.describe())
                .collect();
            let mut problems = Vec::new();
            if s.map_public_ip_on_launch {
                problems.push(
                    "assigns public IPv4 addresses on launch (MapPublicIpOnLaunch)".to_string(),
                );
            }
            if !igw.is_empty() {
                problems.push(format!(
                    "routes public addresses to an internet gateway through {} ({})",
                    rt.route_table_id,
                    igw.join(", ")
                ));
            }
            let o = if problems.is_empty() {
                Outcome::pass(
                    ResourceType::Subnet,
                    &s.subnet_id,
                    format!("{} is private: no public IPs on launch and no internet-gateway route in {}.", s.subnet_id, rt.route_table_id),
                )
            } else {
                Outcome::fail(
                    ResourceType::Subnet,
                    &s.subnet_id,
                    format!(
                        "Workspace subnet {} is public: it {}.",
                        s.subnet_id,
                        problems.join(" and ")
                    ),
                )
            };
            out.push(o.ws(ws).expect(
                "no public IPs, no default route to igw-",
                if problems.is_empty() {
                    "private".to_string()
                } else {
                    problems.join("; ")
                },
            ));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_for_nat_routed_subnets() {
        assert_all(&run("PL-SUB-004", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_for_an_igw_default_route() {
        let mut e = Estate::backend();
        let rt = ids().rt_private;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            for r in t.routes.iter_mut().filter(|r| r.is_default()) {
                r.nat_gateway_id = None;
                r.gateway_id = Some(ids().igw.into());
            }
        }
        let f = run("PL-SUB-004", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains(&ids().igw), "{}", f[0].message);
    }

    #[test]
    fn fails_for_public_ip_on_launch() {
        let mut e = Estate::backend();
        e.subnets_mut()[0].map_public_ip_on_launch = true;
        assert_eq!(
            status_of(&run("PL-SUB-004", &e), &ids().ws_subnets[0]),
            Status::Fail
        );
    }

    #[test]
    fn error_without_any_route_table() {
        let mut e = Estate::backend();
        e.route_tables_mut().clear();
        assert_all(&run("PL-SUB-004", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let rt = ids().rt_private;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            for r in t.routes.iter_mut().filter(|r| r.is_default()) {
                r.nat_gateway_id = None;
                r.gateway_id = Some(ids().igw.into());
            }
        }
        e
    }
}

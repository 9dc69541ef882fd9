//! PL-RT-002: the NAT gateway the workspace uses sits in its own subnet, which routes to an IGW.

use std::collections::BTreeMap;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::deployment::Workspace;
use crate::pure::finding::ResourceType;
use crate::pure::lifecycle::{self, Life};
use crate::pure::routing::{self, Egress, Family};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-RT-002",
    title: "NAT gateway in its own subnet that routes to an internet gateway",
    not_under: &[Mode::Isolated],
    resource_type: ResourceType::NatGateway,
    rationale: "Databricks requires the NAT gateway in a separate (public) subnet whose default route goes to an internet gateway; a NAT inside a workspace subnet or without an internet route gives clusters no egress.",
    remediation: "Place the NAT gateway in a dedicated public subnet whose route table sends 0.0.0.0/0 to the VPC's internet gateway (or your egress appliance).",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::RouteTables, Input::NatGateways, Input::Vpcs],
    optional_inputs: &[Input::InternetGateways, Input::VpcEndpoints, Input::ManagedPrefixLists],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        // The NAT gateways the workspace's default routes use.
        let mut used: BTreeMap<&str, ()> = BTreeMap::new();
        // A NAT gateway is used when the router sends public addresses to it and it may forward
        // them: a gone, pending or private one is no egress (PL-RT-001 reports that route).
        for s in &subnets {
            if let Some(rt) = ctx.view().route_table_for(s) {
                for p in routing::public_routes(ctx.view(), rt) {
                    if !matches!(p.egress, Egress::Nat(_) | Egress::Unknown(_)) {
                        continue;
                    }
                    if let Some(n) = p.route.and_then(|r| r.nat_gateway_id.as_deref()) {
                        used.insert(n, ());
                    }
                }
            }
        }
        if used.is_empty() {
            out.push(
                Outcome::not_applicable(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    format!(
                        "Workspace `{}` does not egress through a NAT gateway.",
                        ws.name
                    ),
                )
                .ws(ws),
            );
            continue;
        }
        for nat_id in used.keys() {
            out.push(nat_outcome(ctx, ws, nat_id).ws(ws));
        }
    }
    out
}

fn nat_outcome(ctx: &Context<'_>, ws: &Workspace, nat_id: &str) -> Outcome {
    let Some(nat) = ctx.view().nat_gateway(nat_id) else {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!("{nat_id} is a route target but is not in describe-nat-gateways.json."),
        );
    };
    // Only an available gateway is one: a state plaudit does not know (or none at all) is not
    // taken for a working gateway whose placement could pass.
    if lifecycle::nat(&nat.state) == Life::Unknown {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "{nat_id} has {}, so whether it forwards the workspace's traffic cannot be told.",
                if nat.state.trim().is_empty() {
                    "no state".to_string()
                } else {
                    format!("state `{}`, which plaudit does not know", nat.state)
                }
            ),
        )
        .expect("an available NAT gateway", lifecycle::shown(&nat.state));
    }
    if ws.subnet_ids.iter().any(|s| *s == nat.subnet_id) {
        return Outcome::fail(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "{nat_id} sits in workspace subnet {}; it needs a subnet of its own.",
                nat.subnet_id
            ),
        )
        .expect(
            "NAT in a dedicated public subnet",
            format!("in workspace subnet {}", nat.subnet_id),
        );
    }
    let Some(subnet) = ctx.view().subnet(&nat.subnet_id) else {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "{nat_id}'s subnet {} is not in describe-subnets.json.",
                nat.subnet_id
            ),
        );
    };
    let Some(rt) = ctx.view().route_table_for(subnet) else {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "No route table applies to {nat_id}'s subnet {}.",
                nat.subnet_id
            ),
        );
    };
    let public: Vec<_> = routing::public_routes(ctx.view(), rt)
        .into_iter()
        .filter(|p| p.family == Family::V4)
        .collect();
    let expected = "public addresses from the NAT subnet -> igw-… (or an egress appliance)";
    let actual = public
        .iter()
        .map(|p| p.describe())
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(p) = public
        .iter()
        .find(|p| matches!(p.egress, Egress::Unknown(_)))
    {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "Whether {nat_id}'s subnet {} reaches the internet cannot be told: {} in {} ({}).",
                nat.subnet_id,
                p.describe(),
                rt.route_table_id,
                p.egress.why()
            ),
        );
    }
    let bad: Vec<String> = public
        .iter()
        .filter(|p| !matches!(p.egress, Egress::InternetGateway(_) | Egress::May(_)))
        .map(|p| format!("{} ({})", p.describe(), p.egress.why()))
        .collect();
    if bad.is_empty() {
        Outcome::pass(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "{nat_id} sits in {} whose table {} sends public addresses out of the VPC ({actual}).",
                nat.subnet_id, rt.route_table_id
            ),
        )
        .expect(expected, actual)
    } else {
        Outcome::fail(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "{nat_id}'s subnet {} has no working internet route in {} ({}), so the NAT gateway cannot reach the internet.",
                nat.subnet_id,
                rt.route_table_id,
                bad.join("; ")
            ),
        )
        .expect(expected, if actual.is_empty() { "none".to_string() } else { actual })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_for_a_nat_in_a_public_subnet() {
        assert_all(&run("PL-RT-002", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_the_nat_subnet_lacks_an_igw_route() {
        let mut e = Estate::backend();
        let rt = ids().rt_public;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            t.routes.retain(|r| !r.is_default());
        }
        assert_eq!(status_of(&run("PL-RT-002", &e), &ids().nat), Status::Fail);
    }

    #[test]
    fn fails_when_the_nat_is_in_a_workspace_subnet() {
        let mut e = Estate::backend();
        e.nats_mut()[0].subnet_id = ids().ws_subnets[0].as_str().into();
        assert_eq!(status_of(&run("PL-RT-002", &e), &ids().nat), Status::Fail);
    }

    #[test]
    fn not_applicable_without_nat_egress() {
        let mut e = Estate::backend();
        let rt = ids().rt_private;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            for r in t.routes.iter_mut().filter(|r| r.is_default()) {
                r.nat_gateway_id = None;
                r.transit_gateway_id = Some("tgw-1".into());
            }
        }
        assert_all(&run("PL-RT-002", &e), Status::NotApplicable);
    }

    #[test]
    fn error_when_the_nat_is_unknown() {
        let mut e = Estate::backend();
        e.nats_mut().clear();
        assert_all(&run("PL-RT-002", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let rt = ids().rt_public;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            t.routes.retain(|r| !r.is_default());
        }
        e
    }
}

//! PL-RT-002: the NAT gateway the workspace uses sits in its own subnet, which routes to an IGW.

use std::collections::BTreeMap;

use super::{Context, Outcome, RuleMeta};
use crate::deployment::Workspace;
use crate::finding::{ResourceType, Severity};
use crate::manifest::Mode;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-RT-002",
    title: "NAT gateway in its own subnet that routes to an internet gateway",
    severity: Severity::Medium,
    modes: &[Mode::Cmv],
    not_under: &[Mode::Isolated],
    resource_type: ResourceType::NatGateway,
    rationale: "Databricks requires the NAT gateway in a separate (public) subnet whose default route goes to an internet gateway; a NAT inside a workspace subnet or without an internet route gives clusters no egress.",
    remediation: "Place the NAT gateway in a dedicated public subnet whose route table sends 0.0.0.0/0 to the VPC's internet gateway (or your egress appliance).",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::RouteTables, Input::NatGateways],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        // The NAT gateways the workspace's default routes use.
        let mut used: BTreeMap<&str, ()> = BTreeMap::new();
        for s in &subnets {
            if let Some(rt) = ctx.ix.route_table_for(s) {
                for r in rt.routes.iter().filter(|r| r.is_default()) {
                    if let Some(n) = r.nat_gateway_id.as_deref() {
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
    let Some(nat) = ctx.ix.nats.get(nat_id) else {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!("{nat_id} is a route target but is not in describe-nat-gateways.json."),
        );
    };
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
    let Some(subnet) = ctx.ix.subnets.get(nat.subnet_id.as_str()) else {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "{nat_id}'s subnet {} is not in describe-subnets.json.",
                nat.subnet_id
            ),
        );
    };
    let Some(rt) = ctx.ix.route_table_for(subnet) else {
        return Outcome::error(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "No route table applies to {nat_id}'s subnet {}.",
                nat.subnet_id
            ),
        );
    };
    let default = rt
        .routes
        .iter()
        .find(|r| r.destination_cidr_block.as_deref() == Some("0.0.0.0/0") && !r.is_blackhole());
    match default {
        Some(r) if !r.target().starts_with("nat-") && r.target() != "local" => Outcome::pass(
            ResourceType::NatGateway,
            nat_id,
            format!("{nat_id} sits in {} whose table {} sends 0.0.0.0/0 to {}.", nat.subnet_id, rt.route_table_id, r.target()),
        )
        .expect("0.0.0.0/0 -> igw-… from the NAT subnet", format!("0.0.0.0/0 -> {}", r.target())),
        other => Outcome::fail(
            ResourceType::NatGateway,
            nat_id,
            format!(
                "{nat_id}'s subnet {} has no working internet route in {} ({}), so the NAT gateway cannot reach the internet.",
                nat.subnet_id,
                rt.route_table_id,
                other.map(|r| format!("0.0.0.0/0 -> {}", r.target())).unwrap_or_else(|| "no 0.0.0.0/0 route".into())
            ),
        )
        .expect("0.0.0.0/0 -> igw-… from the NAT subnet", other.map(|r| r.target().to_string()).unwrap_or_else(|| "none".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

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
}

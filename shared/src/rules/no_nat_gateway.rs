//! PL-NAT-001: no NAT gateway in an isolated workspace's VPC.

use super::{for_each_ws, Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::manifest::Mode;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-NAT-001",
    title: "No NAT gateway in the workspace VPC",
    severity: Severity::High,
    modes: &[Mode::Isolated],
    not_under: &[],
    resource_type: ResourceType::NatGateway,
    rationale: "Complete isolation creates no NAT gateway; one that is available or pending is an egress path waiting for a route (and a running cost).",
    remediation: "Delete the NAT gateway (aws ec2 delete-nat-gateway) and release its Elastic IP.",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::NatGateways],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.vpcs() {
        let live: Vec<_> = ctx
            .ix
            .nats_by_vpc
            .get(vpc)
            .into_iter()
            .flatten()
            .filter(|n| {
                ["available", "pending"]
                    .iter()
                    .any(|s| n.state.eq_ignore_ascii_case(s))
            })
            .collect();
        if live.is_empty() {
            out.extend(for_each_ws(
                &ws,
                Outcome::pass(
                    ResourceType::Vpc,
                    vpc,
                    format!("{vpc} has no available or pending NAT gateway."),
                )
                .expect("no NAT gateway", "none"),
            ));
        }
        for n in live {
            out.extend(for_each_ws(
                &ws,
                Outcome::fail(
                    ResourceType::NatGateway,
                    &n.nat_gateway_id,
                    format!(
                        "NAT gateway {} ({}) is in {vpc}, the VPC of isolated workspace(s) {}.",
                        n.nat_gateway_id,
                        n.state,
                        super::names(&ws)
                    ),
                )
                .expect("no NAT gateway", n.nat_gateway_id.clone()),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

    fn nat(state: &str) -> crate::model::NatGateway {
        crate::model::NatGateway {
            nat_gateway_id: "nat-0stray".into(),
            vpc_id: ids().vpc.into(),
            subnet_id: ids().ep_subnets[0].as_str().into(),
            state: state.into(),
            connectivity_type: None,
            tags: vec![],
        }
    }

    #[test]
    fn passes_without_a_live_nat() {
        let mut e = Estate::isolated();
        e.nats_mut().push(nat("deleted"));
        assert_all(&run("PL-NAT-001", &e), Status::Pass);
    }

    #[test]
    fn fails_on_a_pending_nat() {
        let mut e = Estate::isolated();
        e.nats_mut().push(nat("pending"));
        assert_eq!(
            status_of(&run("PL-NAT-001", &e), "nat-0stray"),
            Status::Fail
        );
    }

    #[test]
    fn error_when_not_collected() {
        let mut e = Estate::isolated();
        e.not_collected(crate::snapshot::Input::NatGateways);
        assert_all(&run("PL-NAT-001", &e), Status::Error);
    }
}

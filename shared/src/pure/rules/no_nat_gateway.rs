//! PL-NAT-001: no NAT gateway in an isolated workspace's VPC.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::lifecycle::{self, Life};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-NAT-001",
    title: "No NAT gateway in the workspace VPC",
    severity: Severity::High,
    modes: &[Mode::Isolated],
    resource_type: ResourceType::NatGateway,
    rationale: "Complete isolation creates no NAT gateway; one that is available or pending is an egress path waiting for a route (and a running cost).",
    remediation: "Delete the NAT gateway (aws ec2 delete-nat-gateway) and release its Elastic IP.",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::NatGateways],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.vpcs() {
        let mut gone: Vec<String> = Vec::new();
        let mut bad = 0;
        for n in ctx.view().nat_gateways_in(vpc).iter() {
            let id = &n.nat_gateway_id;
            let state = lifecycle::shown(&n.state);
            let o = match lifecycle::nat(&n.state) {
                // Deleted, deleting or failed: no path, no cost, not a finding of its own.
                Life::Gone => {
                    gone.push(format!("{id} ({state})"));
                    continue;
                }
                Life::Unknown => Outcome::error(
                    ResourceType::NatGateway,
                    id,
                    format!(
                        "NAT gateway {id} in {vpc} has state {state}, which plaudit does not know, so whether isolated workspace(s) {} have a NAT gateway cannot be told.",
                        super::names(&ws)
                    ),
                ),
                Life::Live | Life::Broken => Outcome::fail(
                    ResourceType::NatGateway,
                    id,
                    format!(
                        "NAT gateway {id} ({}) is in {vpc}, the VPC of isolated workspace(s) {}.",
                        n.state,
                        super::names(&ws)
                    ),
                )
                .expect("no NAT gateway", id.clone()),
            };
            bad += 1;
            out.extend(for_each_ws(&ws, o));
        }
        if bad == 0 {
            let note = if gone.is_empty() {
                String::new()
            } else {
                format!(" ({} only)", gone.join(", "))
            };
            out.extend(for_each_ws(
                &ws,
                Outcome::pass(
                    ResourceType::Vpc,
                    vpc,
                    format!("{vpc} has no available or pending NAT gateway{note}."),
                )
                .expect("no NAT gateway", "none"),
            ));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    fn nat(state: &str) -> crate::pure::model::NatGateway {
        crate::pure::model::NatGateway {
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
        e.not_collected(crate::pure::snapshot::Input::NatGateways);
        assert_all(&run("PL-NAT-001", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        e.nats_mut().push(nat("pending"));
        e
    }
}

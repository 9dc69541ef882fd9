//! PL-SG-006: the workspace security groups let TCP 6666 out to the SCC relay endpoint.

use super::common::egress::egress_ports;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::deployment::Mode;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-006",
    title: "Workspace SGs allow TCP 6666 egress to the SCC relay endpoint",
    severity: Severity::Critical,
    modes: &[Mode::BackEnd],
    resource_type: ResourceType::SecurityGroup,
    rationale: "With back-end PrivateLink, secure cluster connectivity runs on port 6666 to the relay endpoint; without it clusters cannot reach the control plane and fail to start.",
    remediation: "Add a TCP 6666 egress rule to the relay endpoint's security group, its subnets, the VPC CIDR or 0.0.0.0/0.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc",
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
    ],
    inputs: &[Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules, Input::VpcEndpoints],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ports: &[PortGroup::Relay],
    flows: &[FlowKind::Endpoint, FlowKind::Internet],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    egress_ports(ctx)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_6666() {
        assert_all(&run("PL-SG-006", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_relay_port_missing() {
        let mut e = Estate::backend();
        e.drop_sg_rules(|r| r.from_port == Some(6666) && r.is_egress);
        let f = run("PL-SG-006", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("tcp 6666") && f[0].message.contains(&ids().relay),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn not_applicable_without_a_relay_endpoint() {
        let mut e = Estate::backend();
        let relay = ids().relay;
        e.endpoints_mut().retain(|x| x.vpc_endpoint_id != relay);
        assert_all(&run("PL-SG-006", &e), Status::NotApplicable);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.drop_sg_rules(|r| r.from_port == Some(6666) && r.is_egress);
        e
    }
}

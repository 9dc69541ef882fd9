//! PL-SG-007: with the compliance security profile, the workspace security groups let TCP 2443
//! out (to the relay endpoint under back-end PrivateLink, else to the internet).

use super::common::egress::egress_ports;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-007",
    title: "Workspace SGs allow TCP 2443 egress when the compliance security profile is on",
    severity: Severity::Critical,
    severity_when: &[
        (
            Severity::High,
            "in the commercial partition, where 2443 is needed only with the compliance security profile",
        ),
    ],
    resource_type: ResourceType::SecurityGroup,
    rationale: "The compliance security profile uses FIPS-encrypted connections on port 2443; without the egress rule those workspaces cannot reach the control plane.",
    remediation: "Add a TCP 2443 egress rule to the relay endpoint (or 0.0.0.0/0 without back-end PrivateLink).",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules, Input::VpcEndpoints],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ports: &[PortGroup::Fips],
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

    fn csp() -> Estate {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].compliance_security_profile = true;
        e
    }

    #[test]
    fn passes_with_2443() {
        assert_all(&run("PL-SG-007", &csp()), Status::Pass);
    }

    #[test]
    fn fails_without_2443() {
        let mut e = csp();
        e.drop_sg_rules(|r| r.from_port == Some(2443) && r.is_egress);
        assert_all(&run("PL-SG-007", &e), Status::Fail);
    }

    #[test]
    fn not_applicable_without_the_profile() {
        assert_all(&run("PL-SG-007", &Estate::backend()), Status::NotApplicable);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = csp();
        e.drop_sg_rules(|r| r.from_port == Some(2443) && r.is_egress);
        e
    }
}

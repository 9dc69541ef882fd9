//! PL-SG-005: the workspace security groups let TCP 8443, 8444 and 8445-8451 out.

use super::common::egress::egress_ports;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-005",
    title: "Workspace SGs allow TCP 8443, 8444 and 8445-8451 egress",
    severity: Severity::Critical,
    severity_when: &[
        (
            Severity::High,
            "when 8443 is allowed and 8444 is not",
        ),
        (
            Severity::Medium,
            "when only 8445-8451 (reserved) are missing",
        ),
    ],
    resource_type: ResourceType::SecurityGroup,
    rationale: "8443 carries compute-to-control-plane API calls, 8444 Unity Catalog logging and lineage, and 8445-8451 are reserved by Databricks. They go to the workspace endpoint under back-end PrivateLink, else to the internet. A missing 8443 is critical, 8444 high, 8445-8451 medium.",
    remediation: "Add a TCP 8443-8451 egress rule to 0.0.0.0/0, or under back-end PrivateLink to the VPC CIDR or the endpoint security group.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules, Input::VpcEndpoints],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ports: &[PortGroup::ControlPlane],
    flows: &[FlowKind::Endpoint, FlowKind::Internet],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    egress_ports(ctx)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::{Severity, Status};

    #[test]
    fn passes_with_8443_8451() {
        assert_all(&run("PL-SG-005", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn severity_follows_the_missing_port() {
        let mut e = Estate::backend();
        let ws = ids().ws_sg;
        e.drop_sg_rules(|r| r.group_id == ws && r.from_port == Some(8443));
        e.sg_rules_mut().push(sg_rule(
            "sgr-a",
            &ws,
            true,
            "tcp",
            (8443, 8444),
            "0.0.0.0/0",
        ));
        let f = run("PL-SG-005", &e);
        assert_all(&f, Status::Fail);
        assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].message);
        assert!(f[0].message.contains("8445-8451"));
        e.drop_sg_rules(|r| r.security_group_rule_id == "sgr-a");
        assert_eq!(run("PL-SG-005", &e)[0].severity, Severity::Critical);
    }

    #[test]
    fn error_when_groups_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::SecurityGroups);
        assert_all(&run("PL-SG-005", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let ws = ids().ws_sg;
        e.drop_sg_rules(|r| r.group_id == ws && r.is_egress && r.from_port == Some(8443));
        e
    }
}

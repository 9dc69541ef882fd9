//! PL-SG-003: the workspace security groups let all TCP and UDP out to the workspace.

use super::common::self_traffic::self_traffic;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-003",
    title: "Workspace SGs allow all TCP and UDP to the workspace (intra-cluster egress)",
    severity: Severity::Critical,
    resource_type: ResourceType::SecurityGroup,
    rationale: "Intra-cluster traffic must also leave each node; Databricks requires all TCP and UDP egress to the workspace security group itself (an all-traffic rule to 0.0.0.0/0 also does it).",
    remediation: "Add egress rules for all TCP (0-65535) and all UDP (0-65535) with the workspace security group itself as the destination.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    flows: &[FlowKind::IntraCluster],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    self_traffic(ctx, true)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_self_references() {
        assert_all(&run("PL-SG-003", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn passes_with_all_traffic_to_anywhere() {
        let mut e = Estate::backend();
        let sg = ids().ws_sg;
        e.drop_sg_rules(|r| r.is_egress && r.group_id == sg);
        e.sg_rules_mut()
            .push(sg_rule("sgr-all", &sg, true, "-1", (-1, -1), "0.0.0.0/0"));
        assert_all(&run("PL-SG-003", &e), Status::Pass);
    }

    #[test]
    fn fails_when_tcp_egress_to_self_is_partial() {
        let mut e = Estate::backend();
        let sg = ids().ws_sg;
        e.drop_sg_rules(|r| {
            r.is_egress
                && r.group_id == sg
                && r.ip_protocol == "tcp"
                && r.referenced_group_info.is_some()
        });
        e.sg_rules_mut()
            .push(sg_rule("sgr-p", &sg, true, "tcp", (1024, 65535), &sg));
        let f = run("PL-SG-003", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("tcp 0-442, 444-1023"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn error_when_rules_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::SecurityGroupRules);
        assert_all(&run("PL-SG-003", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let sg = ids().ws_sg;
        e.drop_sg_rules(|r| {
            r.is_egress
                && r.group_id == sg
                && r.ip_protocol == "tcp"
                && r.referenced_group_info.is_some()
        });
        e.sg_rules_mut()
            .push(sg_rule("sgr-p", &sg, true, "tcp", (1024, 65535), &sg));
        e
    }
}

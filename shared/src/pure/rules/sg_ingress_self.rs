//! PL-SG-002: the workspace security groups admit all TCP and UDP between cluster nodes.

use super::common::self_traffic::self_traffic;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-002",
    title: "Workspace SGs admit all TCP and UDP from the workspace (intra-cluster ingress)",
    severity: Severity::Critical,
    resource_type: ResourceType::SecurityGroup,
    rationale: "Cluster nodes talk to each other on arbitrary TCP and UDP ports; Databricks requires the workspace security group to allow all of it from itself. Decided by reachability: any rule that lets every workspace subnet in counts.",
    remediation: "Add ingress rules for all TCP (0-65535) and all UDP (0-65535) with the workspace security group itself as the source.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    flows: &[FlowKind::IntraCluster],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    self_traffic(ctx, false)
}

/// Shared by PL-SG-002 (ingress) and PL-SG-003 (egress): all TCP and all UDP between every pair
/// of workspace subnets, through the workspace security groups.
#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_self_references() {
        assert_all(&run("PL-SG-002", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn passes_with_a_vpc_cidr_rule_instead_of_a_self_reference() {
        let mut e = Estate::backend();
        let sg = ids().ws_sg;
        e.drop_sg_rules(|r| !r.is_egress && r.group_id == sg);
        e.sg_rules_mut()
            .push(sg_rule("sgr-x", &sg, false, "-1", (-1, -1), "10.0.0.0/16"));
        assert_all(&run("PL-SG-002", &e), Status::Pass);
    }

    #[test]
    fn fails_without_udp() {
        let mut e = Estate::backend();
        let sg = ids().ws_sg;
        e.drop_sg_rules(|r| !r.is_egress && r.group_id == sg && r.ip_protocol == "udp");
        let f = run("PL-SG-002", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains("udp 0-65535"), "{}", f[0].message);
    }

    #[test]
    fn fails_when_a_cidr_covers_only_part_of_a_subnet() {
        let mut e = Estate::backend();
        let sg = ids().ws_sg;
        e.drop_sg_rules(|r| !r.is_egress && r.group_id == sg);
        e.sg_rules_mut().push(sg_rule(
            "sgr-half",
            &sg,
            false,
            "-1",
            (-1, -1),
            "10.0.0.0/23",
        ));
        e.sg_rules_mut()
            .push(sg_rule("sgr-b", &sg, false, "-1", (-1, -1), "10.0.4.0/22"));
        let f = run("PL-SG-002", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("sgr-half") && f[0].message.contains("only part"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn error_when_a_group_is_absent() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0]
            .security_group_ids
            .push("sg-404".into());
        let f = run("PL-SG-002", &e);
        assert_eq!(status_of(&f, "sg-404"), Status::Error);
        assert!(!f.iter().any(|x| x.status == Status::Pass));
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let sg = ids().ws_sg;
        e.drop_sg_rules(|r| !r.is_egress && r.group_id == sg && r.ip_protocol == "udp");
        e
    }
}

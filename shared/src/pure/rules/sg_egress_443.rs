//! PL-SG-004: the workspace security groups let TCP 443 out to where it must go: the workspace
//! (REST) endpoint under back-end PrivateLink, the internet outside isolation, S3 under isolation.

use super::common::egress::egress_ports;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-004",
    title: "Workspace SGs allow TCP 443 egress to the control plane, endpoints and S3",
    severity: Severity::Critical,
    resource_type: ResourceType::SecurityGroup,
    rationale: "Port 443 carries Databricks infrastructure, cloud data sources and library repositories. Under back-end PrivateLink it must reach the workspace endpoint; outside isolation also the internet; under isolation also S3 through its prefix list.",
    remediation: "Add a TCP 443 egress rule to 0.0.0.0/0, or (isolated) to the VPC CIDR or the endpoint security group plus the S3 managed prefix list.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc",
        "https://github.com/databricks/terraform-databricks-sra",
    ],
    inputs: &[Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules, Input::VpcEndpoints, Input::RouteTables],
    optional_inputs: &[Input::ManagedPrefixLists],
    ports: &[PortGroup::Https],
    flows: &[FlowKind::Endpoint, FlowKind::Internet, FlowKind::S3],
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
    fn passes_for_back_end_and_isolated() {
        assert_all(&run("PL-SG-004", &Estate::backend()), Status::Pass);
        assert_all(&run("PL-SG-004", &Estate::isolated()), Status::Pass);
    }

    #[test]
    fn passes_when_443_goes_to_the_endpoint_group_under_isolation() {
        let mut e = Estate::isolated();
        let (ws, ep) = (ids().ws_sg, ids().ep_sg);
        e.drop_sg_rules(|r| {
            r.group_id == ws && r.is_egress && r.from_port == Some(443) && r.cidr_ipv4.is_some()
        });
        e.sg_rules_mut()
            .push(sg_rule("sgr-ep", &ws, true, "tcp", (443, 443), &ep));
        assert_all(&run("PL-SG-004", &e), Status::Pass);
    }

    #[test]
    fn fails_when_443_only_reaches_part_of_the_endpoint_subnets() {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.drop_sg_rules(|r| {
            r.group_id == ws && r.is_egress && r.from_port == Some(443) && r.cidr_ipv4.is_some()
        });
        e.sg_rules_mut().push(sg_rule(
            "sgr-narrow",
            &ws,
            true,
            "tcp",
            (443, 443),
            "10.0.28.0/26",
        ));
        let f = run("PL-SG-004", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains("10.0.28.64/26"), "{}", f[0].message);
        assert_eq!(f[0].severity, Severity::Critical);
    }

    #[test]
    fn fails_under_isolation_without_s3_prefix_list_rule() {
        let mut e = Estate::isolated();
        e.drop_sg_rules(|r| r.prefix_list_id.is_some());
        let f = run("PL-SG-004", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains("pl-63a5400a"), "{}", f[0].message);
    }

    #[test]
    fn finds_the_s3_prefix_list_from_routes_when_the_file_is_missing() {
        let mut e = Estate::isolated();
        e.not_collected(crate::pure::snapshot::Input::ManagedPrefixLists);
        assert_all(&run("PL-SG-004", &e), Status::Pass);
    }

    #[test]
    fn fails_without_443_to_the_internet_outside_isolation() {
        let mut e = Estate::backend();
        let ws = ids().ws_sg;
        e.drop_sg_rules(|r| r.group_id == ws && r.is_egress && r.from_port == Some(443));
        e.sg_rules_mut().push(sg_rule(
            "sgr-vpc",
            &ws,
            true,
            "tcp",
            (443, 443),
            "10.0.0.0/16",
        ));
        let f = run("PL-SG-004", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains("the internet"), "{}", f[0].message);
    }

    #[test]
    fn error_when_endpoints_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::VpcEndpoints);
        assert_all(&run("PL-SG-004", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.drop_sg_rules(|r| {
            r.group_id == ws && r.is_egress && r.from_port == Some(443) && r.cidr_ipv4.is_some()
        });
        e.sg_rules_mut().push(sg_rule(
            "sgr-narrow",
            &ws,
            true,
            "tcp",
            (443, 443),
            "10.0.28.0/26",
        ));
        e
    }
}

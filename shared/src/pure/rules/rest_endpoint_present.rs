//! PL-EP-001: the workspace VPC has an interface endpoint to the Databricks workspace (REST API)
//! service of its region.

use super::common::presence::presence;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::services::ServiceKind;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-001",
    title: "Back-end workspace (REST API) interface endpoint present",
    severity: Severity::Critical,
    modes: &[Mode::BackEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Back-end PrivateLink needs two interface endpoints in the workspace VPC; the workspace (REST API) endpoint carries the clusters' API calls to the control plane.",
    remediation: "Create an Interface endpoint to the region's Databricks workspace service (see `plaudit explain PL-EP-005` for the table) in the endpoint subnets, with private DNS, and register it with the Databricks account.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
        "https://docs.databricks.com/aws/en/resources/ip-domain-region",
    ],
    inputs: &[Input::VpcEndpoints],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    presence(ctx, ServiceKind::Workspace)
}

/// Shared by PL-EP-001 and PL-EP-002: one endpoint of `kind` in each workspace VPC.
#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_the_rest_endpoint() {
        assert_eq!(
            status_of(&run("PL-EP-001", &Estate::backend()), &ids().rest),
            Status::Pass
        );
    }

    #[test]
    fn fails_without_it() {
        let mut e = Estate::backend();
        let rest = ids().rest;
        e.endpoints_mut().retain(|x| x.vpc_endpoint_id != rest);
        assert_eq!(status_of(&run("PL-EP-001", &e), &ids().vpc), Status::Fail);
    }

    #[test]
    fn an_endpoint_to_another_regions_service_does_not_count() {
        let mut e = Estate::backend();
        e.endpoint(&ids().rest).service_name =
            "com.amazonaws.vpce.us-west-2.vpce-svc-0129f463fcfbc46c5".into();
        assert_eq!(status_of(&run("PL-EP-001", &e), &ids().vpc), Status::Fail);
    }

    #[test]
    fn error_for_a_region_missing_from_the_table() {
        let mut e = Estate::backend();
        e.snap.meta.region = Some("eu-north-1".into());
        assert_all(&run("PL-EP-001", &e), Status::Error);
    }

    #[test]
    fn does_not_run_for_cmv_only() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].modes = vec![crate::pure::deployment::Mode::Cmv];
        assert!(run("PL-EP-001", &e).is_empty());
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let rest = ids().rest;
        e.endpoints_mut().retain(|x| x.vpc_endpoint_id != rest);
        e
    }
}

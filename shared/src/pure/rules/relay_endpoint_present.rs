//! PL-EP-002: the workspace VPC has an interface endpoint to the Databricks SCC relay service of
//! its region.

use super::common::presence::presence;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::services::ServiceKind;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-002",
    title: "Back-end SCC relay interface endpoint present",
    severity: Severity::Critical,
    modes: &[Mode::BackEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Back-end PrivateLink sends secure cluster connectivity through the SCC relay endpoint; without it clusters fall back to the public relay or cannot start.",
    remediation: "Create an Interface endpoint to the region's Databricks SCC relay service in the endpoint subnets, with private DNS, and register it with the Databricks account.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
        "https://docs.databricks.com/aws/en/resources/ip-domain-region",
    ],
    inputs: &[Input::VpcEndpoints],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    presence(ctx, ServiceKind::Relay)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_the_relay_endpoint() {
        assert_eq!(
            status_of(&run("PL-EP-002", &Estate::backend()), &ids().relay),
            Status::Pass
        );
    }

    #[test]
    fn fails_without_it() {
        let mut e = Estate::backend();
        let relay = ids().relay;
        e.endpoints_mut().retain(|x| x.vpc_endpoint_id != relay);
        assert_eq!(status_of(&run("PL-EP-002", &e), &ids().vpc), Status::Fail);
    }

    #[test]
    fn a_deleted_endpoint_does_not_count() {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).state = "deleted".into();
        assert_eq!(status_of(&run("PL-EP-002", &e), &ids().vpc), Status::Fail);
    }

    #[test]
    fn error_when_endpoints_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::VpcEndpoints);
        assert_all(&run("PL-EP-002", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let relay = ids().relay;
        e.endpoints_mut().retain(|x| x.vpc_endpoint_id != relay);
        e
    }
}

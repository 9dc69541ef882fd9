//! PL-SL-001: endpoint services that Databricks serverless connects to are NLB-backed and require
//! acceptance.

use super::common::serverless::{scope_outcomes, services_in_scope};
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::finding::ResourceType;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SL-001",
    title: "Serverless endpoint service is NLB-backed with acceptance required",
    modes: &[Mode::Serverless],
    resource_type: ResourceType::VpcEndpointService,
    rationale: "Serverless private connectivity to your resources goes through an endpoint service in front of an internal Network Load Balancer; requiring acceptance lets you decide which endpoints attach.",
    remediation: "Put the resource behind an internal NLB, expose it as the endpoint service, and set AcceptanceRequired=true (aws ec2 modify-vpc-endpoint-service-configuration --acceptance-required).",
    references: &["https://docs.databricks.com/aws/en/security/network/serverless-network-security/pl-to-internal-network"],
    inputs: &[Input::EndpointServiceConfigurations, Input::EndpointServicePermissions],
    ..RuleMeta::DEFAULT
};

/// The endpoint services in scope: declared in the manifest, or allowing a Databricks serverless
/// principal. Returns the services and the manifest ids that do not exist.
pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let (found, missing) = services_in_scope(ctx);
    let mut out = scope_outcomes(ctx, found.len(), &missing);
    for s in found {
        let id = &s.service_id;
        // ServiceState: Available carries traffic; Pending, Deleting, Deleted and Failed do not.
        let state = s.service_state.as_deref().unwrap_or_default();
        if state.is_empty() {
            out.push(
                Outcome::error(
                    ResourceType::VpcEndpointService,
                    id,
                    format!("Serverless endpoint service {id} has no ServiceState in describe-vpc-endpoint-service-configurations.json, so whether it carries traffic cannot be told."),
                )
                .expect("ServiceState Available, NLB-backed, AcceptanceRequired=true", "unknown"),
            );
            continue;
        }
        let mut problems = Vec::new();
        if !state.eq_ignore_ascii_case("available") {
            problems.push(format!("it is in state {state}, so it carries no traffic"));
        }
        if s.network_load_balancer_arns.is_empty() {
            problems.push("it has no Network Load Balancer".to_string());
        }
        if !s.acceptance_required {
            problems.push(
                "it accepts connections without approval (AcceptanceRequired=false)".to_string(),
            );
        }
        let o = if problems.is_empty() {
            Outcome::pass(
                ResourceType::VpcEndpointService,
                id,
                format!("{id} is available, NLB-backed and requires acceptance."),
            )
        } else {
            Outcome::fail(
                ResourceType::VpcEndpointService,
                id,
                format!(
                    "Serverless endpoint service {id}: {}.",
                    problems.join(" and ")
                ),
            )
        };
        out.push(o.expect(
            "ServiceState Available, NLB-backed, AcceptanceRequired=true",
            if problems.is_empty() {
                "ok".to_string()
            } else {
                problems.join("; ")
            },
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    const DBX: &str = "arn:aws:iam::565502421330:role/private-connectivity-role-us-east-1";

    #[test]
    fn passes_for_an_nlb_with_acceptance() {
        assert_all(
            &run("PL-SL-001", &serverless(true, true, DBX)),
            Status::Pass,
        );
    }

    #[test]
    fn fails_without_acceptance() {
        assert_eq!(
            status_of(
                &run("PL-SL-001", &serverless(false, true, DBX)),
                "vpce-svc-0db"
            ),
            Status::Fail
        );
    }

    #[test]
    fn not_applicable_when_no_service_serves_databricks() {
        let f = run(
            "PL-SL-001",
            &serverless(false, false, "arn:aws:iam::999999999999:root"),
        );
        assert_all(&f, Status::NotApplicable);
    }

    #[test]
    fn error_when_a_declared_service_is_absent_or_data_missing() {
        let mut e = serverless(true, true, DBX);
        e.manifest
            .serverless_endpoint_services
            .push("vpce-svc-404".into());
        assert_eq!(
            status_of(&run("PL-SL-001", &e), "vpce-svc-404"),
            Status::Error
        );
        e.not_collected(crate::pure::snapshot::Input::EndpointServicePermissions);
        assert_all(&run("PL-SL-001", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        serverless(false, true, DBX)
    }
}

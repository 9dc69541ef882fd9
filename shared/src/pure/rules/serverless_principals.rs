//! PL-SL-002: serverless endpoint services allow the Databricks principal of the region, and not
//! everyone.

use super::common::serverless::{scope_outcomes, services_in_scope};
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::services::serverless_principals;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SL-002",
    title: "Serverless endpoint service allows the Databricks principal, and only it",
    severity: Severity::High,
    severity_when: &[
        (
            Severity::Medium,
            "when the Databricks principal is allowed but so is every principal (`*`)",
        ),
    ],
    modes: &[Mode::Serverless],
    resource_type: ResourceType::VpcEndpointService,
    rationale: "Databricks serverless compute connects as arn:aws:iam::565502421330:role/private-connectivity-role-<region>; without it in the allowed principals the private endpoint rule never establishes. Allowing `*` lets any AWS account request a connection (medium).",
    remediation: "aws ec2 modify-vpc-endpoint-service-permissions --service-id <svc> --add-allowed-principals <Databricks role ARN> --remove-allowed-principals '*'",
    references: &["https://docs.databricks.com/aws/en/security/network/serverless-network-security/pl-to-internal-network"],
    inputs: &[Input::EndpointServiceConfigurations, Input::EndpointServicePermissions],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let (found, missing) = services_in_scope(ctx);
    let mut out = scope_outcomes(ctx, found.len(), &missing);
    let Some(region) = ctx.region else {
        for s in found {
            out.push(Outcome::error(ResourceType::VpcEndpointService, &s.service_id, "The region is unknown, so the Databricks principal cannot be named; pass --region.".into()));
        }
        return out;
    };
    let expected = serverless_principals(region);
    for s in found {
        let id = &s.service_id;
        let Some(p) = ctx.view().endpoint_service_permissions(id) else {
            out.push(Outcome::error(
                ResourceType::VpcEndpointService,
                id,
                format!("describe-vpc-endpoint-service-permissions.json has no entry for {id}."),
            ));
            continue;
        };
        let principals: Vec<&str> = p
            .allowed_principals
            .iter()
            .map(|a| a.principal.as_str())
            .collect();
        let has = principals.iter().any(|x| expected.iter().any(|e| e == x));
        let star = principals.contains(&"*");
        let o = if !has && !star {
            Outcome::fail(
                ResourceType::VpcEndpointService,
                id,
                format!(
                    "{id} does not allow the Databricks serverless principal {}; it allows {}.",
                    expected.join(" or "),
                    if principals.is_empty() {
                        "nobody".to_string()
                    } else {
                        principals.join(", ")
                    }
                ),
            )
        } else if star {
            Outcome::fail(
                ResourceType::VpcEndpointService,
                id,
                format!(
                    "{id} allows every AWS principal (`*`); restrict it to {}.",
                    expected.join(" or ")
                ),
            )
            .severity(Severity::Medium)
        } else {
            Outcome::pass(
                ResourceType::VpcEndpointService,
                id,
                format!("{id} allows the Databricks serverless principal and no wildcard."),
            )
        };
        out.push(o.expect(
            format!(
                "allowed principals include {} and not *",
                expected.join(" or ")
            ),
            principals.join(", "),
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::{Severity, Status};

    #[test]
    fn passes_with_the_regional_role() {
        let e = serverless(
            true,
            true,
            "arn:aws:iam::565502421330:role/private-connectivity-role-us-east-1",
        );
        assert_all(&run("PL-SL-002", &e), Status::Pass);
    }

    #[test]
    fn fails_medium_for_a_wildcard() {
        let mut e = serverless(
            true,
            true,
            "arn:aws:iam::565502421330:role/private-connectivity-role-us-east-1",
        );
        e.manifest
            .serverless_endpoint_services
            .push("vpce-svc-0db".into());
        if let Ok(p) = &mut e.snap.endpoint_service_permissions {
            p.get_mut("vpce-svc-0db").unwrap().allowed_principals[0].principal = "*".into();
        }
        let f = run("PL-SL-002", &e);
        assert_eq!(on(&f, "vpce-svc-0db").status, Status::Fail);
        assert_eq!(on(&f, "vpce-svc-0db").severity, Severity::Medium);
    }

    #[test]
    fn fails_high_for_a_declared_service_without_the_role() {
        let mut e = serverless(true, true, "arn:aws:iam::999999999999:root");
        e.manifest
            .serverless_endpoint_services
            .push("vpce-svc-0db".into());
        let f = run("PL-SL-002", &e);
        assert_eq!(on(&f, "vpce-svc-0db").severity, Severity::High);
        assert_eq!(on(&f, "vpce-svc-0db").status, Status::Fail);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = serverless(
            true,
            true,
            "arn:aws:iam::565502421330:role/private-connectivity-role-us-east-1",
        );
        e.manifest
            .serverless_endpoint_services
            .push("vpce-svc-0db".into());
        if let Ok(p) = &mut e.snap.endpoint_service_permissions {
            if let Some(p) = p.get_mut("vpce-svc-0db") {
                p.allowed_principals[0].principal = "*".into();
            }
        }
        e
    }
}

//! PL-EP-001: the workspace VPC has an interface endpoint to the Databricks workspace (REST API)
//! service of its region.

use super::{for_each_ws, Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::lifecycle::{self, Life};
use crate::manifest::Mode;
use crate::services::ServiceKind;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-001",
    title: "Back-end workspace (REST API) interface endpoint present",
    severity: Severity::Critical,
    modes: &[Mode::BackEnd],
    not_under: &[],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Back-end PrivateLink needs two interface endpoints in the workspace VPC; the workspace (REST API) endpoint carries the clusters' API calls to the control plane.",
    remediation: "Create an Interface endpoint to the region's Databricks workspace service (see `plaudit explain PL-EP-005` for the table) in the endpoint subnets, with private DNS, and register it with the Databricks account.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
        "https://docs.databricks.com/aws/en/resources/ip-domain-region",
    ],
    inputs: &[Input::VpcEndpoints],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    presence(ctx, ServiceKind::Workspace)
}

/// Shared by PL-EP-001 and PL-EP-002: one endpoint of `kind` in each workspace VPC.
pub(super) fn presence(ctx: &Context<'_>, kind: ServiceKind) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.vpcs() {
        let Some(region) = ctx.region else {
            out.extend(for_each_ws(&ws, Outcome::error(ResourceType::Vpc, vpc, "The region is unknown, so the Databricks service names cannot be chosen; pass --region.".into())));
            continue;
        };
        let Some(names) = ctx
            .table
            .region(region)
            .map(|r| r.names(kind))
            .filter(|n| !n.is_empty())
        else {
            out.extend(for_each_ws(
                &ws,
                Outcome::error(
                    ResourceType::Vpc,
                    vpc,
                    format!("The Databricks service table (version {}) has no {} service for {region}; the region may be unsupported or the table needs an update.", ctx.table.table_version, kind.label()),
                ),
            ));
            continue;
        };
        let found: Vec<_> = ctx
            .databricks_endpoints(vpc)
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect();
        // Only an available endpoint is present: a pending, rejected or failed one carries no
        // traffic (PL-EP-004 reports it), and one in an unknown state cannot be judged.
        let unknown: Vec<String> = found
            .iter()
            .filter(|e| e.endpoint.life() == Life::Unknown)
            .map(|e| {
                format!(
                    "{} has state {}",
                    e.endpoint.vpc_endpoint_id,
                    lifecycle::shown(&e.endpoint.state)
                )
            })
            .collect();
        let broken: Vec<String> = found
            .iter()
            .filter(|e| e.endpoint.life() == Life::Broken)
            .map(|e| format!("{} is `{}`", e.endpoint.vpc_endpoint_id, e.endpoint.state))
            .collect();
        let found: Vec<_> = found
            .into_iter()
            .filter(|e| e.endpoint.is_available())
            .collect();
        if found.is_empty() && !unknown.is_empty() {
            out.extend(for_each_ws(
                &ws,
                Outcome::error(
                    ResourceType::Vpc,
                    vpc,
                    format!("Whether {vpc} has a working {} endpoint cannot be told: {}, a state plaudit does not know.", kind.label(), unknown.join(", ")),
                ),
            ));
            continue;
        }
        if found.is_empty() {
            let detail = if broken.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} carries no traffic: {})",
                    if broken.len() == 1 {
                        "the one there"
                    } else {
                        "none there"
                    },
                    broken.join(", ")
                )
            };
            out.extend(for_each_ws(
                &ws,
                Outcome::fail(
                    ResourceType::Vpc,
                    vpc,
                    format!("{vpc} has no available interface endpoint to the Databricks {} service ({}){detail}, so back-end PrivateLink for {} cannot work.", kind.label(), names.join(" or "), super::names(&ws)),
                )
                .expect(format!("an available Interface endpoint to {}", names.join(" or ")), if broken.is_empty() { "none".to_string() } else { broken.join(", ") }),
            ));
        }
        for e in found {
            out.extend(for_each_ws(
                &ws,
                Outcome::pass(
                    ResourceType::VpcEndpoint,
                    &e.endpoint.vpc_endpoint_id,
                    format!(
                        "{} is the {} endpoint of {vpc} ({}).",
                        e.endpoint.vpc_endpoint_id,
                        kind.label(),
                        e.endpoint.service_name
                    ),
                )
                .expect(
                    format!("an Interface endpoint to {}", names.join(" or ")),
                    e.endpoint.service_name.clone(),
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

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
        e.manifest.workspaces[0].modes = vec![crate::manifest::Mode::Cmv];
        assert!(run("PL-EP-001", &e).is_empty());
    }
}

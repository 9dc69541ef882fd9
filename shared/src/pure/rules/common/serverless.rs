//! Shared by several rules (first written for serverless_service_nlb).

use crate::pure::finding::ResourceType;
use crate::pure::model::EndpointServiceConfiguration;
use crate::pure::rules::context::Context;
use crate::pure::rules::outcome::Outcome;
use crate::pure::services::serverless_principals;

pub(crate) fn services_in_scope<'a>(
    ctx: &Context<'a>,
) -> (Vec<&'a EndpointServiceConfiguration>, Vec<&'a str>) {
    let configs = ctx.view().endpoint_service_configurations();
    let databricks = |svc: &str| {
        ctx.view()
            .endpoint_service_permissions(svc)
            .is_some_and(|p| {
                p.allowed_principals.iter().any(|a| {
                    a.principal.contains(":role/private-connectivity-role-")
                        && ctx.region.is_none_or(|r| {
                            serverless_principals(r).iter().any(|p| *p == a.principal)
                                || a.principal.ends_with(r)
                        })
                })
            })
    };
    let declared = &ctx.deployment.serverless_endpoint_services;
    let mut found: Vec<&EndpointServiceConfiguration> = configs
        .iter()
        .filter(|c| {
            declared.iter().any(|d| *d == c.service_id)
                || declared.iter().any(|d| *d == c.service_name)
                || databricks(&c.service_id)
        })
        .collect();
    found.sort_by(|a, b| a.service_id.cmp(&b.service_id));
    let missing = declared
        .iter()
        .filter(|d| {
            !configs
                .iter()
                .any(|c| c.service_id == *d || c.service_name == *d)
        })
        .map(String::as_str)
        .collect();
    (found, missing)
}

/// Outcomes when no service is in scope, or for declared services that do not exist.
pub(crate) fn scope_outcomes(ctx: &Context<'_>, found: usize, missing: &[&str]) -> Vec<Outcome> {
    let mut out: Vec<Outcome> = missing
        .iter()
        .map(|m| {
            Outcome::error(
                ResourceType::VpcEndpointService,
                m,
                format!("The manifest declares serverless endpoint service {m}, which is not in describe-vpc-endpoint-service-configurations.json."),
            )
        })
        .collect();
    if found == 0 && missing.is_empty() {
        for ws in &ctx.workspaces {
            out.push(
                Outcome::not_applicable(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    "No endpoint service allows the Databricks serverless principal or is declared in the manifest (serverless_endpoint_services).".into(),
                )
                .ws(ws),
            );
        }
    }
    out
}

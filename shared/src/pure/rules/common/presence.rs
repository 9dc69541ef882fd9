//! Shared by several rules (first written for rest_endpoint_present).

use crate::pure::finding::ResourceType;
use crate::pure::lifecycle::{self, Life};
use crate::pure::rules::context::Context;
use crate::pure::rules::outcome::{for_each_ws, Outcome};
use crate::pure::services::ServiceKind;

pub(crate) fn presence(ctx: &Context<'_>, kind: ServiceKind) -> Vec<Outcome> {
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
                    format!("{vpc} has no available interface endpoint to the Databricks {} service ({}){detail}, so back-end PrivateLink for {} cannot work.", kind.label(), names.join(" or "), crate::pure::rules::names(&ws)),
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

//! PL-RT-004: an S3 gateway endpoint serves every workspace route table.

use std::collections::BTreeSet;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::services::s3_service;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-RT-004",
    title: "S3 gateway endpoint associated with every workspace route table",
    severity: Severity::High,
    severity_when: &[
        (
            Severity::Medium,
            "outside complete isolation, where S3 traffic can still leave through the NAT gateway",
        ),
    ],
    resource_type: ResourceType::RouteTable,
    rationale: "Clusters read and write S3 constantly. Under isolation the S3 gateway endpoint is the only path; elsewhere Databricks recommends it to keep S3 traffic off NAT (cost) and on the AWS network.",
    remediation: "Create (or modify) a Gateway endpoint for com.amazonaws.<region>.s3 and add each workspace route table to its RouteTableIds.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
        "https://github.com/databricks/terraform-databricks-sra",
    ],
    inputs: &[Input::Subnets, Input::RouteTables, Input::VpcEndpoints],
    flows: &[FlowKind::S3],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(region) = ctx.region else {
            out.push(
                Outcome::error(ResourceType::Vpc, &ws.vpc_id, "The region is unknown, so the S3 service name cannot be formed; pass --region.".into()).ws(ws),
            );
            continue;
        };
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        let s3 = s3_service(region);
        let gateways: Vec<_> = ctx
            .view()
            .endpoints(&ws.vpc_id)
            .iter()
            .filter(|e| e.is_gateway() && e.service_name == s3 && !e.is_gone())
            .collect();
        let severity = if ws.isolated() {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut seen = BTreeSet::new();
        for s in subnets {
            let Some(rt) = ctx.view().route_table_for(s) else {
                out.push(
                    Outcome::error(
                        ResourceType::Subnet,
                        &s.subnet_id,
                        format!("No route table applies to {}.", s.subnet_id),
                    )
                    .ws(ws),
                );
                continue;
            };
            if !seen.insert(rt.route_table_id.as_str()) {
                continue;
            }
            let serving: Vec<&str> = gateways
                .iter()
                .filter(|e| e.route_table_ids.contains(&rt.route_table_id))
                .map(|e| e.vpc_endpoint_id.as_str())
                .collect();
            let ok = !serving.is_empty();
            let msg = if ok {
                format!(
                    "{} reaches S3 through gateway endpoint {}.",
                    rt.route_table_id,
                    serving.join(", ")
                )
            } else if gateways.is_empty() {
                format!(
                    "{} has no S3 gateway endpoint, so workspace `{}` reaches S3 {}.",
                    ws.vpc_id,
                    ws.name,
                    if ws.isolated() {
                        "not at all"
                    } else {
                        "only through NAT"
                    }
                )
            } else {
                format!(
                    "{} is not associated with the S3 gateway endpoint {} of {}.",
                    rt.route_table_id,
                    gateways
                        .iter()
                        .map(|e| e.vpc_endpoint_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    ws.vpc_id
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::RouteTable, &rt.route_table_id, msg)
                    .ws(ws)
                    .severity(severity)
                    .expect(
                        format!("a Gateway endpoint to {s3} listing this route table"),
                        if ok {
                            serving.join(", ")
                        } else {
                            "none".to_string()
                        },
                    ),
            );
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::{Severity, Status};

    #[test]
    fn passes_with_the_gateway_on_the_private_table() {
        assert_all(&run("PL-RT-004", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_high_under_isolation_and_medium_otherwise() {
        for (mut e, sev) in [
            (Estate::isolated(), Severity::High),
            (Estate::backend(), Severity::Medium),
        ] {
            e.endpoint(&ids().s3).route_table_ids.clear();
            let f = run("PL-RT-004", &e);
            assert_eq!(status_of(&f, &ids().rt_private), Status::Fail);
            assert_eq!(on(&f, &ids().rt_private).severity, sev);
        }
    }

    #[test]
    fn error_when_endpoints_were_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::VpcEndpoints);
        assert_all(&run("PL-RT-004", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        e.endpoint(&ids().s3).route_table_ids.clear();
        e
    }
}

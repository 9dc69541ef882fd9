//! PL-EP-005: Databricks-looking endpoints use the service name of their own region from the
//! shipped table.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::model::tag;
use crate::pure::services::service_region;
use crate::pure::snapshot::Input;

/// Tag that marks an endpoint as meant for Databricks (`workspace`, `relay`, `service-direct`).
pub const TAG_ENDPOINT: &str = "plaudit:endpoint";

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-005",
    title: "Endpoint service name matches the region and the known table",
    severity: Severity::High,
    modes: &[Mode::BackEnd, Mode::FrontEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Databricks endpoint services are regional. An endpoint to another region's service, or to a service name missing from Databricks' table (a typo, a stale copy), never carries workspace traffic.",
    remediation: "Recreate the endpoint with the service name for the VPC's region from https://docs.databricks.com/aws/en/resources/ip-domain-region (the table `plaudit explain PL-EP-005` prints).",
    references: &["https://docs.databricks.com/aws/en/resources/ip-domain-region"],
    inputs: &[Input::VpcEndpoints],
    service_table: true,
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.endpoint_vpcs() {
        let Some(region) = ctx.region else {
            out.extend(for_each_ws(
                &ws,
                Outcome::error(
                    ResourceType::Vpc,
                    vpc,
                    "The region is unknown; pass --region to check endpoint service names.".into(),
                ),
            ));
            continue;
        };
        if ctx.table.region(region).is_none() {
            out.extend(for_each_ws(
                &ws,
                Outcome::error(
                    ResourceType::Vpc,
                    vpc,
                    format!("Region {region} is not in the Databricks service table (version {}): unknown region, the table needs an update.", ctx.table.table_version),
                ),
            ));
            continue;
        }
        for e in ctx
            .view()
            .endpoints(vpc)
            .iter()
            .filter(|e| e.is_interface() && !e.is_gone())
        {
            let id = &e.vpc_endpoint_id;
            let here = ctx.table.kind_in_region(region, &e.service_name);
            let elsewhere = ctx.table.lookup_any(&e.service_name);
            let tagged = tag(&e.tags, TAG_ENDPOINT);
            let o = match (here, elsewhere, tagged) {
                (Some(k), _, _) => Outcome::pass(ResourceType::VpcEndpoint, id, format!("{id} uses {region}'s {} service {}.", k.label(), e.service_name)),
                (None, Some((other, k)), _) => Outcome::fail(
                    ResourceType::VpcEndpoint,
                    id,
                    format!("{id} in {region} points at the {} service of {other} ({}); Databricks endpoint services are regional.", k.label(), e.service_name),
                ),
                (None, None, Some(role)) => Outcome::fail(
                    ResourceType::VpcEndpoint,
                    id,
                    format!(
                        "{id} is tagged {TAG_ENDPOINT}={role} but its service {} is not a Databricks service of {region}{}.",
                        e.service_name,
                        match service_region(&e.service_name) {
                            Some(r) if r != region => format!(" (the name is for {r})"),
                            _ => String::new(),
                        }
                    ),
                ),
                (None, None, None) => continue,
            };
            let expected = format!(
                "a service of {region} from the Databricks table v{}",
                ctx.table.table_version
            );
            out.extend(for_each_ws(&ws, o.expect(expected, e.service_name.clone())));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_for_the_regions_services() {
        assert_all(&run("PL-EP-005", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_for_another_regions_service() {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).service_name =
            "com.amazonaws.vpce.eu-west-1.vpce-svc-09b4eb2bc775f4e8c".into();
        let f = run("PL-EP-005", &e);
        assert_eq!(status_of(&f, &ids().relay), Status::Fail);
        assert!(on(&f, &ids().relay).message.contains("eu-west-1"));
    }

    #[test]
    fn fails_for_a_tagged_endpoint_with_a_typo() {
        let mut e = Estate::backend();
        let ep = e.endpoint(&ids().rest);
        ep.service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-09143d1e626de2f05".into();
        ep.tags.push(crate::pure::model::Tag {
            key: "plaudit:endpoint".into(),
            value: "workspace".into(),
        });
        assert_eq!(status_of(&run("PL-EP-005", &e), &ids().rest), Status::Fail);
    }

    #[test]
    fn error_for_an_unknown_region() {
        let mut e = Estate::backend();
        e.snap.meta.region = Some("xx-nowhere-1".into());
        assert_all(&run("PL-EP-005", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).service_name =
            "com.amazonaws.vpce.eu-west-1.vpce-svc-09b4eb2bc775f4e8c".into();
        e
    }
}

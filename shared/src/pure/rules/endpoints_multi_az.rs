//! PL-EP-007: Databricks endpoints span at least two AZs, including every workspace AZ.

use std::collections::BTreeSet;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::ResourceType;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-007",
    title: "Databricks endpoints span at least two AZs",
    modes: &[Mode::BackEnd, Mode::FrontEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "An endpoint in one availability zone is a single point of failure, and clusters in a zone without an endpoint ENI pay cross-zone traffic and lose connectivity when that zone fails.",
    remediation: "Add an endpoint subnet in each workspace availability zone to the endpoint (modify-vpc-endpoint --add-subnet-ids).",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::VpcEndpoints, Input::Subnets],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.endpoint_vpcs() {
        let ws_subnets: Vec<&crate::pure::model::Subnet> = ws
            .iter()
            .filter(|w| w.vpc_id == vpc)
            .flat_map(|w| w.subnet_ids.iter())
            .filter_map(|s| ctx.view().subnet(s))
            .collect();
        if let Err(bad) = ctx.view().zone_keys(&ws_subnets) {
            let why: Vec<&str> = bad.iter().map(|(_, w)| w.as_str()).collect();
            for e in ctx.databricks_endpoints(vpc) {
                let id = &e.endpoint.vpc_endpoint_id;
                out.extend(for_each_ws(
                    &ws,
                    Outcome::error(
                        ResourceType::VpcEndpoint,
                        id,
                        format!(
                            "The workspace zones {id} must cover cannot be counted: {}.",
                            why.join("; ")
                        ),
                    ),
                ));
            }
            continue;
        }
        for e in ctx.databricks_endpoints(vpc) {
            let id = &e.endpoint.vpc_endpoint_id;
            let unknown: Vec<&str> = e
                .endpoint
                .subnet_ids
                .iter()
                .filter(|s| ctx.view().subnet(s).is_none())
                .map(|s| s.as_str())
                .collect();
            if !unknown.is_empty() {
                out.extend(for_each_ws(
                    &ws,
                    Outcome::error(
                        ResourceType::VpcEndpoint,
                        id,
                        format!(
                            "{id}'s subnets {} are not in describe-subnets.json.",
                            unknown.join(", ")
                        ),
                    ),
                ));
                continue;
            }
            let ep_subnets: Vec<&crate::pure::model::Subnet> = e
                .endpoint
                .subnet_ids
                .iter()
                .filter_map(|s| ctx.view().subnet(s))
                .collect();
            // Relate the endpoint's zones and the workspace's through one key set.
            let all: Vec<&crate::pure::model::Subnet> =
                ep_subnets.iter().chain(&ws_subnets).copied().collect();
            let keys = match ctx.view().zone_keys(&all) {
                Ok(k) => k,
                Err(bad) => {
                    let why: Vec<&str> = bad.iter().map(|(_, w)| w.as_str()).collect();
                    out.extend(for_each_ws(
                        &ws,
                        Outcome::error(
                            ResourceType::VpcEndpoint,
                            id,
                            format!(
                                "{id}'s availability zones cannot be counted: {}.",
                                why.join("; ")
                            ),
                        ),
                    ));
                    continue;
                }
            };
            let azs: BTreeSet<&str> = keys[..ep_subnets.len()]
                .iter()
                .map(String::as_str)
                .collect();
            let ws_azs: BTreeSet<&str> = keys[ep_subnets.len()..]
                .iter()
                .map(String::as_str)
                .collect();
            let missing: Vec<&str> = ws_azs.difference(&azs).copied().collect();
            let az_list = azs.iter().copied().collect::<Vec<_>>().join(", ");
            let o = if azs.len() < 2 {
                Outcome::fail(ResourceType::VpcEndpoint, id, format!("{id} ({}) has ENIs in {} availability zone(s) ({az_list}); it needs at least two.", e.kind.label(), azs.len()))
            } else if !missing.is_empty() {
                Outcome::fail(
                    ResourceType::VpcEndpoint,
                    id,
                    format!(
                        "{id} ({}) has no ENI in workspace zone(s) {}.",
                        e.kind.label(),
                        missing.join(", ")
                    ),
                )
            } else {
                Outcome::pass(
                    ResourceType::VpcEndpoint,
                    id,
                    format!("{id} spans {az_list}."),
                )
            };
            out.extend(for_each_ws(
                &ws,
                o.expect(">= 2 AZs including every workspace AZ", az_list),
            ));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_across_two_azs() {
        assert_all(&run("PL-EP-007", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_in_one_az() {
        let mut e = Estate::backend();
        e.endpoint(&ids().rest).subnet_ids.truncate(1);
        let f = run("PL-EP-007", &e);
        assert_eq!(status_of(&f, &ids().rest), Status::Fail);
        assert_eq!(status_of(&f, &ids().relay), Status::Pass);
    }

    #[test]
    fn error_for_unknown_subnets() {
        let mut e = Estate::backend();
        e.endpoint(&ids().rest).subnet_ids.push("subnet-404".into());
        assert_eq!(status_of(&run("PL-EP-007", &e), &ids().rest), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.endpoint(&ids().rest).subnet_ids.truncate(1);
        e
    }
}

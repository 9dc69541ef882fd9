//! PL-RT-003: under complete isolation, no workspace or endpoint subnet has an internet route.

use std::collections::BTreeSet;

use super::{Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::manifest::Mode;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-RT-003",
    title: "No internet default route under isolation",
    severity: Severity::Critical,
    modes: &[Mode::Isolated],
    not_under: &[],
    resource_type: ResourceType::RouteTable,
    rationale: "Complete private isolation means clusters have no path to the public internet; a default route to an internet, egress-only or NAT gateway reopens it.",
    remediation: "Delete the 0.0.0.0/0 and ::/0 routes to igw-, eigw- and nat- targets from the route tables of the workspace and endpoint subnets.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
        "https://github.com/databricks/terraform-databricks-sra",
    ],
    inputs: &[Input::Subnets, Input::RouteTables, Input::VpcEndpoints],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        let mut ids: BTreeSet<&str> = subnets.iter().map(|s| s.subnet_id.as_str()).collect();
        for e in ctx.databricks_endpoints(&ws.vpc_id) {
            ids.extend(e.endpoint.subnet_ids.iter().map(|s| s.as_str()));
        }
        let mut tables: BTreeSet<&str> = BTreeSet::new();
        for id in ids {
            match ctx.ix.subnets.get(id).and_then(|s| ctx.ix.route_table_for(s)) {
                Some(rt) => {
                    tables.insert(&rt.route_table_id);
                }
                None => out.push(
                    Outcome::error(
                        ResourceType::Subnet,
                        id,
                        format!("No route table in the snapshot applies to {id}, so its internet routes are unknown."),
                    )
                    .ws(ws),
                ),
            }
        }
        for t in tables {
            let Some(rt) = ctx.ix.route_tables.get(t) else {
                continue;
            };
            let bad: Vec<String> = rt
                .routes
                .iter()
                .filter(|r| {
                    r.is_default()
                        && ["igw-", "eigw-", "nat-"]
                            .iter()
                            .any(|p| r.target().starts_with(p))
                })
                .map(|r| format!("{} -> {}", r.destination(), r.target()))
                .collect();
            let ok = bad.is_empty();
            let msg = if ok {
                format!("{t} has no default route to an internet, egress-only or NAT gateway.")
            } else {
                format!(
                    "{t} gives isolated workspace `{}` an internet path: {}.",
                    ws.name,
                    bad.join(", ")
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::RouteTable, t, msg)
                    .ws(ws)
                    .expect(
                        "no 0.0.0.0/0 or ::/0 to igw-/eigw-/nat-",
                        if ok {
                            "none".to_string()
                        } else {
                            bad.join(", ")
                        },
                    ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

    #[test]
    fn passes_without_internet_routes() {
        assert_all(&run("PL-RT-003", &Estate::isolated()), Status::Pass);
    }

    #[test]
    fn fails_on_a_nat_route_in_the_endpoint_table() {
        let mut e = Estate::isolated();
        let rt = ids().rt_endpoints;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            t.routes.push(crate::model::Route {
                destination_cidr_block: Some("0.0.0.0/0".into()),
                nat_gateway_id: Some("nat-0leftover".into()),
                ..Default::default()
            });
        }
        let f = run("PL-RT-003", &e);
        assert_eq!(status_of(&f, &ids().rt_endpoints), Status::Fail);
        assert_eq!(status_of(&f, &ids().rt_private), Status::Pass);
    }

    #[test]
    fn does_not_run_for_back_end_only() {
        assert!(run("PL-RT-003", &Estate::backend()).is_empty());
    }

    #[test]
    fn error_when_route_tables_were_not_collected() {
        let mut e = Estate::isolated();
        e.not_collected(crate::snapshot::Input::RouteTables);
        assert_all(&run("PL-RT-003", &e), Status::Error);
    }
}

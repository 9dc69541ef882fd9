//! PL-RT-003: under complete isolation, no workspace or endpoint subnet has an internet route.

use std::collections::BTreeSet;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::deployment::Workspace;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::model::RouteTable;
use crate::pure::routing::{self, Egress};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-RT-003",
    title: "No internet default route under isolation",
    severity: Severity::Critical,
    severity_when: &[
        (
            Severity::High,
            "when the route goes to a target plaudit cannot see through (transit gateway, appliance ENI, peering)",
        ),
    ],
    modes: &[Mode::Isolated],
    resource_type: ResourceType::RouteTable,
    rationale: "Complete private isolation means clusters have no path to the public internet; any route that sends public addresses to an internet, egress-only or NAT gateway reopens it (0.0.0.0/1 + 128.0.0.0/1 as much as 0.0.0.0/0), and one to a transit gateway or appliance may.",
    remediation: "Delete the routes for public addresses to igw-, eigw-, nat-, tgw-, eni- and similar targets from the route tables of the workspace and endpoint subnets.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
        "https://github.com/databricks/terraform-databricks-sra",
    ],
    inputs: &[Input::Subnets, Input::RouteTables, Input::VpcEndpoints, Input::Vpcs],
    optional_inputs: &[Input::NatGateways, Input::InternetGateways, Input::ManagedPrefixLists],
    // Without them, a route to a NAT gateway is an `error` and one to an internet gateway counts
    // as attached (fail closed).
    ..RuleMeta::DEFAULT
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
            match ctx.view().subnet(id).and_then(|s| ctx.view().route_table_for(s)) {
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
            let Some(rt) = ctx.view().route_table(t) else {
                continue;
            };
            out.push(table_outcome(ctx, rt, ws).ws(ws));
        }
    }
    out
}

const EXPECTED: &str = "no route from the workspace or endpoint subnets to the internet (internet, egress-only or NAT gateway) or to an egress target";

/// The verdict on one route table of an isolated workspace, from [`routing::public_routes`]:
/// a definite internet path fails (critical); a path through a target whose far side plaudit
/// cannot see (transit gateway, appliance ENI, ...) fails at high severity with the reason, so it
/// is never a silent pass and can be waived once checked; an unreadable route is an error.
fn table_outcome(ctx: &Context<'_>, rt: &RouteTable, ws: &Workspace) -> Outcome {
    let t = rt.route_table_id.as_str();
    let unreadable = routing::unreadable(rt);
    if !unreadable.is_empty() {
        let list: Vec<String> = unreadable
            .iter()
            .map(|r| r.destination().to_string())
            .collect();
        return Outcome::error(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} has route destinations that do not parse ({}), so the internet routes of isolated workspace `{}` cannot be judged.",
                list.join(", "),
                ws.name
            ),
        );
    }
    let routes = routing::public_routes(ctx.view(), rt);
    let line = |p: &routing::PublicRoute<'_>| format!("{} ({})", p.describe(), p.egress.why());
    let sure: Vec<String> = routes
        .iter()
        .filter(|p| p.egress.is_internet())
        .map(line)
        .collect();
    if !sure.is_empty() {
        return Outcome::fail(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} gives isolated workspace `{}` an internet path: {}.",
                ws.name,
                sure.join("; ")
            ),
        )
        .expect(EXPECTED, sure.join("; "));
    }
    let unknown: Vec<String> = routes
        .iter()
        .filter(|p| matches!(p.egress, Egress::Unknown(_)))
        .map(line)
        .collect();
    if !unknown.is_empty() {
        return Outcome::error(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} has routes whose effect plaudit cannot tell, so whether isolated workspace `{}` has an internet path is unknown: {}.",
                ws.name,
                unknown.join("; ")
            ),
        );
    }
    let may: Vec<String> = routes
        .iter()
        .filter(|p| matches!(p.egress, Egress::May(_)))
        .map(line)
        .collect();
    if !may.is_empty() {
        return Outcome::fail(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} sends public addresses from isolated workspace `{}` out of the VPC, which may reach the internet: {}. Complete isolation needs no such route; remove it, or waive this finding once the far side is shown to have no internet exit.",
                ws.name,
                may.join("; ")
            ),
        )
        .severity(Severity::High)
        .expect(EXPECTED, may.join("; "));
    }
    let dropped: Vec<String> = routes
        .iter()
        .filter(|p| p.route.is_some() && !p.egress.leaves())
        .map(|p| p.describe())
        .collect();
    Outcome::pass(
        ResourceType::RouteTable,
        t,
        if dropped.is_empty() {
            format!("{t} has no route to the internet or out of the VPC for public addresses.")
        } else {
            format!(
                "{t} has no internet path: its other routes for public addresses go nowhere or stay private ({}).",
                dropped.join(", ")
            )
        },
    )
    .expect(EXPECTED, "none")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_without_internet_routes() {
        assert_all(&run("PL-RT-003", &Estate::isolated()), Status::Pass);
    }

    fn add_route(e: &mut Estate, rt: &str, r: crate::pure::model::Route) {
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            t.routes.push(r.clone());
        }
    }

    fn nat(id: &str, state: &str, connectivity: Option<&str>) -> crate::pure::model::NatGateway {
        crate::pure::model::NatGateway {
            nat_gateway_id: id.into(),
            vpc_id: ids().vpc.into(),
            subnet_id: ids().ep_subnets[0].as_str().into(),
            state: state.into(),
            connectivity_type: connectivity.map(Into::into),
            tags: vec![],
        }
    }

    fn to(dest: &str, f: impl FnOnce(&mut crate::pure::model::Route)) -> crate::pure::model::Route {
        let mut r = crate::pure::model::Route {
            destination_cidr_block: Some(dest.into()),
            state: Some("active".into()),
            ..Default::default()
        };
        f(&mut r);
        r
    }

    fn igw(e: &mut Estate, state: &str) {
        e.igws_mut().push(crate::pure::model::InternetGateway {
            internet_gateway_id: "igw-0x".into(),
            attachments: vec![crate::pure::model::GatewayAttachment {
                vpc_id: ids().vpc.into(),
                state: state.into(),
            }],
            tags: vec![],
        });
    }

    #[test]
    fn fails_on_a_nat_route_in_the_endpoint_table() {
        let mut e = Estate::isolated();
        e.nats_mut().push(nat("nat-0leftover", "available", None));
        add_route(
            &mut e,
            &ids().rt_endpoints,
            to("0.0.0.0/0", |r| {
                r.nat_gateway_id = Some("nat-0leftover".into())
            }),
        );
        let f = run("PL-RT-003", &e);
        assert_eq!(status_of(&f, &ids().rt_endpoints), Status::Fail);
        assert_eq!(status_of(&f, &ids().rt_private), Status::Pass);
    }

    #[test]
    fn error_when_the_nat_route_target_is_not_in_the_snapshot() {
        let mut e = Estate::isolated();
        add_route(
            &mut e,
            &ids().rt_private,
            to("0.0.0.0/0", |r| {
                r.nat_gateway_id = Some("nat-0unknown".into())
            }),
        );
        let f = run("PL-RT-003", &e);
        assert_eq!(status_of(&f, &ids().rt_private), Status::Error);
        assert!(on(&f, &ids().rt_private).message.contains("nat-0unknown"));
    }

    #[test]
    fn fails_when_two_halves_cover_the_public_space() {
        let mut e = Estate::isolated();
        igw(&mut e, "available");
        for half in ["0.0.0.0/1", "128.0.0.0/1"] {
            add_route(
                &mut e,
                &ids().rt_private,
                to(half, |r| r.gateway_id = Some("igw-0x".into())),
            );
        }
        let f = run("PL-RT-003", &e);
        assert_eq!(status_of(&f, &ids().rt_private), Status::Fail);
        let m = &on(&f, &ids().rt_private).message;
        assert!(
            m.contains("0.0.0.0/1 -> igw-0x") && m.contains("128.0.0.0/1 -> igw-0x"),
            "{m}"
        );
    }

    #[test]
    fn fails_on_a_specific_public_route_to_an_igw() {
        let mut e = Estate::isolated();
        igw(&mut e, "attached");
        add_route(
            &mut e,
            &ids().rt_private,
            to("52.0.0.0/8", |r| r.gateway_id = Some("igw-0x".into())),
        );
        assert_eq!(
            status_of(&run("PL-RT-003", &e), &ids().rt_private),
            Status::Fail
        );
    }

    #[test]
    fn passes_on_blackholes_private_nat_peering_and_detached_igw() {
        let mut e = Estate::isolated();
        igw(&mut e, "detached");
        e.nats_mut()
            .push(nat("nat-0priv", "available", Some("private")));
        e.nats_mut().push(nat("nat-0dead", "deleted", None));
        let rt = ids().rt_private;
        add_route(
            &mut e,
            &rt,
            to("0.0.0.0/0", |r| {
                r.gateway_id = Some("igw-0x".into());
                r.state = Some("blackhole".into());
            }),
        );
        add_route(
            &mut e,
            &rt,
            to("0.0.0.0/1", |r| r.nat_gateway_id = Some("nat-0priv".into())),
        );
        add_route(
            &mut e,
            &rt,
            to("128.0.0.0/2", |r| {
                r.vpc_peering_connection_id = Some("pcx-1".into())
            }),
        );
        add_route(
            &mut e,
            &rt,
            to("192.0.0.0/2", |r| {
                r.nat_gateway_id = Some("nat-0dead".into())
            }),
        );
        add_route(
            &mut e,
            &rt,
            to("8.8.8.0/24", |r| r.gateway_id = Some("igw-0x".into())),
        );
        let f = run("PL-RT-003", &e);
        assert_eq!(status_of(&f, &rt), Status::Pass, "{f:#?}");
    }

    #[test]
    fn a_transit_gateway_route_fails_high_with_the_reason() {
        let mut e = Estate::isolated();
        add_route(
            &mut e,
            &ids().rt_private,
            to("0.0.0.0/0", |r| {
                r.transit_gateway_id = Some("tgw-0hub".into())
            }),
        );
        let f = run("PL-RT-003", &e);
        let x = on(&f, &ids().rt_private);
        assert_eq!(x.status, Status::Fail);
        assert_eq!(x.severity, crate::pure::finding::Severity::High);
        assert!(
            x.message.contains("tgw-0hub") && x.message.contains("cannot see"),
            "{}",
            x.message
        );
    }

    #[test]
    fn a_more_specific_route_wins_over_the_default() {
        // 0.0.0.0/0 to an IGW, but every public address is sent to a blackhole by more specific
        // routes: no internet path.
        let mut e = Estate::isolated();
        igw(&mut e, "available");
        let rt = ids().rt_private;
        add_route(
            &mut e,
            &rt,
            to("0.0.0.0/0", |r| r.gateway_id = Some("igw-0x".into())),
        );
        for half in ["0.0.0.0/1", "128.0.0.0/1"] {
            add_route(
                &mut e,
                &rt,
                to(half, |r| {
                    r.network_interface_id = Some("eni-0gone".into());
                    r.state = Some("blackhole".into());
                }),
            );
        }
        assert_eq!(status_of(&run("PL-RT-003", &e), &rt), Status::Pass);
    }

    #[test]
    fn does_not_run_for_back_end_only() {
        assert!(run("PL-RT-003", &Estate::backend()).is_empty());
    }

    #[test]
    fn error_when_route_tables_were_not_collected() {
        let mut e = Estate::isolated();
        e.not_collected(crate::pure::snapshot::Input::RouteTables);
        assert_all(&run("PL-RT-003", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        e.nats_mut().push(nat("nat-0leftover", "available", None));
        add_route(
            &mut e,
            &ids().rt_endpoints,
            to("0.0.0.0/0", |r| {
                r.nat_gateway_id = Some("nat-0leftover".into())
            }),
        );
        e
    }
}

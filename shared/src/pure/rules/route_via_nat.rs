//! PL-RT-001: workspace subnets send 0.0.0.0/0 to a NAT gateway or an egress appliance.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::routing::{self, Egress, Family};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-RT-001",
    title: "Workspace subnets have a default route via NAT or an egress appliance",
    severity: Severity::High,
    not_under: &[Mode::Isolated],
    resource_type: ResourceType::RouteTable,
    rationale: "Outside complete isolation, clusters reach cloud services and repositories through a NAT gateway or the customer's egress appliance; without a working default route they cannot start.",
    remediation: "Add 0.0.0.0/0 to a NAT gateway (or firewall ENI, transit gateway, Gateway Load Balancer endpoint) in the route table of each workspace subnet; replace blackhole routes.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::RouteTables, Input::NatGateways, Input::Vpcs],
    optional_inputs: &[Input::InternetGateways, Input::VpcEndpoints, Input::ManagedPrefixLists],
    flows: &[FlowKind::Internet],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        for s in subnets {
            let Some(rt) = ctx.view().route_table_for(s) else {
                out.push(
                    Outcome::error(
                        ResourceType::Subnet,
                        &s.subnet_id,
                        format!(
                            "No route table in describe-route-tables.json applies to {}.",
                            s.subnet_id
                        ),
                    )
                    .ws(ws),
                );
                continue;
            };
            if let Some(o) = egress_outcome(ctx, rt, &s.subnet_id, ws) {
                out.push(o.ws(ws));
            }
        }
    }
    out
}

const EXPECTED: &str =
    "0.0.0.0/0 (or routes covering the public address space) -> nat-… or an egress appliance";

/// The verdict on a workspace subnet's table: every public IPv4 address must leave through an
/// available public NAT gateway or an egress target ([`routing::public_routes`]).
fn egress_outcome(
    ctx: &Context<'_>,
    rt: &crate::pure::model::RouteTable,
    subnet: &str,
    ws: &crate::pure::deployment::Workspace,
) -> Option<Outcome> {
    let t = rt.route_table_id.as_str();
    let unreadable = routing::unreadable(rt);
    if !unreadable.is_empty() {
        let list: Vec<&str> = unreadable.iter().map(|r| r.destination()).collect();
        return Some(Outcome::error(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} (used by {subnet}) has route destinations that do not parse ({}), so the egress of workspace `{}` cannot be judged.",
                list.join(", "),
                ws.name
            ),
        ));
    }
    let routes: Vec<_> = routing::public_routes(ctx.view(), rt)
        .into_iter()
        .filter(|p| p.family == Family::V4)
        .collect();
    let line = |p: &routing::PublicRoute<'_>| format!("{} ({})", p.describe(), p.egress.why());
    let show = |p: &routing::PublicRoute<'_>| match p.route {
        Some(_) => line(p),
        None => format!("no route for {}", short(&p.addresses())),
    };
    let pick = |f: fn(&Egress) -> bool| -> Vec<String> {
        routes.iter().filter(|p| f(&p.egress)).map(show).collect()
    };
    let unknown = pick(|e| matches!(e, Egress::Unknown(_)));
    if !unknown.is_empty() {
        return Some(Outcome::error(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} (used by {subnet}) has routes whose effect plaudit cannot tell, so the egress of workspace `{}` is unknown: {}.",
                ws.name,
                unknown.join("; ")
            ),
        ));
    }
    let direct = pick(|e| matches!(e, Egress::InternetGateway(_)));
    let dead = pick(|e| matches!(e, Egress::Dropped(_) | Egress::NotInternet(_)));
    let actual = routes
        .iter()
        .map(|p| p.describe())
        .collect::<Vec<_>>()
        .join(", ");
    let o = if !direct.is_empty() {
        Outcome::fail(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} sends public addresses from workspace subnet {subnet} straight to an internet gateway ({}); it must go through NAT or an appliance.",
                direct.join("; ")
            ),
        )
    } else if !dead.is_empty() {
        let full = routes.iter().all(|p| !p.egress.leaves());
        let none_route = routes.iter().all(|p| p.route.is_none());
        Outcome::fail(
            ResourceType::RouteTable,
            t,
            if none_route {
                format!("{t} (used by {subnet}) has no 0.0.0.0/0 route (nor routes covering the public address space), so workspace `{}` has no egress.", ws.name)
            } else {
                format!(
                    "{t} (used by {subnet}) gives workspace `{}` {} egress to the internet: {}.",
                    ws.name,
                    if full { "no" } else { "incomplete" },
                    dead.join("; ")
                )
            },
        )
    } else {
        let via: Vec<String> = routes.iter().map(line).collect();
        Outcome::pass(
            ResourceType::RouteTable,
            t,
            format!(
                "{t} sends the public address space from {subnet} to egress: {}.",
                via.join("; ")
            ),
        )
    };
    Some(o.expect(
        EXPECTED,
        if actual.is_empty() {
            "no route".to_string()
        } else {
            actual
        },
    ))
}

/// At most four ranges of a list, for messages.
fn short(list: &str) -> String {
    let parts: Vec<&str> = list.split(", ").collect();
    if parts.len() <= 4 {
        list.to_string()
    } else {
        format!("{}, … ({} ranges)", parts[..4].join(", "), parts.len())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    fn set_default_target(e: &mut Estate, f: impl Fn(&mut crate::pure::model::Route)) {
        let rt = ids().rt_private;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            for r in t.routes.iter_mut().filter(|r| r.is_default()) {
                f(r);
            }
        }
    }

    #[test]
    fn passes_via_nat() {
        assert_all(&run("PL-RT-001", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn passes_via_a_firewall_eni() {
        let mut e = Estate::backend();
        set_default_target(&mut e, |r| {
            r.nat_gateway_id = None;
            r.network_interface_id = Some("eni-0fw".into());
        });
        assert_all(&run("PL-RT-001", &e), Status::Pass);
    }

    #[test]
    fn fails_on_blackhole_and_missing_route() {
        let mut e = Estate::backend();
        set_default_target(&mut e, |r| r.state = Some("blackhole".into()));
        let f = run("PL-RT-001", &e);
        assert_eq!(status_of(&f, &ids().rt_private), Status::Fail);
        assert!(f[0].message.contains("blackhole"));
        let rt = ids().rt_private;
        for t in e
            .route_tables_mut()
            .iter_mut()
            .filter(|t| t.route_table_id == rt)
        {
            t.routes.retain(|r| !r.is_default());
        }
        assert_eq!(
            status_of(&run("PL-RT-001", &e), &ids().rt_private),
            Status::Fail
        );
    }

    #[test]
    fn does_not_run_under_isolation() {
        assert!(run("PL-RT-001", &Estate::isolated()).is_empty());
    }

    #[test]
    fn error_without_route_tables() {
        let mut e = Estate::backend();
        e.route_tables_mut().clear();
        assert_all(&run("PL-RT-001", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        set_default_target(&mut e, |r| r.state = Some("blackhole".into()));
        e
    }
}

//! PL-RT-001: workspace subnets send 0.0.0.0/0 to a NAT gateway or an egress appliance.

use super::{Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::manifest::Mode;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-RT-001",
    title: "Workspace subnets have a default route via NAT or an egress appliance",
    severity: Severity::High,
    modes: &[Mode::Cmv],
    not_under: &[Mode::Isolated],
    resource_type: ResourceType::RouteTable,
    rationale: "Outside complete isolation, clusters reach cloud services and repositories through a NAT gateway or the customer's egress appliance; without a working default route they cannot start.",
    remediation: "Add 0.0.0.0/0 to a NAT gateway (or firewall ENI, transit gateway, Gateway Load Balancer endpoint) in the route table of each workspace subnet; replace blackhole routes.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets, Input::RouteTables, Input::NatGateways],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        for s in subnets {
            let Some(rt) = ctx.ix.route_table_for(s) else {
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
            let default = rt
                .routes
                .iter()
                .find(|r| r.destination_cidr_block.as_deref() == Some("0.0.0.0/0"));
            let (ok, msg, actual) = match default {
                None => (
                    false,
                    format!("{} (used by {}) has no 0.0.0.0/0 route, so workspace `{}` has no egress.", rt.route_table_id, s.subnet_id, ws.name),
                    "no default route".to_string(),
                ),
                Some(r) if r.is_blackhole() => (
                    false,
                    format!("{} (used by {}) sends 0.0.0.0/0 to {}, which is a blackhole: the target no longer exists.", rt.route_table_id, s.subnet_id, r.target()),
                    format!("0.0.0.0/0 -> {} (blackhole)", r.target()),
                ),
                Some(r) => {
                    let t = r.target();
                    if let Some(nat) = t.strip_prefix("nat-").map(|_| t) {
                        match ctx.ix.nats.get(nat) {
                            Some(n) if n.state.eq_ignore_ascii_case("available") => (
                                true,
                                format!("{} sends 0.0.0.0/0 from {} to NAT gateway {nat}.", rt.route_table_id, s.subnet_id),
                                format!("0.0.0.0/0 -> {nat}"),
                            ),
                            Some(n) => (
                                false,
                                format!("{} sends 0.0.0.0/0 to NAT gateway {nat}, which is `{}`, not available.", rt.route_table_id, n.state),
                                format!("0.0.0.0/0 -> {nat} ({})", n.state),
                            ),
                            None => (
                                false,
                                format!("{} sends 0.0.0.0/0 to NAT gateway {nat}, which is not in describe-nat-gateways.json.", rt.route_table_id),
                                format!("0.0.0.0/0 -> {nat} (not found)"),
                            ),
                        }
                    } else if t.starts_with("igw-") {
                        (
                            false,
                            format!("{} sends 0.0.0.0/0 from workspace subnet {} straight to internet gateway {t}; it must go through NAT or an appliance.", rt.route_table_id, s.subnet_id),
                            format!("0.0.0.0/0 -> {t}"),
                        )
                    } else {
                        (
                            true,
                            format!("{} sends 0.0.0.0/0 from {} to egress target {t}.", rt.route_table_id, s.subnet_id),
                            format!("0.0.0.0/0 -> {t}"),
                        )
                    }
                }
            };
            out.push(
                Outcome::verdict(ok, ResourceType::RouteTable, &rt.route_table_id, msg)
                    .ws(ws)
                    .expect("0.0.0.0/0 -> nat-… or an egress appliance", actual),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

    fn set_default_target(e: &mut Estate, f: impl Fn(&mut crate::model::Route)) {
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
}

//! PL-EP-006: at most one endpoint per Databricks service in a VPC.

use std::collections::BTreeMap;

use super::context::{Context, DatabricksEndpoint};
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::ResourceType;
use crate::pure::lifecycle::{self, Life};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-006",
    title: "At most one endpoint per Databricks service in a VPC",
    modes: &[Mode::BackEnd, Mode::FrontEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Databricks recommends one workspace and one relay endpoint per VPC, shared by every workspace in it: only one endpoint per service name can own the private DNS zone, so the others carry no traffic, cost money and confuse operators.",
    remediation: "Delete the extra endpoints (keep the one with private DNS that is registered with Databricks) and share it across the VPC's workspaces.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts"],
    inputs: &[Input::VpcEndpoints],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.endpoint_vpcs() {
        let mut by_service: BTreeMap<&str, Vec<DatabricksEndpoint<'_>>> = BTreeMap::new();
        // Only available endpoints compete for the private DNS name: a pending, rejected or failed
        // one is reported by PL-EP-004, a deleted one by nobody; neither is a duplicate.
        for e in ctx.databricks_endpoints(vpc) {
            if e.endpoint.life() == Life::Unknown {
                let id = &e.endpoint.vpc_endpoint_id;
                out.extend(for_each_ws(
                    &ws,
                    Outcome::error(
                        ResourceType::VpcEndpoint,
                        id,
                        format!(
                            "{id} ({}) in {vpc} has state {}, which plaudit does not know, so whether it duplicates another endpoint cannot be told.",
                            e.kind.label(),
                            lifecycle::shown(&e.endpoint.state)
                        ),
                    ),
                ));
                continue;
            }
            if !e.endpoint.is_available() {
                continue;
            }
            by_service
                .entry(&e.endpoint.service_name)
                .or_default()
                .push(e);
        }
        for (service, eps) in by_service {
            let ids: Vec<&str> = eps
                .iter()
                .map(|e| e.endpoint.vpc_endpoint_id.as_str())
                .collect();
            for e in &eps {
                let id = &e.endpoint.vpc_endpoint_id;
                let o = if eps.len() == 1 {
                    Outcome::pass(
                        ResourceType::VpcEndpoint,
                        id,
                        format!("{id} is the only {} endpoint in {vpc}.", e.kind.label()),
                    )
                } else {
                    let dns: Vec<&str> = eps
                        .iter()
                        .filter(|x| x.endpoint.private_dns_enabled)
                        .map(|x| x.endpoint.vpc_endpoint_id.as_str())
                        .collect();
                    Outcome::fail(
                        ResourceType::VpcEndpoint,
                        id,
                        format!(
                            "{vpc} has {} endpoints to the {} service {service} ({}); only one can hold private DNS{}.",
                            eps.len(),
                            e.kind.label(),
                            ids.join(", "),
                            if dns.is_empty() { String::new() } else { format!(" (now: {})", dns.join(", ")) }
                        ),
                    )
                };
                out.extend(for_each_ws(
                    &ws,
                    o.expect(
                        format!("1 endpoint to {service}"),
                        format!("{}: {}", eps.len(), ids.join(", ")),
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_one_of_each() {
        assert_all(&run("PL-EP-006", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_on_a_duplicate_relay_endpoint() {
        let mut e = Estate::backend();
        let mut dup = e.endpoint(&ids().relay).clone();
        dup.vpc_endpoint_id = "vpce-0dup".into();
        dup.private_dns_enabled = false;
        e.endpoints_mut().push(dup);
        let f = run("PL-EP-006", &e);
        assert_eq!(status_of(&f, "vpce-0dup"), Status::Fail);
        assert_eq!(status_of(&f, &ids().relay), Status::Fail);
        assert_eq!(status_of(&f, &ids().rest), Status::Pass);
        assert!(on(&f, "vpce-0dup")
            .message
            .contains(&format!("now: {}", ids().relay)));
    }

    #[test]
    fn a_deleted_duplicate_does_not_count() {
        let mut e = Estate::backend();
        let mut dup = e.endpoint(&ids().relay).clone();
        dup.vpc_endpoint_id = "vpce-0old".into();
        dup.state = "deleted".into();
        e.endpoints_mut().push(dup);
        assert_all(&run("PL-EP-006", &e), Status::Pass);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let mut dup = e.endpoint(&ids().relay).clone();
        dup.vpc_endpoint_id = "vpce-0dup".into();
        dup.private_dns_enabled = false;
        e.endpoints_mut().push(dup);
        e
    }
}

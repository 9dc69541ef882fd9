//! PL-EP-004: every Databricks endpoint is `available`.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::lifecycle::{self, Life};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-004",
    title: "Databricks endpoints are available",
    severity: Severity::High,
    modes: &[Mode::BackEnd, Mode::FrontEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "An endpoint carries traffic only when `available`. `pendingAcceptance` almost always means it was never registered with the Databricks account, which accepts it automatically on registration.",
    remediation: "Register the endpoint with the Databricks account (account console or the vpc-endpoints API); recreate endpoints that are rejected, failed or expired.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/privatelink"],
    inputs: &[Input::VpcEndpoints],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.endpoint_vpcs() {
        // Include broken endpoints: a rejected or pending endpoint is exactly what to report.
        for e in ctx
            .view()
            .endpoints(vpc)
            .iter()
            .filter(|e| e.is_interface())
        {
            let Some(kind) =
                crate::pure::services::databricks_kind(ctx.table, ctx.region, &e.service_name)
            else {
                continue;
            };
            let id = &e.vpc_endpoint_id;
            match e.life() {
                // Deleted, deleting or expired: no longer an endpoint, not a failure.
                Life::Gone => continue,
                Life::Unknown => {
                    out.extend(for_each_ws(
                        &ws,
                        Outcome::error(
                            ResourceType::VpcEndpoint,
                            id,
                            format!(
                                "{id} ({}) in {vpc} has state {}, which plaudit does not know, so whether it carries traffic cannot be told.",
                                kind.label(),
                                lifecycle::shown(&e.state)
                            ),
                        ),
                    ));
                    continue;
                }
                Life::Live | Life::Broken => {}
            }
            let ok = e.is_available();
            let hint = if e.state.eq_ignore_ascii_case("pendingAcceptance") {
                " It is waiting for acceptance: register it with the Databricks account, which accepts it automatically."
            } else {
                ""
            };
            let msg = if ok {
                format!("{id} ({}) is available.", kind.label())
            } else {
                format!(
                    "{id} ({}) in {vpc} is `{}`, not available, so it carries no traffic.{hint}",
                    kind.label(),
                    e.state
                )
            };
            out.extend(for_each_ws(
                &ws,
                Outcome::verdict(ok, ResourceType::VpcEndpoint, id, msg)
                    .expect("available", e.state.clone()),
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
    fn passes_when_available_in_any_case() {
        let mut e = Estate::backend();
        e.endpoint(&ids().rest).state = "Available".into();
        assert_all(&run("PL-EP-004", &e), Status::Pass);
    }

    #[test]
    fn fails_with_a_registration_hint_when_pending() {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).state = "pendingAcceptance".into();
        let f = run("PL-EP-004", &e);
        assert_eq!(status_of(&f, &ids().relay), Status::Fail);
        assert!(on(&f, &ids().relay).message.contains("register"));
    }

    #[test]
    fn fails_when_rejected() {
        let mut e = Estate::backend();
        e.endpoint(&ids().rest).state = "rejected".into();
        assert_eq!(status_of(&run("PL-EP-004", &e), &ids().rest), Status::Fail);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).state = "pendingAcceptance".into();
        e
    }
}

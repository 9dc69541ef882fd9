//! PL-SUB-005: the Databricks endpoints sit in subnets of their own, not in workspace subnets.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::finding::ResourceType;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SUB-005",
    title: "Dedicated subnets for the Databricks endpoints",
    modes: &[Mode::BackEnd],
    resource_type: ResourceType::Subnet,
    rationale: "Databricks recommends a separate subnet for the back-end endpoints, with its own route table and NACL, so cluster growth cannot exhaust their addresses and their rules stay separate.",
    remediation: "Create a small subnet per AZ for the endpoints (a /26 or /27 is enough) and move the endpoints' ENIs there (modify-vpc-endpoint --add-subnet-ids / --remove-subnet-ids).",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
    ],
    inputs: &[Input::Subnets, Input::VpcEndpoints],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let eps = ctx.databricks_endpoints(&ws.vpc_id);
        if eps.is_empty() {
            out.push(
                Outcome::not_applicable(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    format!(
                        "{} has no Databricks endpoints (see PL-EP-001 and PL-EP-002).",
                        ws.vpc_id
                    ),
                )
                .ws(ws),
            );
            continue;
        }
        for sid in &ws.subnet_ids {
            let sharing: Vec<&str> = eps
                .iter()
                .filter(|e| e.endpoint.subnet_ids.iter().any(|s| s == sid))
                .map(|e| e.endpoint.vpc_endpoint_id.as_str())
                .collect();
            let ok = sharing.is_empty();
            let msg = if ok {
                format!("Workspace subnet {sid} hosts no Databricks endpoint ENI.")
            } else {
                format!(
                    "Workspace subnet {sid} also hosts the ENIs of {}; Databricks recommends a dedicated endpoint subnet.",
                    sharing.join(", ")
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::Subnet, sid, msg)
                    .ws(ws)
                    .expect(
                        "no Databricks endpoint ENIs in workspace subnets",
                        if ok {
                            "none".to_string()
                        } else {
                            sharing.join(", ")
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
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_separate_endpoint_subnets() {
        assert_all(&run("PL-SUB-005", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_an_endpoint_lives_in_a_workspace_subnet() {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).subnet_ids = vec![ids().ws_subnets[0].as_str().into()];
        let f = run("PL-SUB-005", &e);
        assert_eq!(status_of(&f, &ids().ws_subnets[0]), Status::Fail);
        assert_eq!(status_of(&f, &ids().ws_subnets[1]), Status::Pass);
    }

    #[test]
    fn not_applicable_without_databricks_endpoints() {
        let mut e = Estate::backend();
        e.endpoints_mut().clear();
        assert_all(&run("PL-SUB-005", &e), Status::NotApplicable);
    }

    #[test]
    fn does_not_run_for_a_plain_cmv_workspace() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].modes = vec![crate::pure::deployment::Mode::Cmv];
        assert!(run("PL-SUB-005", &e).is_empty());
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).subnet_ids = vec![ids().ws_subnets[0].as_str().into()];
        e
    }
}

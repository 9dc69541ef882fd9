//! PL-SUB-002: at most one workspace subnet per availability zone.

use std::collections::BTreeMap;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SUB-002",
    title: "At most one workspace subnet per AZ",
    severity: Severity::High,
    resource_type: ResourceType::Subnet,
    rationale: "The Databricks network-configuration API accepts only one workspace subnet per availability zone.",
    remediation: "Keep one subnet per availability zone in the workspace's network configuration; move the others to a different zone or drop them.",
    references: &["https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/mws_networks"],
    inputs: &[Input::Subnets],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        let keys = match ctx.view().zone_keys(&subnets) {
            Ok(k) => k,
            Err(bad) => {
                out.extend(super::zone_errors(ws, &bad));
                continue;
            }
        };
        let mut by_az: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (s, k) in subnets.iter().zip(&keys) {
            by_az.entry(k).or_default().push(&s.subnet_id);
        }
        for (s, az) in subnets.iter().zip(&keys) {
            let peers = &by_az[az.as_str()];
            let ok = peers.len() == 1;
            let msg = if ok {
                format!(
                    "{} is workspace `{}`'s only subnet in {}.",
                    s.subnet_id, ws.name, az
                )
            } else {
                format!(
                    "Workspace `{}` has {} subnets in {} ({}); Databricks accepts one per availability zone.",
                    ws.name,
                    peers.len(),
                    az,
                    peers.join(", ")
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::Subnet, &s.subnet_id, msg)
                    .ws(ws)
                    .expect(
                        "1 workspace subnet per AZ",
                        format!("{} in {}", peers.len(), az),
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
    fn passes_with_one_subnet_per_az() {
        assert_all(&run("PL-SUB-002", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_on_the_subnets_sharing_an_az() {
        let mut e = Estate::backend();
        // Add the first endpoint subnet (same AZ as the first workspace subnet) to the workspace.
        e.manifest.workspaces[0]
            .subnet_ids
            .push(ids().ep_subnets[0].clone());
        let f = run("PL-SUB-002", &e);
        assert_eq!(status_of(&f, &ids().ws_subnets[0]), Status::Fail);
        assert_eq!(status_of(&f, &ids().ep_subnets[0]), Status::Fail);
        assert_eq!(status_of(&f, &ids().ws_subnets[1]), Status::Pass);
    }

    #[test]
    fn error_when_a_named_subnet_is_absent() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].subnet_ids = vec!["subnet-404".into()];
        assert_all(&run("PL-SUB-002", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.manifest.workspaces[0]
            .subnet_ids
            .push(ids().ep_subnets[0].clone());
        e
    }
}

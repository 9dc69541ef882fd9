//! PL-SUB-001: a workspace has at least two subnets, in distinct availability zones, in its VPC.

use std::collections::BTreeSet;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SUB-001",
    title: "At least two workspace subnets in distinct AZs",
    severity: Severity::Critical,
    resource_type: ResourceType::Subnet,
    rationale: "Databricks rejects a network configuration with fewer than two subnets in different availability zones, and subnets outside the workspace VPC.",
    remediation: "Give the workspace two or more subnets of its own VPC, each in a different availability zone, and update the Databricks network configuration.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc",
        "https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/mws_networks",
    ],
    inputs: &[Input::Subnets],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        if subnets.is_empty() {
            out.push(
                Outcome::fail(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    format!("Workspace `{}` declares no subnets; it needs at least two, in different availability zones.", ws.name),
                )
                .ws(ws)
                .expect(">= 2 subnets in >= 2 AZs", "0 subnets"),
            );
            continue;
        }
        let keys = match ctx.view().zone_keys(&subnets) {
            Ok(k) => k,
            Err(bad) => {
                out.extend(super::zone_errors(ws, &bad));
                continue;
            }
        };
        let azs: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
        let foreign: Vec<&str> = subnets
            .iter()
            .filter(|s| s.vpc_id != ws.vpc_id)
            .map(|s| s.subnet_id.as_str())
            .collect();
        let az_list = azs.iter().copied().collect::<Vec<_>>().join(", ");
        let ok = subnets.len() >= 2 && azs.len() >= 2 && foreign.is_empty();
        let message = if !foreign.is_empty() {
            format!(
                "Workspace `{}` uses {} outside its VPC {}; every workspace subnet must be in the workspace VPC.",
                ws.name,
                foreign.join(", "),
                ws.vpc_id
            )
        } else if ok {
            format!(
                "Workspace `{}` has {} subnets in {} availability zones ({az_list}).",
                ws.name,
                subnets.len(),
                azs.len()
            )
        } else {
            format!(
                "Workspace `{}` has {} subnet(s) in {} availability zone(s) ({az_list}); Databricks needs at least two subnets in different zones.",
                ws.name,
                subnets.len(),
                azs.len()
            )
        };
        for s in &subnets {
            out.push(
                Outcome::verdict(ok, ResourceType::Subnet, &s.subnet_id, message.clone())
                    .ws(ws)
                    .expect(
                        ">= 2 subnets in >= 2 AZs, all in the workspace VPC",
                        format!("{} subnet(s) in {} AZ(s)", subnets.len(), azs.len()),
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
    fn passes_with_two_azs() {
        assert_all(&run("PL-SUB-001", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_both_subnets_share_an_az() {
        let mut e = Estate::backend();
        let s1 = ids().ws_subnets[1].clone();
        for s in e.subnets_mut().iter_mut().filter(|s| s.subnet_id == s1) {
            s.availability_zone_id = Some("use1-az1".into());
        }
        assert_all(&run("PL-SUB-001", &e), Status::Fail);
    }

    #[test]
    fn fails_with_one_subnet_or_none() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].subnet_ids.truncate(1);
        assert_all(&run("PL-SUB-001", &e), Status::Fail);
        e.manifest.workspaces[0].subnet_ids.clear();
        assert_eq!(status_of(&run("PL-SUB-001", &e), &ids().vpc), Status::Fail);
    }

    #[test]
    fn error_when_a_named_subnet_is_absent() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0]
            .subnet_ids
            .push("subnet-404".into());
        let f = run("PL-SUB-001", &e);
        assert_eq!(status_of(&f, "subnet-404"), Status::Error);
        assert!(!f.iter().any(|x| x.status == Status::Pass));
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let s1 = ids().ws_subnets[1].clone();
        for s in e.subnets_mut().iter_mut().filter(|s| s.subnet_id == s1) {
            s.availability_zone_id = Some("use1-az1".into());
        }
        e
    }
}

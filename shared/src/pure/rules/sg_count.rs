//! PL-SG-001: a workspace references between one and five security groups, all in its VPC.

use std::collections::HashMap;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::finding::ResourceType;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-001",
    title: "Workspace references 1-5 security groups of its VPC",
    resource_type: ResourceType::SecurityGroup,
    rationale: "Databricks accepts one to five security groups per workspace, from the workspace VPC. It recommends groups of their own per workspace.",
    remediation: "List between one and five security groups of the workspace VPC in the network configuration; prefer a dedicated group per workspace.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::SecurityGroups],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut users: HashMap<&str, Vec<&str>> = HashMap::new();
    for w in &ctx.deployment.workspaces {
        for g in &w.security_group_ids {
            users.entry(g).or_default().push(&w.name);
        }
    }
    for ws in &ctx.workspaces {
        if ctx.report_missing_groups(ws, &mut out) {
            continue;
        }
        let n = ws.security_group_ids.len();
        if n == 0 {
            out.push(
                Outcome::fail(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    format!(
                        "Workspace `{}` declares no security group; it needs one to five.",
                        ws.name
                    ),
                )
                .ws(ws)
                .expect("1-5 security groups", "0"),
            );
            continue;
        }
        for g in &ws.security_group_ids {
            let vpc = ctx
                .view()
                .security_group(g)
                .and_then(|s| s.vpc_id.as_deref());
            let shared: Vec<&str> = users
                .get(g.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|o| **o != *ws.name)
                .collect();
            let (ok, msg) = if n > 5 {
                (false, format!("Workspace `{}` lists {n} security groups; Databricks accepts at most five.", ws.name))
            } else if vpc != Some(ws.vpc_id.as_str()) {
                (
                    false,
                    format!(
                        "{g} belongs to {}, not to workspace `{}`'s VPC {}.",
                        vpc.unwrap_or("no VPC"),
                        ws.name,
                        ws.vpc_id
                    ),
                )
            } else if !shared.is_empty() {
                (true, format!("{g} is one of workspace `{}`'s {n} group(s); it is also used by {} (Databricks recommends a group per workspace).", ws.name, shared.join(", ")))
            } else {
                (
                    true,
                    format!(
                        "{g} is one of workspace `{}`'s {n} security group(s), in {}.",
                        ws.name, ws.vpc_id
                    ),
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::SecurityGroup, g, msg)
                    .ws(ws)
                    .expect("1-5 groups of the workspace VPC", format!("{n} group(s)")),
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
    fn passes_with_one_group() {
        assert_all(&run("PL-SG-001", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_with_a_group_of_another_vpc_or_none() {
        let mut e = Estate::backend();
        e.add_vpc(1, false);
        e.manifest.workspaces[0]
            .security_group_ids
            .push(Ids::new(1).ws_sg);
        let f = run("PL-SG-001", &e);
        assert_eq!(status_of(&f, &Ids::new(1).ws_sg), Status::Fail);
        e.manifest.workspaces[0].security_group_ids.clear();
        assert_eq!(status_of(&run("PL-SG-001", &e), &ids().vpc), Status::Fail);
    }

    #[test]
    fn error_for_an_absent_group() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].security_group_ids = vec!["sg-404".into()];
        assert_all(&run("PL-SG-001", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.add_vpc(1, false);
        e.manifest.workspaces[0]
            .security_group_ids
            .push(Ids::new(1).ws_sg);
        e
    }
}

//! PL-EPSG-003: the Databricks endpoints' security groups are not open to the internet.

use super::common::openings::openings;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::ResourceType;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EPSG-003",
    title: "Endpoint SGs are not open to 0.0.0.0/0",
    modes: &[Mode::BackEnd, Mode::FrontEnd],
    resource_type: ResourceType::SecurityGroup,
    rationale: "Least privilege: the endpoint security group should admit the workspace security group (and declared clients), not the whole internet, whether one rule admits 0.0.0.0/0 or ::/0 or several rules do together.",
    remediation: "Replace 0.0.0.0/0 and ::/0 sources with the workspace security group or the specific client CIDRs.",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::VpcEndpoints, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.endpoint_vpcs() {
        let mut seen = std::collections::BTreeSet::new();
        for e in ctx.databricks_endpoints(vpc) {
            // The endpoint's ENIs carry all its groups: their rules open it together.
            let groups: Vec<&str> = e
                .endpoint
                .groups
                .iter()
                .map(|g| g.group_id.as_str())
                .collect();
            // Endpoints usually share their groups: judge each group once per VPC.
            if groups.iter().all(|g| seen.contains(g)) {
                continue;
            }
            let (open, undecided) = openings(ctx, &groups);
            for g in &groups {
                if !seen.insert(*g) {
                    continue;
                }
                let own = format!("{g} ");
                let mine: Vec<&(String, Vec<String>)> = open
                    .iter()
                    .filter(|(_, rules)| rules.iter().any(|r| r.starts_with(&own)))
                    .collect();
                let text = |v: &[&(String, Vec<String>)]| {
                    v.iter()
                        .map(|(what, rules)| format!("{what} through {}", rules.join(" + ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                let o = if !mine.is_empty() {
                    Outcome::fail(
                        ResourceType::SecurityGroup,
                        g,
                        format!(
                            "{g} (on {}) admits traffic from anywhere: {}.",
                            e.endpoint.vpc_endpoint_id,
                            text(&mine)
                        ),
                    )
                    .expect("no ingress from 0.0.0.0/0 or ::/0", text(&mine))
                } else if open.is_empty() && !undecided.is_empty() {
                    Outcome::error(
                        ResourceType::SecurityGroup,
                        g,
                        format!(
                            "Whether {g} (on {}) admits traffic from anywhere cannot be decided: {}.",
                            e.endpoint.vpc_endpoint_id,
                            undecided.join("; ")
                        ),
                    )
                    .expect("no ingress from 0.0.0.0/0 or ::/0", undecided.join("; "))
                } else {
                    Outcome::pass(
                        ResourceType::SecurityGroup,
                        g,
                        format!("{g} (on Databricks endpoints in {vpc}) admits no traffic from the whole internet."),
                    )
                    .expect("no ingress from 0.0.0.0/0 or ::/0", "none")
                };
                out.extend(for_each_ws(&ws, o));
            }
        }
    }
    out
}

/// What the groups, together, admit from every address of IPv4 or IPv6 (each with the rules
/// that open it), and what cannot be decided.
#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_sg_sources() {
        assert_all(&run("PL-EPSG-003", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_open_to_the_world() {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-open",
            &ep,
            false,
            "tcp",
            (443, 443),
            "0.0.0.0/0",
        ));
        let f = run("PL-EPSG-003", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains("sgr-open"));
    }

    #[test]
    fn fails_when_rules_together_admit_the_whole_internet() {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        for (id, cidr) in [("sgr-low", "0.0.0.0/1"), ("sgr-high", "128.0.0.0/1")] {
            e.sg_rules_mut()
                .push(sg_rule(id, &ep, false, "tcp", (443, 443), cidr));
        }
        let f = run("PL-EPSG-003", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("tcp 443 from 0.0.0.0/0 through")
                && f[0].message.contains("sgr-low")
                && f[0].message.contains("sgr-high"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn passes_when_the_halves_cover_different_ports() {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-low",
            &ep,
            false,
            "tcp",
            (443, 443),
            "0.0.0.0/1",
        ));
        e.sg_rules_mut().push(sg_rule(
            "sgr-high",
            &ep,
            false,
            "tcp",
            (6666, 6666),
            "128.0.0.0/1",
        ));
        assert_all(&run("PL-EPSG-003", &e), Status::Pass);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-open",
            &ep,
            false,
            "tcp",
            (443, 443),
            "0.0.0.0/0",
        ));
        e
    }
}

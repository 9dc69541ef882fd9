//! PL-EPSG-003: the Databricks endpoints' security groups are not open to the internet.

use super::{for_each_ws, Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::manifest::Mode;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EPSG-003",
    title: "Endpoint SGs are not open to 0.0.0.0/0",
    severity: Severity::Medium,
    modes: &[Mode::BackEnd, Mode::FrontEnd],
    not_under: &[],
    resource_type: ResourceType::SecurityGroup,
    rationale: "Least privilege: the endpoint security group should admit the workspace security group (and declared clients), not the whole internet.",
    remediation: "Replace 0.0.0.0/0 and ::/0 sources with the workspace security group or the specific client CIDRs.",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::VpcEndpoints, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.endpoint_vpcs() {
        let mut seen = std::collections::BTreeSet::new();
        for e in ctx.databricks_endpoints(vpc) {
            for g in &e.endpoint.groups {
                if !seen.insert(g.group_id.as_str()) {
                    continue;
                }
                let open: Vec<String> = ctx
                    .ix
                    .rules_of(&g.group_id)
                    .iter()
                    .filter(|r| !r.egress && r.is_anywhere())
                    .map(|r| r.describe())
                    .collect();
                let ok = open.is_empty();
                let msg = if ok {
                    format!("{} (on Databricks endpoints in {vpc}) admits no traffic from the whole internet.", g.group_id)
                } else {
                    format!(
                        "{} (on {}) admits traffic from anywhere: {}.",
                        g.group_id,
                        e.endpoint.vpc_endpoint_id,
                        open.join(", ")
                    )
                };
                out.extend(for_each_ws(
                    &ws,
                    Outcome::verdict(ok, ResourceType::SecurityGroup, &g.group_id, msg).expect(
                        "no ingress from 0.0.0.0/0 or ::/0",
                        if ok {
                            "none".to_string()
                        } else {
                            open.join(", ")
                        },
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

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
}

//! PL-SG-010: under isolation, the workspace security groups do not allow everything out to the
//! internet.

use super::{Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::index::{Ports, Proto};
use crate::manifest::Mode;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-010",
    title: "Workspace SG egress not wide open under isolation",
    severity: Severity::Medium,
    modes: &[Mode::Isolated],
    not_under: &[],
    resource_type: ResourceType::SecurityGroup,
    rationale: "An isolated workspace only needs the workspace itself, the VPC endpoints and S3; an all-ports rule to 0.0.0.0/0 or ::/0 would carry any exfiltration path that appears.",
    remediation: "Replace all-traffic egress to 0.0.0.0/0 or ::/0 with the self reference, the required ports to the VPC CIDR, and 443 to the S3 prefix list.",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        if ctx.report_missing_groups(ws, &mut out) {
            continue;
        }
        for g in ctx.groups_of(ws) {
            let wide: Vec<String> = ctx
                .ix
                .rules_of(g)
                .iter()
                .filter(|r| r.egress)
                .filter(|r| r.is_anywhere())
                .filter(|r| r.proto == Proto::All || (r.proto.has_ports() && r.ports == Ports::ALL))
                .map(|r| r.describe())
                .collect();
            let ok = wide.is_empty();
            let msg = if ok {
                format!("{g} has no all-ports egress to the internet.")
            } else {
                format!(
                    "{g} of isolated workspace `{}` allows all ports out to the internet: {}.",
                    ws.name,
                    wide.join(", ")
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::SecurityGroup, g, msg)
                    .ws(ws)
                    .expect(
                        "no all-ports egress to 0.0.0.0/0 or ::/0",
                        if ok {
                            "none".to_string()
                        } else {
                            wide.join(", ")
                        },
                    ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

    #[test]
    fn passes_for_the_isolated_estate() {
        assert_all(&run("PL-SG-010", &Estate::isolated()), Status::Pass);
    }

    #[test]
    fn fails_on_all_traffic_to_anywhere() {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.sg_rules_mut()
            .push(sg_rule("sgr-all", &ws, true, "-1", (-1, -1), "0.0.0.0/0"));
        assert_all(&run("PL-SG-010", &e), Status::Fail);
    }

    #[test]
    fn does_not_run_for_back_end() {
        assert!(run("PL-SG-010", &Estate::backend()).is_empty());
    }
}

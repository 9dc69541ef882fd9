//! PL-SG-009: the workspace security groups admit nothing from the internet or from outside the
//! VPC.

use super::{Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::index::SgPeer;
use crate::manifest::Mode;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-009",
    title: "Workspace SGs have no ingress from the internet",
    severity: Severity::High,
    modes: &[Mode::Cmv],
    not_under: &[],
    resource_type: ResourceType::SecurityGroup,
    rationale: "With secure cluster connectivity, clusters need no inbound ports; Databricks requires only self-referencing ingress. Anything from 0.0.0.0/0, ::/0 or outside the VPC exposes the nodes.",
    remediation: "Remove ingress rules whose source is 0.0.0.0/0, ::/0 or a CIDR outside the VPC; keep the self-referencing rules.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Vpcs, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        if ctx.report_missing_groups(ws, &mut out) {
            continue;
        }
        let vpc_cidrs = ctx.ix.cidrs_of_vpc(&ws.vpc_id);
        for g in ctx.groups_of(ws) {
            let open: Vec<String> = ctx
                .ix
                .rules_of(g)
                .iter()
                .filter(|r| !r.egress)
                .filter(|r| match &r.peer {
                    SgPeer::Cidr(c) => {
                        c.prefix_len() == 0 || !vpc_cidrs.iter().any(|v| v.covers(c))
                    }
                    _ => false,
                })
                .map(|r| r.describe())
                .collect();
            let ok = open.is_empty();
            let msg = if ok {
                format!("{g} admits nothing from outside {}.", ws.vpc_id)
            } else {
                format!(
                    "{g} admits traffic from outside {}: {}.",
                    ws.vpc_id,
                    open.join(", ")
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::SecurityGroup, g, msg)
                    .ws(ws)
                    .expect(
                        "ingress only from the workspace",
                        if ok {
                            "none from outside".to_string()
                        } else {
                            open.join(", ")
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
    fn passes_with_self_ingress_only() {
        assert_all(&run("PL-SG-009", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_on_ssh_from_anywhere_and_on_ipv6() {
        for peer in ["0.0.0.0/0", "::/0", "192.168.0.0/16"] {
            let mut e = Estate::backend();
            let ws = ids().ws_sg;
            e.sg_rules_mut()
                .push(sg_rule("sgr-ssh", &ws, false, "tcp", (22, 22), peer));
            let f = run("PL-SG-009", &e);
            assert_all(&f, Status::Fail);
            assert!(f[0].message.contains("sgr-ssh"), "{}", f[0].message);
        }
    }

    #[test]
    fn error_when_vpcs_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::snapshot::Input::Vpcs);
        assert_all(&run("PL-SG-009", &e), Status::Error);
    }
}

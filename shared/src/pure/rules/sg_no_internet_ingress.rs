//! PL-SG-009: the workspace security groups admit nothing from the internet or from outside the
//! VPC.

use super::common::openings::openings;
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::cidr::{format_ranges, subtract_ranges, AddrRange, Cidr};
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::SgPeer;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-009",
    title: "Workspace SGs have no ingress from the internet",
    severity: Severity::High,
    resource_type: ResourceType::SecurityGroup,
    rationale: "With secure cluster connectivity, clusters need no inbound ports; Databricks requires only self-referencing ingress. Anything from 0.0.0.0/0, ::/0 or outside the VPC exposes the nodes.",
    remediation: "Remove ingress rules whose source is 0.0.0.0/0, ::/0 or a CIDR outside the VPC; keep the self-referencing rules.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Vpcs, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        if ctx.report_missing_groups(ws, &mut out) {
            continue;
        }
        // Inside the VPC: all its associated blocks, IPv4 and IPv6, as one union (a rule for
        // 10.0.0.0/15 is inside a VPC with 10.0.0.0/16 and 10.1.0.0/16).
        let inside: Vec<AddrRange> = ctx
            .view()
            .vpc_cidrs(&ws.vpc_id)
            .iter()
            .map(|c| c.range())
            .collect();
        let outside = |c: &Cidr| subtract_ranges(&[c.range()], &inside);
        let groups = ctx.groups_of(ws);
        // What the groups admit, together, from every address.
        let (together, _) = openings(ctx, &groups);
        for g in &groups {
            let mut open: Vec<String> = Vec::new();
            let mut undecided: Vec<String> = Vec::new();
            for r in ctx.view().rules_of(g).iter().filter(|r| !r.egress) {
                match &r.peer {
                    SgPeer::Cidr(c) => {
                        let far = outside(c);
                        if c.prefix_len() == 0 || far.len() == 1 && far[0] == c.range() {
                            open.push(r.describe());
                        } else if !far.is_empty() {
                            open.push(format!(
                                "{} (of which {} is outside)",
                                r.describe(),
                                format_ranges(&far)
                            ));
                        }
                    }
                    SgPeer::PrefixList(p) => match ctx.view().prefix_list_cidrs(p) {
                        Ok(cidrs) => {
                            let far: Vec<AddrRange> = cidrs.iter().flat_map(&outside).collect();
                            if !far.is_empty() {
                                open.push(format!(
                                    "{} ({} outside)",
                                    r.describe(),
                                    format_ranges(&far)
                                ));
                            }
                        }
                        Err(why) => undecided.push(format!("{}: {why}", r.describe())),
                    },
                    SgPeer::Unreadable(_) => undecided.push(format!(
                        "{}: its source is not a CIDR block that parses",
                        r.describe()
                    )),
                    SgPeer::Group(other) => match ctx.view().group_vpc(other) {
                        (Some(v), peered) if v != ws.vpc_id || peered => {
                            open.push(format!("{} (a group of {v})", r.describe()))
                        }
                        (None, true) => open.push(format!(
                            "{} (a group reached through VPC peering)",
                            r.describe()
                        )),
                        _ => {}
                    },
                }
            }
            let own = format!("{g} ");
            let note: Vec<String> = together
                .iter()
                .filter(|(_, rules)| rules.len() > 1 && rules.iter().any(|r| r.starts_with(&own)))
                .map(|(what, rules)| format!("together {} admit {what}", rules.join(" + ")))
                .collect();
            let o = if !open.is_empty() {
                let mut msg = format!(
                    "{g} admits traffic from outside {}: {}.",
                    ws.vpc_id,
                    open.join(", ")
                );
                if !note.is_empty() {
                    msg.push_str(&format!(" {}.", capitalise(&note.join("; "))));
                }
                Outcome::fail(ResourceType::SecurityGroup, g, msg)
                    .expect("ingress only from the workspace", open.join(", "))
            } else if !undecided.is_empty() {
                Outcome::error(
                    ResourceType::SecurityGroup,
                    g,
                    format!(
                        "Whether {g} admits traffic from outside {} cannot be decided: {}.",
                        ws.vpc_id,
                        undecided.join("; ")
                    ),
                )
                .expect("ingress only from the workspace", undecided.join("; "))
            } else {
                Outcome::pass(
                    ResourceType::SecurityGroup,
                    g,
                    format!("{g} admits nothing from outside {}.", ws.vpc_id),
                )
                .expect("ingress only from the workspace", "none from outside")
            };
            out.push(o.ws(ws));
        }
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

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
    fn fails_naming_the_rules_that_together_admit_the_internet() {
        let mut e = Estate::backend();
        let ws = ids().ws_sg;
        for (id, cidr) in [("sgr-low", "0.0.0.0/1"), ("sgr-high", "128.0.0.0/1")] {
            e.sg_rules_mut()
                .push(sg_rule(id, &ws, false, "tcp", (22, 22), cidr));
        }
        let f = run("PL-SG-009", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("Together") && f[0].message.contains("tcp 22 from 0.0.0.0/0"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn passes_for_the_vpc_ipv6_block_and_a_rule_spanning_two_vpc_blocks() {
        let mut e = Estate::backend();
        let ws = ids().ws_sg;
        for v in e.snap.vpcs.as_mut().unwrap().iter_mut() {
            v.cidr_block_association_set
                .push(crate::pure::model::CidrBlockAssociation {
                    cidr_block: "10.1.0.0/16".into(),
                    cidr_block_state: None,
                });
            v.ipv6_cidr_block_association_set
                .push(crate::pure::model::Ipv6CidrBlockAssociation {
                    ipv6_cidr_block: "2600:1f18:aaaa:bb00::/56".into(),
                    ipv6_cidr_block_state: Some(crate::pure::model::StateValue {
                        state: "associated".into(),
                    }),
                });
        }
        e.sg_rules_mut().push(sg_rule(
            "sgr-v6",
            &ws,
            false,
            "tcp",
            (22, 22),
            "2600:1f18:aaaa:bb00::/56",
        ));
        e.sg_rules_mut().push(sg_rule(
            "sgr-both",
            &ws,
            false,
            "tcp",
            (22, 22),
            "10.0.0.0/15",
        ));
        assert_all(&run("PL-SG-009", &e), Status::Pass);
    }

    #[test]
    fn error_when_a_source_does_not_parse() {
        let mut e = Estate::backend();
        let ws = ids().ws_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-bad",
            &ws,
            false,
            "tcp",
            (22, 22),
            "10.0.0.0/40",
        ));
        let f = run("PL-SG-009", &e);
        assert_all(&f, Status::Error);
        assert!(f[0].message.contains("sgr-bad"), "{}", f[0].message);
    }

    #[test]
    fn error_when_vpcs_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::Vpcs);
        assert_all(&run("PL-SG-009", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let ws = ids().ws_sg;
        e.sg_rules_mut()
            .push(sg_rule("sgr-ssh", &ws, false, "tcp", (22, 22), "0.0.0.0/0"));
        e
    }
}

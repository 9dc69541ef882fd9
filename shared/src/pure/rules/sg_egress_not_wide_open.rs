//! PL-SG-010: under isolation, the workspace security groups do not allow everything out to the
//! internet.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::cidr::Family;
use crate::pure::deployment::Mode;
use crate::pure::finding::ResourceType;
use crate::pure::index::{Ports, Proto};
use crate::pure::reachability::{open_to_anywhere, subtract};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-010",
    title: "Workspace SG egress not wide open under isolation",
    modes: &[Mode::Isolated],
    resource_type: ResourceType::SecurityGroup,
    rationale: "An isolated workspace only needs the workspace itself, the VPC endpoints and S3; all ports to 0.0.0.0/0 or ::/0, in one rule or in rules that together cover it (0.0.0.0/1 + 128.0.0.0/1), would carry any exfiltration path that appears.",
    remediation: "Replace all-traffic egress to 0.0.0.0/0 or ::/0 with the self reference, the required ports to the VPC CIDR, and 443 to the S3 prefix list.",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        if ctx.report_missing_groups(ws, &mut out) {
            continue;
        }
        let groups = ctx.groups_of(ws);
        // The ENIs carry all the groups, so their rules open the path together: 0.0.0.0/1 in
        // one rule and 128.0.0.0/1 in another is 0.0.0.0/0.
        let mut wide: Vec<(String, Vec<String>)> = Vec::new();
        let mut undecided: Vec<String> = Vec::new();
        for family in [Family::V4, Family::V6] {
            for proto in [Proto::Tcp, Proto::Udp] {
                let o = open_to_anywhere(ctx.view(), &groups, true, proto, family);
                let any = family.any();
                if o.open == [Ports::ALL] {
                    wide.push((format!("{} 0-65535 to {any}", proto.name()), o.rules));
                } else if !o.maybe.is_empty()
                    && subtract(Ports::ALL, [o.open.clone(), o.maybe.clone()].concat()).is_empty()
                {
                    undecided.push(format!(
                        "whether all {} ports are open to {any} cannot be told: {}",
                        proto.name(),
                        o.unknown.join("; ")
                    ));
                }
            }
        }
        let text: Vec<String> = wide
            .iter()
            .map(|(what, rules)| format!("{what} through {}", rules.join(" + ")))
            .collect();
        for g in &groups {
            let own = format!("{g} ");
            let contributes = wide
                .iter()
                .any(|(_, rules)| rules.iter().any(|r| r.starts_with(&own)));
            let o = if contributes {
                Outcome::fail(
                    ResourceType::SecurityGroup,
                    g,
                    format!(
                        "{g} of isolated workspace `{}` allows all ports out to the internet: {}.",
                        ws.name,
                        text.join("; ")
                    ),
                )
                .expect("no all-ports egress to 0.0.0.0/0 or ::/0", text.join("; "))
            } else if wide.is_empty() && !undecided.is_empty() {
                Outcome::error(
                    ResourceType::SecurityGroup,
                    g,
                    format!(
                        "The egress of isolated workspace `{}` through {g} cannot be decided: {}.",
                        ws.name,
                        undecided.join("; ")
                    ),
                )
                .expect(
                    "no all-ports egress to 0.0.0.0/0 or ::/0",
                    undecided.join("; "),
                )
            } else {
                Outcome::pass(
                    ResourceType::SecurityGroup,
                    g,
                    format!("{g} has no all-ports egress to the internet."),
                )
                .expect("no all-ports egress to 0.0.0.0/0 or ::/0", "none")
            };
            out.push(o.ws(ws));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

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
    fn fails_when_two_halves_make_the_whole_internet() {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.sg_rules_mut()
            .push(sg_rule("sgr-low", &ws, true, "-1", (-1, -1), "0.0.0.0/1"));
        e.sg_rules_mut().push(sg_rule(
            "sgr-high",
            &ws,
            true,
            "-1",
            (-1, -1),
            "128.0.0.0/1",
        ));
        let f = run("PL-SG-010", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("sgr-low") && f[0].message.contains("sgr-high"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn fails_when_ipv6_halves_make_the_whole_internet() {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.sg_rules_mut()
            .push(sg_rule("sgr-a", &ws, true, "tcp", (0, 65535), "::/1"));
        e.sg_rules_mut()
            .push(sg_rule("sgr-b", &ws, true, "tcp", (0, 65535), "8000::/1"));
        let f = run("PL-SG-010", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("tcp 0-65535 to ::/0"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn passes_when_the_halves_leave_ports_closed() {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.sg_rules_mut()
            .push(sg_rule("sgr-low", &ws, true, "tcp", (0, 1000), "0.0.0.0/0"));
        e.sg_rules_mut().push(sg_rule(
            "sgr-high",
            &ws,
            true,
            "tcp",
            (1002, 65535),
            "0.0.0.0/0",
        ));
        assert_all(&run("PL-SG-010", &e), Status::Pass);
    }

    #[test]
    fn error_when_an_unreadable_rule_could_open_everything() {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.sg_rules_mut()
            .push(sg_rule("sgr-low", &ws, true, "-1", (-1, -1), "0.0.0.0/1"));
        e.sg_rules_mut().push(sg_rule(
            "sgr-bad",
            &ws,
            true,
            "-1",
            (-1, -1),
            "128.0.0.0/33",
        ));
        let f = run("PL-SG-010", &e);
        assert_all(&f, Status::Error);
        assert!(f[0].message.contains("sgr-bad"), "{}", f[0].message);
    }

    #[test]
    fn does_not_run_for_back_end() {
        assert!(run("PL-SG-010", &Estate::backend()).is_empty());
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.sg_rules_mut()
            .push(sg_rule("sgr-all", &ws, true, "-1", (-1, -1), "0.0.0.0/0"));
        e
    }
}

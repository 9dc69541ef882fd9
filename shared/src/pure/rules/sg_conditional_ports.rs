//! PL-SG-008: ports that depend on the deployment: 3306 (legacy Hive metastore), 53 (custom DNS).
//! Informational.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::cidr::ANY_V4;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::{Ports, Proto, SgPeer};
use crate::pure::reachability::{sg_coverage, Host};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SG-008",
    title: "Conditional ports: 3306 for the legacy metastore, 53 for custom DNS",
    severity: Severity::Info,
    resource_type: ResourceType::SecurityGroup,
    rationale: "Port 3306 is needed only while the legacy Hive metastore is in use (and never goes through PrivateLink); under isolation a 3306 rule to the internet is a leftover. Port 53 is needed only with custom DNS servers.",
    remediation: "Declare `legacy_hive_metastore` / `custom_dns` in the manifest as they are; add TCP 3306 or TCP+UDP 53 egress when needed, remove 3306-to-internet rules under isolation.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc",
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
    ],
    inputs: &[Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ports: &[PortGroup::Metastore],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        if ctx.report_missing_groups(ws, &mut out) {
            continue;
        }
        let groups = ctx.groups_of(ws);
        let internet = Host::internet();
        let undecided = std::cell::RefCell::new(Vec::<String>::new());
        // Admitted, or not; what cannot be decided is noted and counts as admitted here, so
        // that it turns the outcome into an error rather than a confident failure.
        let reach = |proto: Proto, port| {
            let cov = sg_coverage(
                ctx.view(),
                &groups,
                true,
                &internet,
                proto,
                Ports::one(port),
                crate::pure::cidr::Family::V4,
            );
            if cov.missing.is_empty() && !cov.admitted() {
                undecided.borrow_mut().push(format!(
                    "whether {} {port} egress to the internet is allowed cannot be told: {}",
                    proto.name(),
                    cov.unknown.join("; ")
                ));
            }
            cov.missing.is_empty()
        };
        let mut problems = Vec::new();
        let mut checked = Vec::new();
        if ws.isolated() {
            checked.push("no 3306 to the internet under isolation");
            let leftovers: Vec<String> = groups
                .iter()
                .flat_map(|g| ctx.view().rules_of(g))
                .filter(|r| {
                    r.egress
                        && r.proto == Proto::Tcp
                        && r.ports == Ports::one(3306)
                        && r.peer == SgPeer::Cidr(ANY_V4)
                })
                .map(|r| r.describe())
                .collect();
            if !leftovers.is_empty() {
                problems.push(format!("{} allows the legacy metastore port to the internet, which an isolated workspace cannot use (leftover)", leftovers.join(", ")));
            }
        } else if ws.legacy_hive_metastore {
            checked.push("3306 to the internet for the legacy metastore");
            if !reach(Proto::Tcp, 3306) {
                problems.push("the legacy Hive metastore is declared in use but TCP 3306 egress to the internet is not allowed".to_string());
            }
        }
        if ws.custom_dns {
            // The DNS servers' addresses are not declared (on premises, a Route 53 Resolver
            // endpoint in the VPC, ...): egress on 53 to any destination may be the one they need,
            // so only a protocol with no egress on 53 at all is a finding.
            checked.push("53 for custom DNS");
            let closed: Vec<&str> = [Proto::Udp, Proto::Tcp]
                .into_iter()
                .filter(|p| {
                    !groups.iter().flat_map(|g| ctx.view().rules_of(g)).any(|r| {
                        r.egress
                            && r.proto.matches(*p)
                            && r.ports.intersect(Ports::one(53)).is_some()
                            // The cluster's own groups hold no DNS server.
                            && !matches!(r.peer, SgPeer::Group(g) if groups.contains(&g))
                    })
                })
                .map(|p| if p == Proto::Udp { "UDP" } else { "TCP" })
                .collect();
            if !closed.is_empty() {
                problems.push(format!(
                    "custom DNS is declared but no rule allows {} 53 egress to any destination outside the cluster",
                    closed.join(" or ")
                ));
            }
        }
        for g in &groups {
            let o = if checked.is_empty() {
                Outcome::not_applicable(
                    ResourceType::SecurityGroup,
                    g,
                    format!(
                        "Workspace `{}` declares neither the legacy metastore nor custom DNS.",
                        ws.name
                    ),
                )
            } else if problems.is_empty() && !undecided.borrow().is_empty() {
                Outcome::error(
                    ResourceType::SecurityGroup,
                    g,
                    format!(
                        "Workspace `{}`: {}.",
                        ws.name,
                        undecided.borrow().join("; ")
                    ),
                )
            } else if problems.is_empty() {
                Outcome::pass(
                    ResourceType::SecurityGroup,
                    g,
                    format!(
                        "Workspace `{}`: {} as expected.",
                        ws.name,
                        checked.join(", ")
                    ),
                )
            } else {
                Outcome::fail(
                    ResourceType::SecurityGroup,
                    g,
                    format!("Workspace `{}`: {}.", ws.name, problems.join("; ")),
                )
            };
            out.push(o.ws(ws).expect(
                checked.join("; "),
                if problems.is_empty() {
                    "as expected".to_string()
                } else {
                    problems.join("; ")
                },
            ));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn not_applicable_by_default() {
        assert_all(&run("PL-SG-008", &Estate::backend()), Status::NotApplicable);
    }

    #[test]
    fn passes_with_3306_when_hms_is_declared() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].legacy_hive_metastore = true;
        assert_all(&run("PL-SG-008", &e), Status::Pass);
    }

    #[test]
    fn fails_on_3306_leftover_under_isolation() {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        assert_all(&run("PL-SG-008", &e), Status::Pass);
        e.sg_rules_mut().push(sg_rule(
            "sgr-hms",
            &ws,
            true,
            "tcp",
            (3306, 3306),
            "0.0.0.0/0",
        ));
        let f = run("PL-SG-008", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains("sgr-hms"));
    }

    #[test]
    fn fails_when_custom_dns_lacks_53() {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].custom_dns = true;
        assert_all(&run("PL-SG-008", &e), Status::Fail);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        let ws = ids().ws_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-hms",
            &ws,
            true,
            "tcp",
            (3306, 3306),
            "0.0.0.0/0",
        ));
        e
    }
}

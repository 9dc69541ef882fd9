//! PL-EPSG-002: the front-end endpoint's security groups admit the declared client ranges on 443.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::{Ports, Proto};
use crate::pure::reachability::{sg_verdict, Host, Verdict};
use crate::pure::services::ServiceKind;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EPSG-002",
    title: "Front-end endpoint SG admits clients on 443",
    severity: Severity::High,
    modes: &[Mode::FrontEnd],
    resource_type: ResourceType::SecurityGroup,
    rationale: "Users (on-premises or in client VPCs) reach the web application and REST API through the front-end endpoint on TCP 443; each of their address ranges must be admitted in full.",
    remediation: "Add ingress TCP 443 rules for every client CIDR to the front-end endpoint's security group; declare the ranges as `client_cidrs` of the transit VPC in the manifest.",
    references: &["https://docs.databricks.com/aws/en/security/network/front-end/front-end-private-connect"],
    inputs: &[Input::VpcEndpoints, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    flows: &[FlowKind::FrontEnd],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for fe in ctx.front_end_vpcs() {
        let (vpc, transit, ws) = (fe.vpc_id, fe.transit, fe.serves);
        let clients = transit.map(|t| t.client_cidrs.clone()).unwrap_or_default();
        for e in ctx
            .databricks_endpoints(vpc)
            .into_iter()
            .filter(|e| matches!(e.kind, ServiceKind::Workspace | ServiceKind::ServiceDirect))
        {
            let groups: Vec<&str> = e
                .endpoint
                .groups
                .iter()
                .map(|g| g.group_id.as_str())
                .collect();
            let id = &e.endpoint.vpc_endpoint_id;
            if clients.is_empty() {
                let sources: Vec<String> = groups
                    .iter()
                    .flat_map(|g| ctx.view().rules_of(g))
                    .filter(|r| {
                        !r.egress
                            && r.proto.matches(Proto::Tcp)
                            && r.ports.intersect(Ports::one(443)).is_some()
                    })
                    .map(|r| r.peer.to_string())
                    .collect();
                for g in &groups {
                    // Admitting 443 from no source at all fails whatever the clients are.
                    let o = if sources.is_empty() {
                        Outcome::fail(
                            ResourceType::SecurityGroup,
                            g,
                            format!("Front-end endpoint {id} admits tcp 443 from no source at all, so no client can use it, whatever its address."),
                        )
                        .expect("ingress tcp 443 from the clients", "none")
                    } else {
                        Outcome::not_applicable(
                            ResourceType::SecurityGroup,
                            g,
                            format!(
                                "No client_cidrs are declared for {vpc}, so {id}'s clients cannot be checked; it admits 443 from: {}.",
                                sources.join(", ")
                            ),
                        )
                    };
                    out.extend(for_each_ws(&ws, o));
                }
                continue;
            }
            let mut blocked = Vec::new();
            let mut undecided = Vec::new();
            for c in &clients {
                let client = Host::addresses(format!("client range {c}"), vec![*c]);
                match sg_verdict(
                    ctx.view(),
                    &groups,
                    false,
                    &client,
                    Proto::Tcp,
                    Ports::one(443),
                    c.family(),
                ) {
                    Verdict::Blocked(why) => blocked.push(why),
                    Verdict::Unknown(why) => undecided.push(why),
                    Verdict::Allowed | Verdict::NotOnPath => {}
                }
            }
            let list = clients
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if blocked.is_empty() && !undecided.is_empty() {
                for g in &groups {
                    out.extend(for_each_ws(
                        &ws,
                        Outcome::error(
                            ResourceType::SecurityGroup,
                            g,
                            format!(
                                "Whether front-end endpoint {id} admits all clients cannot be decided: {}.",
                                undecided.join("; ")
                            ),
                        )
                        .expect(format!("ingress tcp 443 from {list}"), undecided.join("; ")),
                    ));
                }
                continue;
            }
            for g in &groups {
                let o = if blocked.is_empty() {
                    Outcome::pass(
                        ResourceType::SecurityGroup,
                        g,
                        format!("{id} admits tcp 443 from every client range ({list})."),
                    )
                } else {
                    Outcome::fail(
                        ResourceType::SecurityGroup,
                        g,
                        format!(
                            "Front-end endpoint {id} does not admit all clients: {}.",
                            blocked.join("; ")
                        ),
                    )
                };
                out.extend(for_each_ws(
                    &ws,
                    o.expect(
                        format!("ingress tcp 443 from {list}"),
                        if blocked.is_empty() {
                            "allowed".to_string()
                        } else {
                            blocked.join("; ")
                        },
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::deployment::Mode;
    use crate::pure::finding::Status;

    fn front_end(clients: &[&str]) -> Estate {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].modes.push(Mode::FrontEnd);
        e.with_transit(0, clients)
    }

    #[test]
    fn passes_when_clients_are_admitted() {
        let mut e = front_end(&["192.168.0.0/16"]);
        let ep = ids().ep_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-users",
            &ep,
            false,
            "tcp",
            (443, 443),
            "192.168.0.0/16",
        ));
        assert_all(&run("PL-EPSG-002", &e), Status::Pass);
    }

    #[test]
    fn fails_when_a_client_range_is_only_partly_admitted() {
        let mut e = front_end(&["192.168.0.0/16"]);
        let ep = ids().ep_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-half",
            &ep,
            false,
            "tcp",
            (443, 443),
            "192.168.0.0/17",
        ));
        let f = run("PL-EPSG-002", &e);
        assert_all(&f, Status::Fail);
        assert!(f[0].message.contains("sgr-half"), "{}", f[0].message);
    }

    #[test]
    fn not_applicable_without_declared_clients_and_lists_sources() {
        let f = run("PL-EPSG-002", &front_end(&[]));
        assert_all(&f, Status::NotApplicable);
        assert!(f[0].message.contains(&ids().ws_sg), "{}", f[0].message);
    }

    #[test]
    fn fails_without_declared_clients_when_443_is_admitted_from_nowhere() {
        let mut e = front_end(&[]);
        let ep = ids().ep_sg;
        e.drop_sg_rules(|r| r.group_id == ep && !r.is_egress);
        let f = run("PL-EPSG-002", &e);
        assert_all(&f, Status::Fail);
        assert!(
            f[0].message.contains("no source at all"),
            "{}",
            f[0].message
        );
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = front_end(&["192.168.0.0/16"]);
        let ep = ids().ep_sg;
        e.sg_rules_mut().push(sg_rule(
            "sgr-half",
            &ep,
            false,
            "tcp",
            (443, 443),
            "192.168.0.0/17",
        ));
        e
    }
}

//! PL-NACL-004: the NACLs of the front-end endpoint's subnets (in the transit VPC, or the
//! workspace VPC when it serves both roles) admit the declared client ranges on TCP 443 and let
//! the replies back out. Security groups are checked by PL-EPSG-002; NACLs are stateless and sit
//! on the same path.

use std::collections::BTreeSet;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::cidr::ANY_V4;
use crate::pure::deployment::Mode;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::{Ports, Proto};
use crate::pure::nacl::{nacl_admits, nacl_check, AclRules, Admits};
use crate::pure::services::ServiceKind;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-NACL-004",
    title: "Front-end endpoint subnets' NACLs admit the client ranges on 443",
    severity: Severity::High,
    modes: &[Mode::FrontEnd],
    resource_type: ResourceType::NetworkAcl,
    rationale: "Users reach the web application and REST API through the front-end endpoint on TCP 443. The NACL of each subnet holding the endpoint's network interfaces must admit every client range on 443 and, being stateless, let the replies (TCP 1024-65535) back out to them; otherwise some users cannot log in although the security group admits them.",
    remediation: "On the front-end endpoint's subnets, allow inbound TCP 443 from each client CIDR and outbound TCP 1024-65535 to it, numbered below every DENY.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/front-end/front-end-private-connect",
        "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html",
    ],
    inputs: &[Input::Subnets, Input::VpcEndpoints, Input::NetworkAcls],
    flows: &[FlowKind::FrontEnd],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for fe in ctx.front_end_vpcs() {
        let clients = fe
            .transit
            .map(|t| t.client_cidrs.clone())
            .unwrap_or_default();
        let mut seen = BTreeSet::new();
        for e in ctx
            .databricks_endpoints(fe.vpc_id)
            .into_iter()
            .filter(|e| matches!(e.kind, ServiceKind::Workspace | ServiceKind::ServiceDirect))
        {
            let id = &e.endpoint.vpc_endpoint_id;
            for sid in &e.endpoint.subnet_ids {
                if ctx.view().subnet(sid).is_none() {
                    out.extend(for_each_ws(
                        &fe.serves,
                        Outcome::error(
                            ResourceType::Subnet,
                            sid,
                            format!("Front-end endpoint {id} has a network interface in {sid}, which is not in describe-subnets.json, so its NACL cannot be checked."),
                        ),
                    ));
                    continue;
                }
                let Some(acl) = ctx.view().acl_for(sid) else {
                    out.extend(for_each_ws(
                        &fe.serves,
                        Outcome::error(
                            ResourceType::Subnet,
                            sid,
                            format!("No NACL in describe-network-acls.json is associated with {sid} (front-end endpoint {id}), so its traffic rules are unknown."),
                        ),
                    ));
                    continue;
                };
                if !seen.insert(acl.id) {
                    continue;
                }
                if clients.is_empty() {
                    out.extend(for_each_ws(&fe.serves, undeclared(acl, fe.vpc_id, id)));
                    continue;
                }
                let mut blocked = Vec::new();
                let mut unknown = Vec::new();
                for c in &clients {
                    let hops = [
                        (
                            false,
                            Ports::one(443),
                            format!("tcp 443 from client range {c} to {id}"),
                        ),
                        (
                            true,
                            Ports::EPHEMERAL,
                            format!("replies from {id} to client range {c}"),
                        ),
                    ];
                    for (egress, ports, what) in hops {
                        if let Some(b) = nacl_check(acl, egress, *c, Proto::Tcp, ports) {
                            let to = if b.is_certain() {
                                &mut blocked
                            } else {
                                &mut unknown
                            };
                            to.push(b.sentence(acl, &what));
                        }
                    }
                }
                let list = clients
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let expected =
                    format!("inbound tcp 443 from {list} and outbound tcp 1024-65535 to it");
                let o = if !unknown.is_empty() && blocked.is_empty() {
                    Outcome::error(
                        ResourceType::NetworkAcl,
                        acl.id,
                        format!("{}.", unknown.join("; ")),
                    )
                    .expect(expected, unknown.join("; "))
                } else if blocked.is_empty() {
                    Outcome::pass(
                        ResourceType::NetworkAcl,
                        acl.id,
                        format!("{} lets every client range ({list}) reach front-end endpoint {id} on tcp 443, replies included.", acl.id),
                    )
                    .expect(expected, "allowed")
                } else {
                    Outcome::fail(
                        ResourceType::NetworkAcl,
                        acl.id,
                        format!("{}.", blocked.join("; ")),
                    )
                    .expect(expected, blocked.join("; "))
                };
                out.extend(for_each_ws(&fe.serves, o));
            }
        }
    }
    out
}

/// Without declared client ranges, the NACL is judged against every IPv4 address: one that admits
/// no address on 443 (or lets no reply out) fails whatever the clients are; otherwise the ranges
/// cannot be checked and the finding says what the NACL admits.
fn undeclared(acl: &AclRules<'_>, vpc: &str, id: &str) -> Outcome {
    let all = [ANY_V4.range()];
    let hops = [
        (
            false,
            Ports::one(443),
            format!("tcp 443 from any client to {id}"),
            "tcp 443 in from",
        ),
        (
            true,
            Ports::EPHEMERAL,
            format!("replies from {id} to any client"),
            "replies out to",
        ),
    ];
    let mut closed = Vec::new();
    let mut open = Vec::new();
    for (egress, ports, what, short) in hops {
        match nacl_admits(acl, egress, &all, Proto::Tcp, ports) {
            Admits::Closed(head) => closed.push(format!("{head} blocks {what}")),
            Admits::Unreadable(why) => {
                return Outcome::error(ResourceType::NetworkAcl, acl.id, format!("{why}."))
            }
            Admits::Partly(ranges) => open.push(format!("{short} {ranges} only")),
            Admits::Open => open.push(format!("{short} every address")),
        }
    }
    if !closed.is_empty() {
        let why = closed.join("; ");
        return Outcome::fail(
            ResourceType::NetworkAcl,
            acl.id,
            format!("{why}: no client can use front-end endpoint {id}, whatever its address."),
        )
        .expect(
            "inbound tcp 443 from the clients and outbound tcp 1024-65535 to them",
            why,
        );
    }
    Outcome::not_applicable(
        ResourceType::NetworkAcl,
        acl.id,
        format!(
            "No client_cidrs are declared for {vpc}, so {}'s path from the clients to {id} cannot be checked (it allows {}); declare them in the manifest.",
            acl.id,
            open.join(", ")
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::deployment::Mode;
    use crate::pure::finding::Status;

    fn front_end(clients: &[&str]) -> Estate {
        let mut e = Estate::backend().with_transit(0, clients);
        e.manifest.workspaces[0].modes.push(Mode::FrontEnd);
        e
    }

    #[test]
    fn passes_with_allow_all() {
        let f = run("PL-NACL-004", &front_end(&["192.168.0.0/16"]));
        assert_all(&f, Status::Pass);
    }

    #[test]
    fn fails_when_a_client_range_is_denied() {
        let mut e = front_end(&["192.168.0.0/16", "172.20.0.0/16"]);
        e.acls_mut()[0].entries.push(acl_entry(
            40,
            false,
            "6",
            Some((443, 443)),
            "172.20.128.0/17",
            "deny",
        ));
        let f = run("PL-NACL-004", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Fail);
        assert!(
            x.message.contains("rule 40 DENY tcp 443 172.20.128.0/17"),
            "{}",
            x.message
        );
        assert!(
            x.message.contains("client range 172.20.0.0/16"),
            "{}",
            x.message
        );
        assert!(!x.message.contains("192.168.0.0/16 to"), "{}", x.message);
        insta::assert_snapshot!(x.message);
    }

    #[test]
    fn fails_when_replies_to_clients_are_denied() {
        let mut e = front_end(&["192.168.0.0/16"]);
        e.acls_mut()[0].entries.retain(|x| !x.egress);
        e.acls_mut()[0]
            .entries
            .push(acl_entry(100, true, "-1", None, "10.0.0.0/16", "allow"));
        let f = run("PL-NACL-004", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Fail);
        assert!(x.message.contains("replies from"), "{}", x.message);
    }

    #[test]
    fn not_applicable_without_client_ranges() {
        let f = run("PL-NACL-004", &front_end(&[]));
        assert_all(&f, Status::NotApplicable);
    }

    #[test]
    fn fails_without_client_ranges_when_no_address_gets_in() {
        let mut e = front_end(&[]);
        e.acls_mut()[0].entries.push(acl_entry(
            50,
            false,
            "6",
            Some((443, 443)),
            "0.0.0.0/0",
            "deny",
        ));
        let f = run("PL-NACL-004", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Fail, "{}", x.message);
        assert!(
            x.message.contains("rule 50 DENY tcp 443 0.0.0.0/0"),
            "{}",
            x.message
        );
    }

    #[test]
    fn error_when_an_endpoint_subnet_is_missing() {
        let mut e = front_end(&["192.168.0.0/16"]);
        let rest = ids().rest;
        e.endpoint(&rest).subnet_ids.push("subnet-0gone".into());
        let f = run("PL-NACL-004", &e);
        assert_eq!(status_of(&f, "subnet-0gone"), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = front_end(&["192.168.0.0/16", "172.20.0.0/16"]);
        e.acls_mut()[0].entries.push(acl_entry(
            40,
            false,
            "6",
            Some((443, 443)),
            "172.20.128.0/17",
            "deny",
        ));
        e
    }
}

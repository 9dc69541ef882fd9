//! PL-NACL-001: NACL inbound. The workspace subnets' NACLs allow all inbound traffic from
//! 0.0.0.0/0 ahead of any deny (as Databricks checks at workspace creation), and the endpoint
//! subnets' NACLs let the workspace's traffic in on the ports it needs.

use super::common::nacl::{endpoint_hops, no_acl, push_unique, verdict_outcome};
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::cidr::ANY_V4;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::Ports;
use crate::pure::nacl::nacl_check;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-NACL-001",
    title: "NACL inbound allows all from 0.0.0.0/0 first, and endpoint NACLs admit the workspace",
    severity: Severity::Critical,
    severity_when: &[
        (
            Severity::High,
            "when the DENY before the ALLOW covers only part of the internet, or an endpoint subnet blocks only 8443-8451 or 2443",
        ),
    ],
    resource_type: ResourceType::NetworkAcl,
    rationale: "Databricks requires subnet NACLs that deny nothing inbound (ALLOW ALL from 0.0.0.0/0 with the lowest rule number) and checks it at workspace creation; NACLs are stateless, so a deny also drops return traffic. On the endpoint subnets, the NACL must admit the workspace on 443, 6666, 2443 and 8443-8451.",
    remediation: "Give the NACL an inbound rule `ALLOW all 0.0.0.0/0` numbered below every DENY (filter egress with a firewall instead). On endpoint subnets, allow the workspace subnets' traffic in.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc",
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
    ],
    inputs: &[Input::Subnets, Input::NetworkAcls, Input::VpcEndpoints],
    ports: PortGroup::TO_ENDPOINTS,
    flows: &[FlowKind::IntraCluster, FlowKind::Endpoint, FlowKind::Internet],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        for s in &subnets {
            let Some(acl) = ctx.view().acl_for(&s.subnet_id) else {
                out.push(no_acl(ws, &s.subnet_id));
                continue;
            };
            let mut blocks = Vec::new();
            let mut undecided = Vec::new();
            let mut severity = Severity::High;
            // Every protocol: a DENY of icmp, of all traffic or of a protocol number before the
            // ALLOW breaks the guidance as much as a DENY of tcp.
            for (proto, name) in acl.protocols(false) {
                let Some(b) = nacl_check(acl, false, ANY_V4, proto, Ports::ALL) else {
                    continue;
                };
                let what = format!("inbound {name} into workspace subnet {}", s.subnet_id);
                if !b.is_certain() {
                    push_unique(&mut undecided, b.sentence(acl, &what));
                    continue;
                }
                let narrow = b.entry.as_ref().is_some_and(|e| e.cidr != "0.0.0.0/0");
                if !narrow {
                    severity = Severity::Critical;
                }
                push_unique(&mut blocks, b.sentence(acl, &what));
            }
            out.push(verdict_outcome(
                ws,
                acl.id,
                blocks,
                undecided,
                severity,
                "ALLOW all inbound from 0.0.0.0/0 before any DENY",
            ));
        }
        if let Some(o) = endpoint_hops(ctx, ws, false) {
            out.extend(o);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::{Severity, Status};

    #[test]
    fn passes_with_allow_all() {
        assert_all(&run("PL-NACL-001", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_when_nacl_denies_before_allow() {
        let mut e = Estate::backend();
        e.acls_mut()[0].entries.push(acl_entry(
            90,
            false,
            "6",
            Some((22, 22)),
            "0.0.0.0/0",
            "deny",
        ));
        let f = run("PL-NACL-001", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Fail);
        assert_eq!(x.severity, Severity::Critical);
        assert!(
            x.message.contains("rule 90 DENY tcp 22 0.0.0.0/0"),
            "{}",
            x.message
        );
    }

    #[test]
    fn a_narrow_deny_is_high_not_critical() {
        let mut e = Estate::backend();
        e.acls_mut()[0]
            .entries
            .push(acl_entry(50, false, "-1", None, "198.51.100.0/24", "deny"));
        let f = run("PL-NACL-001", &e);
        assert_eq!(on(&f, &ids().acl).severity, Severity::High);
        assert_eq!(on(&f, &ids().acl).status, Status::Fail);
    }

    #[test]
    fn a_deny_after_the_allow_is_harmless() {
        let mut e = Estate::backend();
        e.acls_mut()[0]
            .entries
            .push(acl_entry(200, false, "-1", None, "0.0.0.0/0", "deny"));
        assert_all(&run("PL-NACL-001", &e), Status::Pass);
    }

    #[test]
    fn fails_when_the_endpoint_nacl_blocks_the_workspace() {
        let mut e = Estate::backend();
        // A separate NACL on the endpoint subnets that admits only 443.
        let mut ep_acl = e.acls_mut()[0].clone();
        ep_acl.network_acl_id = "acl-0endpoints".into();
        ep_acl.associations = ids()
            .ep_subnets
            .iter()
            .map(|s| crate::pure::model::NetworkAclAssociation {
                subnet_id: s.into(),
            })
            .collect();
        ep_acl.entries = vec![
            acl_entry(100, false, "6", Some((443, 443)), "10.0.0.0/16", "allow"),
            acl_entry(100, true, "-1", None, "0.0.0.0/0", "allow"),
        ];
        e.acls_mut()[0]
            .associations
            .retain(|a| !ids().ep_subnets.iter().any(|s| *s == a.subnet_id));
        e.acls_mut().push(ep_acl);
        let f = run("PL-NACL-001", &e);
        let x = on(&f, "acl-0endpoints");
        assert_eq!(x.status, Status::Fail);
        assert!(
            x.message.contains("6666") && x.message.contains(&ids().relay),
            "{}",
            x.message
        );
        assert_eq!(on(&f, &ids().acl).status, Status::Pass);
    }

    #[test]
    fn error_when_a_subnet_has_no_nacl() {
        let mut e = Estate::backend();
        e.acls_mut().clear();
        let f = run("PL-NACL-001", &e);
        assert_all(&f, Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.acls_mut()[0].entries.push(acl_entry(
            90,
            false,
            "6",
            Some((22, 22)),
            "0.0.0.0/0",
            "deny",
        ));
        e
    }
}

//! PL-NACL-002: NACL outbound. The workspace subnets' NACLs allow all traffic to the VPC and TCP
//! to 0.0.0.0/0 on the Databricks ports ahead of any deny; the endpoint subnets' NACLs let return
//! traffic back to the workspace.

use super::common::nacl::{endpoint_hops, no_acl, verdict_outcome};
use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::cidr::{Cidr, ANY_V4};
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::{Ports, Proto};
use crate::pure::nacl::{nacl_check, NaclBlock};
use crate::pure::reachability::format_ports;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-NACL-002",
    title: "NACL outbound allows the VPC and the Databricks ports first, and endpoint NACLs return traffic",
    severity: Severity::Critical,
    severity_when: &[
        (
            Severity::High,
            "when an endpoint subnet blocks only the replies on 8443-8451 or 2443",
        ),
    ],
    resource_type: ResourceType::NetworkAcl,
    rationale: "Databricks checks at workspace creation that subnet NACLs allow all traffic to the VPC CIDR and TCP 443, 3306, 6666, 8443-8451 to 0.0.0.0/0 with the lowest rule numbers. Under isolation those ports only need the VPC (and 3306 is not used). NACLs are stateless: the endpoint subnets must also let replies out to the workspace on ephemeral ports.",
    remediation: "Add outbound ALLOW rules (numbered below every DENY) for all traffic to the VPC CIDR and TCP 443, 3306, 6666, 2443, 8443-8451 to 0.0.0.0/0; on endpoint subnets allow TCP 1024-65535 back to the workspace subnets.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Vpcs, Input::Subnets, Input::NetworkAcls, Input::VpcEndpoints],
    ports: &PortGroup::ALL,
    flows: &[FlowKind::IntraCluster, FlowKind::Endpoint, FlowKind::Internet],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        let vpc_cidrs: Vec<Cidr> = ctx
            .view()
            .vpc_cidrs(&ws.vpc_id)
            .iter()
            .copied()
            .filter(|c| c.v4_range().is_some())
            .collect();
        let ports = ctx.nacl_outbound_ports(ws);
        let mut seen = std::collections::BTreeSet::new();
        for s in &subnets {
            let Some(acl) = ctx.view().acl_for(&s.subnet_id) else {
                out.push(no_acl(ws, &s.subnet_id));
                continue;
            };
            if !seen.insert(acl.id) {
                continue;
            }
            let mut blocks = Vec::new();
            let mut undecided = Vec::new();
            let mut record = |b: NaclBlock, what: String| {
                let s = b.sentence(acl, &what);
                let list = if b.is_certain() {
                    &mut blocks
                } else {
                    &mut undecided
                };
                if !list.contains(&s) {
                    list.push(s);
                }
            };
            // All traffic to the VPC: every protocol, not only tcp and udp.
            for c in &vpc_cidrs {
                for (proto, name) in acl.protocols(true) {
                    if let Some(b) = nacl_check(acl, true, *c, proto, Ports::ALL) {
                        record(b, format!("outbound {name} to the VPC CIDR {c}"));
                    }
                }
            }
            let mut note = String::new();
            for p in &ports {
                if let Some(b) = nacl_check(acl, true, ANY_V4, Proto::Tcp, *p) {
                    if !b.is_certain() {
                        record(b, format!("outbound tcp {p} to 0.0.0.0/0"));
                        continue;
                    }
                    let vpc_only_ok = ws.isolated()
                        && !vpc_cidrs.is_empty()
                        && vpc_cidrs
                            .iter()
                            .all(|c| nacl_check(acl, true, *c, Proto::Tcp, *p).is_none());
                    if vpc_only_ok {
                        note = " Under isolation the Databricks ports are allowed to the VPC only, which serves the endpoints (the docs ask for 0.0.0.0/0).".into();
                    } else {
                        record(b, format!("outbound tcp {p} to 0.0.0.0/0"));
                    }
                }
            }
            let expected = format!(
                "ALLOW all to {} and tcp {} to 0.0.0.0/0 before any DENY",
                vpc_cidrs
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                format_ports(&ports)
            );
            let mut o =
                verdict_outcome(ws, acl.id, blocks, undecided, Severity::Critical, &expected);
            o.message.push_str(&note);
            out.push(o);
        }
        if let Some(o) = endpoint_hops(ctx, ws, true) {
            out.extend(o);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_allow_all() {
        assert_all(&run("PL-NACL-002", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_on_a_low_numbered_deny_of_ephemeral_ports() {
        let mut e = Estate::backend();
        e.acls_mut()[0].entries.push(acl_entry(
            90,
            true,
            "6",
            Some((1024, 65535)),
            "10.0.0.0/16",
            "deny",
        ));
        let f = run("PL-NACL-002", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Fail);
        assert!(
            x.message
                .contains("rule 90 DENY tcp 1024-65535 10.0.0.0/16"),
            "{}",
            x.message
        );
        assert!(
            x.message.contains("blocks replies (tcp 1024-65535) to"),
            "{}",
            x.message
        );
    }

    #[test]
    fn isolated_accepts_ports_to_the_vpc_only() {
        let mut e = Estate::isolated();
        e.acls_mut()[0].entries.retain(|x| !x.egress);
        e.acls_mut()[0]
            .entries
            .push(acl_entry(100, true, "-1", None, "10.0.0.0/16", "allow"));
        let f = run("PL-NACL-002", &e);
        assert_all(&f, Status::Pass);
        assert!(on(&f, &ids().acl).message.contains("VPC only"));
        // The same NACL fails outside isolation: 443 must reach 0.0.0.0/0.
        let mut b = Estate::backend();
        b.acls_mut()[0].entries.retain(|x| !x.egress);
        b.acls_mut()[0]
            .entries
            .push(acl_entry(100, true, "-1", None, "10.0.0.0/16", "allow"));
        assert_eq!(status_of(&run("PL-NACL-002", &b), &ids().acl), Status::Fail);
    }

    #[test]
    fn error_when_nacls_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::NetworkAcls);
        let f = run("PL-NACL-002", &e);
        assert_all(&f, Status::Error);
        assert!(
            f[0].message
                .contains("describe-network-acls.json not collected"),
            "{}",
            f[0].message
        );
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.acls_mut()[0].entries.push(acl_entry(
            90,
            true,
            "6",
            Some((1024, 65535)),
            "10.0.0.0/16",
            "deny",
        ));
        e
    }
}

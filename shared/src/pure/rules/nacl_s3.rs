//! PL-NACL-003: under complete isolation, S3 traffic through the gateway endpoint still passes the
//! workspace subnets' NACLs. A gateway endpoint is a route target, not an interface: packets keep
//! S3's public destination addresses, so a NACL that only allows the VPC CIDR blocks S3.

use std::collections::BTreeSet;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::cidr::{public_ranges, subtract_ranges, AddrRange, Cidr, Family};
use crate::pure::deployment::Mode;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::{Ports, Proto};
use crate::pure::nacl::{nacl_admits, Admits};
use crate::pure::services::s3_service;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-NACL-003",
    title: "NACLs let S3 traffic through the gateway endpoint (isolation)",
    severity: Severity::High,
    modes: &[Mode::Isolated],
    resource_type: ResourceType::NetworkAcl,
    rationale: "Under complete isolation clusters reach S3 only through the S3 gateway endpoint. Its traffic keeps S3's public addresses (the com.amazonaws.<region>.s3 prefix list), so the workspace subnets' NACLs must allow TCP 443 out to them and the replies (TCP 1024-65535) back in. A NACL that allows only the VPC CIDR blocks S3: cluster start-up, logs and DBFS fail.",
    remediation: "Allow outbound TCP 443 and inbound TCP 1024-65535 for the S3 prefix list's CIDRs (`aws ec2 get-managed-prefix-list-entries --prefix-list-id pl-...`) or for 0.0.0.0/0, numbered below every DENY.",
    references: &[
        "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html",
        "https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc",
    ],
    inputs: &[Input::Vpcs, Input::Subnets, Input::NetworkAcls],
    optional_inputs: &[Input::ManagedPrefixLists],
    flows: &[FlowKind::S3],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    let s3 = match ctx.region {
        Some(r) => {
            let name = s3_service(r);
            match ctx.view().s3_prefix_list(r) {
                Some(pl) => format!("S3 ({pl}, {name})"),
                None => format!("S3 ({name})"),
            }
        }
        None => "S3".to_string(),
    };
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        let vpc: Vec<AddrRange> = ctx
            .view()
            .vpc_cidrs(&ws.vpc_id)
            .iter()
            .map(Cidr::range)
            .collect();
        let public = subtract_ranges(&public_ranges(Family::V4), &vpc);
        let mut seen = BTreeSet::new();
        for s in &subnets {
            let Some(acl) = ctx.view().acl_for(&s.subnet_id) else {
                out.push(super::common::nacl::no_acl(ws, &s.subnet_id));
                continue;
            };
            if !seen.insert(acl.id) {
                continue;
            }
            let hops = [
                (true, Ports::one(443), "outbound tcp 443 to"),
                (
                    false,
                    Ports::EPHEMERAL,
                    "inbound replies (tcp 1024-65535) from",
                ),
            ];
            let mut blocked = Vec::new();
            let mut unknown = Vec::new();
            for (egress, ports, what) in hops {
                match nacl_admits(acl, egress, &public, Proto::Tcp, ports) {
                    Admits::Open => {}
                    Admits::Closed(head) => blocked.push(format!("{head} blocks {what} {s3}")),
                    Admits::Partly(allowed) => unknown.push(format!(
                        "{what} {s3} is allowed only to {allowed} of the public address space"
                    )),
                    Admits::Unreadable(why) => unknown.push(why),
                }
            }
            let expected = format!("allow tcp 443 out to {s3} and tcp 1024-65535 back in");
            let o = if !blocked.is_empty() {
                Outcome::fail(
                    ResourceType::NetworkAcl,
                    acl.id,
                    format!(
                        "{}: S3's addresses are public, so the gateway endpoint's traffic cannot pass (workspace `{}`).",
                        blocked.join("; "),
                        ws.name
                    ),
                )
                .expect(expected, blocked.join("; "))
            } else if !unknown.is_empty() {
                Outcome::error(
                    ResourceType::NetworkAcl,
                    acl.id,
                    format!(
                        "{}: whether S3's traffic passes cannot be told (the S3 prefix list's entries are not in the snapshot; workspace `{}`).",
                        unknown.join("; "),
                        ws.name
                    ),
                )
                .expect(expected, unknown.join("; "))
            } else {
                Outcome::pass(
                    ResourceType::NetworkAcl,
                    acl.id,
                    format!("{} lets workspace `{}` reach {s3} through the gateway endpoint (tcp 443 out, replies in).", acl.id, ws.name),
                )
                .expect(expected, "allowed")
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

    fn only_vpc_outbound(e: &mut Estate) {
        e.acls_mut()[0].entries.retain(|x| !x.egress);
        e.acls_mut()[0]
            .entries
            .push(acl_entry(100, true, "-1", None, "10.0.0.0/16", "allow"));
    }

    #[test]
    fn passes_with_allow_all() {
        assert_all(&run("PL-NACL-003", &Estate::isolated()), Status::Pass);
    }

    #[test]
    fn fails_when_the_nacl_allows_only_the_vpc() {
        let mut e = Estate::isolated();
        only_vpc_outbound(&mut e);
        let f = run("PL-NACL-003", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Fail);
        assert!(
            x.message
                .contains("blocks outbound tcp 443 to S3 (pl-63a5400a"),
            "{}",
            x.message
        );
        assert!(x.message.contains("final DENY"), "{}", x.message);
        insta::assert_snapshot!(x.message);
    }

    #[test]
    fn fails_on_a_deny_of_replies_from_s3() {
        let mut e = Estate::isolated();
        e.acls_mut()[0].entries.push(acl_entry(
            50,
            false,
            "6",
            Some((1024, 65535)),
            "0.0.0.0/0",
            "deny",
        ));
        let f = run("PL-NACL-003", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Fail);
        assert!(x.message.contains("rule 50 DENY"), "{}", x.message);
        assert!(x.message.contains("inbound replies"), "{}", x.message);
    }

    #[test]
    fn an_allow_of_some_public_ranges_is_unknown_not_a_verdict() {
        let mut e = Estate::isolated();
        only_vpc_outbound(&mut e);
        e.acls_mut()[0].entries.push(acl_entry(
            110,
            true,
            "6",
            Some((443, 443)),
            "52.216.0.0/15",
            "allow",
        ));
        let f = run("PL-NACL-003", &e);
        let x = on(&f, &ids().acl);
        assert_eq!(x.status, Status::Error, "{}", x.message);
        assert!(x.message.contains("52.216.0.0/15"), "{}", x.message);
    }

    #[test]
    fn allowing_all_public_space_in_pieces_passes() {
        let mut e = Estate::isolated();
        only_vpc_outbound(&mut e);
        e.acls_mut()[0].entries.push(acl_entry(
            110,
            true,
            "6",
            Some((443, 443)),
            "0.0.0.0/1",
            "allow",
        ));
        e.acls_mut()[0].entries.push(acl_entry(
            120,
            true,
            "6",
            Some((443, 443)),
            "128.0.0.0/1",
            "allow",
        ));
        assert_all(&run("PL-NACL-003", &e), Status::Pass);
    }

    #[test]
    fn does_not_apply_outside_isolation() {
        assert!(run("PL-NACL-003", &Estate::backend()).is_empty());
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        only_vpc_outbound(&mut e);
        e
    }
}

//! PL-SUB-003: workspace subnet netmask between /17 and /26.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::cidr::Cidr;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-SUB-003",
    title: "Workspace subnet netmask between /17 and /26",
    severity: Severity::High,
    resource_type: ResourceType::Subnet,
    rationale: "Databricks accepts workspace subnets from /17 to /26. Each node takes two addresses, so the netmask also bounds the cluster size.",
    remediation: "Recreate the subnet with a netmask between /17 and /26 and point the network configuration at it.",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc"],
    inputs: &[Input::Subnets],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        for s in subnets {
            let Some(text) = s.cidr_block.as_deref() else {
                out.push(
                    Outcome::fail(
                        ResourceType::Subnet,
                        &s.subnet_id,
                        format!(
                            "{} has no IPv4 CIDR block (an IPv6-only subnet); Databricks needs IPv4 workspace subnets from /17 to /26.",
                            s.subnet_id
                        ),
                    )
                    .ws(ws)
                    .expect("/17 to /26", "no IPv4 block"),
                );
                continue;
            };
            let Some(cidr @ Cidr::V4 { len, .. }) = Cidr::parse(text) else {
                out.push(
                    Outcome::error(
                        ResourceType::Subnet,
                        &s.subnet_id,
                        format!(
                            "{} has CidrBlock `{}`, which is not an IPv4 CIDR block.",
                            s.subnet_id, text
                        ),
                    )
                    .ws(ws),
                );
                continue;
            };
            let ok = (17..=26).contains(&len);
            let ips = s
                .available_ip_address_count
                .or_else(|| cidr.usable_v4_hosts())
                .unwrap_or(0);
            let msg = if ok {
                format!(
                    "{} is a /{len} ({}), room for about {} nodes at two addresses each.",
                    s.subnet_id,
                    text,
                    ips / 2
                )
            } else {
                format!(
                    "{} is a /{len} ({}); Databricks accepts workspace subnets from /17 to /26.",
                    s.subnet_id, text
                )
            };
            out.push(
                Outcome::verdict(ok, ResourceType::Subnet, &s.subnet_id, msg)
                    .ws(ws)
                    .expect("/17 to /26", format!("/{len}")),
            );
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_for_a_22() {
        let f = run("PL-SUB-003", &Estate::backend());
        assert_all(&f, Status::Pass);
        assert!(f[0].message.contains("509 nodes"), "{}", f[0].message);
    }

    #[test]
    fn fails_for_a_27_and_a_16() {
        let mut e = Estate::backend();
        let [a, b] = ids().ws_subnets;
        for s in e.subnets_mut().iter_mut() {
            if s.subnet_id == a {
                s.cidr_block = Some("10.0.0.0/27".into());
            }
            if s.subnet_id == b {
                s.cidr_block = Some("10.1.0.0/16".into());
            }
        }
        assert_all(&run("PL-SUB-003", &e), Status::Fail);
    }

    #[test]
    fn error_for_an_unreadable_cidr() {
        let mut e = Estate::backend();
        for s in e.subnets_mut().iter_mut() {
            s.cidr_block = Some("2001:db8::/64".into());
        }
        assert_all(&run("PL-SUB-003", &e), Status::Error);
    }

    #[test]
    fn fails_for_an_ipv6_only_subnet() {
        let mut e = Estate::backend();
        let a = ids().ws_subnets[0].clone();
        for s in e.subnets_mut().iter_mut().filter(|s| s.subnet_id == a) {
            s.cidr_block = None;
        }
        let f = run("PL-SUB-003", &e);
        let x = on(&f, &a);
        assert_eq!(x.status, Status::Fail);
        assert!(x.message.contains("IPv6-only"), "{}", x.message);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let [a, b] = ids().ws_subnets;
        for s in e.subnets_mut().iter_mut() {
            if s.subnet_id == a {
                s.cidr_block = Some("10.0.0.0/27".into());
            }
            if s.subnet_id == b {
                s.cidr_block = Some("10.1.0.0/16".into());
            }
        }
        e
    }
}

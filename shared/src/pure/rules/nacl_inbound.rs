//! PL-NACL-001: NACL inbound. The workspace subnets' NACLs allow all inbound traffic from
//! 0.0.0.0/0 ahead of any deny (as Databricks checks at workspace creation), and the endpoint
//! subnets' NACLs let the workspace's traffic in on the ports it needs.

use super::{Context, Outcome, RuleMeta, WsNet};
use crate::cidr::{Family, ANY_V4};
use crate::deployment::Workspace;
use crate::finding::{ResourceType, Severity};
use crate::index::{Ports, Proto};
use crate::manifest::Mode;
use crate::reachability::nacl_check;
use crate::services::ServiceKind;
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-NACL-001",
    title: "NACL inbound allows all from 0.0.0.0/0 first, and endpoint NACLs admit the workspace",
    severity: Severity::Critical,
    modes: &[Mode::Cmv],
    not_under: &[],
    resource_type: ResourceType::NetworkAcl,
    rationale: "Databricks requires subnet NACLs that deny nothing inbound (ALLOW ALL from 0.0.0.0/0 with the lowest rule number) and checks it at workspace creation; NACLs are stateless, so a deny also drops return traffic. On the endpoint subnets, the NACL must admit the workspace on 443, 6666, 2443 and 8443-8451.",
    remediation: "Give the NACL an inbound rule `ALLOW all 0.0.0.0/0` numbered below every DENY (filter egress with a firewall instead). On endpoint subnets, allow the workspace subnets' traffic in.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/customer-managed-vpc",
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
    ],
    inputs: &[Input::Subnets, Input::NetworkAcls],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(subnets) = ctx.subnets_or_report(ws, &mut out) else {
            continue;
        };
        for s in &subnets {
            let Some(acl) = ctx.ix.acl_for(&s.subnet_id) else {
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

pub(super) fn no_acl(ws: &Workspace, subnet: &str) -> Outcome {
    Outcome::error(
        ResourceType::Subnet,
        subnet,
        format!("No NACL in describe-network-acls.json is associated with {subnet}, so its traffic rules are unknown."),
    )
    .ws(ws)
}

/// Fail when something is surely blocked, else error when something cannot be decided (an
/// entry whose CIDR does not parse), else pass.
pub(super) fn verdict_outcome(
    ws: &Workspace,
    acl: &str,
    blocks: Vec<String>,
    undecided: Vec<String>,
    severity: Severity,
    expected: &str,
) -> Outcome {
    if !blocks.is_empty() {
        Outcome::fail(
            ResourceType::NetworkAcl,
            acl,
            format!("{}.", blocks.join("; ")),
        )
        .ws(ws)
        .severity(severity)
        .expect(expected.to_string(), blocks.join("; "))
    } else if !undecided.is_empty() {
        Outcome::error(
            ResourceType::NetworkAcl,
            acl,
            format!("{}.", undecided.join("; ")),
        )
        .ws(ws)
        .expect(expected.to_string(), undecided.join("; "))
    } else {
        Outcome::pass(
            ResourceType::NetworkAcl,
            acl,
            format!(
                "{acl} lets workspace `{}`'s traffic through ({expected}).",
                ws.name
            ),
        )
        .ws(ws)
        .expect(expected.to_string(), "allowed")
    }
}

/// The endpoint-subnet NACL hop of every flow from the workspace to the Databricks endpoints
/// that serve it: inbound on the Databricks ports, or (`returning`) outbound replies on
/// ephemeral ports. One outcome per endpoint-subnet NACL; `None` without back-end endpoints.
pub(super) fn endpoint_hops(
    ctx: &Context<'_>,
    ws: &Workspace,
    returning: bool,
) -> Option<Vec<Outcome>> {
    if !ws.has(Mode::BackEnd) {
        return None;
    }
    let eps: Vec<_> = [ServiceKind::Workspace, ServiceKind::Relay]
        .into_iter()
        .flat_map(|k| ctx.serving_endpoints(&ws.vpc_id, k))
        .collect();
    if eps.is_empty() {
        return None;
    }
    let WsNet { hosts, .. } = match ctx.ws_net(ws) {
        Ok(n) => n,
        Err(o) => return Some(o),
    };
    /// One deciding entry: the workspace subnets it blocks and the endpoint ports they miss.
    struct Blocked(String, Vec<String>, Vec<(String, Vec<String>)>);
    /// Per NACL: for each deciding entry, the workspace subnets and endpoint ports it blocks.
    struct Acc {
        acl: String,
        blocks: Vec<Blocked>,
        undecided: Vec<String>,
        severity: Severity,
    }
    let mut accs: Vec<Acc> = Vec::new();
    let mut out = Vec::new();
    for e in &eps {
        for sid in &e.endpoint.subnet_ids {
            if ctx.ix.acl_for(sid).is_none() && ctx.ix.subnets.contains_key(sid.as_str()) {
                out.push(no_acl(ws, sid));
            }
        }
        let dsts = match ctx.endpoint_hosts(e.endpoint) {
            Ok(h) => h,
            Err(o) => {
                out.push(o.ws(ws));
                continue;
            }
        };
        let id = &e.endpoint.vpc_endpoint_id;
        for dst in dsts {
            let Some(acl) = dst.acl else { continue };
            let i = match accs.iter().position(|a| a.acl == acl.id) {
                Some(i) => i,
                None => {
                    accs.push(Acc {
                        acl: acl.id.to_string(),
                        blocks: Vec::new(),
                        undecided: Vec::new(),
                        severity: Severity::Info,
                    });
                    accs.len() - 1
                }
            };
            for src in &hosts {
                let Some(src_cidr) = src.cidr_in(Family::V4) else {
                    let why = format!(
                        "{} cannot be checked for traffic from {}, which has no IPv4 address (Databricks needs IPv4)",
                        acl.id,
                        src.label()
                    );
                    push_unique(&mut accs[i].undecided, why);
                    continue;
                };
                for need in ctx.port_needs(ws, Some(e.kind)) {
                    let block = if returning {
                        nacl_check(acl, true, src_cidr, Proto::Tcp, Ports::EPHEMERAL)
                    } else {
                        nacl_check(acl, false, src_cidr, Proto::Tcp, need.ports)
                    };
                    let Some(b) = block else { continue };
                    let acc = &mut accs[i];
                    if !b.is_certain() {
                        let what = if returning {
                            format!("replies (tcp 1024-65535) from {id} to {}", src.label())
                        } else {
                            format!("tcp {} from {} to {id}", need.ports, src.label())
                        };
                        push_unique(&mut acc.undecided, b.sentence(acl, &what));
                        continue;
                    }
                    let head = b.head(acl);
                    let slot = match acc.blocks.iter().position(|b| b.0 == head) {
                        Some(j) => j,
                        None => {
                            acc.blocks.push(Blocked(head, Vec::new(), Vec::new()));
                            acc.blocks.len() - 1
                        }
                    };
                    let Blocked(_, subnets, targets) = &mut acc.blocks[slot];
                    push_unique(subnets, src.label());
                    match targets.iter_mut().find(|(t, _)| t == id) {
                        Some((_, ports)) => push_unique(ports, need.ports.to_string()),
                        None => targets.push((id.to_string(), vec![need.ports.to_string()])),
                    }
                    acc.severity = acc.severity.max(need.endpoint_severity.max(Severity::High));
                }
            }
        }
    }
    let expected = if returning {
        "the endpoint subnets let replies (tcp 1024-65535) back out to the workspace subnets"
    } else {
        "the endpoint subnets admit the workspace subnets on the Databricks ports"
    };
    for a in accs {
        let blocks: Vec<String> = a
            .blocks
            .iter()
            .map(|Blocked(head, subnets, targets)| {
                let targets: Vec<String> = targets
                    .iter()
                    .map(|(id, ports)| format!("{id} (tcp {})", ports.join(", ")))
                    .collect();
                if returning {
                    format!(
                        "{head} blocks replies (tcp 1024-65535) to {}, so they cannot reach {}",
                        subnets.join(", "),
                        targets.join(", ")
                    )
                } else {
                    format!(
                        "{head} blocks traffic from {} to {}",
                        subnets.join(", "),
                        targets.join(", ")
                    )
                }
            })
            .collect();
        out.push(verdict_outcome(
            ws,
            &a.acl,
            blocks,
            a.undecided,
            a.severity,
            expected,
        ));
    }
    Some(out)
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::{Severity, Status};

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
            .map(|s| crate::model::NetworkAclAssociation {
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
}

//! Shared by several rules (first written for nacl_inbound).

use crate::pure::cidr::Family;
use crate::pure::deployment::Mode;
use crate::pure::deployment::Workspace;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::{Ports, Proto};
use crate::pure::nacl::nacl_check;
use crate::pure::rules::context::Context;
use crate::pure::rules::outcome::Outcome;
use crate::pure::services::ServiceKind;

pub(crate) fn no_acl(ws: &Workspace, subnet: &str) -> Outcome {
    Outcome::error(
        ResourceType::Subnet,
        subnet,
        format!("No NACL in describe-network-acls.json is associated with {subnet}, so its traffic rules are unknown."),
    )
    .ws(ws)
}

/// Fail when something is surely blocked, else error when something cannot be decided (an
/// entry whose CIDR does not parse), else pass.
pub(crate) fn verdict_outcome(
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
pub(crate) fn endpoint_hops(
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
    // NACLs filter addresses, not security groups: the workspace's subnets are all it needs.
    let hosts = match ctx.subnet_hosts(ws) {
        Ok(h) => h,
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
            if ctx.view().acl_for(sid).is_none() && ctx.view().subnet(sid).is_some() {
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
            let Some(acl) = dst.acl(ctx.view()) else {
                continue;
            };
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

pub(crate) fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

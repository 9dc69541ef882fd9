//! Shared by several rules (first written for sg_ingress_self).

use crate::pure::cidr::Family;
use crate::pure::finding::ResourceType;
use crate::pure::index::{Ports, Proto};
use crate::pure::reachability::{sg_verdict, Verdict};
use crate::pure::rules::context::Context;
use crate::pure::rules::outcome::Outcome;

pub(crate) fn self_traffic(ctx: &Context<'_>, egress: bool) -> Vec<Outcome> {
    let mut out = Vec::new();
    let dir = if egress { "egress" } else { "ingress" };
    for ws in &ctx.workspaces {
        let net = match ctx.ws_net(ws) {
            Ok(n) => n,
            Err(o) => {
                out.extend(o);
                continue;
            }
        };
        let mut blocked: Vec<String> = Vec::new();
        let mut undecided: Vec<String> = Vec::new();
        for proto in [Proto::Tcp, Proto::Udp] {
            for peer in &net.hosts {
                match sg_verdict(
                    ctx.view(),
                    &net.groups,
                    egress,
                    peer,
                    proto,
                    Ports::ALL,
                    Family::V4,
                ) {
                    Verdict::Blocked(why) if !blocked.contains(&why) => blocked.push(why),
                    Verdict::Unknown(why) if !undecided.contains(&why) => undecided.push(why),
                    _ => {}
                }
            }
        }
        if blocked.is_empty() && !undecided.is_empty() {
            for g in &net.groups {
                out.push(
                    Outcome::error(
                        ResourceType::SecurityGroup,
                        g,
                        format!(
                            "Whether the cluster nodes of workspace `{}` can talk to each other cannot be decided: {}.",
                            ws.name,
                            undecided.join("; ")
                        ),
                    )
                    .ws(ws)
                    .expect(
                        format!("all TCP and UDP {dir} within the workspace"),
                        undecided.join("; "),
                    ),
                );
            }
            continue;
        }
        let ok = blocked.is_empty();
        let msg = if ok {
            format!(
                "Workspace `{}`'s security groups allow all TCP and UDP {dir} between its subnets.",
                ws.name
            )
        } else {
            format!(
                "Cluster nodes of workspace `{}` cannot all talk to each other: {}.",
                ws.name,
                blocked.join("; ")
            )
        };
        for g in &net.groups {
            out.push(
                Outcome::verdict(ok, ResourceType::SecurityGroup, g, msg.clone())
                    .ws(ws)
                    .expect(
                        format!("all TCP and UDP {dir} within the workspace"),
                        if ok {
                            "allowed".to_string()
                        } else {
                            blocked.join("; ")
                        },
                    ),
            );
        }
    }
    out
}

//! Shared by several rules (first written for sg_egress_443).

use crate::pure::cidr::Family;
use crate::pure::deployment::Mode;
use crate::pure::deployment::Workspace;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::Proto;
use crate::pure::model::RouteTable;
use crate::pure::reachability::{format_ports, sg_coverage, Host};
use crate::pure::rules::context::Context;
use crate::pure::rules::outcome::Outcome;
use crate::pure::rules::ports::PortNeed;
use crate::pure::rules::ports::{Partition, PortGroup};
use crate::pure::services::{s3_service, ServiceKind};
use crate::pure::view::View;

/// A place the workspace must reach on some ports.
struct Target<'a> {
    host: Host<'a>,
    /// What the host is, for messages: "vpce-1 (SCC relay endpoint)"; empty for plain hosts.
    via: String,
    need: PortNeed,
}

/// Shared by PL-SG-004 to PL-SG-007: the ports of the families the rule declares
/// ([`crate::pure::rules::RuleMeta::ports`]) towards each destination they must reach.
pub(crate) fn egress_ports(ctx: &Context<'_>) -> Vec<Outcome> {
    let rule = ctx.meta().id;
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let net = match ctx.ws_net(ws) {
            Ok(n) => n,
            Err(o) => {
                out.extend(o);
                continue;
            }
        };
        let targets = match targets(ctx, ws) {
            Ok(t) => t,
            Err(o) => {
                out.push(o.ws(ws));
                continue;
            }
        };
        if targets.is_empty() {
            out.push(
                Outcome::not_applicable(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    format!(
                        "{rule} has nothing to check for workspace `{}`: {}.",
                        ws.name,
                        why_not(ctx, ws)
                    ),
                )
                .ws(ws),
            );
            continue;
        }
        // Blocks grouped by destination and missing ports, listing the subnets they hit.
        let mut blocked: Vec<(Severity, String, Vec<String>)> = Vec::new();
        let mut reached: Vec<String> = Vec::new();
        let mut undecided: Vec<String> = Vec::new();
        let subject = format!(
            "{} allow{}",
            net.groups.join(", "),
            if net.groups.len() == 1 { "s" } else { "" }
        );
        for t in &targets {
            let cov = sg_coverage(
                ctx.view(),
                &net.groups,
                true,
                &t.host,
                Proto::Tcp,
                t.need.ports,
                Family::V4,
            );
            let (dest, place) = if t.via.is_empty() {
                (t.host.label(), None)
            } else {
                (t.via.clone(), Some(t.host.label()))
            };
            if cov.admitted() {
                push_unique(&mut reached, format!("tcp {} to {dest}", t.need.ports));
                continue;
            }
            if cov.missing.is_empty() {
                push_unique(
                    &mut undecided,
                    format!(
                        "whether {subject} egress on tcp {} to {dest}{} cannot be told: {}",
                        format_ports(&cov.undecided),
                        place
                            .as_ref()
                            .map(|p| format!(" (ENIs in {p})"))
                            .unwrap_or_default(),
                        cov.unknown.join("; ")
                    ),
                );
                continue;
            }
            let mut head = format!(
                "{subject} no egress on {}",
                cov.gap_text(Proto::Tcp, "to", &dest)
            );
            let partial = cov.partial();
            if !partial.is_empty() {
                head.push_str(&format!(
                    " ({} cover{} only part of it)",
                    partial.join(", "),
                    if partial.len() == 1 { "s" } else { "" }
                ));
            }
            match blocked.iter_mut().find(|(_, h, _)| *h == head) {
                Some((sev, _, places)) => {
                    *sev = (*sev).max(t.need.egress_severity);
                    if let Some(p) = place {
                        push_unique(places, p);
                    }
                }
                None => blocked.push((t.need.egress_severity, head, place.into_iter().collect())),
            }
        }
        let blocked: Vec<(Severity, String)> = blocked
            .into_iter()
            .map(|(s, h, places)| {
                if places.is_empty() {
                    (s, h)
                } else {
                    (
                        s,
                        format!("{h}, whose ENIs are in {}", places.join(" and ")),
                    )
                }
            })
            .collect();
        let severity = blocked.iter().map(|(s, _)| *s).max();
        let mut expected: Vec<String> = Vec::new();
        for t in &targets {
            let dest = if t.via.is_empty() {
                t.host.label()
            } else {
                t.via.clone()
            };
            push_unique(
                &mut expected,
                format!("tcp {} to {dest} ({})", t.need.ports, t.need.purpose),
            );
        }
        if severity.is_none() && !undecided.is_empty() {
            for g in &net.groups {
                out.push(
                    Outcome::error(
                        ResourceType::SecurityGroup,
                        g,
                        format!(
                            "The egress of workspace `{}` cannot be decided: {}.",
                            ws.name,
                            undecided.join("; ")
                        ),
                    )
                    .ws(ws)
                    .expect(expected.join("; "), undecided.join("; ")),
                );
            }
            continue;
        }
        let msg = match severity {
            None => format!("Workspace `{}` may send {}.", ws.name, reached.join(", ")),
            Some(_) => format!(
                "Workspace `{}` cannot send what Databricks needs: {}.",
                ws.name,
                blocked
                    .iter()
                    .map(|(_, w)| w.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        for g in &net.groups {
            let mut o = Outcome::verdict(
                severity.is_none(),
                ResourceType::SecurityGroup,
                g,
                msg.clone(),
            )
            .ws(ws)
            .expect(
                expected.join("; "),
                if blocked.is_empty() {
                    "allowed".to_string()
                } else {
                    blocked
                        .iter()
                        .map(|(_, w)| w.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            );
            if let Some(s) = severity {
                o = o.severity(s);
            }
            out.push(o);
        }
    }
    out
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// Why a rule's families need nothing from the workspace.
fn why_not(ctx: &Context<'_>, ws: &Workspace) -> &'static str {
    let govcloud = ctx.partition() == Some(Partition::AwsUsGov);
    let checks = |g: PortGroup| ctx.meta().ports.contains(&g);
    if checks(PortGroup::Relay) && govcloud {
        "GovCloud workspaces use 2443 instead of 6666 for secure cluster connectivity (see PL-SG-007)"
    } else if checks(PortGroup::Relay) {
        "port 6666 is only needed towards an SCC relay endpoint, and the VPC has none"
    } else if checks(PortGroup::Fips) && !ws.compliance_security_profile {
        "the compliance security profile is off"
    } else {
        "no destination needs these ports"
    }
}

fn targets<'a>(ctx: &Context<'a>, ws: &'a Workspace) -> Result<Vec<Target<'a>>, Box<Outcome>> {
    let mut out = Vec::new();
    let mut via_endpoint: Vec<PortNeed> = Vec::new();
    for kind in [ServiceKind::Workspace, ServiceKind::Relay] {
        let needs: Vec<PortNeed> = ctx.port_needs(ws, Some(kind));
        let serving = if ws.has(Mode::BackEnd) {
            ctx.serving_endpoints(&ws.vpc_id, kind)
        } else {
            Vec::new()
        };
        for e in serving {
            let via = format!("{} ({} endpoint)", e.endpoint.vpc_endpoint_id, kind.label());
            let hosts = ctx.endpoint_hosts(e.endpoint).map_err(Box::new)?;
            for host in hosts {
                for n in &needs {
                    out.push(Target {
                        host: host.clone(),
                        via: via.clone(),
                        need: *n,
                    });
                    via_endpoint.push(*n);
                }
            }
        }
    }
    if !ws.isolated() {
        // Outside isolation the internet path carries what no endpoint does, and 443 always
        // (cloud data sources, library repositories).
        for n in ctx.port_needs(ws, None) {
            if n.ports.from == 443 || !via_endpoint.contains(&n) {
                out.push(Target {
                    host: Host::internet(),
                    via: String::new(),
                    need: n,
                });
            }
        }
    } else if ctx.meta().ports.contains(&PortGroup::Https) {
        // Under isolation 443 also goes to S3, through the gateway endpoint's prefix list.
        let Some(region) = ctx.region else {
            return Err(Box::new(Outcome::error(
                ResourceType::Vpc,
                &ws.vpc_id,
                "The region is unknown, so the S3 prefix list cannot be identified; pass --region."
                    .into(),
            )));
        };
        match s3_prefix_list(ctx.view(), &ws.vpc_id, region) {
            Some(pl) => {
                let need = ctx
                    .port_needs(ws, None)
                    .into_iter()
                    .find(|n| n.ports.from == 443);
                if let Some(need) = need {
                    out.push(Target {
                        host: Host::prefix_list(pl, "the S3 prefix list"),
                        via: String::new(),
                        need: PortNeed {
                            purpose: "S3 through the gateway endpoint",
                            ..need
                        },
                    });
                }
            }
            None => {
                return Err(Box::new(Outcome::error(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    format!("The S3 prefix list of {region} is unknown (no describe-managed-prefix-lists.json entry and no S3 gateway-endpoint route), so 443 egress to S3 cannot be checked."),
                )));
            }
        }
    }
    Ok(out)
}

/// The S3 managed prefix list: by name from the prefix-list file, else from the routes an S3
/// gateway endpoint added to the VPC's route tables.
pub(crate) fn s3_prefix_list<'a>(ix: View<'a>, vpc_id: &str, region: &str) -> Option<&'a str> {
    if let Some(pl) = ix.s3_prefix_list(region) {
        return Some(pl);
    }
    let s3 = s3_service(region);
    let gw: Vec<&str> = ix
        .endpoints(vpc_id)
        .iter()
        .filter(|e| e.is_gateway() && e.service_name == s3)
        .map(|e| e.vpc_endpoint_id.as_str())
        .collect();
    let tables: &[&RouteTable] = ix.route_tables_in(vpc_id);
    tables.iter().flat_map(|t| t.routes.iter()).find_map(|r| {
        let pl = r.destination_prefix_list_id.as_deref()?;
        gw.contains(&r.target()).then_some(pl)
    })
}

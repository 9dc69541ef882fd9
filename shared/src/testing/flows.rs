//! Realistic required flows for a report whose engine traced none (`Report::flows` empty), so the
//! HTML report's diagrams and evidence tables can be exercised and shown on the bundled examples
//! and synthetic estates. Not an analysis: each workspace subnet gets a flow to every interface
//! endpoint of its VPC and, where the VPC has a NAT gateway, one to the internet; a flow is
//! blocked where a failing finding names its security group (on one of its ports), its
//! destination endpoint or that endpoint's group, or the source subnet's network ACL, and
//! undecided where such a finding is an error. Test support only.

use std::sync::Arc;

use crate::pure::engine::Report;
use crate::pure::evidence::{FlowPath, Hop, HopName, HopVerdict, PathVerdict};
use crate::pure::finding::{ResourceType, Status};
use crate::pure::render::html::Topology;
use crate::pure::snapshot::Snapshot;

/// Fills `report.flows` (and the matching findings' `paths`) when the engine traced no flow.
pub fn plant(report: &mut Report, snap: &Snapshot) {
    if !report.flows.is_empty() {
        return;
    }
    let topo = Topology::of(snap, report);
    let acl_of = |subnet: &str| -> Option<String> {
        snap.network_acls.as_deref().ok().and_then(|acls| {
            acls.iter()
                .find(|a| a.associations.iter().any(|s| s.subnet_id == subnet))
                .map(|a| a.network_acl_id.to_string())
        })
    };
    // The failing and erroring findings by resource: a flow looks up only its own resources.
    let mut by_resource: std::collections::HashMap<&str, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        if matches!(f.status, Status::Fail | Status::Error) {
            by_resource
                .entry(f.resource_id.as_str())
                .or_default()
                .push(i);
        }
    }
    let mut flows: Vec<Arc<FlowPath>> = Vec::new();
    let mut judged: Vec<(usize, Arc<FlowPath>)> = Vec::new();
    for w in &report.deployment.workspaces {
        let Some(vt) = topo.vpcs.get(&w.vpc_id) else {
            continue;
        };
        let mut dests: Vec<(String, String, &str, Vec<String>)> = vt
            .endpoints
            .iter()
            .map(|e| {
                let (purpose, ports) = match e.service.as_str() {
                    "workspace (REST API)" => (
                        "REST API and web application to the workspace endpoint".to_string(),
                        "443, 6666, 8443-8451",
                    ),
                    "SCC relay" => (
                        "secure cluster connectivity to the relay endpoint".to_string(),
                        "6666",
                    ),
                    other => (format!("AWS {other} through its interface endpoint"), "443"),
                };
                (e.id.clone(), purpose, ports, e.group_ids.clone())
            })
            .collect();
        if let Some(nat) = vt.nat_gateways.first() {
            dests.push((
                "0.0.0.0/0".to_string(),
                format!("egress through {} to the control plane", nat.id),
                "443, 3306",
                Vec::new(),
            ));
        }
        for src in w.subnet_ids.iter().take(2) {
            let src_acl = acl_of(src);
            for (dst, purpose, ports, dst_groups) in &dests {
                let internet = dst == "0.0.0.0/0";
                let route = if internet {
                    vt.nat_gateways
                        .first()
                        .map(|n| n.id.clone())
                        .unwrap_or_default()
                } else {
                    "local".to_string()
                };
                let mut hops: Vec<Hop> = HopName::ALL
                    .iter()
                    .map(|&h| {
                        let (resources, entries) = match h {
                            HopName::SrcSgEgress => (w.security_group_ids.clone(), vec![]),
                            HopName::SrcNaclOut | HopName::SrcNaclReturnIn => {
                                (src_acl.iter().cloned().collect(), vec!["rule 100".into()])
                            }
                            HopName::Route => (vec![], vec![route.clone()]),
                            HopName::DstSgIngress => (dst_groups.clone(), vec![]),
                            _ => (vec![], vec!["rule 100".into()]),
                        };
                        let outside = internet
                            && matches!(
                                h,
                                HopName::DstNaclIn
                                    | HopName::DstSgIngress
                                    | HopName::DstNaclReturnOut
                            );
                        Hop {
                            hop: h,
                            verdict: if outside {
                                HopVerdict::NotOnPath
                            } else {
                                HopVerdict::Allowed
                            },
                            resources: if outside { vec![] } else { resources },
                            entries: if outside { vec![] } else { entries },
                            uncovered: vec![],
                            detail: String::new(),
                        }
                    })
                    .collect();
                let mut hits: Vec<usize> = Vec::new();
                let candidates = w
                    .security_group_ids
                    .iter()
                    .chain(dst_groups.iter())
                    .map(String::as_str)
                    .chain([dst.as_str()])
                    .chain(src_acl.as_deref())
                    .flat_map(|r| by_resource.get(r).into_iter().flatten().copied())
                    .collect::<std::collections::BTreeSet<usize>>();
                for i in candidates {
                    let f = &report.findings[i];
                    let r = f.resource_id.as_str();
                    let on_port = ports
                        .split(", ")
                        .any(|p| !p.contains('-') && f.message.contains(p));
                    let hop = if w.security_group_ids.iter().any(|g| g == r) && on_port {
                        HopName::SrcSgEgress
                    } else if r == dst || (dst_groups.iter().any(|g| g == r) && on_port) {
                        HopName::DstSgIngress
                    } else if f.resource_type == ResourceType::NetworkAcl
                        && src_acl.as_deref() == Some(r)
                    {
                        HopName::SrcNaclReturnIn
                    } else {
                        continue;
                    };
                    if let Some(h) = hops.iter_mut().find(|h| h.hop == hop) {
                        if h.verdict == HopVerdict::Blocked {
                            continue;
                        }
                        h.verdict = if f.status == Status::Fail {
                            HopVerdict::Blocked
                        } else {
                            HopVerdict::Unknown
                        };
                        h.entries = vec![format!("{}: {}", f.rule_id, f.resource_id)];
                        h.detail = f.message.clone();
                        hits.push(i);
                    }
                }
                let verdict = if hops.iter().any(|h| h.verdict == HopVerdict::Blocked) {
                    PathVerdict::Fail
                } else if hops.iter().any(|h| h.verdict == HopVerdict::Unknown) {
                    PathVerdict::Error
                } else {
                    PathVerdict::Pass
                };
                let p = Arc::new(FlowPath {
                    id: FlowPath::make_id(&w.name, src, dst, "tcp", ports),
                    workspace: w.name.clone(),
                    purpose: purpose.clone(),
                    source: src.clone(),
                    destination: dst.clone(),
                    protocol: "tcp".into(),
                    ports: ports.to_string(),
                    verdict,
                    hops,
                });
                for i in hits {
                    judged.push((i, p.clone()));
                }
                flows.push(p);
            }
        }
    }
    // Front-end: each transit VPC's client ranges to its workspace (REST API) endpoints, for
    // every front-end workspace; blocked where a failing finding names the endpoint's group.
    for tv in &report.deployment.transit_vpcs {
        let Some(vt) = topo.vpcs.get(&tv.vpc_id) else {
            continue;
        };
        for w in report
            .deployment
            .workspaces
            .iter()
            .filter(|w| w.has(crate::pure::deployment::Mode::FrontEnd))
        {
            for e in vt
                .endpoints
                .iter()
                .filter(|e| e.service == "workspace (REST API)")
            {
                for client in &tv.client_cidrs {
                    let client = client.to_string();
                    let mut hops: Vec<Hop> = HopName::ALL
                        .iter()
                        .map(|&h| Hop {
                            hop: h,
                            verdict: match h {
                                HopName::DstSgIngress
                                | HopName::DstNaclIn
                                | HopName::DstNaclReturnOut => HopVerdict::Allowed,
                                _ => HopVerdict::NotOnPath,
                            },
                            resources: if h == HopName::DstSgIngress {
                                e.group_ids.clone()
                            } else {
                                vec![]
                            },
                            entries: vec![],
                            uncovered: vec![],
                            detail: String::new(),
                        })
                        .collect();
                    let mut hits = Vec::new();
                    let candidates = e
                        .group_ids
                        .iter()
                        .flat_map(|g| by_resource.get(g.as_str()).into_iter().flatten().copied())
                        .collect::<std::collections::BTreeSet<usize>>();
                    for i in candidates {
                        let f = &report.findings[i];
                        if f.status == Status::Fail
                            && e.group_ids.iter().any(|g| *g == *f.resource_id)
                            && f.message.contains(client.as_str())
                        {
                            if let Some(h) =
                                hops.iter_mut().find(|h| h.hop == HopName::DstSgIngress)
                            {
                                h.verdict = HopVerdict::Blocked;
                                h.entries = vec![format!("{}: {}", f.rule_id, f.resource_id)];
                                h.uncovered = vec![format!("tcp 443 from {client}")];
                                h.detail = f.message.clone();
                                hits.push(i);
                            }
                        }
                    }
                    let verdict = if hits.is_empty() {
                        PathVerdict::Pass
                    } else {
                        PathVerdict::Fail
                    };
                    let p = Arc::new(FlowPath {
                        id: FlowPath::make_id(&w.name, &client, &e.id, "tcp", "443"),
                        workspace: w.name.clone(),
                        purpose: "users to the front-end (workspace) endpoint".into(),
                        source: client.clone(),
                        destination: e.id.clone(),
                        protocol: "tcp".into(),
                        ports: "443".into(),
                        verdict,
                        hops,
                    });
                    for i in hits {
                        judged.push((i, p.clone()));
                    }
                    flows.push(p);
                }
            }
        }
    }
    for (i, p) in judged {
        if let Some(f) = report.findings.get_mut(i) {
            f.paths.push(p);
        }
    }
    report.flows = flows;
}

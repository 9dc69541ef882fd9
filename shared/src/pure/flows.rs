//! The required flows of each workspace, traced hop by hop: the evidence behind the
//! reachability findings ([`crate::pure::evidence`]).
//!
//! The flows are the ones the rule catalogue requires, derived from the same sources the rules
//! read (the port table, the serving Databricks endpoints, the modes): intra-cluster traffic
//! between the workspace's subnets (all TCP, all UDP), the back-end endpoints on the ports of the
//! table, the internet outside isolation (443, and what no endpoint carries), S3 through the
//! gateway endpoint's prefix list under isolation, and the declared client ranges to the
//! front-end endpoint on 443. One [`FlowPath`] per (workspace, source, destination, protocol,
//! contiguous port range); a flow to an endpoint is traced to each subnet its network
//! interfaces are in and the hops are merged (the worst verdict of each hop wins).
//!
//! The rules stay the judges: nothing here changes a verdict. After the rules ran, the engine
//! attaches to each finding of a rule that judges flows ([`RuleMeta::flows`]) the flows of those
//! kinds, of its port families, of its workspaces, whose path goes through its resource.

use std::sync::Arc;

use crate::pure::cidr::Family;
use crate::pure::deployment::{Mode, Workspace};
use crate::pure::evidence::{FlowKind, FlowPath, Hop, HopName, HopVerdict, PathVerdict};
use crate::pure::fastmap::FastMap;
use crate::pure::finding::{Finding, ResourceType};
use crate::pure::packet::{Ports, Proto};
use crate::pure::reachability::{format_ports, trace, Flow, HopEvidence, HopKind, Host, Verdict};
use crate::pure::rules::{Context, PortGroup, RuleMeta};
use crate::pure::services::ServiceKind;
use crate::pure::snapshot::Input;
use crate::pure::view::View;

/// The declaration the flows are derived under: every input, every port family.
static FLOW_META: RuleMeta = RuleMeta {
    id: "flows",
    title: "required flows",
    inputs: &Input::ALL,
    ports: &PortGroup::ALL,
    ..RuleMeta::DEFAULT
};

/// A traced flow with what attaching it to findings needs (not part of the report).
#[derive(Debug, Clone)]
pub struct Traced {
    pub path: Arc<FlowPath>,
    pub kind: FlowKind,
    /// The port families of the flow (empty for intra-cluster and front-end flows).
    pub groups: Vec<PortGroup>,
}

/// One required flow before tracing: one [`Flow`] per destination subnet.
struct Required<'a> {
    kind: FlowKind,
    groups: Vec<PortGroup>,
    workspace: &'a Workspace,
    purpose: String,
    source: String,
    destination: String,
    flows: Vec<Flow<'a>>,
}

/// A contiguous port range the workspace needs, with the purposes and families of its rows.
struct Need {
    ports: Ports,
    purpose: String,
    groups: Vec<PortGroup>,
}

/// Merges port needs into contiguous ranges (8443, 8444 and 8445-8451 are one flow).
fn merge_needs(mut needs: Vec<crate::pure::rules::PortNeed>) -> Vec<Need> {
    needs.sort_by_key(|n| n.ports);
    let mut out: Vec<Need> = Vec::new();
    for n in needs {
        match out.last_mut() {
            Some(l) if u32::from(n.ports.from) <= u32::from(l.ports.to) + 1 => {
                l.ports.to = l.ports.to.max(n.ports.to);
                if !l.purpose.contains(n.purpose) {
                    l.purpose.push_str(", ");
                    l.purpose.push_str(n.purpose);
                }
                if !l.groups.contains(&n.group) {
                    l.groups.push(n.group);
                }
            }
            _ => out.push(Need {
                ports: n.ports,
                purpose: n.purpose.to_string(),
                groups: vec![n.group],
            }),
        }
    }
    out
}

/// The required flows of one workspace. A workspace whose network cannot be resolved (missing
/// subnets or groups, which the rules report) has none; without a region only the intra-cluster
/// flows are known (the ports depend on the partition).
fn required<'a>(ctx: &Context<'a>, ws: &'a Workspace) -> Vec<Required<'a>> {
    let mut out = Vec::new();
    let net = match ctx.ws_net(ws) {
        Ok(n) => n,
        Err(_) => return out,
    };
    let hosts = &net.hosts;
    // Intra-cluster: between distinct subnets (within one subnet no NACL is met), or within
    // the only one.
    for a in hosts {
        for b in hosts {
            if a.name == b.name && hosts.len() > 1 {
                continue;
            }
            for proto in [Proto::Tcp, Proto::Udp] {
                out.push(Required {
                    kind: FlowKind::IntraCluster,
                    groups: Vec::new(),
                    workspace: ws,
                    purpose: format!("intra-cluster traffic (all {})", proto.name()),
                    source: a.name.to_string(),
                    destination: b.name.to_string(),
                    flows: vec![Flow {
                        src: a.clone(),
                        dst: b.clone(),
                        proto,
                        ports: Ports::ALL,
                        family: Family::V4,
                    }],
                });
            }
        }
    }
    if ctx.region.is_none() {
        return out;
    }
    let mut via_endpoint: Vec<crate::pure::rules::PortNeed> = Vec::new();
    if ws.has(Mode::BackEnd) {
        for kind in [ServiceKind::Workspace, ServiceKind::Relay] {
            let needs = ctx.port_needs(ws, Some(kind));
            let serving = ctx.serving_endpoints(&ws.vpc_id, kind);
            if !serving.is_empty() {
                via_endpoint.extend(needs.iter().copied());
            }
            let needs = merge_needs(needs);
            for e in serving {
                let Ok(dsts) = ctx.endpoint_hosts(e.endpoint) else {
                    continue;
                };
                for a in hosts {
                    for n in &needs {
                        out.push(Required {
                            kind: FlowKind::Endpoint,
                            groups: n.groups.clone(),
                            workspace: ws,
                            purpose: format!("{} ({} endpoint)", n.purpose, kind.label()),
                            source: a.name.to_string(),
                            destination: e.endpoint.vpc_endpoint_id.to_string(),
                            flows: dsts
                                .iter()
                                .map(|d| Flow {
                                    src: a.clone(),
                                    dst: d.clone(),
                                    proto: Proto::Tcp,
                                    ports: n.ports,
                                    family: Family::V4,
                                })
                                .collect(),
                        });
                    }
                }
            }
        }
    }
    let needs: Vec<_> = ctx
        .port_needs(ws, None)
        .into_iter()
        .filter(|n| n.ports.from == 443 || !via_endpoint.contains(n))
        .collect();
    if !ws.isolated() {
        // Outside isolation the internet carries what no endpoint does, and 443 always.
        for n in merge_needs(needs) {
            for a in hosts {
                out.push(Required {
                    kind: FlowKind::Internet,
                    groups: n.groups.clone(),
                    workspace: ws,
                    purpose: format!("{} (internet)", n.purpose),
                    source: a.name.to_string(),
                    destination: "0.0.0.0/0".to_string(),
                    flows: vec![Flow {
                        src: a.clone(),
                        dst: Host::internet(),
                        proto: Proto::Tcp,
                        ports: n.ports,
                        family: Family::V4,
                    }],
                });
            }
        }
    } else if let Some(pl) = ctx
        .region
        .and_then(|r| crate::pure::rules::common::egress::s3_prefix_list(ctx.view(), &ws.vpc_id, r))
    {
        // Under isolation 443 goes to S3 through the gateway endpoint's prefix list.
        if needs.iter().any(|n| n.ports.from == 443) {
            for a in hosts {
                out.push(Required {
                    kind: FlowKind::S3,
                    groups: vec![PortGroup::Https],
                    workspace: ws,
                    purpose: "S3 through the gateway endpoint".to_string(),
                    source: a.name.to_string(),
                    destination: pl.to_string(),
                    flows: vec![Flow {
                        src: a.clone(),
                        dst: Host::prefix_list(pl, "the S3 prefix list"),
                        proto: Proto::Tcp,
                        ports: Ports::one(443),
                        family: Family::V4,
                    }],
                });
            }
        }
    }
    out
}

/// The front-end flows of the deployment: each declared client range to each front-end
/// endpoint (REST API or Service Direct) of a transit VPC, on 443, for each workspace it serves.
fn front_end<'a>(ctx: &Context<'a>) -> Vec<Required<'a>> {
    let mut out = Vec::new();
    for fe in ctx.front_end_vpcs() {
        let Some(transit) = fe.transit else { continue };
        for e in ctx
            .databricks_endpoints(fe.vpc_id)
            .into_iter()
            .filter(|e| matches!(e.kind, ServiceKind::Workspace | ServiceKind::ServiceDirect))
        {
            let Ok(dsts) = ctx.endpoint_hosts(e.endpoint) else {
                continue;
            };
            for c in &transit.client_cidrs {
                let client = Host::addresses(format!("client range {c}"), vec![*c]);
                for ws in &fe.serves {
                    out.push(Required {
                        kind: FlowKind::FrontEnd,
                        groups: Vec::new(),
                        workspace: ws,
                        purpose: format!(
                            "users to the web application and REST API ({} endpoint)",
                            e.kind.label()
                        ),
                        source: c.to_string(),
                        destination: e.endpoint.vpc_endpoint_id.to_string(),
                        flows: dsts
                            .iter()
                            .map(|d| Flow {
                                src: client.clone(),
                                dst: d.clone(),
                                proto: Proto::Tcp,
                                ports: Ports::one(443),
                                family: c.family(),
                            })
                            .collect(),
                    });
                }
            }
        }
    }
    out
}

/// Why the hops of a kind cannot be decided: the inputs they read that were not collected.
#[derive(Debug, Clone, Default)]
struct Blind {
    sg: Option<String>,
    nacl: Option<String>,
    route: Option<String>,
}

impl Blind {
    fn of(view: View<'_>) -> Blind {
        let why = |inputs: &[Input]| {
            inputs
                .iter()
                .find_map(|i| view.availability(*i).err().map(|f| f.to_string()))
        };
        Blind {
            sg: why(&[Input::SecurityGroups, Input::SecurityGroupRules]),
            nacl: why(&[Input::NetworkAcls]),
            route: why(&[Input::RouteTables]),
        }
    }

    /// Why a hop of the flow cannot be decided, when it is on the flow's path (a subnet's NACL
    /// and route table, the groups of a host that has some) and its input was not collected.
    fn of_hop(&self, kind: HopKind, flow: &Flow<'_>) -> Option<&str> {
        let (src, dst) = (flow.src.subnet.is_some(), flow.dst.subnet.is_some());
        match kind {
            HopKind::SrcSgEgress if src || !flow.src.groups.is_empty() => self.sg.as_deref(),
            HopKind::DstSgIngress if !flow.dst.groups.is_empty() => self.sg.as_deref(),
            HopKind::Route if src => self.route.as_deref(),
            HopKind::SrcNaclOut | HopKind::SrcNaclReturnIn if src => self.nacl.as_deref(),
            HopKind::DstNaclIn | HopKind::DstNaclReturnOut if dst => self.nacl.as_deref(),
            _ => None,
        }
    }
}

fn hop_name(k: HopKind) -> HopName {
    match k {
        HopKind::SrcSgEgress => HopName::SrcSgEgress,
        HopKind::SrcNaclOut => HopName::SrcNaclOut,
        HopKind::Route => HopName::Route,
        HopKind::DstNaclIn => HopName::DstNaclIn,
        HopKind::DstSgIngress => HopName::DstSgIngress,
        HopKind::DstNaclReturnOut => HopName::DstNaclReturnOut,
        HopKind::SrcNaclReturnIn => HopName::SrcNaclReturnIn,
    }
}

/// How bad a hop verdict is, for merging the traces to several destination subnets.
fn rank(v: HopVerdict) -> u8 {
    match v {
        HopVerdict::NotOnPath => 0,
        HopVerdict::Allowed => 1,
        HopVerdict::Unknown => 2,
        HopVerdict::Blocked => 3,
    }
}

fn push_all(into: &mut Vec<String>, from: Vec<String>) {
    for s in from {
        if !into.contains(&s) {
            into.push(s);
        }
    }
}

/// One traced hop as evidence: the one place a [`crate::pure::reachability::Trace`] hop becomes
/// a report [`Hop`]. A hop whose input was not collected cannot be decided, whatever the
/// (empty) input says.
fn to_hop(kind: HopKind, verdict: Verdict, ev: HopEvidence, blind: Option<&str>) -> Hop {
    let (verdict, detail) = match (verdict, blind) {
        (_, Some(why)) => (HopVerdict::Unknown, why.to_string()),
        (Verdict::NotOnPath, None) => (HopVerdict::NotOnPath, String::new()),
        (Verdict::Allowed, None) => (HopVerdict::Allowed, String::new()),
        (Verdict::Blocked(s), None) => (HopVerdict::Blocked, s),
        (Verdict::Unknown(s), None) => (HopVerdict::Unknown, s),
    };
    // Paths are many and kept to the end of the run: no slack capacity.
    let tight = |mut v: Vec<String>| {
        v.shrink_to_fit();
        v
    };
    Hop {
        hop: hop_name(kind),
        verdict,
        resources: tight(ev.resources),
        entries: tight(ev.entries),
        uncovered: tight(ev.uncovered),
        detail,
    }
}

/// Merges the hop of another trace into `into`: the worse verdict wins; resources, entries and
/// remainders are united; distinct sentences are joined.
fn merge_hop(into: &mut Hop, other: Hop) {
    if rank(other.verdict) > rank(into.verdict) {
        into.verdict = other.verdict;
    }
    push_all(&mut into.resources, other.resources);
    push_all(&mut into.entries, other.entries);
    push_all(&mut into.uncovered, other.uncovered);
    if !other.detail.is_empty() && !into.detail.contains(&other.detail) {
        if !into.detail.is_empty() {
            into.detail.push_str("; ");
        }
        into.detail.push_str(&other.detail);
    }
}

/// Traces one required flow into its path.
fn to_path(view: View<'_>, r: Required<'_>, blind: &Blind) -> Traced {
    let mut hops: Vec<Hop> = Vec::with_capacity(HopKind::ALL.len());
    let (proto, ports) = r
        .flows
        .first()
        .map_or((Proto::Tcp, Ports::ALL), |f| (f.proto, f.ports));
    for f in &r.flows {
        let t = trace(view, f);
        for (i, ((k, v), ev)) in t.hops.into_iter().zip(t.evidence).enumerate() {
            let h = to_hop(k, v, ev, blind.of_hop(k, f));
            match hops.get_mut(i) {
                Some(into) => merge_hop(into, h),
                None => hops.push(h),
            }
        }
    }
    let verdict = if hops.iter().any(|h| h.verdict == HopVerdict::Blocked) {
        PathVerdict::Fail
    } else if hops.is_empty() || hops.iter().any(|h| h.verdict == HopVerdict::Unknown) {
        PathVerdict::Error
    } else {
        PathVerdict::Pass
    };
    let protocol = proto.name();
    let ports = format_ports(&[ports]);
    Traced {
        path: Arc::new(FlowPath {
            id: FlowPath::make_id(
                &r.workspace.name,
                &r.source,
                &r.destination,
                &protocol,
                &ports,
            ),
            workspace: r.workspace.name.clone(),
            purpose: r.purpose,
            source: r.source,
            destination: r.destination,
            protocol,
            ports,
            verdict,
            hops,
        }),
        kind: r.kind,
        groups: r.groups,
    }
}

/// Traces the required flows of some workspaces (`front` adds the front-end flows of the
/// deployment), in the order of the workspaces.
pub fn trace_workspaces<'a>(
    ctx: &Context<'a>,
    workspaces: &[&'a Workspace],
    front: bool,
) -> Vec<Traced> {
    let view = ctx.view();
    let blind = Blind::of(view);
    let mut out = Vec::new();
    for ws in workspaces {
        for r in required(ctx, ws) {
            out.push(to_path(view, r, &blind));
        }
    }
    if front {
        for r in front_end(ctx) {
            out.push(to_path(view, r, &blind));
        }
    }
    out
}

/// Traces the required flows of every workspace that can be judged (no problem in its
/// description, its VPC in the snapshot) on up to `threads` threads, in workspace order, then the
/// front-end flows.
pub fn trace_all<'a>(
    ix: &'a crate::pure::index::Index<'a>,
    shared: &crate::pure::rules::Shared<'a>,
    threads: usize,
) -> Vec<Traced> {
    let workspaces: Vec<&'a Workspace> = shared
        .deployment
        .workspaces
        .iter()
        .filter(|w| w.problems.is_empty() && ix.vpcs.contains_key(w.vpc_id.as_str()))
        .collect();
    const CHUNK: usize = 64;
    let chunks: Vec<&[&'a Workspace]> = workspaces.chunks(CHUNK).collect();
    let done: Vec<Vec<Traced>> = crate::pure::engine::par_jobs(
        chunks.len(),
        threads,
        || Context::new(&FLOW_META, View::whole(ix), Vec::new(), shared),
        |ctx, i| trace_workspaces(ctx, chunks[i], false),
    );
    let mut out: Vec<Traced> = Vec::with_capacity(done.iter().map(Vec::len).sum());
    for v in done {
        out.extend(v);
    }
    let ctx = Context::new(&FLOW_META, View::whole(ix), workspaces, shared);
    out.extend(trace_workspaces(&ctx, &[], true));
    out
}

/// Which hops a resource type is judged at.
fn judged_at(rt: ResourceType, hop: HopName) -> bool {
    match rt {
        ResourceType::SecurityGroup => {
            matches!(hop, HopName::SrcSgEgress | HopName::DstSgIngress)
        }
        ResourceType::NetworkAcl => matches!(
            hop,
            HopName::SrcNaclOut
                | HopName::DstNaclIn
                | HopName::DstNaclReturnOut
                | HopName::SrcNaclReturnIn
        ),
        ResourceType::RouteTable => hop == HopName::Route,
        _ => false,
    }
}

/// Attaches to each finding of a rule that judges flows the traced flows it judged: of a kind
/// the rule declares, of one of its port families (when both declare any), of one of the
/// finding's workspaces, whose path goes through the finding's resource at a hop of its type.
/// Not-applicable findings judged nothing and get none.
pub fn attach(findings: &mut [Finding], flows: &[Traced]) {
    // Resource id -> the flows whose hops name it.
    let mut by_resource: FastMap<&str, Vec<u32>> = FastMap::default();
    for (i, t) in flows.iter().enumerate() {
        let mut seen: Vec<&str> = Vec::new();
        for h in &t.path.hops {
            for r in &h.resources {
                if !seen.contains(&r.as_str()) {
                    seen.push(r);
                    by_resource.entry(r.as_str()).or_default().push(i as u32);
                }
            }
        }
    }
    // Findings come sorted by rule: look each rule up once.
    let mut meta: Option<&'static RuleMeta> = None;
    for f in findings.iter_mut() {
        if f.status == crate::pure::finding::Status::NotApplicable {
            continue;
        }
        if meta.is_none_or(|m| m.id != f.rule_id) {
            meta = crate::pure::rules::meta(&f.rule_id);
        }
        let Some(meta) = meta.filter(|m| !m.flows.is_empty()) else {
            continue;
        };
        let Some(candidates) = by_resource.get(f.resource_id.as_str()) else {
            continue;
        };
        for &i in candidates {
            let t = &flows[i as usize];
            let p = &t.path;
            let judged = meta.flows.contains(&t.kind)
                && (meta.ports.is_empty()
                    || t.groups.is_empty()
                    || t.groups.iter().any(|g| meta.ports.contains(g)))
                && f.workspaces
                    .iter()
                    .any(|w| Arc::ptr_eq(w, &p.workspace) || *w == p.workspace)
                && p.hops.iter().any(|h| {
                    judged_at(f.resource_type, h.hop)
                        && h.resources.iter().any(|r| r == f.resource_id.as_str())
                });
            if judged {
                f.paths.push(Arc::clone(p));
            }
        }
    }
}

#[cfg(test)]
mod tests;

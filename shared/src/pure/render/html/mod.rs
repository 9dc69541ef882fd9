//! The `html` format: one self-contained page (inline CSS and SVG, no script, no external
//! request) for people who read a whole deployment at once. Summary first; everything below it
//! is collapsible (`<details>`), so a 10,000-VPC report stays readable.
//!
//! The page is built in two steps: this module turns the [`Report`] (and, when given, the
//! [`Topology`] read from the snapshot) into a view model of plain strings and numbers, and the
//! askama template `shared/templates/report.html` prints it. askama escapes every value for
//! HTML; before that, every string from the account or the manifest goes through [`plain`], so
//! control and bidirectional-formatting characters print as visible escapes (`\u{202e}`) and
//! cannot reorder what the reader sees.

mod diagram;
pub mod topology;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use askama::Template;

use crate::pure::deployment::Workspace;
use crate::pure::engine::Report;
use crate::pure::evidence::{FlowPath, HopVerdict, PathVerdict};
use crate::pure::finding::{Change, Finding, Status};
use crate::pure::snapshot::Snapshot;

use super::{header, plain, summary_line, Render};

pub use diagram::Diagram;
pub use topology::Topology;

/// Diagrams drawn by default: VPCs with a failing or undecided flow first, then the others in
/// order. Past the cap a VPC's flows are still listed, in its legend table, without a drawing.
pub const DEFAULT_MAX_DIAGRAMS: usize = 250;

/// The `html` format.
#[derive(Debug, Clone)]
pub struct Html {
    /// The VPCs' layout, read from the snapshot; without it the page has no diagrams.
    pub topology: Option<Topology>,
    /// At most this many VPC diagrams ([`DEFAULT_MAX_DIAGRAMS`]).
    pub max_diagrams: usize,
}

impl Default for Html {
    fn default() -> Html {
        Html {
            topology: None,
            max_diagrams: DEFAULT_MAX_DIAGRAMS,
        }
    }
}

impl Html {
    /// A renderer that draws the diagrams of the VPCs `report` names, laid out from `snap`.
    pub fn new(snap: &Snapshot, report: &Report) -> Html {
        Html {
            topology: Some(Topology::of(snap, report)),
            ..Html::default()
        }
    }
}

impl Render for Html {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let page = Page::build(report, self.topology.as_ref(), self.max_diagrams);
        let mut w = IoWrite(out);
        page.write_into(&mut w)
    }
}

/// `askama::Template::write_into` wants a sized writer.
struct IoWrite<'a>(&'a mut dyn Write);

impl Write for IoWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Text from the account or the manifest, made safe to show: see the module doc.
fn t(s: &str) -> String {
    plain(s).into_owned()
}

/// CSS class of a status.
fn status_class(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::NotApplicable => "na",
        Status::Error => "error",
        Status::Waived => "waived",
    }
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::NotApplicable => "not applicable",
        Status::Error => "error",
        Status::Waived => "waived",
    }
}

fn change_text(c: Change) -> &'static str {
    match c {
        Change::New => "new",
        Change::StillFailing => "still failing",
        Change::ChangedEvidence => "changed evidence",
        Change::Resolved => "resolved",
        Change::Unchanged => "unchanged",
    }
}

/// The rule family of a rule id: `PL-EPSG-001` -> `EPSG`.
fn family(rule_id: &str) -> &str {
    rule_id.split('-').nth(1).unwrap_or(rule_id)
}

/// The page's view model: plain strings and numbers, every one already safe (see [`t`]).
#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    title: String,
    header: String,
    summary: String,
    complete: bool,
    counts: Vec<Count>,
    notes: Vec<String>,
    baseline: Option<BaselineView>,
    families: Vec<String>,
    matrix: Vec<MatrixRow>,
    blind: BlindSpots,
    workspaces: Vec<Card>,
    vpcs: Vec<VpcView>,
    diagrams_omitted: usize,
    topology_known: bool,
    groups: Vec<FindingGroup>,
    quiet: usize,
}

struct Count {
    class: &'static str,
    label: &'static str,
    n: usize,
}

struct BaselineView {
    source: String,
    collected_at: String,
    new: usize,
    still_failing: usize,
    changed_evidence: usize,
    resolved: usize,
    new_list: Vec<FindingView>,
    changed_list: Vec<FindingView>,
    resolved_list: Vec<FindingView>,
    gone: Vec<PastView>,
    unseen: Vec<PastView>,
}

struct PastView {
    rule_id: String,
    title: String,
    resource_id: String,
    workspaces: String,
    message: String,
}

struct MatrixRow {
    name: String,
    anchor: String,
    cells: Vec<Cell>,
}

struct Cell {
    class: &'static str,
    label: String,
    title: String,
}

struct BlindSpots {
    collection: Vec<String>,
    scope: Vec<String>,
    errors: Vec<FindingView>,
}

impl BlindSpots {
    fn is_empty(&self) -> bool {
        self.collection.is_empty() && self.scope.is_empty() && self.errors.is_empty()
    }
}

/// One workspace's card.
struct Card {
    anchor: String,
    name: String,
    worst: &'static str,
    modes: String,
    origin: &'static str,
    vpc_id: String,
    vpc_anchor: Option<String>,
    subnets: Vec<SubnetRow>,
    security_groups: String,
    endpoints: Vec<EndpointRow>,
    endpoints_known: bool,
    waivers: Vec<String>,
    problems: Vec<String>,
    /// "7 required flows: 5 pass, 2 fail".
    flow_summary: String,
    failing: Vec<FlowView>,
}

struct SubnetRow {
    id: String,
    name: String,
    zone: String,
    cidr: String,
}

struct EndpointRow {
    id: String,
    service: String,
    state: String,
    databricks: String,
    subnets: String,
}

/// One required flow.
struct FlowView {
    id: String,
    /// Its number on its VPC's diagram (0: not drawn).
    n: usize,
    purpose: String,
    workspace: String,
    source: String,
    destination: String,
    protocol: String,
    ports: String,
    verdict: &'static str,
    blocked_at: String,
    hops: Vec<HopView>,
}

struct HopView {
    label: &'static str,
    verdict: &'static str,
    class: &'static str,
    resources: String,
    entries: String,
    uncovered: String,
    detail: String,
}

/// One VPC's section: the diagram and its legend.
struct VpcView {
    anchor: String,
    vpc_id: String,
    name: String,
    cidr: String,
    workspaces: String,
    worst: &'static str,
    diagram: Option<Diagram>,
    legend: Vec<FlowView>,
    /// Passing flows left out of the legend: the VPC is past the diagram cap.
    hidden_pass: usize,
}

struct FindingGroup {
    title: String,
    worst: &'static str,
    findings: Vec<FindingView>,
    quiet: String,
}

#[derive(Clone)]
struct FindingView {
    anchor: String,
    id: String,
    rule_id: String,
    title: String,
    severity: &'static str,
    status: &'static str,
    class: &'static str,
    change: Option<&'static str>,
    resource_type: &'static str,
    resource_id: String,
    arn: String,
    workspaces: String,
    message: String,
    expected: String,
    actual: String,
    fix: String,
    waiver: Option<String>,
    references: Vec<String>,
    flows: Vec<String>,
}

impl FindingView {
    fn of(f: &Finding) -> FindingView {
        FindingView {
            anchor: format!("f-{}", f.id),
            id: f.id.to_string(),
            rule_id: t(&f.rule_id),
            title: t(&f.title),
            severity: f.severity.as_str(),
            status: status_text(f.status),
            class: status_class(f.status),
            change: f.change.map(change_text),
            resource_type: f.resource_type.as_str(),
            resource_id: t(&f.resource_id),
            arn: f.arn().map(|a| t(&a)).unwrap_or_default(),
            workspaces: t(&f.workspaces.join(", ")),
            message: t(&f.message),
            expected: t(&f.expected),
            actual: t(&f.actual),
            fix: if f.status == Status::Fail || f.status == Status::Waived {
                t(&f.remediation)
            } else {
                String::new()
            },
            waiver: f.waiver.as_deref().map(waiver_text),
            references: f.references().iter().map(|r| t(r)).collect(),
            flows: f.paths.iter().map(|p| t(&p.id)).collect(),
        }
    }
}

fn verdict_class(v: PathVerdict) -> &'static str {
    match v {
        PathVerdict::Pass => "pass",
        PathVerdict::Fail => "fail",
        PathVerdict::Error => "error",
    }
}

fn hop_class(v: HopVerdict) -> &'static str {
    match v {
        HopVerdict::Allowed => "pass",
        HopVerdict::Blocked => "fail",
        HopVerdict::Unknown => "error",
        HopVerdict::NotOnPath => "na",
    }
}

/// Where a flow is blocked (or undecided): "source network ACL (outbound): rule 90".
fn blocked_at(p: &FlowPath) -> String {
    match p.blocking_hop() {
        None => String::new(),
        Some(h) if h.entries.is_empty() => t(h.hop.label()),
        Some(h) => t(&format!("{}: {}", h.hop.label(), h.entries.join(", "))),
    }
}

impl FlowView {
    fn of(p: &FlowPath, n: usize) -> FlowView {
        FlowView {
            id: t(&p.id),
            n,
            purpose: t(&p.purpose),
            workspace: t(&p.workspace),
            source: t(&p.source),
            destination: t(&p.destination),
            protocol: t(&p.protocol),
            ports: t(&p.ports),
            verdict: verdict_class(p.verdict),
            blocked_at: blocked_at(p),
            hops: p
                .hops
                .iter()
                .map(|h| HopView {
                    label: h.hop.label(),
                    verdict: h.verdict.as_str(),
                    class: hop_class(h.verdict),
                    resources: t(&h.resources.join(", ")),
                    entries: t(&h.entries.join(", ")),
                    uncovered: t(&h.uncovered.join(", ")),
                    detail: t(&h.detail),
                })
                .collect(),
        }
    }
}

fn worst(statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
    statuses.into_iter().max_by_key(|s| s.rank())
}

fn worst_flow(flows: &[&FlowPath]) -> &'static str {
    if flows.iter().any(|p| p.verdict == PathVerdict::Fail) {
        "fail"
    } else if flows.iter().any(|p| p.verdict == PathVerdict::Error) {
        "error"
    } else if flows.is_empty() {
        "na"
    } else {
        "pass"
    }
}

impl Page {
    fn build(report: &Report, topo: Option<&Topology>, max_diagrams: usize) -> Page {
        let ws_list = &report.deployment.workspaces;
        let ws_index: BTreeMap<&str, usize> = ws_list
            .iter()
            .enumerate()
            .map(|(i, w)| (&*w.name, i))
            .collect();

        // Findings by workspace, once.
        let mut by_ws: Vec<Vec<&Finding>> = vec![Vec::new(); ws_list.len()];
        let mut unowned: Vec<&Finding> = Vec::new();
        for f in &report.findings {
            let mut any = false;
            for w in &f.workspaces {
                if let Some(&i) = ws_index.get(&**w) {
                    by_ws[i].push(f);
                    any = true;
                }
            }
            if !any {
                unowned.push(f);
            }
        }

        // The VPC every flow is drawn in: its source's, else its destination's (users' ranges
        // to a front-end endpoint), else its workspace's.
        let node_vpc: BTreeMap<&str, &str> = topo
            .map(|tp| {
                tp.vpcs
                    .values()
                    .flat_map(|v| {
                        v.subnets
                            .iter()
                            .map(|s| s.id.as_str())
                            .chain(v.endpoints.iter().map(|e| e.id.as_str()))
                            .map(|id| (id, v.vpc_id.as_str()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut vpc_order: Vec<String> = Vec::new();
        let mut vpc_flows: BTreeMap<String, Vec<&FlowPath>> = BTreeMap::new();
        let mut vpc_ws: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for w in ws_list {
            if !vpc_ws.contains_key(&w.vpc_id) {
                vpc_order.push(w.vpc_id.clone());
            }
            vpc_ws
                .entry(w.vpc_id.clone())
                .or_default()
                .insert(w.name.to_string());
        }
        for tv in &report.deployment.transit_vpcs {
            if !vpc_ws.contains_key(&tv.vpc_id) {
                vpc_order.push(tv.vpc_id.clone());
                vpc_ws.entry(tv.vpc_id.clone()).or_default();
            }
        }
        for p in &report.flows {
            let vpc = node_vpc
                .get(p.source.as_str())
                .or_else(|| node_vpc.get(p.destination.as_str()))
                .map(|v| v.to_string())
                .or_else(|| {
                    ws_index
                        .get(&*p.workspace)
                        .map(|&i| ws_list[i].vpc_id.clone())
                })
                .unwrap_or_default();
            if !vpc_ws.contains_key(&vpc) {
                vpc_order.push(vpc.clone());
                vpc_ws.entry(vpc.clone()).or_default();
            }
            vpc_flows.entry(vpc).or_default().push(p);
        }
        // Flow numbers, per VPC, in report order.
        let mut flow_n: BTreeMap<&str, usize> = BTreeMap::new();
        for flows in vpc_flows.values() {
            for (i, p) in flows.iter().enumerate() {
                flow_n.insert(&p.id, i + 1);
            }
        }
        let vpc_anchor: BTreeMap<&str, String> = vpc_order
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_str(), format!("vpc-{i}")))
            .collect();

        // Which VPCs get a drawing: failing or undecided flows first.
        let mut drawn: BTreeSet<&str> = BTreeSet::new();
        let mut diagrams_omitted = 0;
        if topo.is_some() {
            let mut ranked: Vec<(u8, usize, &str)> = vpc_order
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let flows = vpc_flows.get(v).map(Vec::as_slice).unwrap_or_default();
                    let rank = match worst_flow(flows) {
                        "fail" => 0,
                        "error" => 1,
                        _ => 2,
                    };
                    (rank, i, v.as_str())
                })
                .collect();
            ranked.sort();
            for (k, (_, _, v)) in ranked.into_iter().enumerate() {
                if k < max_diagrams {
                    drawn.insert(v);
                } else {
                    diagrams_omitted += 1;
                }
            }
        }

        let mut ws_of_vpc: BTreeMap<&str, Vec<&Workspace>> = BTreeMap::new();
        for w in ws_list {
            ws_of_vpc.entry(&w.vpc_id).or_default().push(w);
        }
        let vpcs: Vec<VpcView> = vpc_order
            .iter()
            .map(|v| {
                let flows = vpc_flows.get(v).map(Vec::as_slice).unwrap_or_default();
                let vt = topo.and_then(|tp| tp.vpcs.get(v));
                let ws_names = vpc_ws.get(v).cloned().unwrap_or_default();
                let ws_here: &[&Workspace] = ws_of_vpc
                    .get(v.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                // Past the cap only what fails or cannot be decided is listed: a 10,000-VPC page
                // stays small enough to open.
                let capped = topo.is_some() && !drawn.contains(v.as_str());
                let diagram = match vt {
                    Some(vt) if drawn.contains(v.as_str()) => {
                        Some(Diagram::layout(vt, ws_here, flows))
                    }
                    _ => None,
                };
                VpcView {
                    anchor: vpc_anchor.get(v.as_str()).cloned().unwrap_or_default(),
                    vpc_id: t(if v.is_empty() { "unknown VPC" } else { v }),
                    name: vt
                        .and_then(|x| x.name.as_deref())
                        .map(t)
                        .unwrap_or_default(),
                    cidr: vt.map(|x| t(&x.cidr)).unwrap_or_default(),
                    workspaces: t(&ws_names.into_iter().collect::<Vec<_>>().join(", ")),
                    worst: worst_flow(flows),
                    hidden_pass: if capped {
                        flows
                            .iter()
                            .filter(|p| p.verdict == PathVerdict::Pass)
                            .count()
                    } else {
                        0
                    },
                    legend: flows
                        .iter()
                        .filter(|p| !capped || p.verdict != PathVerdict::Pass)
                        .map(|p| FlowView::of(p, flow_n.get(p.id.as_str()).copied().unwrap_or(0)))
                        .collect(),
                    diagram,
                }
            })
            .collect();

        let families: Vec<String> = {
            let mut seen: Vec<String> = Vec::new();
            for r in report
                .rules_run
                .iter()
                .map(|r| family(r))
                .chain(report.findings.iter().map(|f| family(&f.rule_id)))
            {
                if !seen.iter().any(|s| s == r) {
                    seen.push(r.to_string());
                }
            }
            seen
        };
        let cell = |list: &[&Finding], fam: &str| -> Cell {
            let mut n: BTreeMap<Status, usize> = BTreeMap::new();
            for f in list.iter().filter(|f| family(&f.rule_id) == fam) {
                *n.entry(f.status).or_default() += 1;
            }
            match worst(n.keys().copied()) {
                None => Cell {
                    class: "none",
                    label: "-".into(),
                    title: format!("{fam}: no finding"),
                },
                Some(s) => Cell {
                    class: status_class(s),
                    label: match s {
                        Status::Fail | Status::Error | Status::Waived => {
                            format!("{} {}", n.get(&s).copied().unwrap_or(0), status_text(s))
                        }
                        _ => status_text(s).to_string(),
                    },
                    title: format!(
                        "{fam}: {}",
                        n.iter()
                            .map(|(s, k)| format!("{k} {}", status_text(*s)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
            }
        };
        let mut matrix: Vec<MatrixRow> = ws_list
            .iter()
            .enumerate()
            .map(|(i, w)| MatrixRow {
                name: t(&w.name),
                anchor: format!("ws-{i}"),
                cells: families.iter().map(|fam| cell(&by_ws[i], fam)).collect(),
            })
            .collect();
        if !unowned.is_empty() {
            matrix.push(MatrixRow {
                name: "not tied to a workspace".into(),
                anchor: "findings".into(),
                cells: families.iter().map(|fam| cell(&unowned, fam)).collect(),
            });
        }

        let mut flows_by_ws: BTreeMap<&str, Vec<&FlowPath>> = BTreeMap::new();
        for p in &report.flows {
            flows_by_ws.entry(&p.workspace).or_default().push(p);
        }
        let workspaces: Vec<Card> = ws_list
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let vt = topo.and_then(|tp| tp.vpcs.get(&w.vpc_id));
                let flows: Vec<FlowView> = flows_by_ws
                    .get(&*w.name)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|p| FlowView::of(p, flow_n.get(p.id.as_str()).copied().unwrap_or(0)))
                    .collect();
                Card {
                    anchor: format!("ws-{i}"),
                    name: t(&w.name),
                    worst: worst(by_ws[i].iter().map(|f| f.status))
                        .map(status_class)
                        .unwrap_or("none"),
                    modes: w
                        .modes
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    origin: match w.origin {
                        crate::pure::deployment::Origin::Manifest => "manifest",
                        crate::pure::deployment::Origin::Tags => "tags",
                        crate::pure::deployment::Origin::Discovered => "discovered",
                    },
                    vpc_id: t(&w.vpc_id),
                    vpc_anchor: vpc_anchor.get(w.vpc_id.as_str()).cloned(),
                    subnets: w
                        .subnet_ids
                        .iter()
                        .map(|id| {
                            let s = vt.and_then(|v| v.subnets.iter().find(|s| s.id == *id));
                            SubnetRow {
                                id: t(id),
                                name: s.and_then(|s| s.name.as_deref()).map(t).unwrap_or_default(),
                                zone: s.map(|s| t(&s.zone)).unwrap_or_else(|| "?".into()),
                                cidr: s.map(|s| t(&s.cidr)).unwrap_or_else(|| "?".into()),
                            }
                        })
                        .collect(),
                    security_groups: t(&w.security_group_ids.join(", ")),
                    endpoints_known: vt.is_some(),
                    endpoints: vt
                        .map(|v| {
                            v.endpoints
                                .iter()
                                .map(|e| EndpointRow {
                                    id: t(&e.id),
                                    service: t(&e.service),
                                    state: t(&e.state),
                                    databricks: databricks_note(&e.service, &e.state),
                                    subnets: t(&e.subnet_ids.join(", ")),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    waivers: by_ws[i]
                        .iter()
                        .filter_map(|f| {
                            f.waiver.as_deref().map(|wv| {
                                format!(
                                    "{} on {}: {}",
                                    t(&f.rule_id),
                                    t(&f.resource_id),
                                    waiver_text(wv)
                                )
                            })
                        })
                        .collect(),
                    problems: w.problems.iter().map(|p| t(p)).collect(),
                    flow_summary: if flows.is_empty() {
                        String::new()
                    } else {
                        let n = |v: &str| flows.iter().filter(|f| f.verdict == v).count();
                        format!(
                            "{} required flows: {} pass, {} fail, {} cannot be decided",
                            flows.len(),
                            n("pass"),
                            n("fail"),
                            n("error")
                        )
                    },
                    failing: flows.into_iter().filter(|f| f.verdict != "pass").collect(),
                }
            })
            .collect();

        let loud = |f: &Finding| matches!(f.status, Status::Fail | Status::Error | Status::Waived);
        let mut groups: Vec<FindingGroup> = super::groups(report)
            .into_iter()
            .map(|(title, list)| {
                let quiet: BTreeMap<Status, usize> =
                    list.iter()
                        .filter(|f| !loud(f))
                        .fold(BTreeMap::new(), |mut m, f| {
                            *m.entry(f.status).or_default() += 1;
                            m
                        });
                FindingGroup {
                    title: t(&title),
                    worst: worst(list.iter().map(|f| f.status))
                        .map(status_class)
                        .unwrap_or("none"),
                    findings: list
                        .iter()
                        .filter(|f| loud(f))
                        .map(|f| FindingView::of(f))
                        .collect(),
                    quiet: quiet
                        .iter()
                        .map(|(s, n)| format!("{n} {}", status_text(*s)))
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            })
            .collect();
        // Groups with something to act on first.
        groups.sort_by_key(|g| g.findings.is_empty());
        let quiet = report.findings.iter().filter(|f| !loud(f)).count();

        let count = |s: Status| report.summary.by_status.get(&s).copied().unwrap_or(0);
        let counts = Status::ALL
            .iter()
            .map(|&s| Count {
                class: status_class(s),
                label: status_text(s),
                n: count(s),
            })
            .collect();

        let baseline = report.baseline.as_ref().map(|b| {
            let with = |c: Change| -> Vec<FindingView> {
                report
                    .findings
                    .iter()
                    .filter(|f| f.change == Some(c))
                    .map(FindingView::of)
                    .collect()
            };
            let past = |list: &[crate::pure::baseline::PastFinding]| -> Vec<PastView> {
                list.iter()
                    .map(|p| PastView {
                        rule_id: t(&p.rule_id),
                        title: t(&p.title),
                        resource_id: t(&p.resource_id),
                        workspaces: t(&p.workspaces.join(", ")),
                        message: t(&p.message),
                    })
                    .collect()
            };
            BaselineView {
                source: t(&b.source),
                collected_at: t(b.collected_at.as_deref().unwrap_or("unknown")),
                new: b.new,
                still_failing: b.still_failing,
                changed_evidence: b.changed_evidence,
                resolved: b.resolved,
                new_list: with(Change::New),
                changed_list: with(Change::ChangedEvidence),
                resolved_list: with(Change::Resolved),
                gone: past(&b.gone),
                unseen: past(&b.unseen),
            }
        });

        let blind = BlindSpots {
            collection: report
                .collection
                .errors
                .iter()
                .map(|e| t(&format!("{}: {} ({})", e.api, e.message, e.code)))
                .collect(),
            scope: report
                .deployment
                .scope_errors
                .iter()
                .map(|e| t(&format!("{} (VPCs: {})", e.message, e.vpc_ids.join(", "))))
                .collect(),
            errors: report
                .findings
                .iter()
                .filter(|f| f.status == Status::Error)
                .map(FindingView::of)
                .collect(),
        };

        Page {
            title: t(&format!(
                "plaudit report: account {}, region {}",
                report.account_id.as_deref().unwrap_or("unknown"),
                report.region.as_deref().unwrap_or("unknown")
            )),
            header: t(&header(report)),
            summary: t(&summary_line(report)),
            complete: report.summary.complete,
            counts,
            notes: report.deployment.notes.iter().map(|n| t(n)).collect(),
            baseline,
            families,
            matrix,
            blind,
            workspaces,
            vpcs,
            diagrams_omitted,
            topology_known: topo.is_some(),
            groups,
            quiet,
        }
    }
}

/// "reason (owner x, expires 2027-03-31)", safe to show.
fn waiver_text(w: &crate::pure::finding::WaiverNote) -> String {
    t(&format!(
        "{} (owner {}, expires {}{})",
        w.reason,
        if w.owner.is_empty() { "-" } else { &w.owner },
        w.expires.as_deref().unwrap_or("never"),
        if w.expired { ", EXPIRED" } else { "" }
    ))
}

/// What the endpoint's state says about its Databricks registration.
fn databricks_note(service: &str, state: &str) -> String {
    let databricks = matches!(
        service,
        "workspace (REST API)" | "SCC relay" | "Service Direct"
    );
    if !databricks {
        return String::new();
    }
    if state.eq_ignore_ascii_case("available") {
        "accepted (registered)".into()
    } else if state.eq_ignore_ascii_case("pendingAcceptance") {
        "pending acceptance: not registered with the Databricks account".into()
    } else {
        t(&format!("state {state}"))
    }
}

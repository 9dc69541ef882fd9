//! One VPC's diagram, laid out on a grid: availability zones are the columns; the rows are,
//! from the top, what lies outside the VPC (internet gateways, prefix lists, addresses, other
//! VPCs' objects), the other subnets with their NAT gateways, the workspace's subnets, the
//! endpoint subnets and the interface endpoints. Each required flow is an arrow from its source
//! to its destination, coloured by verdict; a flow that a hop blocks (or cannot decide) carries
//! a mark with the entry that blocks it. Pure geometry: the template prints it as SVG.

use std::collections::{BTreeMap, BTreeSet};

use crate::pure::deployment::Workspace;
use crate::pure::evidence::{FlowPath, HopName, HopVerdict, PathVerdict};

use super::topology::VpcTopology;
use super::{t, verdict_class};

const GUTTER: i32 = 120;
const COL_W: i32 = 230;
const NODE_W: i32 = 200;
const NODE_H: i32 = 46;
const GAP: i32 = 12;
const ROW_PAD: i32 = 28;
const TOP: i32 = 30;

/// A laid-out diagram.
pub struct Diagram {
    pub node_w: i32,
    pub node_h: i32,
    pub width: i32,
    pub height: i32,
    pub columns: Vec<Column>,
    pub rows: Vec<RowBand>,
    pub nodes: Vec<Node>,
    pub arrows: Vec<Arrow>,
    pub marks: Vec<Mark>,
}

/// An availability zone's column.
pub struct Column {
    pub x: i32,
    pub label: String,
}

/// A horizontal band: one kind of object.
pub struct RowBand {
    pub y: i32,
    pub h: i32,
    pub label: &'static str,
}

/// A box: a subnet, an endpoint, a gateway or something outside the VPC.
pub struct Node {
    pub x: i32,
    pub y: i32,
    pub kind: &'static str,
    pub label: String,
    pub sub: String,
    pub title: String,
}

/// A flow's arrow (an SVG path) and its number badge.
pub struct Arrow {
    pub d: String,
    pub verdict: &'static str,
    pub n: usize,
    pub bx: i32,
    pub by: i32,
    pub title: String,
}

/// Where a flow is blocked: a mark on its arrow and the blocking entry.
pub struct Mark {
    pub x: i32,
    pub y: i32,
    pub verdict: &'static str,
    pub label: String,
    pub title: String,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Row {
    Outside,
    Other,
    Workspace,
    EndpointSubnets,
    Endpoints,
}

impl Row {
    fn label(self) -> &'static str {
        match self {
            Row::Outside => "outside the VPC",
            Row::Other => "other subnets",
            Row::Workspace => "workspace subnets",
            Row::EndpointSubnets => "endpoint subnets",
            Row::Endpoints => "endpoints",
        }
    }
}

struct Item {
    id: String,
    row: Row,
    /// Column index; `None` for the outside row, laid out left to right.
    col: Option<usize>,
    kind: &'static str,
    label: String,
    sub: String,
    title: String,
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

impl Diagram {
    pub fn layout(vt: &VpcTopology, workspaces: &[&Workspace], flows: &[&FlowPath]) -> Diagram {
        let mut zones: Vec<String> = vt.zones.clone();
        if zones.is_empty() {
            zones.push("no zone known".into());
        }
        let col_of = |zone: &str| zones.iter().position(|z| z == zone).unwrap_or(0);
        let ws_subnets: BTreeSet<&str> = workspaces
            .iter()
            .flat_map(|w| w.subnet_ids.iter().map(String::as_str))
            .chain(flows.iter().map(|p| p.source.as_str()))
            .collect();
        let ep_subnets: BTreeSet<&str> = vt
            .endpoints
            .iter()
            .flat_map(|e| e.subnet_ids.iter().map(String::as_str))
            .collect();
        let zone_of: BTreeMap<&str, &str> = vt
            .subnets
            .iter()
            .map(|s| (s.id.as_str(), s.zone.as_str()))
            .collect();

        let mut items: Vec<Item> = Vec::new();
        for g in &vt.internet_gateways {
            items.push(Item {
                id: g.clone(),
                row: Row::Outside,
                col: None,
                kind: "igw",
                label: t(&trunc(g, 26)),
                sub: "internet gateway".into(),
                title: t(&format!("internet gateway {g}")),
            });
        }
        for s in &vt.subnets {
            let row = if ws_subnets.contains(s.id.as_str()) {
                Row::Workspace
            } else if ep_subnets.contains(s.id.as_str()) {
                Row::EndpointSubnets
            } else {
                Row::Other
            };
            let name = s.name.as_deref().unwrap_or("");
            items.push(Item {
                id: s.id.clone(),
                row,
                col: Some(col_of(&s.zone)),
                kind: match row {
                    Row::Workspace => "wsnet",
                    Row::EndpointSubnets => "epnet",
                    _ => "subnet",
                },
                label: t(&trunc(&s.id, 26)),
                sub: t(&trunc(&format!("{} {}", s.cidr, name), 30)),
                title: t(&format!(
                    "subnet {} {} in {}, {}",
                    s.id, s.cidr, s.zone, name
                )),
            });
        }
        for n in &vt.nat_gateways {
            let zone = zone_of.get(n.subnet_id.as_str()).copied().unwrap_or("");
            items.push(Item {
                id: n.id.clone(),
                row: Row::Other,
                col: Some(col_of(zone)),
                kind: "nat",
                label: t(&trunc(&n.id, 26)),
                sub: t(&format!("NAT gateway, {}", n.state)),
                title: t(&format!(
                    "NAT gateway {} in {} ({})",
                    n.id, n.subnet_id, n.state
                )),
            });
        }
        for e in &vt.endpoints {
            let zones: BTreeSet<&str> = e
                .subnet_ids
                .iter()
                .filter_map(|s| zone_of.get(s.as_str()).copied())
                .collect();
            items.push(Item {
                id: e.id.clone(),
                row: Row::Endpoints,
                // An endpoint spans the zones of its subnets: the row lists them side by side.
                col: None,
                kind: "vpce",
                label: t(&trunc(&e.id, 26)),
                sub: t(&trunc(&format!("{}, {}", e.service, e.state), 30)),
                title: t(&format!(
                    "endpoint {} ({}, {}), {}, in {} ({})",
                    e.id,
                    e.service,
                    e.service_name,
                    e.state,
                    e.subnet_ids.join(", "),
                    zones.into_iter().collect::<Vec<_>>().join(", ")
                )),
            });
        }
        // Flow ends the VPC does not hold: drawn outside it.
        let known: BTreeSet<String> = items.iter().map(|i| i.id.clone()).collect();
        let mut outside: BTreeSet<&str> = BTreeSet::new();
        for p in flows {
            for end in [p.source.as_str(), p.destination.as_str()] {
                if !known.contains(end) {
                    outside.insert(end);
                }
            }
        }
        for o in outside {
            items.push(Item {
                id: o.to_string(),
                row: Row::Outside,
                col: None,
                kind: "ext",
                label: t(&trunc(o, 26)),
                sub: if o.starts_with("pl-") {
                    "prefix list".into()
                } else if o.contains('/') {
                    "addresses".into()
                } else {
                    "outside this VPC".into()
                },
                title: t(o),
            });
        }

        // Rows present, top to bottom, and each row's height: its tallest column stack.
        let rows: BTreeSet<Row> = items.iter().map(|i| i.row).collect();
        let mut stack: BTreeMap<(Row, usize), i32> = BTreeMap::new();
        // Rows without zone columns (outside, endpoints) are filled left to right.
        let mut free: BTreeMap<Row, usize> = BTreeMap::new();
        let mut pos: Vec<(i32, i32)> = Vec::with_capacity(items.len());
        let mut row_y: BTreeMap<Row, i32> = BTreeMap::new();
        let mut bands: Vec<RowBand> = Vec::new();
        // First pass: slots within each row.
        let mut slot: Vec<(usize, i32)> = Vec::with_capacity(items.len());
        for it in &items {
            let (c, k) = match it.col {
                Some(c) => {
                    let k = stack.entry((it.row, c)).or_default();
                    *k += 1;
                    (c, *k - 1)
                }
                None => {
                    let c = free.entry(it.row).or_default();
                    *c += 1;
                    stack.entry((it.row, *c - 1)).or_insert(1);
                    (*c - 1, 0)
                }
            };
            slot.push((c, k));
        }
        let mut y = TOP;
        for r in &rows {
            let depth = stack
                .iter()
                .filter(|((row, _), _)| row == r)
                .map(|(_, n)| *n)
                .max()
                .unwrap_or(1);
            let h = depth * (NODE_H + GAP) - GAP + 2 * ROW_PAD;
            row_y.insert(*r, y);
            bands.push(RowBand {
                y,
                h,
                label: r.label(),
            });
            y += h + GAP;
        }
        for (it, (c, k)) in items.iter().zip(&slot) {
            let x = GUTTER + (*c as i32) * COL_W + (COL_W - NODE_W) / 2;
            let y = row_y.get(&it.row).copied().unwrap_or(TOP) + ROW_PAD + k * (NODE_H + GAP);
            pos.push((x, y));
        }
        let cols = free
            .values()
            .copied()
            .chain([zones.len()])
            .max()
            .unwrap_or(1) as i32;
        let width = GUTTER + cols * COL_W + 20;
        let height = y + 10;

        let at: BTreeMap<&str, (i32, i32)> = items
            .iter()
            .zip(&pos)
            .map(|(i, p)| (i.id.as_str(), *p))
            .collect();
        let mut arrows = Vec::with_capacity(flows.len());
        let mut marks = Vec::new();
        let mut fan: BTreeMap<&str, i32> = BTreeMap::new();
        let mut named: BTreeSet<String> = BTreeSet::new();
        for (i, p) in flows.iter().enumerate() {
            let (sx, sy) = at.get(p.source.as_str()).copied().unwrap_or((GUTTER, TOP));
            let (dx, dy) = at
                .get(p.destination.as_str())
                .copied()
                .unwrap_or((GUTTER, TOP));
            // Spread the arrows leaving one box so each stays visible.
            let k = fan.entry(p.source.as_str()).or_default();
            let off = ((*k % 7) - 3) * 14;
            *k += 1;
            let cx = NODE_W / 2;
            let (x0, y0, x1, y1) = if dy > sy {
                (sx + cx + off, sy + NODE_H, dx + cx + off / 2, dy)
            } else if dy < sy {
                (sx + cx + off, sy, dx + cx + off / 2, dy + NODE_H)
            } else if dx > sx {
                (sx + NODE_W, sy + NODE_H / 2 + off / 3, dx, dy + NODE_H / 2)
            } else {
                (sx, sy + NODE_H / 2 + off / 3, dx + NODE_W, dy + NODE_H / 2)
            };
            // A cubic curve, bent aside when source and destination share a column.
            let bend = if (x1 - x0).abs() < 20 { 60 + off } else { 0 };
            let (c0x, c0y, c1x, c1y) = if y0 == y1 {
                (x0, y0 - 50, x1, y1 - 50)
            } else {
                let my = (y0 + y1) / 2;
                (x0 + bend, my, x1 + bend, my)
            };
            let at_t = |t: f64| -> (i32, i32) {
                let u = 1.0 - t;
                let f = |a: i32, b: i32, c: i32, d: i32| {
                    (u * u * u * a as f64
                        + 3.0 * u * u * t * b as f64
                        + 3.0 * u * t * t * c as f64
                        + t * t * t * d as f64)
                        .round() as i32
                };
                (f(x0, c0x, c1x, x1), f(y0, c0y, c1y, y1))
            };
            let n = i + 1;
            let (bx, by) = at_t(0.3);
            let verdict = verdict_class(p.verdict);
            let blocked = super::blocked_at(p);
            arrows.push(Arrow {
                d: format!("M{x0},{y0} C{c0x},{c0y} {c1x},{c1y} {x1},{y1}"),
                verdict,
                n,
                bx,
                by,
                title: t(&format!(
                    "{n}. {} ({}): {} -> {}, {} {}: {}{}",
                    p.purpose,
                    p.workspace,
                    p.source,
                    p.destination,
                    p.protocol,
                    p.ports,
                    p.verdict.as_str(),
                    if blocked.is_empty() {
                        String::new()
                    } else {
                        format!(", blocked at {blocked}")
                    }
                )),
            });
            if p.verdict != PathVerdict::Pass {
                if let Some(h) = p.blocking_hop() {
                    // The mark sits where the hop is: at the source, on the way, or at the
                    // destination.
                    let (mx, my) = at_t(match h.hop {
                        HopName::SrcSgEgress | HopName::SrcNaclOut => 0.15,
                        HopName::Route => 0.45,
                        HopName::DstNaclIn | HopName::DstSgIngress => 0.8,
                        HopName::DstNaclReturnOut | HopName::SrcNaclReturnIn => 0.6,
                    });
                    // No entry blocks a security group hop: nothing admits the flow there.
                    let entry = match (h.entries.is_empty(), h.resources.is_empty()) {
                        (false, _) => h.entries.join(", "),
                        (true, false) if h.verdict == HopVerdict::Blocked => {
                            format!("{}: nothing admits it", h.resources.join(", "))
                        }
                        (true, false) => format!("{}: cannot be read", h.resources.join(", ")),
                        (true, true) => h.hop.label().to_string(),
                    };
                    // Each blocking entry is named once; its other marks say it on hover.
                    let label = if named.insert(entry.clone()) {
                        t(&trunc(&entry, 28))
                    } else {
                        String::new()
                    };
                    marks.push(Mark {
                        x: mx,
                        y: my,
                        verdict,
                        label,
                        title: t(&format!(
                            "{n}. {}: {}{}",
                            h.hop.label(),
                            entry,
                            if h.detail.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", h.detail)
                            }
                        )),
                    });
                }
            }
        }

        Diagram {
            node_w: NODE_W,
            node_h: NODE_H,
            width,
            height,
            columns: zones
                .iter()
                .enumerate()
                .map(|(i, z)| Column {
                    x: GUTTER + i as i32 * COL_W + COL_W / 2,
                    label: t(z),
                })
                .collect(),
            rows: bands,
            nodes: items
                .into_iter()
                .zip(pos)
                .map(|(i, (x, y))| Node {
                    x,
                    y,
                    kind: i.kind,
                    label: i.label,
                    sub: i.sub,
                    title: i.title,
                })
                .collect(),
            arrows,
            marks,
        }
    }
}

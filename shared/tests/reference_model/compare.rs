//! Compares production's answers (from the adapter) with the reference model, case by case.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::adapter::{self, ProdNaclBlock, HOPS};
use super::case::{Case, End};
use super::model::{
    self, cuts, nacl_addr_ranges, nacl_decide, nacl_port_ranges, Extra, Fam, FlowVerdict,
    NaclDecision, NaclHop, Packet, SgHop, STAR_RULE,
};

/// One disagreement: its class (for the survey) and what differs.
#[derive(Debug, Clone)]
pub struct Disagreement {
    pub class: String,
    pub detail: String,
}

pub fn show_addr(f: Fam, a: u128) -> String {
    match f {
        Fam::V4 => Ipv4Addr::from(a as u32).to_string(),
        Fam::V6 => Ipv6Addr::from(a).to_string(),
    }
}

fn tag(case: &Case) -> String {
    let fam = match case.fam {
        Fam::V4 => "v4",
        Fam::V6 => "v6",
    };
    let dst = match case.dst {
        End::Subnet { .. } => "subnet",
        End::Internet => "internet",
        End::PrefixList(_) => "prefix-list",
    };
    let proto = match case.proto {
        6 => "tcp".to_string(),
        17 => "udp".to_string(),
        n => format!("proto {n}"),
    };
    format!("{fam}/{dst}/{proto}")
}

fn model_hop(v: &FlowVerdict, name: &str) -> Option<bool> {
    match name {
        "src-sg-egress" => v.sg_egress.as_ref().map(SgHop::allowed),
        "src-nacl-out" => v.nacl_out.as_ref().map(NaclHop::allowed),
        "route" => v
            .route
            .as_ref()
            .map(|r| r.outcomes.values().all(|o| o.target().is_some())),
        "dst-nacl-in" => v.nacl_in.as_ref().map(NaclHop::allowed),
        "dst-sg-ingress" => v.sg_ingress.as_ref().map(SgHop::allowed),
        "dst-nacl-return-out" => v.nacl_return_out.as_ref().map(NaclHop::allowed),
        _ => v.nacl_return_in.as_ref().map(NaclHop::allowed),
    }
}

fn nacl_of<'v>(v: &'v FlowVerdict, name: &str) -> Option<&'v NaclHop> {
    match name {
        "src-nacl-out" => v.nacl_out.as_ref(),
        "dst-nacl-in" => v.nacl_in.as_ref(),
        "dst-nacl-return-out" => v.nacl_return_out.as_ref(),
        _ => v.nacl_return_in.as_ref(),
    }
}

fn norm(entry: Option<i32>) -> Option<i32> {
    entry.filter(|n| *n < STAR_RULE)
}

fn show_entry(e: Option<i32>) -> String {
    e.map_or("the final * deny".to_string(), |n| format!("entry {n}"))
}

/// Every disagreement between production and the model on this case.
pub fn compare(case: &Case) -> Vec<Disagreement> {
    let world = case.world();
    let flow = case.flow();
    let m = model::evaluate(&world, &flow);
    let p = adapter::production(case);
    let t = tag(case);
    let mut out = Vec::new();
    let mut push = |class: &str, detail: String| {
        out.push(Disagreement {
            class: format!("{class} [{t}]"),
            detail,
        })
    };
    if let Some(why) = &p.no_hosts {
        push("production has no hosts", why.clone());
        return out;
    }

    // 1. Each hop: allowed / blocked / not on the path. The generated estates hold nothing
    //    unreadable, so a production `Unknown` is a disagreement too.
    for name in HOPS {
        let want = model_hop(&m, name);
        let kind = if name.contains("sg") {
            "sg"
        } else if name.contains("nacl") {
            "nacl"
        } else {
            "route"
        };
        let got = match p.hops.get(name).map(adapter::Hop::decided) {
            None => Ok(None),
            Some(d) => d,
        };
        let got = match got {
            Ok(g) => g,
            Err(why) => {
                push(
                    &format!("{kind} hop unknown in production"),
                    format!("hop {name}: model {want:?}, production Unknown: {why}"),
                );
                continue;
            }
        };
        if want != got {
            let mut d = format!("hop {name}: model {want:?}, production {got:?}");
            if let Some(adapter::Hop::Blocked(why)) = p.hops.get(name) {
                let _ = write!(d, " ({why})");
            }
            if name == "route" {
                if let Some(r) = &m.route {
                    for ((f, a), o) in r
                        .outcomes
                        .iter()
                        .filter(|(_, o)| o.target().is_none())
                        .take(3)
                    {
                        let _ = write!(d, "; model: {} -> {o:?}", show_addr(*f, *a));
                    }
                }
            }
            push(&format!("{kind} hop verdict"), d);
        }
    }

    // 2. The SG uncovered remainder, compared exactly: the model evaluates every candidate
    //    packet, with the boundaries of production's uncovered rectangles added to the
    //    candidates, so a rectangle reaching one address or port too far is seen.
    for (name, prod, eni, peer) in [
        ("src-sg-egress", &p.sg_egress, &flow.src.eni, &flow.dst),
        ("dst-sg-ingress", &p.sg_ingress, &flow.dst.eni, &flow.src),
    ] {
        let (Some(prod), Some(eni)) = (prod, eni) else {
            continue;
        };
        if !prod.undecided.is_empty() || !prod.unknown.is_empty() {
            push(
                "sg coverage undecided in production",
                format!(
                    "{name}: undecided ports {:?}: {}",
                    prod.undecided,
                    prod.unknown.join("; ")
                ),
            );
        }
        if let Some(bad) = &prod.bad_whole {
            push("sg gap `whole` flag", format!("{name}: {bad}"));
        }
        let gap_ports = merge(
            prod.uncovered
                .iter()
                .map(|(_, (a, b))| (u128::from(*a), u128::from(*b)))
                .collect(),
        );
        let missing = merge(
            prod.missing
                .iter()
                .map(|&(a, b)| (u128::from(a), u128::from(b)))
                .collect(),
        );
        if gap_ports != missing {
            push(
                "sg missing ports are not the gaps' ports",
                format!(
                    "{name}: missing {:?}, gaps {:?}",
                    prod.missing, prod.uncovered
                ),
            );
        }
        let egress = name == "src-sg-egress";
        let extra_addrs: Vec<(u128, u128)> = prod
            .uncovered
            .iter()
            .map(|((_, lo, hi), _)| (*lo, *hi))
            .collect();
        let extra_ports: Vec<(u128, u128)> = prod
            .uncovered
            .iter()
            .map(|(_, (a, b))| (u128::from(*a), u128::from(*b)))
            .collect();
        let hop = model::sg_hop(
            &world,
            eni,
            egress,
            peer,
            flow.proto,
            flow.ports,
            Extra {
                addrs: &extra_addrs,
                ports: &extra_ports,
            },
        );
        let prod_uncovered = |pt: &(Fam, u128, u16)| {
            prod.uncovered.iter().any(|((f, lo, hi), (a, b))| {
                *f == pt.0 && *lo <= pt.1 && pt.1 <= *hi && *a <= pt.2 && pt.2 <= *b
            })
        };
        let only_model: Vec<_> = hop
            .points
            .iter()
            .filter(|pt| hop.uncovered.contains(pt) && !prod_uncovered(pt))
            .take(3)
            .collect();
        let only_prod: Vec<_> = hop
            .points
            .iter()
            .filter(|pt| !hop.uncovered.contains(pt) && prod_uncovered(pt))
            .take(3)
            .collect();
        let fmt = |v: &[&(Fam, u128, u16)]| {
            v.iter()
                .map(|(f, a, port)| format!("{}:{port}", show_addr(*f, *a)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let shown = |u: &[adapter::Rect]| {
            u.iter()
                .map(|((f, lo, hi), (a, b))| {
                    format!("{}-{} x {a}-{b}", show_addr(*f, *lo), show_addr(*f, *hi))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !only_model.is_empty() {
            push(
                "sg uncovered: model blocks what production allows",
                format!(
                    "{name}: e.g. {}; production uncovered [{}]",
                    fmt(&only_model),
                    shown(&prod.uncovered)
                ),
            );
        }
        if !only_prod.is_empty() {
            push(
                "sg uncovered: production blocks what model allows",
                format!(
                    "{name}: e.g. {}; production uncovered [{}]",
                    fmt(&only_prod),
                    shown(&prod.uncovered)
                ),
            );
        }
        let verdict = prod.verdict.decided().ok().flatten();
        if verdict != Some(hop.allowed()) && only_model.is_empty() && only_prod.is_empty() {
            push(
                "sg verdict inconsistent with its own coverage",
                format!(
                    "{name}: sg_verdict {:?}, model allowed={}",
                    prod.verdict,
                    hop.allowed()
                ),
            );
        }
    }

    // 3. The NACL blocking entry and rectangle.
    for name in [HOPS[1], HOPS[3], HOPS[5], HOPS[6]] {
        let Some(hop) = nacl_of(&m, name) else {
            continue;
        };
        let Some(answers) = p.nacl.get(name) else {
            continue;
        };
        for block in answers.iter().flatten() {
            if !block.certain {
                push(
                    "nacl block uncertain in production",
                    format!("{name} ({}): {block:?}", hop.nacl_id),
                );
                continue;
            }
            // A block where the model allows is already a hop-verdict disagreement.
            if hop.allowed() {
                continue;
            }
            // The entry to name is the first deny in rule order that decides some packet of
            // this peer block (the final `*` last): the one an operator must fix first.
            let entry = norm(block.entry);
            let (pf, plo, phi) = block.peer;
            let denies: BTreeSet<Option<i32>> = hop
                .decisions
                .iter()
                .filter(|((f, a, _), _)| *f == pf && plo <= *a && *a <= phi)
                .filter_map(|(_, d)| match d {
                    NaclDecision::Deny(n) => Some(*n),
                    NaclDecision::Allow(_) => None,
                })
                .collect();
            let first = denies.iter().copied().min_by_key(|e| e.unwrap_or(i32::MAX));
            if first != Some(entry) {
                push(
                    "nacl blocking entry",
                    format!(
                        "{name} ({}): production names {}, the model's deciding denies are {:?}",
                        hop.nacl_id,
                        show_entry(entry),
                        denies.iter().map(|e| show_entry(*e)).collect::<Vec<_>>()
                    ),
                );
                continue;
            }
            if let Some(bad) = rectangle_mismatch(case, name, hop, block, entry) {
                push(
                    "nacl blocked rectangle",
                    format!("{name} ({}): {bad}", hop.nacl_id),
                );
            }
        }
    }
    out
}

/// Sorts and merges ranges that overlap or touch.
fn merge(mut v: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    v.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::new();
    for (lo, hi) in v {
        match out.last_mut() {
            Some(l) if l.1.checked_add(1).is_none_or(|n| lo <= n) => l.1 = l.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// Checks that every packet of production's blocked rectangle lies in the flow and is denied by
/// the entry production names; returns the first counter-example.
fn rectangle_mismatch(
    case: &Case,
    name: &str,
    hop: &NaclHop,
    block: &ProdNaclBlock,
    entry: Option<i32>,
) -> Option<String> {
    let (peer_end, ports) = match name {
        "src-nacl-out" => (&case.dst, case.ports),
        "dst-nacl-in" => (&case.src, case.ports),
        "dst-nacl-return-out" => (&case.src, model::EPHEMERAL),
        _ => (&case.dst, model::EPHEMERAL),
    };
    let peer = case.addrs(peer_end);
    let entries: Vec<_> = case
        .entries(&hop.nacl_id, hop.egress)
        .into_iter()
        .cloned()
        .collect();
    let (fam, lo, hi) = block.addrs;
    let addr_pts = cuts(lo, hi, &nacl_addr_ranges(&entries, fam));
    let port_pts = cuts(
        u128::from(block.ports.0),
        u128::from(block.ports.1),
        &nacl_port_ranges(&entries),
    );
    for &a in &addr_pts {
        if !peer.iter().any(|b| b.contains(fam, a)) {
            return Some(format!(
                "the rectangle holds {}, outside the peer's addresses",
                show_addr(fam, a)
            ));
        }
        for &port in &port_pts {
            let port = u16::try_from(port).unwrap_or(u16::MAX);
            if port < ports.0 || port > ports.1 {
                return Some(format!(
                    "the rectangle holds port {port}, outside the flow's ports"
                ));
            }
            let pkt = Packet {
                fam,
                addr: a,
                proto: case.proto,
                port,
            };
            let d = nacl_decide(&entries, hop.egress, &pkt);
            if d != NaclDecision::Deny(entry) {
                return Some(format!(
                    "{}:{port} is in the reported rectangle but the model decides {d:?}, not {}",
                    show_addr(fam, a),
                    show_entry(entry)
                ));
            }
        }
    }
    None
}

/// A readable dump of a case, for failure messages.
pub fn describe(case: &Case) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "flow {:?} proto {} ports {:?} from {:?} to {:?}",
        case.fam, case.proto, case.ports, case.src, case.dst
    );
    for sn in &case.subnets {
        let v6 = case
            .subnet_v6
            .get(sn.subnet_id.as_str())
            .map(super::gen::fmt_block)
            .unwrap_or_default();
        let v4 = sn.cidr_block.as_deref().unwrap_or("(no IPv4 block)");
        let _ = writeln!(s, "  subnet {} {v4} {v6}", sn.subnet_id);
    }
    for r in &case.sg_rules {
        let peer = r
            .cidr_ipv4
            .as_deref()
            .or(r.cidr_ipv6.as_deref())
            .or(r.prefix_list_id.as_deref())
            .or(r
                .referenced_group_info
                .as_ref()
                .map(|g| g.group_id.as_str()))
            .unwrap_or("?");
        let _ = writeln!(
            s,
            "  sg rule {} {} {} {} {:?}-{:?} {}",
            r.security_group_rule_id,
            r.group_id,
            if r.is_egress { "egress" } else { "ingress" },
            r.ip_protocol,
            r.from_port,
            r.to_port,
            peer
        );
    }
    for a in &case.acls {
        let subs: Vec<&str> = a
            .associations
            .iter()
            .map(|x| x.subnet_id.as_str())
            .collect();
        let _ = writeln!(s, "  nacl {} on {:?}", a.network_acl_id, subs);
        let mut es: Vec<_> = a.entries.iter().collect();
        es.sort_by_key(|e| (e.egress, e.rule_number));
        for e in es {
            let _ = writeln!(
                s,
                "    {} {} {} proto {} ports {:?} {}",
                if e.egress { "out" } else { "in " },
                e.rule_number,
                e.rule_action,
                e.protocol,
                e.port_range.as_ref().map(|r| (r.from, r.to)),
                e.cidr_block
                    .as_deref()
                    .or(e.ipv6_cidr_block.as_deref())
                    .unwrap_or("?")
            );
        }
    }
    for t in &case.route_tables {
        let _ = writeln!(s, "  route table {}", t.route_table_id);
        for r in &t.routes {
            let _ = writeln!(
                s,
                "    {} -> {} ({})",
                r.destination(),
                r.target(),
                r.state.as_deref().unwrap_or("?")
            );
        }
    }
    for (id, es) in &case.prefix_lists {
        let v: Vec<String> = es.iter().map(super::gen::fmt_block).collect();
        let _ = writeln!(s, "  prefix list {id}: {}", v.join(", "));
    }
    s
}

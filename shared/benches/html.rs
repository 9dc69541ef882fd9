//! HTML report benchmark: synthetic estates of N workspace VPCs (every tenth without its relay
//! egress, so some flows fail), audited, given planted flows (`plaudit::testing::flows`), then
//! rendered as HTML with their topology. Prints the render time, the page size and how many
//! VPCs are drawn.
//!
//! `cargo bench -p plaudit --bench html` (default sizes 1,000 and 10,000 VPCs), or
//! `cargo bench -p plaudit --bench html -- --vpcs 100,1000`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is a failed run

use std::time::Instant;

use plaudit::engine::{audit, AuditOptions};
use plaudit::render::{Html, Render};
use plaudit::synth::Estate;
use plaudit::testing::flows::plant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--vpcs")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(|n| n.trim().parse().unwrap()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    println!("vpcs  flows  findings  topology_ms  render_ms  html_bytes  diagrams");
    for n in sizes {
        let mut e = Estate::empty();
        for i in 0..n {
            e.add_vpc(i, i % 3 == 0);
        }
        let broken: std::collections::HashSet<String> = (0..n)
            .step_by(10)
            .map(|i| plaudit::synth::Ids::new(i).ws_sg)
            .collect();
        e.drop_sg_rules(|r| {
            r.is_egress && r.from_port == Some(6666) && broken.contains(r.group_id.as_str())
        });
        let mut report = audit(
            &e.snap,
            &AuditOptions {
                manifest: Some(&e.manifest),
                ..AuditOptions::default()
            },
        );
        plant(&mut report, &e.snap);
        let t0 = Instant::now();
        let html = Html::new(&e.snap, &report);
        let topo_ms = t0.elapsed().as_secs_f64() * 1e3;
        let t1 = Instant::now();
        let mut out: Vec<u8> = Vec::with_capacity(64 << 20);
        html.render(&report, &mut out).unwrap();
        let render_ms = t1.elapsed().as_secs_f64() * 1e3;
        let page = String::from_utf8(out).unwrap();
        println!(
            "{n:>5}  {:>5}  {:>8}  {topo_ms:>11.1}  {render_ms:>9.1}  {:>10}  {:>8}",
            report.flows.len(),
            report.findings.len(),
            page.len(),
            page.matches("<svg class=\"diagram\"").count()
        );
    }
}

//! Live-collection benchmark against moto: builds N workspace VPCs through the SDK, then collects
//! the whole region with the real collector and audits it. Reports API calls, wall time, the
//! process's CPU time and peak memory.
//!
//! Needs a moto server; run it as BENCHMARKS.md says:
//! `PLAUDIT_MOTO_URL=http://127.0.0.1:5100 cargo bench -p plaudit-tests --bench live_collect -- --vpcs 10,100,500`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is a failed run

use std::io::{Read, Write};
use std::time::Instant;

use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
use aws_sdk_ec2::Client;
use plaudit::collect::{collect, CallCounter, CollectOptions};
use plaudit::engine::{audit, AuditOptions};
use plaudit::snapshot::SnapshotMeta;

fn moto() -> String {
    std::env::var("PLAUDIT_MOTO_URL").expect("set PLAUDIT_MOTO_URL to a running moto server")
}

/// `POST /moto-api/reset`: an empty account (default VPC only) for each size.
fn reset(url: &str) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "POST /moto-api/reset HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200"),
        "{out}"
    );
}

fn cpu_seconds() -> f64 {
    // utime + stime from /proc/self/stat, in clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn build(c: &Client, n: usize) {
    for i in 0..n {
        let cidr = format!("10.{}.{}.0/24", i / 256, i % 256);
        let vpc = c
            .create_vpc()
            .cidr_block(&cidr)
            .send()
            .await
            .unwrap()
            .vpc
            .unwrap()
            .vpc_id
            .unwrap();
        let base = cidr.trim_end_matches(".0/24");
        let mut subnets = Vec::new();
        for (k, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
            let s = c
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("{base}.{}/26", k * 64))
                .availability_zone(*az)
                .send()
                .await
                .unwrap();
            subnets.push(s.subnet.unwrap().subnet_id.unwrap());
        }
        let sg = c
            .create_security_group()
            .group_name(format!("ws-{i}"))
            .description("ws")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .group_id
            .unwrap();
        c.authorize_security_group_ingress()
            .group_id(&sg)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("-1")
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id(&sg).build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        use plaudit_tests::moto::{interface_endpoints, RELAY_SERVICE, WORKSPACE_SERVICE};
        interface_endpoints(c, &vpc, &[WORKSPACE_SERVICE, RELAY_SERVICE], &sg, &subnets).await;
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--vpcs")
        .map(|i| args[i + 1].split(',').map(|s| s.parse().unwrap()).collect())
        .unwrap_or_else(|| vec![10, 100]);
    let url = moto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("| VPCs in moto | API calls | of which DescribeVpcAttribute | collect wall | audit wall | process CPU (collect + audit) | RSS growth | findings |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        reset(&url);
        rt.block_on(async {
            let conf = plaudit_tests::moto::sdk_config().await;
            let c = Client::new(&conf);
            build(&c, n).await;
            let rss0 = rss_kib("VmRSS:");
            let cpu0 = cpu_seconds();
            let t0 = Instant::now();
            let counter = CallCounter::default();
            let meta = SnapshotMeta {
                account_id: Some("123456789012".into()),
                region: Some("us-east-1".into()),
                collected_at: Some("2026-11-30T06:00:00Z".into()),
                ..SnapshotMeta::default()
            };
            let snap = collect(&c, &CollectOptions::default(), meta, &counter).await;
            let collect_wall = t0.elapsed();
            let t1 = Instant::now();
            let report = audit(&snap, &AuditOptions::default());
            let audit_wall = t1.elapsed();
            let cpu = cpu_seconds() - cpu0;
            let grown = rss_kib("VmHWM:").saturating_sub(rss0);
            let calls = counter.by_api();
            println!(
                "| {n} | {} | {} | {:.2} s | {:.3} s | {:.2} s | {:.1} MB | {} |",
                counter.total(),
                calls.get("DescribeVpcAttribute").copied().unwrap_or(0),
                collect_wall.as_secs_f64(),
                audit_wall.as_secs_f64(),
                cpu,
                grown as f64 / 1024.0,
                report.findings.len()
            );
            eprintln!("{n} VPCs: calls by API {calls:?}");
        });
    }
}

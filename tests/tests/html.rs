//! The HTML report (`--format html`) on the bundled examples and synthetic estates: structural
//! assertions, not a byte-golden. Sections are present, the diagrams draw one arrow per traced
//! flow in its verdict's colour with a mark on each blocked one, the page is self-contained,
//! and text from the account is escaped. Until the engine traces flows itself,
//! `plaudit::testing::flows::plant` fills them in.
//!
//! `writes_pages_for_the_browser` also writes the pages the Chromium test
//! (tests/python/test_html_browser.py) loads: into `PLAUDIT_HTML_OUT` when set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};

use plaudit::baseline::{compare, Baseline};
use plaudit::engine::{audit, AuditOptions};
use plaudit::evidence::PathVerdict;
use plaudit::render::{Html, Json, Render};
use plaudit::synth::Estate;
use plaudit::testing::flows::plant;
use plaudit::{Manifest, Report, Snapshot, Status};
use plaudit_tests::example;

const EXAMPLES: [&str; 3] = ["backend-drifted", "frontend-transit", "isolated-compliant"];

fn load(name: &str) -> (Snapshot, Manifest) {
    let dir = example(name);
    (
        Snapshot::load(&dir).expect("example loads"),
        Manifest::load(&dir.join("manifest.yaml")).expect("manifest loads"),
    )
}

fn report_of(snap: &Snapshot, manifest: &Manifest) -> Report {
    audit(
        snap,
        &AuditOptions {
            manifest: Some(manifest),
            ..Default::default()
        },
    )
}

fn html(r: &Html, report: &Report) -> String {
    let mut out = Vec::new();
    r.render(report, &mut out).expect("renders");
    String::from_utf8(out).expect("utf-8")
}

/// An example's report with planted flows, and its page.
fn example_page(name: &str) -> (Report, String) {
    let (snap, manifest) = load(name);
    let mut report = report_of(&snap, &manifest);
    plant(&mut report, &snap);
    let page = html(&Html::new(&snap, &report), &report);
    (report, page)
}

/// Text as the page prints it: made visible-safe, then HTML-escaped as askama does.
fn esc(s: &str) -> String {
    plaudit::render::plain(s)
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

fn flows_with(report: &Report, v: PathVerdict) -> usize {
    report.flows.iter().filter(|p| p.verdict == v).count()
}

/// No request can leave the page: nothing loads a URL, every link is an anchor in the page.
fn assert_self_contained(page: &str) {
    for bad in [
        " src=",
        "<script",
        "<link",
        "<iframe",
        "<object",
        "<embed",
        "@import",
        "url(http",
        "url(//",
        "href=\"http",
        "href=\"//",
        "srcset",
    ] {
        assert!(!page.contains(bad), "page contains {bad}");
    }
    for (i, _) in page.match_indices(" href=\"") {
        assert_eq!(&page[i + 7..i + 8], "#", "a link that leaves the page");
    }
    assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none'"));
}

#[test]
fn every_example_has_every_section_summary_first() {
    for name in EXAMPLES {
        let (report, page) = example_page(name);
        assert!(page.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(page.trim_end().ends_with("</html>"), "{name}");
        let at = |id: &str| {
            page.find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("{name}: no section {id}"))
        };
        let order = [
            at("summary"),
            at("matrix"),
            at("blind-spots"),
            at("workspaces"),
            at("diagrams"),
            at("findings"),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{name}: {order:?}");
        assert!(
            !page.contains("id=\"baseline\""),
            "{name}: no baseline given"
        );
        // One matrix row and one card per workspace, one column per rule family that ran.
        let ws = report.deployment.workspaces.len();
        assert!(ws > 0, "{name}");
        assert_eq!(count(&page, "class=\"card\""), ws, "{name}");
        let families: std::collections::BTreeSet<&str> = report
            .rules_run
            .iter()
            .map(|r| r.split('-').nth(1).unwrap())
            .collect();
        let matrix = &page[at("matrix")..at("blind-spots")];
        assert_eq!(count(matrix, "<tr><td><a href=\"#ws-"), ws, "{name}");
        assert_eq!(count(matrix, "<th>"), families.len() + 1, "{name}");
        // Every failing, erroring or waived finding is printed with its id and fix.
        for f in &report.findings {
            let shown = page.contains(&format!("id=\"f-{}\"", f.id));
            let loud = matches!(f.status, Status::Fail | Status::Error | Status::Waived);
            assert!(
                !loud || shown,
                "{name}: {} {} missing",
                f.rule_id,
                f.resource_id
            );
            if f.status == Status::Fail {
                assert!(
                    page.contains(&format!("<dt>fix</dt><dd>{}</dd>", esc(&f.remediation))),
                    "{name}: the fix of {} {}",
                    f.rule_id,
                    f.resource_id
                );
            }
        }
        assert_self_contained(&page);
    }
}

#[test]
fn each_flow_is_one_arrow_in_its_verdicts_colour_and_each_block_is_marked() {
    let mut failing_seen = 0;
    for name in EXAMPLES {
        let (report, page) = example_page(name);
        let flows = report.flows.len();
        assert!(flows > 0, "{name}: planted flows");
        assert!(count(&page, "<svg class=\"diagram\"") >= 1, "{name}");
        assert_eq!(count(&page, "<path class=\"flow "), flows, "{name}");
        for (v, class) in [
            (PathVerdict::Pass, "pass"),
            (PathVerdict::Fail, "fail"),
            (PathVerdict::Error, "error"),
        ] {
            assert_eq!(
                count(&page, &format!("<path class=\"flow {class}\"")),
                flows_with(&report, v),
                "{name}: {class} arrows"
            );
        }
        let blocked = report
            .flows
            .iter()
            .filter(|p| p.verdict != PathVerdict::Pass && p.blocking_hop().is_some())
            .count();
        assert_eq!(count(&page, "<g class=\"mark "), blocked, "{name}");
        // One hop-by-hop table per failing or undecided flow, each naming its blocking entry.
        assert_eq!(count(&page, "class=\"evidence\""), blocked, "{name}");
        for p in report
            .flows
            .iter()
            .filter(|p| p.verdict != PathVerdict::Pass)
        {
            let h = p.blocking_hop().unwrap();
            assert!(page.contains(&format!("id=\"flow-{}\"", p.id)), "{name}");
            assert!(page.contains(&h.entries.join(", ")), "{name}");
        }
        failing_seen += flows_with(&report, PathVerdict::Fail);
        // The colours the legend promises.
        assert!(page.contains("path.flow.pass{stroke:#1a7f37"));
        assert!(page.contains("path.flow.fail{stroke:#cf222e"));
        assert!(page.contains("path.flow.error{stroke:#bf8700"));
        // The legend lists every flow with its port set.
        for p in report.flows.iter() {
            assert!(
                page.contains(&format!("<code>{}</code>", p.ports)),
                "{name}"
            );
        }
    }
    // The drifted example's dropped 6666 egress blocks its relay flows.
    assert!(failing_seen > 0);
}

#[test]
fn the_drifted_example_draws_its_zones_subnets_endpoints_and_nat() {
    let (snap, _) = load("backend-drifted");
    let (_, page) = example_page("backend-drifted");
    for s in snap.subnets.as_ref().unwrap() {
        assert!(
            page.contains(&format!(">{}</text>", s.subnet_id)),
            "{}",
            s.subnet_id
        );
        assert!(page.contains(&format!(">{}</text>", s.availability_zone)));
    }
    for e in snap
        .vpc_endpoints
        .as_ref()
        .unwrap()
        .iter()
        .filter(|e| e.is_interface())
    {
        assert!(page.contains(&format!(">{}</text>", e.vpc_endpoint_id)));
    }
    for n in snap.nat_gateways.as_ref().unwrap() {
        assert!(page.contains(&format!(">{}</text>", n.nat_gateway_id)));
    }
    assert!(page.contains("pending acceptance: not registered with the Databricks account"));
    assert!(
        page.contains("STS access is constrained"),
        "the waiver on the card"
    );
}

#[test]
fn without_flows_the_page_says_no_flow_traced_and_draws_no_arrow() {
    let (snap, manifest) = load("backend-drifted");
    let mut report = report_of(&snap, &manifest);
    // The engine traces flows whenever a flow rule runs; a report of other rules has none.
    assert!(!report.flows.is_empty());
    report.flows.clear();
    for f in &mut report.findings {
        f.paths.clear();
    }
    let page = html(&Html::new(&snap, &report), &report);
    assert_eq!(count(&page, "<path class=\"flow "), 0);
    assert!(page.contains("No flow traced"));
    assert_eq!(
        count(&page, "<svg class=\"diagram\""),
        1,
        "the layout alone"
    );
}

#[test]
fn without_the_snapshot_everything_but_the_diagrams_is_rendered() {
    let (snap, manifest) = load("backend-drifted");
    let mut report = report_of(&snap, &manifest);
    plant(&mut report, &snap);
    let page = html(&Html::default(), &report);
    assert_eq!(count(&page, "<svg class=\"diagram\""), 0);
    assert!(page.contains("rendered without its snapshot"));
    assert!(page.contains("id=\"findings\""));
    // The flows are still listed in the legend tables.
    assert_eq!(count(&page, "<td><b class=\"swatch "), report.flows.len());
}

#[test]
fn names_and_tags_from_the_account_are_escaped() {
    let mut e = Estate::backend();
    let evil = "<script>alert(1)</script>\"'&\u{202e}gnp.exe\u{200f}";
    e.manifest.workspaces[0].name = evil.to_string();
    for s in e.subnets_mut() {
        s.tags.push(plaudit::model::Tag {
            key: "Name".into(),
            value: evil.into(),
        });
    }
    e.vpcs_mut()[0].tags = vec![plaudit::model::Tag {
        key: "Name".into(),
        value: evil.into(),
    }];
    let mut report = report_of(&e.snap, &e.manifest);
    assert_eq!(&*report.deployment.workspaces[0].name, evil);
    plant(&mut report, &e.snap);
    assert!(!report.flows.is_empty());
    let page = html(&Html::new(&e.snap, &report), &report);
    assert!(!page.contains("<script"));
    assert!(!page.contains("\"'&"));
    assert!(!page.contains('\u{202e}') && !page.contains('\u{200f}'));
    assert!(page.contains(
        "&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;\\u{202e}gnp.exe\\u{200f}"
    ));
    assert_self_contained(&page);
}

#[test]
fn the_baseline_diff_comes_first_with_new_and_resolved_failures() {
    let (snap, manifest) = load("backend-drifted");
    let report = report_of(&snap, &manifest);
    let mut json = Vec::new();
    Json.render(&report, &mut json).unwrap();
    let mut base: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let findings = base["findings"].as_array_mut().unwrap();
    // One failure not in the baseline (new now), one baseline failure that is gone.
    let i = findings.iter().position(|f| f["status"] == "fail").unwrap();
    let dropped = findings.remove(i);
    let mut ghost = dropped.clone();
    ghost["id"] = serde_json::json!("00000000000000aa");
    ghost["resource_id"] = serde_json::json!("sg-deleted0000000");
    findings.push(ghost);
    let baseline = Baseline::parse(&base.to_string()).unwrap();
    let mut now = report.clone();
    compare(&mut now, baseline, "previous.json");
    let page = html(&Html::new(&snap, &now), &now);
    let b = page.find("id=\"baseline\"").expect("baseline section");
    assert!(b < page.find("id=\"matrix\"").unwrap());
    assert!(page.contains("1 new</span>"));
    assert!(page.contains("New failures"));
    assert!(page.contains("<code>sg-deleted0000000</code>"));
    assert!(page.contains(&format!(
        "<span class=\"badge change\">new</span> <code>{}</code>",
        dropped["rule_id"].as_str().unwrap()
    )));
}

fn synthetic(n: usize) -> (Snapshot, Report) {
    let mut e = Estate::empty();
    for i in 0..n {
        e.add_vpc(i, i % 3 == 0);
    }
    // Some VPCs lose their relay egress: failing flows to draw.
    e.drop_sg_rules(|r| {
        r.is_egress
            && r.from_port == Some(6666)
            && r.group_id.ends_with('3')
            && r.group_id.contains("0000000")
    });
    let mut report = report_of(&e.snap, &e.manifest);
    plant(&mut report, &e.snap);
    (e.snap, report)
}

#[test]
fn diagrams_are_capped_failing_vpcs_first() {
    let (snap, report) = synthetic(40);
    let mut r = Html::new(&snap, &report);
    r.max_diagrams = 5;
    let page = html(&r, &report);
    assert_eq!(count(&page, "<svg class=\"diagram\""), 5);
    assert!(page.contains("35 VPCs are listed without a drawing"));
    // Every failing flow is still listed; undrawn VPCs' passing flows are counted, not listed.
    assert_eq!(
        count(&page, "<td><b class=\"swatch fail\""),
        flows_with(&report, PathVerdict::Fail)
    );
    assert!(count(&page, "<td><b class=\"swatch ") < report.flows.len());
    assert!(page.contains("passing flows not listed"));
    let failing_vpcs: std::collections::BTreeSet<&str> = report
        .flows
        .iter()
        .filter(|p| p.verdict == PathVerdict::Fail)
        .map(|p| &*p.workspace)
        .collect();
    let drawn_fail = count(&page, "<path class=\"flow fail\"");
    if !failing_vpcs.is_empty() {
        assert!(drawn_fail > 0, "failing VPCs are drawn first");
    }
}

fn out_dir() -> PathBuf {
    match std::env::var_os("PLAUDIT_HTML_OUT") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-pages"),
    }
}

fn write(dir: &Path, name: &str, page: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{name}.html")), page).unwrap();
}

#[test]
fn writes_pages_for_the_browser() {
    let dir = out_dir();
    for name in EXAMPLES {
        let (_, page) = example_page(name);
        write(&dir, &format!("report-{name}"), &page);
    }
    let (snap, report) = synthetic(200);
    let page = html(&Html::new(&snap, &report), &report);
    write(&dir, "report-synthetic-200", &page);
    for name in EXAMPLES
        .iter()
        .map(|n| format!("report-{n}"))
        .chain(["report-synthetic-200".into()])
    {
        let text = std::fs::read_to_string(dir.join(format!("{name}.html"))).unwrap();
        assert!(text.contains("id=\"findings\""), "{name}");
    }
}

//! Regression examples for issue 9, classes 9 (endpoint policies that are full access in effect),
//! 11 (the regional port table) and 13 (reports cannot be forged by names and tags), each with
//! its finding text pinned.

use super::testkit::*;
use crate::pure::engine::{audit, AuditOptions};
use crate::pure::finding::Status;
use crate::pure::render::{Json, Markdown, Render, Table};

/// Moves the estate to GovCloud (us-gov-west-1, the civilian shard's endpoint services).
fn govcloud(mut e: Estate) -> Estate {
    let region = "us-gov-west-1";
    e.snap.meta.region = Some(region.into());
    for ep in e.endpoints_mut() {
        let name = ep.service_name.to_string();
        ep.service_name = if name == crate::synth::WORKSPACE_SERVICE {
            "com.amazonaws.vpce.us-gov-west-1.vpce-svc-0f25e28401cbc9418".into()
        } else if name == crate::synth::RELAY_SERVICE {
            "com.amazonaws.vpce.us-gov-west-1.vpce-svc-05f27abef1a1a3faa".into()
        } else {
            name.replace("us-east-1", region).into()
        };
    }
    for s in e.subnets_mut() {
        s.availability_zone = s.availability_zone.replace("us-east-1", region).into();
    }
    if let Ok(pls) = &mut e.snap.managed_prefix_lists {
        for p in pls {
            p.prefix_list_name = format!("com.amazonaws.{region}.s3").into();
        }
    }
    e
}

fn messages(f: &[crate::pure::finding::Finding]) -> String {
    f.iter()
        .map(|x| {
            format!(
                "{} {} {}: {}",
                x.rule_id, x.status, x.resource_id, x.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- class 9: endpoint policies that are full access in effect ----

fn policy_status(service: &str, policy: &str) -> (Status, String) {
    let mut e = Estate::backend();
    let id = match service {
        "s3" => ids().s3,
        "sts" => ids().sts,
        _ => ids().kinesis,
    };
    e.endpoint(&id).policy_document = Some(policy.into());
    let f = run("PL-EP-010", &e);
    let x = on(&f, &id);
    (x.status, x.message.clone())
}

#[test]
fn fails_when_the_policy_allows_the_whole_service() {
    let p = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(policy_status("s3", p).0, Status::Fail);
    let p = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["sts:GetCallerIdentity","STS:*"],"Resource":["arn:aws:iam::111122223333:role/x","*"]}}"#;
    assert_eq!(policy_status("sts", p).0, Status::Fail);
    let p =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"Kinesis:*","Resource":"*"}]}"#;
    assert_eq!(policy_status("kinesis", p).0, Status::Fail);
}

#[test]
fn fails_when_not_action_excludes_nothing_the_service_does() {
    let p = r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":["ec2:*","iam:PassRole"],"Resource":"*"}]}"#;
    assert_eq!(policy_status("kinesis", p).0, Status::Fail);
    let p = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:dynamodb:*:*:table/x"}]}"#;
    assert_eq!(policy_status("s3", p).0, Status::Fail);
}

#[test]
fn passes_when_not_action_excludes_the_data_actions() {
    let p =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:*","Resource":"*"}]}"#;
    assert_eq!(policy_status("s3", p).0, Status::Pass);
}

#[test]
fn a_condition_or_a_deny_narrows_and_the_message_says_so() {
    let p = r#"{"Statement":{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}}"#;
    let (s, m) = policy_status("sts", p);
    assert_eq!(s, Status::Pass);
    assert!(m.contains("Condition"), "{m}");
    let p = r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}]}"#;
    let (s, m) = policy_status("s3", p);
    assert_eq!(s, Status::Pass);
    assert!(m.contains("Deny"), "{m}");
}

#[test]
fn error_when_the_policy_cannot_be_read() {
    for p in [
        "{not json",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":42,"Resource":"*"}]}"#,
        r#"["*"]"#,
    ] {
        let (s, m) = policy_status("kinesis", p);
        assert_eq!(s, Status::Error, "{p}: {m}");
        assert!(m.contains(&ids().kinesis), "{m}");
    }
}

#[test]
fn snapshot_full_access_in_effect() {
    let mut e = Estate::backend();
    e.endpoint(&ids().s3).policy_document = Some(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"all-s3","Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:*"],"Resource":"*"}]}"#.into(),
    );
    e.endpoint(&ids().sts).policy_document = Some(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"ec2:*","Resource":"*"}]}"#
            .into(),
    );
    e.endpoint(&ids().kinesis).policy_document = Some(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#.into(),
    );
    insta::assert_snapshot!(messages(&run("PL-EP-010", &e)));
}

// ---- class 11: the regional port table ----

#[test]
fn govcloud_relay_endpoint_must_admit_2443_without_the_profile() {
    let mut e = govcloud(Estate::backend());
    let ep = ids().ep_sg;
    e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(2443));
    let f = run("PL-EPSG-001", &e);
    assert_eq!(status_of(&f, &ep), Status::Fail, "{}", messages(&f));
    assert!(on(&f, &ep).message.contains("2443"), "{}", messages(&f));
    // The same network in a commercial region, without the profile, needs no 2443.
    let mut e = Estate::backend();
    e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(2443));
    assert_all(&run("PL-EPSG-001", &e), Status::Pass);
}

#[test]
fn govcloud_does_not_need_6666() {
    let mut e = govcloud(Estate::backend());
    let ws = ids().ws_sg;
    e.drop_sg_rules(|r| r.from_port == Some(6666));
    let f = run("PL-SG-006", &e);
    assert!(
        f.iter().all(|x| x.status != Status::Fail),
        "{}",
        messages(&f)
    );
    assert!(
        f.iter().all(|x| x.message.contains("2443 instead of 6666")),
        "{}",
        messages(&f)
    );
    let f = run("PL-EPSG-001", &e);
    assert_all(&f, Status::Pass);
    // But 2443 is required egress there, with or without the profile.
    e.drop_sg_rules(|r| r.group_id == ws && r.from_port == Some(2443));
    let f = run("PL-SG-007", &e);
    assert_eq!(status_of(&f, &ws), Status::Fail, "{}", messages(&f));
}

#[test]
fn error_when_the_region_and_so_the_partition_is_unknown() {
    let mut e = Estate::backend();
    e.snap.meta.region = None;
    for s in e.subnets_mut() {
        s.availability_zone = "".into();
    }
    let f = run("PL-SG-006", &e);
    assert_all(&f, Status::Error);
    assert!(f[0].message.contains("region"), "{}", messages(&f));
}

#[test]
fn snapshot_govcloud_ports() {
    let mut e = govcloud(Estate::backend());
    let (ws, ep) = (ids().ws_sg, ids().ep_sg);
    e.drop_sg_rules(|r| r.from_port == Some(2443) && (r.group_id == ep || r.group_id == ws));
    let mut f = run("PL-EPSG-001", &e);
    f.extend(run("PL-SG-007", &e));
    insta::assert_snapshot!(messages(&f));
}

// ---- class 13: reports cannot be forged by names and tags ----

const EVIL: &str =
    "x\n\u{1b}[31mPASS  fake | row | `code` </td><script>*b*_i_[l](u)\u{9b}2J\u{202e}";

fn evil_report() -> crate::pure::engine::Report {
    let mut e = Estate::backend();
    e.manifest.workspaces[0].name = EVIL.into();
    let ep = ids().ep_sg;
    e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(6666));
    let opts = AuditOptions {
        manifest: Some(&e.manifest),
        rules: vec!["PL-EPSG-001".into()],
        ..AuditOptions::default()
    };
    audit(&e.snap, &opts)
}

fn render(r: &dyn Render, report: &crate::pure::engine::Report) -> String {
    let mut out = Vec::new();
    r.render(report, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

fn assert_no_raw_controls(s: &str) {
    for c in s.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "raw {:?} in:\n{s}",
            c
        );
    }
}

#[test]
fn table_output_escapes_names() {
    let report = evil_report();
    let t = render(
        &Table {
            color: false,
            show_passed: true,
            width: 0,
        },
        &report,
    );
    assert_no_raw_controls(&t);
    assert!(t.contains("\\x1b[31m"), "{t}");
    assert!(
        !t.lines()
            .any(|l| l.starts_with("\u{1b}") || l.trim_start().starts_with("PASS")),
        "{t}"
    );
}

#[test]
fn markdown_output_escapes_names() {
    let report = evil_report();
    let m = render(&Markdown, &report);
    assert_no_raw_controls(&m);
    assert!(!m.contains("<script>") && !m.contains("</td>"), "{m}");
    // Every table row keeps its five cells: no unescaped pipe from the name.
    for l in m
        .lines()
        .filter(|l| l.starts_with("| FAIL") || l.starts_with("| PASS"))
    {
        let cells = l.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 6, "{l}");
    }
}

#[test]
fn json_output_carries_no_raw_controls() {
    let report = evil_report();
    let j = render(&Json, &report);
    assert_no_raw_controls(&j.replace('\n', ""));
    // The values stay exact for machines.
    let v: serde_json::Value = serde_json::from_str(&j).expect("json");
    assert_eq!(v["deployment"]["workspaces"][0]["name"], EVIL);
}

#[test]
fn snapshot_escaped_names() {
    let report = evil_report();
    let t = render(
        &Table {
            color: false,
            show_passed: false,
            width: 0,
        },
        &report,
    );
    let m = render(&Markdown, &report);
    let j = render(&Json, &report);
    let name_line = j
        .lines()
        .find(|l| l.contains("\"name\": \"x"))
        .unwrap_or_default()
        .trim()
        .to_string();
    insta::assert_snapshot!(format!(
        "--- table\n{t}\n--- markdown\n{m}\n--- json name\n{name_line}"
    ));
}

#[test]
fn a_discovered_workspace_named_by_a_vpc_tag_is_escaped_too() {
    let mut e = Estate::backend();
    for v in e.vpcs_mut() {
        for t in v.tags.iter_mut().filter(|t| &*t.key == "Name") {
            t.value = EVIL.into();
        }
    }
    let report = audit(&e.snap, &AuditOptions::default());
    assert!(
        report
            .deployment
            .workspaces
            .iter()
            .any(|w| w.name.contains("\u{1b}")),
        "{:?}",
        report.deployment.workspaces
    );
    let t = render(
        &Table {
            color: false,
            show_passed: true,
            width: 0,
        },
        &report,
    );
    assert_no_raw_controls(&t);
    let m = render(&Markdown, &report);
    assert_no_raw_controls(&m);
    assert!(!m.contains("<script>"), "{m}");
    assert_no_raw_controls(&render(&Json, &report).replace('\n', ""));
}

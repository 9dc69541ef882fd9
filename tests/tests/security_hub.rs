//! The `asff` format and the Security Hub import (issue 12).
//!
//! Offline: the bundled examples render to ASFF that [`asff::validate`] (the ASFF rules, written
//! apart from the renderer) accepts, pinned by golden files; the status mapping, the baseline's
//! archived findings, the blocking hop and the length limits.
//!
//! Against moto's Security Hub (ignored without `PLAUDIT_MOTO_URL`; `scripts/test.sh` runs
//! them) through the SDK adapter: import, update on re-import (same `Id`, `UpdatedAt` moves), and
//! archive on resolve (`RecordState` ARCHIVED, read back with `GetFindings`). moto 5.2.5 stores
//! what it is sent and updates by `Id`; it does not check the ASFF rules (only that `Resources`
//! is not empty), the 100-finding limit, the product ARN's account, whether Security Hub is
//! enabled, nor keep the customer's `Workflow` on update; `GetFindings` ignores `Filters` and
//! `SortCriteria`. Each test uses a region of its own, so they do not see each other's findings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;

use plaudit::evidence::{FlowPath, Hop, HopName, HopVerdict, PathVerdict};
use plaudit::finding::Change;
use plaudit::render::asff::{self, Asff};
use plaudit::render::{Json, Render};
use plaudit::{Manifest, Report, Snapshot, Status};
use plaudit_tests::example;
use serde_json::Value;

fn report(name: &str) -> Report {
    let dir = example(name);
    let snap = Snapshot::load(&dir).unwrap();
    let manifest = Manifest::load(&dir.join("manifest.yaml")).unwrap();
    plaudit::audit(
        &snap,
        &plaudit::AuditOptions {
            manifest: Some(&manifest),
            ..Default::default()
        },
    )
}

fn render(r: &dyn Render, report: &Report) -> String {
    let mut out = Vec::new();
    r.render(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn asff_json(report: &Report) -> Value {
    serde_json::from_str(&render(&Asff, report)).unwrap()
}

fn by_id<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|f| f["Id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

fn asff_id(report: &Report, rule: &str, id: &str) -> String {
    asff::asff_id("123456789012", report.region.as_deref().unwrap(), rule, id)
}

#[test]
fn the_examples_render_valid_asff_pinned_by_golden_files() {
    for name in ["backend-drifted", "frontend-transit", "isolated-compliant"] {
        let r = report(name);
        let v = asff_json(&r);
        let problems = asff::validate(&v);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        let list = v.as_array().unwrap();
        // Everything but not-applicable findings, one ASFF finding each.
        let exported = r
            .findings
            .iter()
            .filter(|f| f.status != Status::NotApplicable)
            .count();
        assert_eq!(list.len(), exported, "{name}");
        assert!(exported > 0, "{name}");
        for f in list {
            assert_eq!(f["AwsAccountId"], "123456789012");
            assert_eq!(
                f["ProductArn"],
                "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
            );
            assert_eq!(f["CreatedAt"], "2026-11-30T06:00:00Z");
            assert_eq!(f["RecordState"], "ACTIVE");
        }
        // The version moves with every release; the golden file should not.
        let text = serde_json::to_string_pretty(&v)
            .unwrap()
            .replace(env!("CARGO_PKG_VERSION"), "[version]");
        insta::assert_snapshot!(format!("asff_{name}"), text);
    }
}

#[test]
fn each_status_maps_to_its_compliance_workflow_and_severity() {
    let r = report("backend-drifted");
    let v = asff_json(&r);
    let mut seen = std::collections::BTreeSet::new();
    for f in &r.findings {
        let id = asff_id(&r, &f.rule_id, &f.id.to_string());
        let found = v
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["Id"] == id.as_str());
        let want = match f.status {
            Status::Fail => Some(("FAILED", "NEW")),
            Status::Error => Some(("NOT_AVAILABLE", "NEW")),
            Status::Waived => Some(("FAILED", "SUPPRESSED")),
            Status::Pass => Some(("PASSED", "RESOLVED")),
            Status::NotApplicable => None,
        };
        match (want, found) {
            (None, None) => {}
            (Some((c, w)), Some(x)) => {
                assert_eq!(x["Compliance"]["Status"], c, "{id}");
                assert_eq!(x["Workflow"]["Status"], w, "{id}");
                assert_eq!(x["GeneratorId"], f.rule_id.as_ref());
                assert_eq!(x["ProductFields"]["plaudit/FindingId"], f.id.to_string());
                let label = x["FindingProviderFields"]["Severity"]["Label"]
                    .as_str()
                    .unwrap();
                if f.status == Status::Pass {
                    assert_eq!(label, "INFORMATIONAL");
                } else {
                    assert_eq!(
                        label,
                        f.severity
                            .as_str()
                            .to_ascii_uppercase()
                            .replace("INFO", "INFORMATIONAL")
                    );
                }
                assert_eq!(
                    x["FindingProviderFields"]["Severity"]["Original"],
                    f.severity.as_str()
                );
            }
            (want, found) => panic!("{id}: wanted {want:?}, found {found:?}"),
        }
        seen.insert(f.status);
    }
    // The example exercises every exported status.
    for s in [Status::Fail, Status::Waived, Status::Pass] {
        assert!(seen.contains(&s), "{s}");
    }
    // Resources: the ARN with an ASFF type, the workspace's VPC after it.
    let sg = r
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-SG-006" && f.status == Status::Fail)
        .unwrap();
    let x = by_id(&v, &asff_id(&r, "PL-SG-006", &sg.id.to_string()));
    assert_eq!(x["Resources"][0]["Type"], "AwsEc2SecurityGroup");
    assert_eq!(
        x["Resources"][0]["Id"],
        format!(
            "arn:aws:ec2:us-east-1:123456789012:security-group/{}",
            sg.resource_id
        )
    );
    assert_eq!(x["Resources"][0]["Partition"], "aws");
    assert_eq!(x["Resources"][1]["Type"], "AwsEc2Vpc");
    let ep = r
        .findings
        .iter()
        .find(|f| {
            f.resource_type == plaudit::finding::ResourceType::VpcEndpoint
                && f.status != Status::NotApplicable
        })
        .unwrap();
    let x = by_id(&v, &asff_id(&r, &ep.rule_id, &ep.id.to_string()));
    assert_eq!(x["Resources"][0]["Type"], "Other");
    assert_eq!(
        x["Resources"][0]["Details"]["Other"]["CloudFormationType"],
        "AWS::EC2::VPCEndpoint"
    );
}

/// A report compared with a baseline in which one finding failed that passes now (resolved)
/// and one failed that has no finding now (gone).
fn resolved_report(region: &str, at: &str) -> (Report, String, String) {
    let mut before = report("backend-drifted");
    before.region = Some(region.into());
    let mut now = before.clone();
    now.collected_at = Some(at.into());
    // Run 1: the first failure and the first pass both fail.
    let pass_i = before
        .findings
        .iter()
        .position(|f| f.status == Status::Pass)
        .unwrap();
    before.findings[pass_i].status = Status::Fail;
    let fail_i = now
        .findings
        .iter()
        .position(|f| f.status == Status::Fail)
        .unwrap();
    // Run 2: the first failure's resource is gone.
    let gone = now.findings.remove(fail_i);
    let resolved = &now.findings[if pass_i > fail_i { pass_i - 1 } else { pass_i }];
    let resolved_id = asff_id(&now, &resolved.rule_id, &resolved.id.to_string());
    let gone_id = asff_id(&now, &gone.rule_id, &gone.id.to_string());
    let baseline = plaudit::baseline::Baseline::parse(&render(&Json, &before)).unwrap();
    plaudit::baseline::compare(&mut now, baseline, "before.json");
    (now, resolved_id, gone_id)
}

#[test]
fn resolved_and_gone_baseline_failures_are_archived() {
    let (r, resolved, gone) = resolved_report("us-east-1", "2026-12-01T06:00:00Z");
    assert_eq!(r.baseline.as_ref().unwrap().gone.len(), 1);
    let v = asff_json(&r);
    assert!(asff::validate(&v).is_empty(), "{:#?}", asff::validate(&v));
    let x = by_id(&v, &resolved);
    assert_eq!(x["RecordState"], "ARCHIVED");
    assert_eq!(x["Compliance"]["Status"], "PASSED");
    assert_eq!(x["ProductFields"]["plaudit/Change"], "resolved");
    let x = by_id(&v, &gone);
    assert_eq!(x["RecordState"], "ARCHIVED");
    assert_eq!(x["Workflow"]["Status"], "RESOLVED");
    assert_eq!(x["ProductFields"]["plaudit/Status"], "gone");
    assert!(x["Description"].as_str().unwrap().starts_with("Resolved:"));
    // Nothing else is archived.
    let archived = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["RecordState"] == "ARCHIVED")
        .count();
    assert_eq!(archived, 2);
}

#[test]
fn the_blocking_hop_and_overlong_texts_stay_within_the_asff_limits() {
    let mut r = report("backend-drifted");
    let i = r
        .findings
        .iter()
        .position(|f| f.status == Status::Fail)
        .unwrap();
    let f = &mut r.findings[i];
    f.paths = vec![Arc::new(FlowPath {
        id: FlowPath::make_id("ws", "subnet-a", "vpce-1", "tcp", "443"),
        workspace: "ws".into(),
        purpose: "REST API".into(),
        source: "subnet-a".into(),
        destination: "vpce-1".into(),
        protocol: "tcp".into(),
        ports: "443".into(),
        verdict: PathVerdict::Fail,
        hops: vec![
            Hop {
                hop: HopName::SrcSgEgress,
                verdict: HopVerdict::Allowed,
                resources: vec!["sg-1".into()],
                entries: vec!["sgr-1".into()],
                uncovered: vec![],
                detail: String::new(),
            },
            Hop {
                hop: HopName::DstNaclIn,
                verdict: HopVerdict::Blocked,
                resources: vec!["acl-9".into()],
                entries: vec!["rule 90".into()],
                uncovered: vec![],
                detail: "rule 90 denies tcp 443".into(),
            },
        ],
    })];
    f.message = "é".repeat(3000);
    f.remediation = "x".repeat(600).into();
    f.title = "t".repeat(300).into();
    let id = asff_id(&r, &r.findings[i].rule_id, &r.findings[i].id.to_string());
    let v = asff_json(&r);
    assert!(asff::validate(&v).is_empty(), "{:#?}", asff::validate(&v));
    let x = by_id(&v, &id);
    let hop = x["ProductFields"]["plaudit/BlockingHop"].as_str().unwrap();
    assert!(hop.contains("dst_nacl_in (acl-9): rule 90"), "{hop}");
    for (key, max) in [("Title", 256), ("Description", 1024)] {
        let s = x[key].as_str().unwrap();
        assert_eq!(s.encode_utf16().count(), max, "{key}");
        assert!(s.ends_with('…'), "{key}");
    }
    let text = x["Remediation"]["Recommendation"]["Text"].as_str().unwrap();
    assert_eq!(text.chars().count(), 512);
}

#[test]
fn a_report_without_account_or_time_is_refused_with_the_reason() {
    let mut r = report("isolated-compliant");
    r.account_id = None;
    let mut out = Vec::new();
    let e = Asff.render(&r, &mut out).unwrap_err().to_string();
    assert!(e.contains("account id"), "{e}");
    let mut r = report("isolated-compliant");
    r.collected_at = None;
    let e = Asff.render(&r, &mut out).unwrap_err().to_string();
    assert!(e.contains("collection time"), "{e}");
}

mod moto {
    use super::*;
    use aws_sdk_securityhub::types::AwsSecurityFinding;
    use plaudit::aws::securityhub::{import, ImportOptions, SecurityHubClient, BATCH_MAX};

    async fn hub(region: &str) -> (SecurityHubClient, aws_sdk_securityhub::Client) {
        let conf = plaudit_tests::moto::sdk_config()
            .await
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build();
        let c = aws_sdk_securityhub::Client::new(&conf);
        c.enable_security_hub().send().await.unwrap();
        (SecurityHubClient::new(&conf), c)
    }

    async fn all(c: &aws_sdk_securityhub::Client) -> Vec<AwsSecurityFinding> {
        let mut out = Vec::new();
        let mut pages = c.get_findings().max_results(100).into_paginator().send();
        while let Some(p) = pages.next().await {
            out.extend(p.unwrap().findings().iter().cloned());
        }
        out
    }

    fn find<'a>(list: &'a [AwsSecurityFinding], id: &str) -> &'a AwsSecurityFinding {
        list.iter()
            .find(|f| f.id() == Some(id))
            .unwrap_or_else(|| panic!("{id} not in Security Hub"))
    }

    /// Runs a test on a thread with a 256 MB stack: in a debug build the SDK's `GetFindings`
    /// deserializer (`de_resource_details`, one frame for every ASFF resource type) overflows
    /// even an 8 MB stack. The import itself runs on a test thread's 2 MB
    /// (`the_import_future_stays_small_for_its_callers`).
    fn on_big_stack<F>(test: fn() -> F)
    where
        F: std::future::Future<Output = ()> + 'static,
    {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(test())
            })
            .unwrap()
            .join()
            .unwrap();
    }

    fn quick() -> ImportOptions {
        ImportOptions {
            backoff: std::time::Duration::from_millis(10),
            throttle_attempts: 2,
        }
    }

    #[test]
    #[ignore = "needs moto: run scripts/test.sh"]
    fn import_then_reimport_updates_in_place() {
        on_big_stack(run_import_then_reimport_updates_in_place);
    }

    async fn run_import_then_reimport_updates_in_place() {
        let region = "eu-west-3";
        let (api, c) = hub(region).await;
        let mut r = report("backend-drifted");
        r.region = Some(region.into());
        let first = asff::findings(&r).unwrap();
        let out = import(&api, &first, &quick()).await.unwrap();
        assert_eq!(out.imported, first.len());
        assert!(out.failed.is_empty(), "{out:?}");
        assert_eq!(out.calls, first.len().div_ceil(BATCH_MAX));
        let stored = all(&c).await;
        assert_eq!(stored.len(), first.len());
        let f = &first[0];
        let s = find(&stored, &f.id);
        assert_eq!(s.product_arn(), Some(f.product_arn.as_str()));
        assert_eq!(s.title(), Some(f.title.as_str()));
        assert_eq!(s.updated_at(), Some("2026-11-30T06:00:00Z"));
        assert_eq!(
            s.compliance().and_then(|c| c.status()).map(|c| c.as_str()),
            Some(f.compliance.status.as_str())
        );

        // The next day's run: the same ids, updated in place.
        r.collected_at = Some("2026-12-01T06:00:00Z".into());
        let second = asff::findings(&r).unwrap();
        import(&api, &second, &quick()).await.unwrap();
        let stored = all(&c).await;
        assert_eq!(stored.len(), first.len(), "no duplicates");
        for f in &second {
            let s = find(&stored, &f.id);
            assert_eq!(s.updated_at(), Some("2026-12-01T06:00:00Z"));
            assert_eq!(s.record_state().map(|r| r.as_str()), Some("ACTIVE"));
        }
    }

    #[test]
    #[ignore = "needs moto: run scripts/test.sh"]
    fn a_resolved_failure_is_archived() {
        on_big_stack(run_a_resolved_failure_is_archived);
    }

    async fn run_a_resolved_failure_is_archived() {
        let region = "eu-north-1";
        let (api, c) = hub(region).await;
        // Run 1 as the baseline saw it, imported first.
        let mut before = report("backend-drifted");
        before.region = Some(region.into());
        let i = before
            .findings
            .iter()
            .position(|f| f.status == Status::Pass)
            .unwrap();
        before.findings[i].status = Status::Fail;
        import(&api, &asff::findings(&before).unwrap(), &quick())
            .await
            .unwrap();
        let (now, resolved, gone) = resolved_report(region, "2026-12-01T06:00:00Z");
        let stored = all(&c).await;
        for id in [&resolved, &gone] {
            assert_eq!(
                find(&stored, id).record_state().map(|r| r.as_str()),
                Some("ACTIVE")
            );
        }
        assert_eq!(
            find(&stored, &resolved)
                .compliance()
                .and_then(|c| c.status())
                .map(|s| s.as_str()),
            Some("FAILED")
        );
        // Run 2, compared with run 1: the resolved and the gone failure are archived.
        let out = import(&api, &asff::findings(&now).unwrap(), &quick())
            .await
            .unwrap();
        assert!(out.failed.is_empty());
        let stored = all(&c).await;
        let s = find(&stored, &resolved);
        assert_eq!(s.record_state().map(|r| r.as_str()), Some("ARCHIVED"));
        assert_eq!(
            s.compliance().and_then(|c| c.status()).map(|s| s.as_str()),
            Some("PASSED")
        );
        assert_eq!(s.updated_at(), Some("2026-12-01T06:00:00Z"));
        assert_eq!(
            find(&stored, &gone).record_state().map(|r| r.as_str()),
            Some("ARCHIVED")
        );
        let archived = stored
            .iter()
            .filter(|f| f.record_state().map(|r| r.as_str()) == Some("ARCHIVED"))
            .count();
        assert_eq!(archived, 2);
        assert!(now
            .findings
            .iter()
            .any(|f| f.change == Some(Change::Resolved)));
    }
}

//! The Config-rule handler on its pipeline with in-memory fakes (EC2 serving a synthetic
//! estate, the Config API, no drift store): runs under a plain `cargo test`, no moto. Each of
//! issue 10's Config defects has a test here that failed before the fix.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::time::Duration;

use plaudit::config_rule::{Compliance, Evaluation, ResourceKey};
use plaudit::manifest::Manifest;
use plaudit::pipeline::{Collector, Invoke, Setup};
use plaudit::publish::{DynamoStore, SnsSink};
use plaudit::synth::{Estate, Ids};
use plaudit::testing::config::FakeConfig;
use plaudit::testing::ec2::FakeEc2;
use plaudit_config_rule::{handle, handle_until, Deps, HandlerError};
use serde_json::{json, Value};

type FakeDeps = Deps<FakeConfig, DynamoStore, SnsSink, FakeEc2>;

const ACCOUNT: &str = "123456789012";

fn deps(ec2: FakeEc2, config: FakeConfig, manifest: Option<Manifest>) -> FakeDeps {
    Deps {
        collector: Collector::new(ec2),
        config,
        setup: Setup {
            account_id: Some(ACCOUNT.into()),
            region: Some("us-east-1".into()),
            manifest,
            rules: Vec::new(),
        },
        alerting: None,
    }
}

fn event(invoking: Value, rules: Option<&str>) -> Value {
    json!({
        "version": "1.0",
        "invokingEvent": invoking.to_string(),
        "ruleParameters": rules.map(|r| json!({"rules": r}).to_string()),
        "resultToken": "token",
        "eventLeftScope": false,
        "configRuleName": "plaudit-network",
        "accountId": ACCOUNT
    })
}

fn scheduled() -> Value {
    json!({"messageType": "ScheduledNotification", "notificationCreationTime": "2026-11-30T07:00:00.000Z"})
}

/// A change notification; `vpc: None` leaves the configuration out (a deleted resource's item).
fn change(resource_type: &str, id: &str, vpc: Option<&str>, status: &str) -> Value {
    let configuration = match (vpc, status) {
        (_, "ResourceDeleted") | (None, _) => Value::Null,
        (Some(v), _) => json!({"vpcId": v}),
    };
    json!({"messageType": "ConfigurationItemChangeNotification",
           "configurationItem": {"resourceType": resource_type, "resourceId": id,
               "configurationItemStatus": status, "awsRegion": "us-east-1", "awsAccountId": ACCOUNT,
               "configurationItemCaptureTime": "2026-11-30T06:30:00.000Z",
               "configuration": configuration, "relationships": []}})
}

fn key(resource_type: &str, id: &str) -> ResourceKey {
    ResourceKey {
        resource_type: resource_type.into(),
        resource_id: id.into(),
    }
}

fn verdicts(sent: &[Evaluation], c: Compliance) -> Vec<String> {
    sent.iter()
        .filter(|e| e.compliance == c)
        .map(|e| e.resource.resource_id.clone())
        .collect()
}

/// Two back-end workspaces in their own VPCs, both in the manifest.
fn two_workspaces() -> Estate {
    let mut e = Estate::backend();
    e.add_vpc(1, false);
    e
}

#[tokio::test]
async fn a_periodic_run_reports_every_resource_and_clears_what_is_gone() {
    let e = Estate::backend();
    let gone = key("AWS::EC2::Subnet", "subnet-0gone");
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().reporting(std::slice::from_ref(&gone)),
        Some(e.manifest.clone()),
    );
    let out = handle(&event(scheduled(), None), &d).await.unwrap();
    let sent = d.config.sent();
    assert_eq!(out.evaluations, sent.len());
    assert!(out.calls > 0);
    assert_eq!(
        d.config.verdict("subnet-0gone").unwrap().compliance,
        Compliance::NotApplicable
    );
    let ids = Ids::new(0);
    assert_eq!(
        d.config.verdict(&ids.ws_sg).unwrap().compliance,
        Compliance::Compliant
    );
    // Failures first, clean-up last.
    assert_eq!(sent.last().unwrap().resource, gone);
}

/// Defect 1: unreadable VPC endpoints under zero-config discovery find no workspace and used to
/// yield no error finding at all, so the periodic run declared every resource Config knew
/// NOT_APPLICABLE.
#[tokio::test]
async fn a_partial_periodic_collection_never_sends_not_applicable() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let known = [
        key("AWS::EC2::SecurityGroup", &ids.ws_sg),
        key("AWS::EC2::Subnet", &ids.ws_subnets[0]),
        key("AWS::EC2::Subnet", "subnet-0gone"),
    ];
    let d = deps(
        FakeEc2::serving(e.snap.clone()).fail("DescribeVpcEndpoints", "UnauthorizedOperation"),
        FakeConfig::new().reporting(&known),
        None,
    );
    handle(&event(scheduled(), None), &d).await.unwrap();
    let sent = d.config.sent();
    assert!(
        verdicts(&sent, Compliance::NotApplicable).is_empty(),
        "a blind run declared resources not applicable: {sent:#?}"
    );
    assert!(
        verdicts(&sent, Compliance::Compliant).is_empty(),
        "{sent:#?}"
    );
    for k in &known {
        let v = d.config.verdict(&k.resource_id).unwrap();
        assert_eq!(v.compliance, Compliance::NonCompliant, "{v:?}");
        assert!(
            v.annotation
                .as_deref()
                .unwrap()
                .contains("DescribeVpcEndpoints"),
            "{v:?}"
        );
    }
}

/// Defect 1, change side: the changed resource of a blind run is NON_COMPLIANT with the reason,
/// never NOT_APPLICABLE.
#[tokio::test]
async fn a_partial_change_collection_reports_the_changed_resource_with_the_reason() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let d = deps(
        FakeEc2::serving(e.snap.clone()).fail("DescribeVpcEndpoints", "Throttling"),
        FakeConfig::new(),
        None,
    );
    let ev = change("AWS::EC2::SecurityGroup", &ids.ws_sg, Some(&ids.vpc), "OK");
    handle(&event(ev, None), &d).await.unwrap();
    let sent = d.config.sent();
    assert!(
        verdicts(&sent, Compliance::NotApplicable).is_empty(),
        "{sent:#?}"
    );
    let sg = d.config.verdict(&ids.ws_sg).unwrap();
    assert_eq!(sg.compliance, Compliance::NonCompliant);
    assert!(sg.annotation.unwrap().contains("DescribeVpcEndpoints"));
}

/// Defect 3: with a manifest, a change audits only the workspaces of the changed VPC: only that
/// VPC is read, only its resources are reported, and no other VPC turns up as an error.
#[tokio::test]
async fn a_change_audits_only_the_workspaces_of_its_vpc() {
    let e = two_workspaces();
    let a = Ids::new(0);
    assert!(Ids::new(1).vpc.contains("-00000001"));
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    let ev = change("AWS::EC2::SecurityGroup", &a.ws_sg, Some(&a.vpc), "OK");
    handle(&event(ev, None), &d).await.unwrap();
    let sent = d.config.sent();
    assert!(
        sent.iter().any(|x| x.resource.resource_id == a.vpc),
        "{sent:#?}"
    );
    assert!(
        !sent
            .iter()
            .any(|x| x.resource.resource_id.contains("-00000001")),
        "the other workspace's resources were reported: {sent:#?}"
    );
    assert!(
        verdicts(&sent, Compliance::NonCompliant).is_empty(),
        "{sent:#?}"
    );
    // Only the changed VPC was read.
    for f in d.collector.ec2.filters_of("DescribeSubnets") {
        let f = f.expect("a scoped read");
        assert_eq!(f.values, vec![a.vpc.clone()]);
    }
}

/// Defect 3: a resource in a VPC outside the manifest is NOT_APPLICABLE, with nothing read.
#[tokio::test]
async fn a_change_outside_the_manifest_is_not_applicable_without_reading() {
    let e = Estate::backend();
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    let ev = change(
        "AWS::EC2::SecurityGroup",
        "sg-0elsewhere",
        Some("vpc-0elsewhere"),
        "OK",
    );
    let out = handle(&event(ev, None), &d).await.unwrap();
    assert_eq!(out.calls, 0);
    assert_eq!(d.collector.ec2.calls(), 0);
    let sent = d.config.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].compliance, Compliance::NotApplicable);
    assert!(sent[0]
        .annotation
        .as_deref()
        .unwrap()
        .contains("vpc-0elsewhere"));
}

/// Defect 4: deleting the relay endpoint re-evaluates its VPC (found from the last known item)
/// at once: the rules that need the relay fail now, not at the next periodic run.
#[tokio::test]
async fn deleting_the_relay_endpoint_fails_its_dependents_at_once() {
    let mut e = Estate::backend();
    let ids = Ids::new(0);
    let relay = key("AWS::EC2::VPCEndpoint", &ids.relay);
    e.endpoints_mut().retain(|x| x.vpc_endpoint_id != ids.relay);
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().with_history(relay.clone(), &ids.vpc),
        Some(e.manifest.clone()),
    );
    let ev = change("AWS::EC2::VPCEndpoint", &ids.relay, None, "ResourceDeleted");
    let out = handle(&event(ev, None), &d).await.unwrap();
    assert!(out.calls > 0, "the VPC was not re-read");
    let sent = d.config.sent();
    assert_eq!(
        d.config.verdict(&ids.relay).unwrap().compliance,
        Compliance::NotApplicable
    );
    let failing = verdicts(&sent, Compliance::NonCompliant);
    assert!(
        !failing.is_empty(),
        "nothing failed after the relay went: {sent:#?}"
    );
    assert!(
        sent.iter()
            .filter(|x| x.compliance == Compliance::NonCompliant)
            .any(|x| x.annotation.as_deref().unwrap_or("").contains("relay")
                || x.annotation.as_deref().unwrap_or("").contains("6666")),
        "{sent:#?}"
    );
}

/// Defect 4: an endpoint-service change (no VPC) is evaluated region-wide.
#[tokio::test]
async fn an_endpoint_service_change_is_evaluated_region_wide() {
    let e = Estate::backend();
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    let ev = change("AWS::EC2::VPCEndpointService", "vpce-svc-0abc", None, "OK");
    let out = handle(&event(ev, None), &d).await.unwrap();
    assert!(out.calls > 0, "an endpoint-service change read nothing");
    assert!(d
        .config
        .sent()
        .iter()
        .any(|x| x.resource.resource_id == "vpce-svc-0abc"));
}

/// Defect 10: the account comes from the function ARN; without one the invocation fails
/// instead of writing findings under an empty account.
#[tokio::test]
async fn no_account_is_a_setup_error_not_an_empty_partition() {
    let e = Estate::backend();
    let mut d = deps(FakeEc2::serving(e.snap.clone()), FakeConfig::new(), None);
    d.setup.account_id = None;
    let err = handle(&event(scheduled(), None), &d).await.unwrap_err();
    assert!(matches!(err, HandlerError::Setup(_)), "{err}");
    assert!(!err.retryable());
    assert!(d.config.sent().is_empty());
    assert!(Invoke::from_context("", tokio::time::Instant::now()).is_err());
    let ok = Invoke::from_context(
        "arn:aws:lambda:us-east-1:210987654321:function:plaudit-config",
        tokio::time::Instant::now(),
    )
    .unwrap();
    assert_eq!(ok.account_id, "210987654321");
}

/// Defect 11: the deadline covers sending: a run whose PutEvaluations calls cannot all finish
/// says how many went, and the ones that went are the failures first.
#[tokio::test(start_paused = true)]
async fn the_deadline_covers_sending_and_failures_go_first() {
    let mut e = Estate::empty();
    for n in 0..30 {
        e.add_vpc(n, false);
    }
    e.drop_relay_egress();
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().slow_puts(Duration::from_secs(15)),
        Some(e.manifest.clone()),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    let invoke = Invoke {
        deadline: Some(deadline),
        account_id: ACCOUNT.into(),
    };
    let err = handle_until(&event(scheduled(), None), &d, &invoke)
        .await
        .unwrap_err();
    let HandlerError::Deadline { sent, unsent } = err else {
        panic!("{err}");
    };
    assert!(sent > 0 && unsent > 0, "{sent} sent, {unsent} not");
    assert!(
        tokio::time::Instant::now() <= deadline,
        "the handler overran its deadline"
    );
    let got = d.config.sent();
    assert_eq!(got.len(), sent);
    // What a run with time to spare sends: every failure must be among what went.
    let full = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    handle(&event(scheduled(), None), &full).await.unwrap();
    let all = full.config.sent();
    assert_eq!(all.len(), sent + unsent);
    let failures = verdicts(&all, Compliance::NonCompliant);
    assert!(
        !failures.is_empty() && failures.len() <= sent,
        "{} failures",
        failures.len()
    );
    assert_eq!(
        verdicts(&got, Compliance::NonCompliant),
        failures,
        "the failures went first"
    );
    let rank = |c: Compliance| match c {
        Compliance::NonCompliant => 0,
        Compliance::Compliant => 1,
        Compliance::NotApplicable => 2,
    };
    assert!(got
        .windows(2)
        .all(|w| rank(w[0].compliance) <= rank(w[1].compliance)));
}

/// Defect 12: the six Config rules' periodic runs of one cycle share one collection.
#[tokio::test]
async fn six_periodic_runs_of_a_cycle_collect_once() {
    let e = two_workspaces();
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    let families = [
        "PL-VPC,PL-IGW,PL-NAT",
        "PL-SUB,PL-RT",
        "PL-SG",
        "PL-NACL",
        "PL-EP,PL-EPSG",
        "PL-SL",
    ];
    let mut calls = Vec::new();
    for rules in families {
        let out = handle(&event(scheduled(), Some(rules)), &d).await.unwrap();
        calls.push(out.calls);
    }
    let one = calls[0];
    assert!(one > 0);
    assert_eq!(
        &calls[1..],
        &[0; 5],
        "later runs of the cycle collected again: {calls:?}"
    );
    assert_eq!(d.collector.ec2.calls(), one, "EC2 calls per cycle");
    println!(
        "EC2 calls per periodic cycle: {one} (six separate collections: {})",
        6 * one
    );
}

/// Defect 12: a burst of changes to one VPC is read once.
#[tokio::test]
async fn a_burst_of_changes_to_one_vpc_is_read_once() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    let mut calls = Vec::new();
    for id in [&ids.ws_sg, &ids.ep_sg, &ids.ws_sg] {
        let ev = change("AWS::EC2::SecurityGroup", id, Some(&ids.vpc), "OK");
        calls.push(handle(&event(ev, None), &d).await.unwrap().calls);
    }
    assert!(calls[0] > 0);
    assert_eq!(&calls[1..], &[0, 0], "{calls:?}");
}

/// A collection that failed is never shared: the next run reads again.
#[tokio::test]
async fn a_partial_collection_is_not_reused() {
    let e = Estate::backend();
    let d = deps(
        FakeEc2::serving(e.snap.clone()).fail_times("DescribeNetworkAcls", "Throttling", 1),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    let first = handle(&event(scheduled(), None), &d).await.unwrap();
    let second = handle(&event(scheduled(), Some("PL-NACL")), &d)
        .await
        .unwrap();
    assert!(first.calls > 0 && second.calls > 0, "{first:?} {second:?}");
    assert!(!second.reused_collection);
}

/// Rejected evaluations are sent once more, then reported; chunks never exceed 100.
#[tokio::test]
async fn rejected_evaluations_are_retried_then_reported() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().rejecting(key("AWS::EC2::SecurityGroup", &ids.ws_sg)),
        Some(e.manifest.clone()),
    );
    let err = handle(&event(scheduled(), None), &d).await.unwrap_err();
    assert!(
        matches!(err, HandlerError::Rejected { count: 1, .. }),
        "{err}"
    );
    assert!(err.retryable());
}

/// A Config read that fails is an error the invocation reports (Lambda retries it), not an
/// empty clean-up.
#[tokio::test]
async fn a_failed_config_read_fails_the_invocation() {
    let e = Estate::backend();
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().failing("GetComplianceDetailsByConfigRule"),
        Some(e.manifest.clone()),
    );
    let err = handle(&event(scheduled(), None), &d).await.unwrap_err();
    assert!(matches!(err, HandlerError::Config(_)), "{err}");
    assert!(d.config.sent().is_empty());
}

#[tokio::test]
async fn rejected_once_is_sent_again_and_accepted() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().rejecting_once(key("AWS::EC2::VPC", &ids.vpc)),
        Some(e.manifest.clone()),
    );
    let out = handle(&event(scheduled(), Some("PL-VPC")), &d)
        .await
        .unwrap();
    assert_eq!(d.config.chunks().len(), 2, "sent, rejected, sent again");
    assert_eq!(out.evaluations, 1);
    assert_eq!(
        d.config.verdict(&ids.vpc).unwrap().compliance,
        Compliance::Compliant
    );
}

/// Defect 4 (any deleted resource): a deleted subnet re-evaluates its VPC; the subnet itself
/// is NOT_APPLICABLE whatever the audit says.
#[tokio::test]
async fn a_deleted_resource_is_not_applicable_and_its_vpc_re_evaluated() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    // A deleted resource's item has no configuration: its last known item names the VPC.
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().with_history(key("AWS::EC2::Subnet", &ids.ws_subnets[0]), &ids.vpc),
        Some(e.manifest.clone()),
    );
    let ev = change(
        "AWS::EC2::Subnet",
        &ids.ws_subnets[0],
        Some(&ids.vpc),
        "ResourceDeleted",
    );
    let out = handle(&event(ev, None), &d).await.unwrap();
    assert!(out.calls > 0, "{out:?} {:#?}", d.config.sent());
    let subnet = d.config.verdict(&ids.ws_subnets[0]).unwrap();
    assert_eq!(subnet.compliance, Compliance::NotApplicable);
    assert!(d
        .config
        .sent()
        .iter()
        .any(|x| x.resource.resource_id == ids.vpc));
}

#[tokio::test]
async fn left_scope_unknown_and_malformed_events() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    // Left scope: one NOT_APPLICABLE, nothing read.
    let mut ev = event(
        change("AWS::EC2::SecurityGroup", &ids.ws_sg, Some(&ids.vpc), "OK"),
        None,
    );
    ev["eventLeftScope"] = json!(true);
    handle(&ev, &d).await.unwrap();
    assert_eq!(d.config.sent().len(), 1);
    assert_eq!(d.config.sent()[0].compliance, Compliance::NotApplicable);
    assert_eq!(d.collector.ec2.calls(), 0);
    // Unknown message type: nothing sent.
    let out = handle(
        &event(
            json!({"messageType": "ConfigurationSnapshotDeliveryCompleted"}),
            None,
        ),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(out.evaluations, 0);
    assert_eq!(d.config.sent().len(), 1);
    // Malformed: not retried, nothing sent.
    let mut ev = event(scheduled(), None);
    ev["invokingEvent"] = json!("{not json");
    let err = handle(&ev, &d).await.unwrap_err();
    assert!(
        matches!(err, HandlerError::BadEvent(_)) && !err.retryable(),
        "{err}"
    );
    let err = handle(&event(scheduled(), Some("PL-TYPO")), &d)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("PL-TYPO"), "{err}");
    assert_eq!(d.config.sent().len(), 1);
    assert_eq!(d.collector.ec2.calls(), 0);
}

/// A change run with no time left reads nothing and reports the changed resource
/// NON_COMPLIANT with the reason, never COMPLIANT.
#[tokio::test]
async fn a_change_run_out_of_time_is_non_compliant_with_the_reason() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new(),
        Some(e.manifest.clone()),
    );
    let invoke = Invoke {
        deadline: Some(tokio::time::Instant::now()),
        account_id: ACCOUNT.into(),
    };
    let ev = change("AWS::EC2::SecurityGroup", &ids.ws_sg, Some(&ids.vpc), "OK");
    handle_until(&event(ev, None), &d, &invoke).await.unwrap();
    let sent = d.config.sent();
    let sg = d.config.verdict(&ids.ws_sg).unwrap();
    assert_eq!(sg.compliance, Compliance::NonCompliant, "{sg:?}");
    assert!(
        sg.annotation.as_deref().unwrap().contains("could not"),
        "{sg:?}"
    );
    assert!(
        verdicts(&sent, Compliance::Compliant).is_empty(),
        "{sent:#?}"
    );
}

#[tokio::test]
async fn an_oversized_item_is_looked_up_and_its_vpc_re_evaluated() {
    let e = Estate::backend();
    let ids = Ids::new(0);
    let sg = key("AWS::EC2::SecurityGroup", &ids.ws_sg);
    let oversized = json!({"messageType": "OversizedConfigurationItemChangeNotification",
        "configurationItemSummary": {"configurationItemCaptureTime": "2026-11-30T06:30:00.000Z",
            "configurationItemStatus": "OK", "resourceType": "AWS::EC2::SecurityGroup",
            "resourceId": ids.ws_sg, "awsRegion": "us-east-1"}});
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().with_history(sg.clone(), &ids.vpc),
        Some(e.manifest.clone()),
    );
    let out = handle(&event(oversized.clone(), None), &d).await.unwrap();
    assert_eq!(out.message_type, "change");
    assert!(d.config.sent().iter().any(|x| x.resource == sg));
    assert!(d
        .config
        .sent()
        .iter()
        .any(|x| x.resource.resource_id == ids.vpc));
    // The history cannot be read: a retryable failure, nothing reported.
    let d = deps(
        FakeEc2::serving(e.snap.clone()),
        FakeConfig::new().failing("GetResourceConfigHistory"),
        Some(e.manifest.clone()),
    );
    let err = handle(&event(oversized, None), &d).await.unwrap_err();
    assert!(
        err.retryable() && err.to_string().contains("GetResourceConfigHistory"),
        "{err}"
    );
    assert!(d.config.sent().is_empty());
}

/// The handler's future stays small enough to build many at once on a test thread's stack (the
/// collector's future, which holds the SDK's call futures, is boxed): with the SDK client it was
/// large enough to overflow a 2 MiB stack when 24 were built for `join_all`.
#[test]
fn the_handler_future_is_small() {
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new("us-east-1"))
        .build();
    let d: Deps<FakeConfig> = Deps {
        collector: Collector::new(aws_sdk_ec2::Client::from_conf(conf)),
        config: FakeConfig::new(),
        setup: Setup {
            account_id: Some(ACCOUNT.into()),
            region: Some("us-east-1".into()),
            manifest: None,
            rules: Vec::new(),
        },
        alerting: None,
    };
    let ev = event(scheduled(), None);
    let size = std::mem::size_of_val(&handle(&ev, &d));
    eprintln!("handler future: {size} bytes");
    assert!(size < 64 * 1024, "{size} bytes");
}

//! Live collection against moto's server mode: an estate built through the SDK, collected by the
//! real collector, audited, written as a snapshot and audited again.
//!
//! These tests need a moto server: `scripts/test.sh` installs and starts one and sets
//! `PLAUDIT_MOTO_URL`; they are ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use aws_sdk_ec2::Client;
use plaudit::collect::{collect, CallCounter, CollectOptions};
use plaudit::engine::{audit, AuditOptions};
use plaudit::manifest::{Manifest, Mode, WorkspaceSpec};
use plaudit::snapshot::{Input, Snapshot, SnapshotMeta};
use plaudit::Status;
use plaudit_tests::moto::{
    build_isolated, client, manifest, moto_url, revoke_relay_egress, FailOperations, Fault,
};

fn meta() -> SnapshotMeta {
    SnapshotMeta {
        format_version: Some(1),
        account_id: Some("123456789012".into()),
        region: Some("us-east-1".into()),
        collected_at: Some("2026-11-30T06:00:00Z".into()),
        collection_errors: vec![],
    }
}

async fn collect_scoped(c: &Client, vpc: &str) -> (Snapshot, CallCounter) {
    let counter = CallCounter::default();
    let opts = CollectOptions {
        vpc_ids: vec![vpc.to_string()],
        ..CollectOptions::default()
    };
    let snap = collect(c, &opts, meta(), &counter).await;
    (snap, counter)
}

fn status(r: &plaudit::Report, rule: &str) -> Vec<Status> {
    r.findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| f.status)
        .collect()
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn live_audit_equals_the_audit_of_its_snapshot_and_sees_drift() {
    let c = client().await;
    let b = build_isolated(&c, "10.61.0.0/16").await;
    let m = manifest(&b);
    let (snap, counter) = collect_scoped(&c, &b.vpc).await;
    for input in [
        Input::Vpcs,
        Input::VpcAttributes,
        Input::Subnets,
        Input::RouteTables,
        Input::VpcEndpoints,
        Input::SecurityGroups,
        Input::SecurityGroupRules,
        Input::NetworkAcls,
    ] {
        assert!(
            snap.availability(input).is_ok(),
            "{input:?}: {:?}",
            snap.availability(input)
        );
    }
    // Scoped to the workspace VPC.
    assert_eq!(snap.vpcs.as_ref().unwrap().len(), 1);
    assert_eq!(snap.subnets.as_ref().unwrap().len(), 4);
    // One paginated call per resource type, and two DescribeVpcAttribute calls per VPC.
    let calls = counter.by_api();
    assert_eq!(calls.get("DescribeVpcAttribute"), Some(&2), "{calls:?}");
    for api in [
        "DescribeVpcs",
        "DescribeSubnets",
        "DescribeRouteTables",
        "DescribeVpcEndpoints",
        "DescribeSecurityGroups",
        "DescribeSecurityGroupRules",
        "DescribeNetworkAcls",
        "DescribeInternetGateways",
        "DescribeNatGateways",
    ] {
        assert_eq!(calls.get(api), Some(&1), "{api}: {calls:?}");
    }

    let opts = AuditOptions {
        manifest: Some(&m),
        ..AuditOptions::default()
    };
    let live = audit(&snap, &opts);
    assert_eq!(status(&live, "PL-VPC-001"), vec![Status::Pass]);
    assert!(status(&live, "PL-EP-001").contains(&Status::Pass));
    assert!(status(&live, "PL-EP-002").contains(&Status::Pass));
    assert_eq!(status(&live, "PL-SG-006"), vec![Status::Pass]);
    assert_eq!(status(&live, "PL-EPSG-001"), vec![Status::Pass]);
    assert!(
        live.summary.complete,
        "{:#?}",
        live.findings
            .iter()
            .filter(|f| f.status == Status::Error)
            .collect::<Vec<_>>()
    );

    // The snapshot written from the live state audits the same.
    let dir = std::env::temp_dir().join(format!("plaudit-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    snap.write(&dir).unwrap();
    let offline = audit(&Snapshot::load(&dir).unwrap(), &opts);
    assert_eq!(live.findings, offline.findings);

    // Drift: the relay port disappears from the workspace egress.
    revoke_relay_egress(&c, &b, "10.61.0.0/16").await;
    let (snap, _) = collect_scoped(&c, &b.vpc).await;
    let after = audit(&snap, &opts);
    assert_eq!(status(&after, "PL-SG-006"), vec![Status::Fail]);
    let f = after
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-SG-006")
        .unwrap();
    assert!(f.message.contains("tcp 6666"), "{}", f.message);
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_failed_call_is_an_error_not_a_pass() {
    // An endpoint that is not moto: every call fails to connect. Nothing may pass or fail.
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let c = Client::new(&conf);
    let counter = CallCounter::default();
    let snap = collect(
        &c,
        &CollectOptions {
            vpc_ids: vec!["vpc-0123456789abcdef0".into()],
            ..CollectOptions::default()
        },
        meta(),
        &counter,
    )
    .await;
    let f = snap.vpcs.as_ref().unwrap_err();
    assert_eq!(f.api, "DescribeVpcs");
    assert_eq!(f.code, "DispatchFailure");
    let m = Manifest {
        workspaces: vec![WorkspaceSpec {
            name: "ghost".into(),
            vpc_id: "vpc-0123456789abcdef0".into(),
            subnet_ids: vec!["subnet-0123456789abcdef0".into()],
            security_group_ids: vec!["sg-0123456789abcdef0".into()],
            modes: vec![Mode::Isolated],
            compliance_security_profile: false,
            legacy_hive_metastore: false,
            custom_dns: false,
        }],
        ..Manifest::default()
    };
    let r = audit(
        &snap,
        &AuditOptions {
            manifest: Some(&m),
            ..AuditOptions::default()
        },
    );
    assert!(!r.findings.is_empty());
    assert!(
        r.findings.iter().all(|f| f.status == Status::Error),
        "{:#?}",
        r.findings
            .iter()
            .filter(|f| f.status != Status::Error)
            .collect::<Vec<_>>()
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("DispatchFailure")));
    assert_eq!(r.exit_code(plaudit::Severity::High), 3);
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn access_denied_and_throttling_become_errors_with_their_codes() {
    let setup = client().await;
    let b = build_isolated(&setup, "10.62.0.0/16").await;
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(std::time::Duration::from_millis(5)),
        )
        .load()
        .await;
    let ec2_conf = aws_sdk_ec2::config::Builder::from(&conf)
        .interceptor(FailOperations(vec![
            Fault::ec2("DescribeNetworkAcls", 403, "UnauthorizedOperation"),
            Fault::ec2("DescribeVpcEndpoints", 503, "RequestLimitExceeded"),
        ]))
        .build();
    let c = Client::from_conf(ec2_conf);
    let (snap, counter) = collect_scoped(&c, &b.vpc).await;
    let acl = snap.network_acls.as_ref().unwrap_err();
    assert_eq!(
        (acl.api.as_str(), acl.code.as_str()),
        ("DescribeNetworkAcls", "UnauthorizedOperation")
    );
    let eps = snap.vpc_endpoints.as_ref().unwrap_err();
    assert_eq!(eps.code, "RequestLimitExceeded");
    // The rest was read normally, and the throttled call was retried a bounded number of times
    // (one page counted: the SDK's three attempts are one call to the collector).
    assert!(snap.subnets.is_ok() && snap.security_group_rules.is_ok());
    assert_eq!(counter.by_api().get("DescribeVpcEndpoints"), Some(&1));

    let m = manifest(&b);
    let r = audit(
        &snap,
        &AuditOptions {
            manifest: Some(&m),
            ..AuditOptions::default()
        },
    );
    let needs = |f: &plaudit::Finding, input: Input| {
        plaudit::rules::meta(&f.rule_id).is_some_and(|meta| meta.inputs.contains(&input))
    };
    let blind: Vec<_> = r
        .findings
        .iter()
        .filter(|f| needs(f, Input::NetworkAcls) || needs(f, Input::VpcEndpoints))
        .collect();
    assert!(!blind.is_empty());
    for f in &blind {
        assert_eq!(f.status, Status::Error, "{f:#?}");
    }
    assert!(blind
        .iter()
        .any(|f| f.message.contains("UnauthorizedOperation")));
    assert!(blind
        .iter()
        .any(|f| f.message.contains("RequestLimitExceeded")));
    // What could be read is still judged.
    assert_eq!(status(&r, "PL-VPC-001"), vec![Status::Pass]);
    assert!(!r.summary.complete);
}

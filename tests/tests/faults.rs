//! Fault injection against moto: every EC2 describe call in turn answered with access denied,
//! throttling, a server error, a malformed or a truncated body; connections reset; a server that
//! never answers. For each: no panic, every rule that needed the lost input reports `Error` naming
//! the failure, and the findings keep the fault contract compared as a *set* of (rule, resource)
//! ([`plaudit::testing::faults::broken_promises`]): every finding of the healthy run is still
//! there, unchanged when its rule does not read the lost input, else unchanged or an error, and no
//! pass or fail appears that the healthy run does not have (no false "non-compliant" either);
//! retries stay bounded. The same contract is checked on synthetic estates without moto
//! (`shared/tests/faults.rs`).
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeMap;

use plaudit::collect::{collect, CallCounter, CollectOptions};
use plaudit::engine::{audit, AuditOptions, Report};
use plaudit::finding::{FindingId, Status};
use plaudit::snapshot::{Input, Snapshot, SnapshotMeta};
use plaudit::testing::faults::broken_promises;
use plaudit_tests::moto::{build_isolated, client, faulty_client, manifest, Built, Fault};

async fn collect_with(c: &aws_sdk_ec2::Client, b: &Built) -> Snapshot {
    collect(
        c,
        &CollectOptions {
            vpc_ids: vec![b.vpc.clone()],
            ..CollectOptions::default()
        },
        SnapshotMeta {
            account_id: Some("123456789012".into()),
            region: Some("us-east-1".into()),
            ..SnapshotMeta::default()
        },
        &CallCounter::default(),
    )
    .await
}

fn run(snap: &Snapshot, b: &Built) -> Report {
    let m = manifest(b);
    audit(
        snap,
        &AuditOptions {
            manifest: Some(&m),
            ..AuditOptions::default()
        },
    )
}

/// The faults tried on each call: (label, fault, code the finding must name, retried?).
fn faults(op: &'static str) -> Vec<(&'static str, Fault, &'static str, bool)> {
    vec![
        ("access denied", Fault::ec2(op, 403, "UnauthorizedOperation"), "UnauthorizedOperation", false),
        ("throttled", Fault::ec2(op, 503, "RequestLimitExceeded"), "RequestLimitExceeded", true),
        ("throttling", Fault::ec2(op, 400, "Throttling"), "Throttling", true),
        ("server error", Fault::ec2(op, 500, "InternalError"), "InternalError", true),
        (
            "malformed body",
            Fault::raw(op, 200, "this is not XML {"),
            "",
            false,
        ),
        (
            "truncated body",
            Fault::raw(op, 200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Resp><requestId>x</requestId><vpcSet><item><vpcId>vpc-0"),
            "",
            false,
        ),
    ]
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn every_describe_call_failing_in_every_way() {
    let setup = client().await;
    let b = build_isolated(&setup, "10.91.0.0/16").await;
    let baseline = run(&collect_with(&setup, &b).await, &b);
    assert!(baseline.summary.complete);
    let base: BTreeMap<FindingId, Status> =
        baseline.findings.iter().map(|f| (f.id, f.status)).collect();
    let mut cases = 0;
    for input in Input::ALL {
        for (label, fault, code, retried) in faults(input.api()) {
            let c = faulty_client(vec![fault.clone()]).await;
            let snap = collect_with(&c, &b).await;
            let case = format!("{} {label}", input.api());
            // Retries are bounded: at most the three attempts the client allows, and only
            // retryable faults are retried.
            let hits = fault.hits();
            if input == Input::EndpointServicePermissions
                || input == Input::VpcAttributes && hits == 0
            {
                // Per-resource calls: made only when there is something to ask about.
            } else {
                assert!(hits >= 1, "{case}: the fault was never hit");
            }
            let per_call_max = if retried { 3 } else { 1 };
            let calls = match input {
                Input::VpcAttributes => 2,
                _ => 1,
            };
            assert!(hits <= per_call_max * calls, "{case}: {hits} attempts");
            if hits == 0 {
                continue;
            }
            if input == Input::SecurityGroupRules {
                // Compensated by design: the rules are read from the groups' IpPermissions
                // instead, with the same verdicts.
                assert!(snap.security_group_rules.is_err(), "{case}");
                let r = run(&snap, &b);
                let now: BTreeMap<FindingId, Status> =
                    r.findings.iter().map(|f| (f.id, f.status)).collect();
                assert_eq!(now, base, "{case}");
                assert!(broken_promises(&baseline, &r, &[]).is_empty(), "{case}");
                cases += 1;
                continue;
            }
            let failure = snap
                .availability(input)
                .err()
                .unwrap_or_else(|| panic!("{case}: the input was read as if nothing happened"));
            assert_eq!(failure.api, input.api(), "{case}");
            if !code.is_empty() {
                assert_eq!(failure.code, code, "{case}");
            }
            let blind: Vec<Input> = Input::ALL
                .iter()
                .copied()
                .filter(|i| snap.availability(*i).is_err())
                .collect();
            let r = run(&snap, &b);
            let mut dependent = 0;
            for f in &r.findings {
                let meta = plaudit::rules::meta(&f.rule_id).unwrap();
                let reads = |i: &Input| meta.inputs.contains(i) || meta.optional_inputs.contains(i);
                if f.status == Status::Error {
                    dependent += 1;
                    assert!(
                        blind.iter().any(reads),
                        "{case}: an error from a rule that reads none of the lost inputs: {f:#?}"
                    );
                }
                if meta.inputs.iter().any(|i| blind.contains(i)) {
                    assert_eq!(f.status, Status::Error, "{case}: {f:#?}");
                    assert!(
                        blind
                            .iter()
                            .any(|i| f.message.contains(i.api()) || f.message.contains(i.file())),
                        "{case}: the error does not name the call: {}",
                        f.message
                    );
                }
            }
            // Compared as a set of (rule, resource): every finding of the healthy run survives,
            // unchanged or as an error, and no pass or fail appears that it does not have.
            let broken = broken_promises(&baseline, &r, &blind);
            assert!(broken.is_empty(), "{case}:\n{}", broken.join("\n"));
            // A call no applicable rule reads (the internet gateways of a back-end workspace,
            // say) changes nothing; otherwise the report says it is incomplete.
            assert_eq!(r.summary.complete, dependent == 0, "{case}");
            cases += 1;
        }
    }
    assert!(cases >= 60, "{cases} fault cases ran");
}

async fn client_at(url: &str, attempt_timeout: Option<std::time::Duration>) -> aws_sdk_ec2::Client {
    let mut t = aws_config::timeout::TimeoutConfig::builder();
    if let Some(d) = attempt_timeout {
        t = t.operation_attempt_timeout(d);
    }
    let conf = plaudit_tests::moto::sdk_config()
        .await
        .to_builder()
        .endpoint_url(url)
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(std::time::Duration::from_millis(2)),
        )
        .timeout_config(t.build())
        .build();
    aws_sdk_ec2::Client::new(&conf)
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn connection_resets_and_silent_servers_are_errors_not_verdicts() {
    let setup = client().await;
    let b = build_isolated(&setup, "10.92.0.0/16").await;
    for (label, url, timeout) in [
        ("reset", plaudit_tests::moto::bad_server(false), None),
        (
            "silent",
            plaudit_tests::moto::bad_server(true),
            Some(std::time::Duration::from_millis(300)),
        ),
    ] {
        let started = std::time::Instant::now();
        let snap = collect_with(&client_at(&url, timeout).await, &b).await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{label}: bounded"
        );
        for i in [
            Input::Vpcs,
            Input::Subnets,
            Input::SecurityGroups,
            Input::NetworkAcls,
        ] {
            let f = snap.availability(i).unwrap_err();
            assert!(
                ["DispatchFailure", "Timeout", "SdkError"].contains(&f.code.as_str()),
                "{label}: {f:?}"
            );
        }
        let r = run(&snap, &b);
        assert!(
            r.findings
                .iter()
                .all(|f| f.status == Status::Error || f.status == Status::NotApplicable),
            "{label}: {:#?}",
            r.findings
                .iter()
                .filter(|f| !matches!(f.status, Status::Error | Status::NotApplicable))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            r.exit_code(plaudit::Severity::High),
            3,
            "{label}: incomplete"
        );
    }
}

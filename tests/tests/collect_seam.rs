//! The collector through the EC2 seam, against the in-memory `FakeEc2` (no emulator needed, so
//! these run under a plain `cargo test`): what it reads equals what EC2 holds, page by page and
//! chunk by chunk; the 200-value filter limit (defect 14); timeouts, concurrency back-off and the
//! run's deadline on a slow or throttling endpoint (defect 15). Time is tokio's paused clock, so
//! the slow cases take virtual minutes and real milliseconds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeMap;
use std::time::Duration;

use plaudit::collect::{
    collect, CallCounter, CollectOptions, Describe, Ec2Api, Filter, PageRequest, Timeouts,
    DEADLINE_EXCEEDED, MAX_FILTER_VALUES, TIMED_OUT,
};
use plaudit::snapshot::{CollectFailure, Input, Snapshot, SnapshotMeta};
use plaudit::synth::{Estate, Ids};
use plaudit::testing::ec2::FakeEc2;
use tokio::time::Instant;

/// `n` synthetic workspace VPCs (even ones back-end, odd ones isolated), with their manifest.
fn estate(n: usize) -> Estate {
    let mut e = Estate::empty();
    for i in 0..n {
        e.add_vpc(i, i % 2 == 1);
    }
    e
}

fn meta() -> SnapshotMeta {
    Estate::empty().snap.meta
}

fn scoped(e: &Estate) -> CollectOptions {
    CollectOptions {
        vpc_ids: e.manifest.vpc_ids(),
        ..CollectOptions::default()
    }
}

/// Every input of `got` equals the one of `want` as a set (order is not part of what EC2
/// promises), or the test fails naming it.
fn assert_same_state(got: &Snapshot, want: &Snapshot) {
    macro_rules! sorted {
        ($c:expr) => {
            match $c {
                Ok(v) => {
                    let mut out: Vec<String> = v
                        .iter()
                        .map(|x| serde_json::to_string(x).unwrap())
                        .collect();
                    out.sort();
                    Ok(out)
                }
                Err(f) => Err(f.to_string()),
            }
        };
    }
    macro_rules! same {
        ($($field:ident),*) => {$(
            let (g, w): (Result<Vec<String>, String>, Result<Vec<String>, String>) =
                (sorted!(&got.$field), sorted!(&want.$field));
            assert_eq!(g, w, "{}", stringify!($field));
        )*};
    }
    same!(
        vpcs,
        vpc_attributes,
        subnets,
        route_tables,
        internet_gateways,
        nat_gateways,
        vpc_endpoints,
        security_groups,
        security_group_rules,
        network_acls,
        endpoint_service_configurations,
        managed_prefix_lists
    );
    assert_eq!(
        got.endpoint_service_permissions, want.endpoint_service_permissions,
        "endpoint_service_permissions"
    );
}

/// The findings of an audit of `snap` with the estate's manifest.
fn audit_of(snap: &Snapshot, e: &Estate) -> Vec<plaudit::Finding> {
    plaudit::audit(
        snap,
        &plaudit::AuditOptions {
            manifest: Some(&e.manifest),
            ..plaudit::AuditOptions::default()
        },
    )
    .findings
}

fn calls(counter: &CallCounter) -> BTreeMap<&'static str, usize> {
    counter.by_api()
}

fn filter_sizes(ec2: &FakeEc2, api: &str) -> Vec<usize> {
    ec2.filters_of(api)
        .into_iter()
        .map(|f| f.map_or(0, |f| f.values.len()))
        .collect()
}

/// The describe calls filtered on the manifest's VPC ids.
const SCOPED: [&str; 8] = [
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeRouteTables",
    "DescribeInternetGateways",
    "DescribeNatGateways",
    "DescribeVpcEndpoints",
    "DescribeSecurityGroups",
    "DescribeNetworkAcls",
];

#[tokio::test]
async fn the_whole_region_is_read_page_by_page_as_ec2_holds_it() {
    let e = estate(3);
    let ec2 = FakeEc2::serving(e.snap.clone()).page_size(2);
    let counter = CallCounter::default();
    let snap = collect(&ec2, &CollectOptions::default(), meta(), &counter).await;
    assert_same_state(&snap, &e.snap);
    assert!(snap.meta.collection_errors.is_empty());
    // One call per page: 3 VPCs in pages of 2 is two calls; unfiltered (the whole region).
    let by_api = calls(&counter);
    assert_eq!(by_api["DescribeVpcs"], 2);
    let subnets = e.snap.subnets.as_ref().unwrap().len();
    assert_eq!(by_api["DescribeSubnets"], subnets.div_ceil(2));
    assert_eq!(by_api["DescribeVpcAttribute"], 6);
    assert_eq!(counter.total(), ec2.calls());
    assert!(ec2.filters_of("DescribeVpcs").iter().all(Option::is_none));
    // The audit of what was collected is the audit of the estate itself.
    assert_eq!(audit_of(&snap, &e), audit_of(&e.snap, &e));
}

#[tokio::test]
async fn a_failed_call_fails_its_input_only_and_says_why() {
    let e = estate(2);
    let ec2 = FakeEc2::serving(e.snap.clone()).fail("DescribeNetworkAcls", "UnauthorizedOperation");
    let snap = collect(&ec2, &scoped(&e), meta(), &CallCounter::default()).await;
    let f = snap.network_acls.as_ref().unwrap_err();
    assert_eq!(
        (f.api.as_str(), f.code.as_str()),
        ("DescribeNetworkAcls", "UnauthorizedOperation")
    );
    assert_eq!(snap.meta.collection_errors, vec![f.clone()]);
    assert_same_state(
        &Snapshot {
            network_acls: e.snap.network_acls.clone(),
            ..snap.clone()
        },
        &e.snap,
    );

    // Scoped, the rules are asked for by the groups found: no groups, no question, and the
    // input says so rather than reading as "no rules".
    let ec2 =
        FakeEc2::serving(e.snap.clone()).fail("DescribeSecurityGroups", "RequestLimitExceeded");
    let snap = collect(&ec2, &scoped(&e), meta(), &CallCounter::default()).await;
    let f = snap.security_group_rules.as_ref().unwrap_err();
    assert_eq!(f.code, "NotCollected");
    assert!(
        f.message
            .contains("DescribeSecurityGroups failed (RequestLimitExceeded)"),
        "{f}"
    );
    assert_eq!(ec2.calls_of("DescribeSecurityGroupRules"), 0);
}

#[tokio::test]
async fn the_fake_refuses_more_than_200_filter_values_as_ec2_does() {
    let e = estate(250);
    let ec2 = FakeEc2::serving(e.snap.clone());
    let ids = e.manifest.vpc_ids();
    assert_eq!(ids.len(), 250);
    let ask = |values: Vec<String>| PageRequest {
        call: Describe::Subnets,
        filter: Some(Filter {
            name: "vpc-id",
            values,
        }),
        next_token: None,
    };
    // What the collector used to send for every scoped describe call: all the ids at once.
    let err = ec2.call(&ask(ids.clone())).await.unwrap_err();
    assert_eq!(err.code, "FilterLimitExceeded");
    let err = ec2.call(&ask(ids[..201].to_vec())).await.unwrap_err();
    assert_eq!(err.code, "FilterLimitExceeded");
    assert!(ec2.call(&ask(ids[..200].to_vec())).await.is_ok());
}

/// Defect 14: a manifest of 250 workspaces put every VPC id in one filter, which EC2 refuses
/// (`FilterLimitExceeded`), so every scoped call failed and the audit was empty. Now the ids
/// go at most 200 a call and the answers are merged.
#[tokio::test]
async fn a_manifest_of_250_vpcs_is_collected_in_filters_of_at_most_200() {
    let mut e = estate(250);
    // One gateway attached to two VPCs that fall in different chunks: it comes back from
    // both calls and must appear once.
    let (first, last) = (Ids::new(0), Ids::new(249));
    let shared = {
        let igws = e.snap.internet_gateways.as_mut().unwrap();
        let igw = igws
            .iter_mut()
            .find(|g| g.attachments.iter().any(|a| a.vpc_id.as_str() == first.vpc))
            .unwrap();
        let mut second = igw.attachments[0].clone();
        second.vpc_id = last.vpc.as_str().into();
        igw.attachments.push(second);
        igw.internet_gateway_id.to_string()
    };
    let ec2 = FakeEc2::serving(e.snap.clone()).page_size(10_000);
    let counter = CallCounter::default();
    let mut opts = scoped(&e);
    // The same VPC named twice is asked for once.
    opts.vpc_ids.push(first.vpc.clone());
    let snap = collect(&ec2, &opts, meta(), &counter).await;

    assert!(
        snap.meta.collection_errors.is_empty(),
        "{:#?}",
        snap.meta.collection_errors
    );
    assert_same_state(&snap, &e.snap);
    let igws = snap.internet_gateways.as_ref().unwrap();
    assert_eq!(
        igws.iter()
            .filter(|g| g.internet_gateway_id.as_str() == shared)
            .count(),
        1
    );

    // Two calls per scoped describe (200 + 50 ids), three for the rules (500 groups: 200 +
    // 200 + 100), two attribute calls per VPC, and the two unscoped calls.
    for api in SCOPED {
        assert_eq!(filter_sizes(&ec2, api), [200, 50], "{api}");
    }
    let groups = e.snap.security_groups.as_ref().unwrap().len();
    assert_eq!(groups, 500);
    assert_eq!(
        filter_sizes(&ec2, "DescribeSecurityGroupRules"),
        [200, 200, 100]
    );
    let by_api = calls(&counter);
    assert_eq!(by_api["DescribeVpcAttribute"], 500);
    assert_eq!(by_api["DescribeVpcEndpointServiceConfigurations"], 1);
    assert_eq!(by_api["DescribeManagedPrefixLists"], 1);
    assert_eq!(counter.total(), 8 * 2 + 3 + 500 + 2);
    assert_eq!(counter.total(), ec2.calls());
    assert!(ec2.requests().iter().all(|r| r
        .filter
        .as_ref()
        .is_none_or(|f| f.values.len() <= MAX_FILTER_VALUES)));

    // And the audit is the audit of the whole estate: every workspace, nothing in error.
    let report = plaudit::audit(
        &snap,
        &plaudit::AuditOptions {
            manifest: Some(&e.manifest),
            ..plaudit::AuditOptions::default()
        },
    );
    assert!(report.summary.complete);
    assert_eq!(report.findings, audit_of(&e.snap, &e));
}

#[tokio::test]
async fn a_chunk_that_fails_fails_the_whole_input() {
    let e = estate(250);
    // The second chunk's call fails; the first's answer alone would hide 50 VPCs' subnets.
    let ec2 = FakeEc2::serving(e.snap.clone()).page_size(10_000);
    let ec2 = ec2.fail_times("DescribeSubnets", "InternalError", 1);
    let snap = collect(&ec2, &scoped(&e), meta(), &CallCounter::default()).await;
    let f = snap.subnets.as_ref().unwrap_err();
    assert_eq!(
        (f.api.as_str(), f.code.as_str()),
        ("DescribeSubnets", "InternalError")
    );
    assert!(snap.vpcs.is_ok());
}

/// The seconds of virtual time since `t`.
fn secs_since(t: Instant) -> u64 {
    t.elapsed().as_secs()
}

/// Defect 15: a slow endpoint. The large pages (groups, rules, route tables, ACLs) take 100 s
/// each, everything else 2 s. The old fixed limits (20 s an attempt, 90 s a call) cut every
/// large call; limits sized to the work (the new defaults, 60 s / 300 s, or the flags) read it
/// all. A page is one attempt for the fake.
#[tokio::test(start_paused = true)]
async fn a_slow_endpoint_is_read_in_full_with_limits_sized_to_the_work() {
    let e = estate(500);
    let large = [
        "DescribeSecurityGroups",
        "DescribeSecurityGroupRules",
        "DescribeRouteTables",
        "DescribeNetworkAcls",
    ];
    let slow = || {
        let mut ec2 = FakeEc2::serving(e.snap.clone()).slow(Duration::from_secs(2));
        for api in large {
            ec2 = ec2.delay(api, Duration::from_secs(100));
        }
        ec2
    };

    // Before: the old fixed limits.
    let old = CollectOptions {
        timeouts: Timeouts {
            attempt: Duration::from_secs(20),
            call: Duration::from_secs(90),
        },
        ..scoped(&e)
    };
    let ec2 = slow();
    let started = Instant::now();
    let snap = collect(&ec2, &old, meta(), &CallCounter::default()).await;
    eprintln!(
        "slow endpoint, 500 VPCs, old limits: {} calls in {} s of virtual time, {} inputs cut",
        ec2.calls(),
        secs_since(started),
        snap.meta.collection_errors.len()
    );
    let cut: Vec<&str> = snap
        .meta
        .collection_errors
        .iter()
        .map(|f| f.api.as_str())
        .collect();
    assert_eq!(
        cut,
        [
            "DescribeRouteTables",
            "DescribeSecurityGroups",
            "DescribeNetworkAcls"
        ]
    );
    for f in &snap.meta.collection_errors {
        assert_eq!(f.code, TIMED_OUT);
        assert!(f.message.contains("timed out after 90 s"), "{f}");
        assert!(f.message.contains("--call-timeout"), "{f}");
    }

    // After: the defaults.
    let ec2 = slow();
    let counter = CallCounter::default();
    let started = Instant::now();
    let snap = collect(&ec2, &scoped(&e), meta(), &counter).await;
    let took = secs_since(started);
    assert!(
        snap.meta.collection_errors.is_empty(),
        "{:#?}",
        snap.meta.collection_errors
    );
    assert_same_state(&snap, &e.snap);
    // 100 s is under half the 300 s call limit: not a sign of overload, no back-off.
    assert_eq!(counter.backoffs(), 0);
    assert_eq!(ec2.peak_in_flight("DescribeVpcAttribute"), 8);
    eprintln!(
        "slow endpoint, 500 VPCs: {} calls in {took} s of virtual time",
        counter.total()
    );
    assert!(took < 900, "{took} s");
}

/// Defect 15: calls slow enough to risk their limit halve the concurrency, once per round of
/// calls, down to one at a time; the run still completes.
#[tokio::test(start_paused = true)]
async fn calls_near_their_limit_halve_the_concurrency() {
    let e = estate(20);
    let ec2 =
        FakeEc2::serving(e.snap.clone()).delay("DescribeVpcAttribute", Duration::from_secs(200));
    let counter = CallCounter::default();
    let started = Instant::now();
    let snap = collect(&ec2, &scoped(&e), meta(), &counter).await;
    assert!(snap.meta.collection_errors.is_empty());
    assert_same_state(&snap, &e.snap);
    // 200 s is over half the 300 s limit: 8, then 4, then 2, then one at a time: 3 + 26
    // rounds of 200 s for the 40 calls (halving once per call instead would be 1 + 32).
    assert_eq!(counter.backoffs(), 3);
    assert_eq!(secs_since(started), 29 * 200);
    let c = ec2.concurrency_of("DescribeVpcAttribute");
    assert_eq!(c.len(), 40);
    assert_eq!(&c[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert!(c[8..12].iter().all(|n| *n <= 4), "{c:?}");
    assert!(c[14..].iter().all(|n| *n == 1), "{c:?}");
}

/// Defect 15: a throttled call (after the SDK's own retries) fails its input, and the calls
/// after it are made at half the concurrency.
#[tokio::test(start_paused = true)]
async fn throttling_halves_the_concurrency_of_the_calls_after_it() {
    let e = estate(20);
    let run = |throttled: bool| {
        let e = &e;
        async move {
            let mut ec2 = FakeEc2::serving(e.snap.clone())
                .delay("DescribeVpcAttribute", Duration::from_secs(1));
            if throttled {
                ec2 = ec2.fail_times("DescribeSubnets", "RequestLimitExceeded", 1);
            }
            let counter = CallCounter::default();
            let snap = collect(&ec2, &scoped(e), meta(), &counter).await;
            (
                snap,
                counter.backoffs(),
                ec2.peak_in_flight("DescribeVpcAttribute"),
            )
        }
    };
    let (snap, backoffs, peak) = run(false).await;
    assert!(snap.subnets.is_ok());
    assert_eq!((backoffs, peak), (0, 8));

    let (snap, backoffs, peak) = run(true).await;
    // Fail closed: the throttled input is an error with its code, never an empty list.
    let f = snap.subnets.as_ref().unwrap_err();
    assert_eq!(f.code, "RequestLimitExceeded");
    assert_eq!(snap.meta.collection_errors, vec![f.clone()]);
    assert_eq!((backoffs, peak), (1, 4));
    assert!(snap.vpc_attributes.is_ok());
}

/// Defect 15: a run that cannot finish before its deadline says which calls were cut and why,
/// and keeps what it read.
#[tokio::test(start_paused = true)]
async fn a_run_cut_by_its_deadline_names_every_call_it_cut() {
    let e = estate(500);
    let ec2 = FakeEc2::serving(e.snap.clone())
        .slow(Duration::from_secs(2))
        .delay("DescribeSecurityGroups", Duration::from_secs(100))
        .delay("DescribeVpcAttribute", Duration::from_secs(1));
    let started = Instant::now();
    let counter = CallCounter::with_deadline(started + Duration::from_secs(60));
    let snap = collect(&ec2, &scoped(&e), meta(), &counter).await;
    assert!(secs_since(started) <= 60);
    let cut: BTreeMap<&str, &CollectFailure> = snap
        .meta
        .collection_errors
        .iter()
        .map(|f| (f.api.as_str(), f))
        .collect();
    // The groups take 100 s a page; the attribute calls wait for the first round, so neither
    // is read in 60 s (the attribute calls are not even made once the deadline has passed).
    // The rest is read.
    assert_eq!(
        cut.keys().copied().collect::<Vec<_>>(),
        ["DescribeSecurityGroups", "DescribeVpcAttribute"]
    );
    for f in cut.values() {
        assert_eq!(f.code, DEADLINE_EXCEEDED);
        assert!(f.message.contains("deadline"), "{f}");
        assert!(f.message.contains("not answered"), "{f}");
    }
    assert_eq!(ec2.calls_of("DescribeVpcAttribute"), 0);
    // Without the groups the rules are not asked for: skipped, not cut, not "no rules".
    assert_eq!(
        snap.security_group_rules.as_ref().unwrap_err().code,
        "NotCollected"
    );
    for input in [
        Input::Vpcs,
        Input::Subnets,
        Input::RouteTables,
        Input::NetworkAcls,
    ] {
        assert!(snap.availability(input).is_ok(), "{input:?}");
    }
    assert_same_state(
        &Snapshot {
            security_groups: e.snap.security_groups.clone(),
            security_group_rules: e.snap.security_group_rules.clone(),
            vpc_attributes: e.snap.vpc_attributes.clone(),
            ..snap.clone()
        },
        &e.snap,
    );
}

/// Defect 15: in Lambda the limits come from the time left, so one slow call is cut (and
/// named) while there is still time to report it.
#[tokio::test(start_paused = true)]
async fn limits_within_the_time_left_cut_a_slow_call_not_the_run() {
    let e = estate(3);
    let ec2 =
        FakeEc2::serving(e.snap.clone()).delay("DescribeNetworkAcls", Duration::from_secs(200));
    let timeouts = Timeouts::default().within(Duration::from_secs(120));
    assert_eq!(timeouts.call, Duration::from_secs(120));
    let opts = CollectOptions {
        timeouts,
        ..scoped(&e)
    };
    let started = Instant::now();
    let snap = collect(&ec2, &opts, meta(), &CallCounter::default()).await;
    assert_eq!(secs_since(started), 120);
    let f = snap.network_acls.as_ref().unwrap_err();
    assert_eq!(f.code, TIMED_OUT);
    assert!(f.message.contains("timed out after 120 s"), "{f}");
    assert_eq!(snap.meta.collection_errors.len(), 1);
}

/// The collection future is on the heap: unboxed it was about 114 KB in a debug build (ten
/// joined describe sequences, each holding an SDK call's future), which overflowed a test
/// thread's 2 MB stack inside the Config handler's future.
#[test]
fn the_collect_future_stays_small_for_its_callers() {
    let conf = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let client = aws_sdk_ec2::Client::new(&conf);
    let (opts, counter) = (CollectOptions::default(), CallCounter::default());
    let sdk = collect(&client, &opts, meta(), &counter);
    assert!(
        std::mem::size_of_val(&sdk) < 4096,
        "{} bytes",
        std::mem::size_of_val(&sdk)
    );
    let ec2 = FakeEc2::serving(Estate::empty().snap);
    let fake = collect(&ec2, &opts, meta(), &counter);
    assert!(
        std::mem::size_of_val(&fake) < 4096,
        "{} bytes",
        std::mem::size_of_val(&fake)
    );
}

//! The Config-rule handler end to end on the real adapters: EC2 state from moto's server mode,
//! the Config calls recorded by a fake (moto stores no evaluations and lacks the
//! compliance-reading calls), one happy path against moto's real `PutEvaluations` in test mode,
//! and the drift state in moto's DynamoDB. The handler's decisions are tested with in-memory
//! fakes in `pipeline.rs`, which needs no moto.
//!
//! Needs moto (`scripts/test.sh` starts it); ignored by a plain `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;
use common::{change, change_now, deps, event, scheduled};

use std::sync::Mutex;

use plaudit::config_rule::{Compliance, Evaluation, ResourceKey};
use plaudit_config_rule::{handle, AwsConfig, ConfigApi, ConfigApiError};
use plaudit_tests::moto::{
    alerting, build_isolated, client, restore_relay_egress, revoke_relay_egress, sdk_config, Built,
};
use serde_json::{json, Value};

#[derive(Default)]
struct Recorder {
    puts: Mutex<Vec<(String, bool, Vec<Evaluation>)>>,
    reported: Vec<ResourceKey>,
}

impl ConfigApi for Recorder {
    async fn put_evaluations(
        &self,
        token: &str,
        test_mode: bool,
        chunk: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, ConfigApiError> {
        assert!(chunk.len() <= 100, "a chunk of {}", chunk.len());
        self.puts
            .lock()
            .unwrap()
            .push((token.to_string(), test_mode, chunk.to_vec()));
        Ok(Vec::new())
    }

    async fn reported_resources(&self, _rule: &str) -> Result<Vec<ResourceKey>, ConfigApiError> {
        Ok(self.reported.clone())
    }

    async fn vpc_from_history(
        &self,
        _r: &ResourceKey,
        _t: &str,
    ) -> Result<Option<String>, ConfigApiError> {
        Ok(None)
    }
}

impl Recorder {
    fn sent(&self) -> Vec<Evaluation> {
        self.puts
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, _, e)| e.clone())
            .collect()
    }
}

fn sg_key(b: &Built) -> ResourceKey {
    ResourceKey {
        resource_type: "AWS::EC2::SecurityGroup".into(),
        resource_id: b.ws_sg.clone(),
    }
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn periodic_runs_evaluate_every_resource_and_clean_up_stale_ones() {
    let c = client().await;
    let b = build_isolated(&c, "10.71.0.0/16").await;
    let gone = ResourceKey {
        resource_type: "AWS::EC2::Subnet".into(),
        resource_id: "subnet-0gone".into(),
    };
    let d = deps(
        Recorder {
            reported: vec![gone.clone(), sg_key(&b)],
            ..Recorder::default()
        },
        &b,
    )
    .await;
    let out = handle(&event(scheduled(), None, "token-1"), &d)
        .await
        .unwrap();
    assert_eq!(out.message_type, "scheduled");
    let sent = d.config.sent();
    assert_eq!(out.evaluations, sent.len());
    assert!(sent
        .iter()
        .all(|e| e.ordering_timestamp == "2026-11-30T07:00:00.000Z"));
    let stale = sent.iter().find(|e| e.resource == gone).unwrap();
    assert_eq!(stale.compliance, Compliance::NotApplicable);
    // The security group is still reported, so it is not cleaned up, and it is evaluated once.
    assert_eq!(sent.iter().filter(|e| e.resource == sg_key(&b)).count(), 1);
    assert!(d
        .config
        .puts
        .lock()
        .unwrap()
        .iter()
        .all(|(t, test_mode, _)| t == "token-1" && !test_mode));

    // Drift: the relay port goes; the security group turns non-compliant, naming the rule.
    revoke_relay_egress(&c, &b, "10.71.0.0/16").await;
    let d = deps(Recorder::default(), &b).await;
    handle(
        &event(scheduled(), Some(r#"{"rules": "PL-SG-006"}"#), "token-2"),
        &d,
    )
    .await
    .unwrap();
    let sent = d.config.sent();
    let sg = sent.iter().find(|e| e.resource == sg_key(&b)).unwrap();
    assert_eq!(sg.compliance, Compliance::NonCompliant);
    assert!(
        sg.annotation.as_deref().unwrap().starts_with("PL-SG-006: "),
        "{sg:?}"
    );
    assert!(sg.annotation.as_deref().unwrap().len() <= 256);
    // Only PL-SG-006 was selected: it reports on security groups only.
    assert!(
        sent.iter()
            .all(|e| e.resource.resource_type == "AWS::EC2::SecurityGroup"),
        "{sent:#?}"
    );
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn a_change_re_evaluates_the_vpc_of_the_changed_resource() {
    let c = client().await;
    let b = build_isolated(&c, "10.72.0.0/16").await;
    let other = build_isolated(&c, "10.73.0.0/16").await;
    let d = deps(Recorder::default(), &b).await;
    let out = handle(
        &event(
            change("AWS::EC2::SecurityGroup", &b.ws_sg, &b.vpc, "OK"),
            None,
            "t",
        ),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(out.message_type, "change");
    assert!(out.calls > 0);
    let sent = d.config.sent();
    assert!(sent.iter().any(|e| e.resource == sg_key(&b)));
    assert!(
        sent.iter()
            .any(|e| e.resource.resource_type == "AWS::EC2::NetworkAcl"),
        "the whole VPC: {sent:#?}"
    );
    assert!(sent
        .iter()
        .all(|e| e.ordering_timestamp == "2026-11-30T06:30:00.000Z"));
    assert!(!sent
        .iter()
        .any(|e| e.resource.resource_id == other.vpc || e.resource.resource_id == other.ws_sg));
    let vpcs: Vec<_> = sent
        .iter()
        .filter(|e| e.resource.resource_type == "AWS::EC2::VPC")
        .collect();
    assert_eq!(vpcs.len(), 1);
    assert_eq!(vpcs[0].resource.resource_id, b.vpc);
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn testmode_against_moto_config() {
    let c = client().await;
    let b = build_isolated(&c, "10.76.0.0/16").await;
    let conf = sdk_config().await;
    let mut ev = event(
        scheduled(),
        Some(r#"{"rules": "PL-SG,PL-VPC"}"#),
        "TESTMODE",
    );
    // Without a rule name there is nothing to clean up (moto lacks the compliance-reading calls).
    ev.as_object_mut().unwrap().remove("configRuleName");
    let d = deps(AwsConfig(aws_sdk_config::Client::new(&conf)), &b).await;
    let out = handle(&ev, &d).await.unwrap();
    assert!(out.test_mode);
    assert!(out.evaluations > 0);
}

#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn concurrent_change_events_alert_once_per_transition() {
    let c = client().await;
    let b = build_isolated(&c, "10.85.0.0/16").await;
    let a = alerting("plaudit-config-drift").await;
    let mut d = deps(Recorder::default(), &b).await;
    d.alerting = Some((a.store(), a.sink()));
    // A periodic run records the estate's own failures (and announces them).
    let first = handle(&event(scheduled(), None, "t"), &d).await.unwrap();
    let baseline = first.drift.unwrap().transitions;
    assert_eq!(a.drain(&a.all).await.len(), baseline);

    revoke_relay_egress(&c, &b, "10.85.0.0/16").await;
    // Config reports the change to every resource of the VPC at once: many events, one transition.
    let sg_change = event(
        change_now("AWS::EC2::SecurityGroup", &b.ws_sg, &b.vpc, "OK"),
        None,
        "t",
    );
    let subnet_changes: Vec<Value> = b
        .ws_subnets
        .iter()
        .map(|s| event(change_now("AWS::EC2::Subnet", s, &b.vpc, "OK"), None, "t"))
        .collect();
    let mut calls = Vec::new();
    for i in 0..24 {
        let ev = if i % 3 == 0 {
            &sg_change
        } else {
            &subnet_changes[i % 2]
        };
        calls.push(handle(ev, &d));
    }
    let outs: Vec<_> = futures_util::future::join_all(calls).await;
    let drift: Vec<_> = outs
        .into_iter()
        .map(|o| o.unwrap().drift.unwrap())
        .collect();
    let owned: usize = drift.iter().map(|x| x.transitions).sum();
    let msgs = a.drain(&a.all).await;
    assert_eq!(owned, 1, "{drift:?}");
    assert_eq!(msgs.len(), 1, "one alert for the one transition");
    let body: Value = serde_json::from_str(msgs[0]["Message"].as_str().unwrap()).unwrap();
    assert!(
        body["content"]["title"]
            .as_str()
            .unwrap()
            .contains("PL-SG-006"),
        "{body}"
    );

    restore_relay_egress(&c, &b, "10.85.0.0/16").await;
    let fixed = handle(&sg_change, &d).await.unwrap().drift.unwrap();
    assert_eq!(fixed.transitions, 1);
    let msgs = a.drain(&a.all).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["MessageAttributes"]["event"]["Value"], "resolved");
    // The same change delivered again: nothing new.
    let again = handle(&sg_change, &d).await.unwrap().drift.unwrap();
    assert_eq!(again.transitions, 0);
    assert!(a.drain(&a.all).await.is_empty());
}

/// Issue 10, defect 12, measured against moto: the six Config rules' periodic runs of one cycle
/// (the template's six `InputParameters`). Before: every run collected the region itself (here:
/// a fresh collector per run). After: one container answers them in turn and shares one
/// collection.
#[tokio::test]
#[ignore = "needs moto: run scripts/test.sh"]
async fn six_periodic_runs_share_one_collection_against_moto() {
    let c = client().await;
    let b = build_isolated(&c, "10.121.0.0/16").await;
    let families = [
        "PL-VPC,PL-IGW,PL-NAT",
        "PL-SUB,PL-RT",
        "PL-SG",
        "PL-NACL",
        "PL-EP,PL-EPSG",
        "PL-SL",
    ];
    let params = |f: &str| json!({ "rules": f }).to_string();
    let mut separate = 0;
    for f in families {
        let d = deps(Recorder::default(), &b).await;
        separate += handle(&event(scheduled(), Some(&params(f)), "t"), &d)
            .await
            .unwrap()
            .calls;
    }
    let d = deps(Recorder::default(), &b).await;
    let mut shared = Vec::new();
    for f in families {
        let out = handle(&event(scheduled(), Some(&params(f)), "t"), &d)
            .await
            .unwrap();
        shared.push((out.calls, out.reused_collection));
    }
    let per_cycle: usize = shared.iter().map(|(n, _)| n).sum();
    eprintln!("EC2 calls per periodic Config cycle against moto: {separate} before (six collections), {per_cycle} after");
    assert_eq!(per_cycle, shared[0].0);
    assert!(
        shared[1..].iter().all(|&(n, reused)| n == 0 && reused),
        "{shared:?}"
    );
    assert_eq!(separate, 6 * per_cycle);
}

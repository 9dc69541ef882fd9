//! The scheduled audit's Security Hub import (`PLAUDIT_SECURITY_HUB=enabled`) with in-memory
//! fakes: the findings are imported after the drift work, and an import that fails is counted
//! and logged without failing the run or losing its alerts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Mutex;
use std::time::Duration;

use plaudit::aws::securityhub::{CallError, FailedFinding, FindingsApi};
use plaudit::pipeline::{Collector, Invoke, Setup};
use plaudit::render::asff::AsffFinding;
use plaudit::synth::Estate;
use plaudit::testing::ec2::FakeEc2;
use plaudit::testing::fakes::{MemoryStore, RecordingSink};
use plaudit_scheduled_audit::{handle_and_import, metrics, Deps, Outcome};
use serde_json::{json, Value};
use tokio::time::Instant;

/// Records the ids it is sent; refuses every call when `deny`.
#[derive(Default)]
struct Hub {
    sent: Mutex<Vec<String>>,
    deny: bool,
}

impl FindingsApi for Hub {
    async fn batch_import(&self, batch: &[AsffFinding]) -> Result<Vec<FailedFinding>, CallError> {
        if self.deny {
            return Err(CallError {
                code: "InvalidAccessException".into(),
                message: "Account is not subscribed to AWS Security Hub".into(),
            });
        }
        self.sent
            .lock()
            .unwrap()
            .extend(batch.iter().map(|f| f.id.clone()));
        Ok(Vec::new())
    }
}

fn deps() -> Deps<MemoryStore, RecordingSink, FakeEc2> {
    let mut e = Estate::backend();
    e.drop_relay_egress();
    Deps {
        collector: Collector::new(FakeEc2::serving(e.snap.clone())),
        store: MemoryStore::new(),
        sink: RecordingSink::new(),
        reports: None,
        setup: Setup {
            account_id: None,
            region: Some("us-east-1".into()),
            manifest: Some(e.manifest.clone()),
            rules: Vec::new(),
        },
    }
}

async fn run(d: &Deps<MemoryStore, RecordingSink, FakeEc2>, hub: &Hub) -> Outcome {
    let invoke = Invoke {
        deadline: Some(Instant::now() + Duration::from_secs(120)),
        account_id: "123456789012".into(),
    };
    handle_and_import(
        &json!({"source": "plaudit.schedule"}),
        d,
        &invoke,
        Some(hub),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_findings_are_imported_after_the_drift_work() {
    let d = deps();
    let hub = Hub::default();
    let out = run(&d, &hub).await;
    let h = out.security_hub.clone().unwrap();
    let sent = hub.sent.lock().unwrap().clone();
    assert!(h.findings > 0);
    assert_eq!(h.findings, sent.len());
    assert_eq!(
        (h.imported, h.failed, h.error.as_deref()),
        (sent.len(), 0, None)
    );
    // Every exported finding is one of the run's, not-applicable ones left out.
    let not_applicable = out
        .by_status
        .get(&plaudit::Status::NotApplicable)
        .copied()
        .unwrap_or(0);
    assert_eq!(sent.len(), out.findings - not_applicable);
    assert!(sent
        .iter()
        .all(|id| id.starts_with("plaudit/123456789012/us-east-1/PL-")));
    // The drift work happened too.
    assert!(out.drift.transitions > 0);
    assert!(out.drift.alerts_published > 0);
}

#[tokio::test]
async fn a_failed_import_is_counted_and_keeps_the_alerts() {
    let d = deps();
    let hub = Hub {
        deny: true,
        ..Hub::default()
    };
    let out = run(&d, &hub).await;
    let h = out.security_hub.clone().unwrap();
    assert_eq!(h.imported, 0);
    assert_eq!(h.failed, h.findings);
    let e = h.error.clone().unwrap();
    assert!(e.contains("InvalidAccessException"), "{e}");
    assert!(out.drift.alerts_published > 0, "alerts were still sent");
    // The failure is a metric.
    let e = Estate::backend();
    let report = plaudit::audit(
        &e.snap,
        &plaudit::AuditOptions {
            manifest: Some(&e.manifest),
            ..Default::default()
        },
    );
    let docs: Vec<Value> = metrics(&report, &out, 0)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hub_doc = docs
        .iter()
        .find(|d| d.get("SecurityHubImportFailed").is_some())
        .unwrap();
    assert_eq!(hub_doc["SecurityHubImportFailed"], h.failed);
    assert_eq!(hub_doc["SecurityHubImported"], 0);
    let names: Vec<&str> = hub_doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["SecurityHubImported", "SecurityHubImportFailed"]);
    // Without the import, no such document.
    let plain = Outcome {
        security_hub: None,
        ..out
    };
    assert!(metrics(&report, &plain, 0)
        .iter()
        .all(|l| !l.contains("SecurityHub")));
}

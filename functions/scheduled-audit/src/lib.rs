//! The scheduled audit function's handler: a plain async function that tests call directly;
//! `main` only wires the clients.
//!
//! One run: collect the region (or the manifest's VPCs) until a deadline short of the Lambda
//! limit, evaluate, write the JSON and HTML reports to the report bucket (when there is one),
//! record the drift state and alert on transitions (the alerts link the report), log a summary
//! and emit CloudWatch embedded-metric-format (EMF) counts. Inputs not read by the deadline are `Error`
//! findings (never pass, never fail) and alert once as "could not evaluate".
//!
//! With `PLAUDIT_SECURITY_HUB=enabled` ([`handle_and_import`]), the findings are also imported
//! into Security Hub after the drift work; an import that fails is logged and counted
//! (`SecurityHubImportFailed`), never fails the run.

use std::collections::BTreeMap;
use std::time::Duration;

use plaudit::alerting::{AlertSink, Linked};
use plaudit::aws::securityhub::{self, FindingsApi};
use plaudit::collect::Ec2Client;
use plaudit::drift::{DriftError, Scope, StateStore, SyncOutcome};
use plaudit::ec2::Ec2Api;
use plaudit::engine::Report;
use plaudit::finding::{Severity, Status};
use plaudit::pipeline::reports::{write_reports, ReportStore, ReportsOutcome};
use plaudit::pipeline::{record_drift, Collector, Freshness, Invoke, Setup};
use plaudit::publish::S3Reports;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::time::Instant;

/// Time kept back from the Lambda deadline for evaluating, recording and publishing.
pub const PUBLISH_RESERVE: Duration = Duration::from_secs(20);

/// Recording and publishing stop this long before the Lambda deadline, so the function returns.
pub const RETURN_RESERVE: Duration = Duration::from_secs(5);

/// Writing the reports starts nothing this long before the Lambda deadline (between
/// [`PUBLISH_RESERVE`] and [`RETURN_RESERVE`]: the alerts still go out).
pub const REPORT_RESERVE: Duration = Duration::from_secs(15);

/// The CloudWatch namespace of the EMF metrics.
pub const METRIC_NAMESPACE: &str = "plaudit";

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The invocation payload is not an event object.
    #[error("malformed event: {0}")]
    BadEvent(String),
    /// The audit ran, but drift alerting failed (state unreadable: nothing sent; some records
    /// or alerts failed: a later run catches up).
    #[error(transparent)]
    Drift(#[from] DriftError),
    /// The audit ran and its alerts went out, but its reports were not all written to the report
    /// bucket (the alerts say so).
    #[error("{0}")]
    Reports(String),
}

impl HandlerError {
    /// Whether a retry can help (Lambda retries asynchronous invocations; a malformed event stays
    /// malformed).
    pub fn retryable(&self) -> bool {
        !matches!(self, HandlerError::BadEvent(_))
    }
}

/// What the function needs, built once per container.
pub struct Deps<S, A, E = Ec2Client, R = S3Reports> {
    pub collector: Collector<E>,
    pub store: S,
    pub sink: A,
    /// The report bucket (`PLAUDIT_REPORT_BUCKET`), if reports are kept.
    pub reports: Option<R>,
    /// Region, manifest, rules; the account comes from each invocation's function ARN.
    pub setup: Setup,
}

/// What a run did (returned to Lambda and logged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub findings: usize,
    pub by_status: BTreeMap<Status, usize>,
    pub failures_by_severity: BTreeMap<Severity, usize>,
    pub complete: bool,
    pub api_calls: usize,
    /// Inputs that could not be read (API and error code).
    pub collection_errors: Vec<String>,
    pub deadline_reached: bool,
    pub drift: SyncOutcome,
    /// What writing the reports did (no report bucket: `None`).
    pub reports: Option<ReportsOutcome>,
    /// The Security Hub import, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<HubOutcome>,
}

/// What the Security Hub import of a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HubOutcome {
    /// ASFF findings built from the report.
    pub findings: usize,
    pub imported: usize,
    /// Findings that did not reach Security Hub (refused twice, or never sent because a call
    /// failed).
    pub failed: usize,
    pub calls: usize,
    /// Why the import stopped, or which findings were refused (ids and codes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// No Security Hub import: the type of `None` in [`handle`].
pub struct NoImport;

impl FindingsApi for NoImport {
    async fn batch_import(
        &self,
        _batch: &[plaudit::render::asff::AsffFinding],
    ) -> Result<Vec<securityhub::FailedFinding>, securityhub::CallError> {
        Ok(Vec::new())
    }
}

/// Reads `PLAUDIT_SECURITY_HUB`: `enabled` turns the import on; unset, empty or `disabled`
/// leaves it off; anything else is an error (a typo must not silently disable it).
pub fn security_hub_enabled(value: Option<&str>) -> Result<bool, String> {
    match value.map(str::trim) {
        None | Some("") | Some("disabled") => Ok(false),
        Some("enabled") => Ok(true),
        Some(other) => Err(format!(
            "PLAUDIT_SECURITY_HUB is `{other}`; expected `enabled` or `disabled`"
        )),
    }
}

/// Imports the report's findings, within `stop_at`; never fails (the outcome says what
/// happened, the log says why).
pub async fn import_findings<H: FindingsApi>(
    hub: &H,
    report: &Report,
    stop_at: Option<Instant>,
) -> HubOutcome {
    let findings = match plaudit::render::asff::findings(report) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "Security Hub import skipped");
            return HubOutcome {
                error: Some(e.to_string()),
                ..HubOutcome::default()
            };
        }
    };
    let total = findings.len();
    let opts = securityhub::ImportOptions::default();
    let run = securityhub::import(hub, &findings, &opts);
    let result = match stop_at {
        Some(at) => match tokio::time::timeout_at(at, run).await {
            Ok(r) => r,
            Err(_) => {
                tracing::error!(findings = total, "Security Hub import cut by the deadline");
                return HubOutcome {
                    findings: total,
                    failed: total,
                    error: Some("the import did not finish before the deadline".into()),
                    ..HubOutcome::default()
                };
            }
        },
        None => run.await,
    };
    match result {
        Ok(o) => {
            let out = HubOutcome {
                findings: total,
                imported: o.imported,
                failed: o.failed.len(),
                calls: o.calls,
                error: (!o.failed.is_empty()).then(|| o.summary()),
            };
            if o.failed.is_empty() {
                tracing::info!(
                    imported = o.imported,
                    calls = o.calls,
                    "Security Hub import done"
                );
            } else {
                tracing::error!(summary = %o.summary(), "Security Hub refused findings");
            }
            out
        }
        Err(e) => {
            tracing::error!(error = %e, "Security Hub import failed");
            HubOutcome {
                findings: total,
                imported: e.imported,
                failed: total - e.imported.min(total),
                calls: e.outcome.calls,
                error: Some(e.to_string()),
            }
        }
    }
}

/// Checks the invocation payload: an EventBridge scheduled event, or any JSON object for a
/// manual run.
pub fn check_event(event: &Value) -> Result<(), HandlerError> {
    match event {
        Value::Object(_) => Ok(()),
        other => Err(HandlerError::BadEvent(format!(
            "expected a JSON object (an EventBridge scheduled event), got {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            }
        ))),
    }
}

/// Runs one scheduled audit: collect -> audit -> record (drift, alerts) -> metrics. Collection
/// stops [`PUBLISH_RESERVE`] before the invocation's deadline, recording [`RETURN_RESERVE`]
/// before it (no deadline: neither stops).
pub async fn handle<S, A, E, R>(
    event: &Value,
    deps: &Deps<S, A, E, R>,
    invoke: &Invoke,
) -> Result<Outcome, HandlerError>
where
    S: StateStore + Sync,
    A: AlertSink + Sync,
    E: Ec2Api,
    R: ReportStore + Sync,
{
    handle_and_import(event, deps, invoke, None::<&NoImport>).await
}

/// [`handle`], then, when `hub` is given, the Security Hub import of the findings (after the
/// drift work, whatever its result; by the same deadline).
pub async fn handle_and_import<S, A, E, R, H>(
    event: &Value,
    deps: &Deps<S, A, E, R>,
    invoke: &Invoke,
    hub: Option<&H>,
) -> Result<Outcome, HandlerError>
where
    S: StateStore + Sync,
    A: AlertSink + Sync,
    E: Ec2Api,
    R: ReportStore + Sync,
    H: FindingsApi,
{
    check_event(event)?;
    let setup = &deps.setup.in_account(&invoke.account_id);
    let collect_by = invoke.deadline.map(|d| before(d, PUBLISH_RESERVE));
    let c = deps
        .collector
        .collect(setup, setup.region_scope(), Freshness::Now, collect_by)
        .await;
    let report = setup.audit(&c.snapshot, None, &[]);
    let mut out = Outcome::of(&report, c.api_calls);
    // *report* before *record*, so that the alerts link the report (or name its failure).
    if let Some(bucket) = &deps.reports {
        let by = invoke
            .deadline
            .map(|d| before(d, REPORT_RESERVE).into_std());
        // The diagrams need the VPCs' layout, which the snapshot has and the report does not.
        let html = plaudit::render::Html::new(&c.snapshot, &report);
        let written = write_reports(bucket, &report, &html, std::time::SystemTime::now(), by).await;
        if let Some(e) = written.error() {
            tracing::error!(error = %e, "reports not written; the alerts name the failure");
        }
        if let Some(why) = &written.html_skipped {
            tracing::warn!(reason = %why, "HTML report skipped: its renderer failed");
        }
        out.reports = Some(written);
    }
    let sink = Linked {
        sink: &deps.sink,
        report: out.reports.as_ref().map(|w| {
            w.link(
                setup
                    .region
                    .as_deref()
                    .or(report.region.as_deref())
                    .unwrap_or("unknown"),
            )
        }),
    };
    let stop_at = invoke.deadline.map(|d| before(d, RETURN_RESERVE));
    let recorded = record_drift(&deps.store, &sink, &report, &Scope::Everything, stop_at).await;
    if let Some(hub) = hub {
        out.security_hub = Some(import_findings(hub, &report, stop_at).await);
    }
    match recorded {
        Ok(drift) => out.drift = drift,
        Err(e) => {
            emit_metrics(&report, &out);
            tracing::error!(error = %e, "drift state unreadable: no alerts sent");
            return Err(e.into());
        }
    }
    emit_metrics(&report, &out);
    tracing::info!(
        findings = out.findings,
        fail = out.by_status.get(&Status::Fail).copied().unwrap_or(0),
        error = out.by_status.get(&Status::Error).copied().unwrap_or(0),
        complete = out.complete,
        api_calls = out.api_calls,
        transitions = out.drift.transitions,
        alerts = out.drift.alerts_published,
        lost_races = out.drift.lost_races,
        deferred = out.drift.deferred,
        deadline_reached = out.deadline_reached,
        reports_written = out.reports.as_ref().map_or(0, |r| r.written.len()),
        reports_failed = out.reports.as_ref().map_or(0, |r| r.failed.len()),
        "scheduled audit done"
    );
    if let Some(e) = out.drift.delivery_error() {
        return Err(e.into());
    }
    match out.reports.as_ref().and_then(ReportsOutcome::error) {
        Some(e) => Err(HandlerError::Reports(e)),
        None => Ok(out),
    }
}

fn before(deadline: Instant, reserve: Duration) -> Instant {
    deadline
        .checked_sub(reserve)
        .unwrap_or(deadline)
        .max(Instant::now())
}

impl Outcome {
    /// The counts of a report (the drift part is filled in by *record*).
    pub fn of(report: &Report, api_calls: usize) -> Outcome {
        let mut collection_errors: Vec<String> = report
            .collection
            .errors
            .iter()
            .map(|f| format!("{} {}", f.api, f.code))
            .collect();
        collection_errors.dedup();
        Outcome {
            findings: report.summary.total,
            by_status: report.summary.by_status.clone(),
            failures_by_severity: report.summary.failures_by_severity.clone(),
            // Complete only when every finding could be evaluated and nothing failed to be
            // collected (a run that could not even list the VPCs has no findings, and must not
            // look clean).
            complete: report.summary.complete && !report.collection.partial,
            api_calls,
            deadline_reached: report
                .collection
                .errors
                .iter()
                .any(|f| f.code == plaudit::collect::DEADLINE_EXCEEDED),
            collection_errors,
            drift: SyncOutcome::default(),
            reports: None,
            security_hub: None,
        }
    }
}

fn emit_metrics(report: &Report, out: &Outcome) {
    for line in metrics(report, out, epoch_millis()) {
        // EMF documents go to stdout, one per line; CloudWatch Logs extracts the metrics.
        println!("{line}");
    }
}

fn epoch_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The EMF documents of a run: `Findings` by `Status` and `Severity` (one document per pair
/// that occurred), `CollectionErrors` by `Api` (one document per API that failed, counting its
/// failed reads), and one with the run's own counts (`Transitions`, `AlertsPublished`,
/// `AlertsFailed`, `ApiCalls`, `CollectionErrors`, `Incomplete`, and the report objects
/// `ReportsWritten` / `ReportsFailed`, 0 without a report bucket). Every document also carries
/// `Account` and `Region` as properties (not dimensions, to keep metric cardinality low). The
/// stack's dashboard (`template.yaml`) charts these names; a test keeps the two in step.
pub fn metrics(report: &Report, out: &Outcome, timestamp_ms: u64) -> Vec<String> {
    let account = report.account_id.as_deref().unwrap_or("unknown");
    let region = report.region.as_deref().unwrap_or("unknown");
    let mut counts: BTreeMap<(Status, Severity), usize> = BTreeMap::new();
    for f in &report.findings {
        *counts.entry((f.status, f.severity)).or_default() += 1;
    }
    let mut lines: Vec<String> = counts
        .iter()
        .map(|((status, severity), n)| {
            json!({
                "_aws": {
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [{
                        "Namespace": METRIC_NAMESPACE,
                        "Dimensions": [["Status", "Severity"]],
                        "Metrics": [{"Name": "Findings", "Unit": "Count"}],
                    }],
                },
                "Status": status.as_str(),
                "Severity": severity.as_str(),
                "Findings": n,
                "Account": account,
                "Region": region,
            })
            .to_string()
        })
        .collect();
    let mut by_api: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.collection.errors {
        *by_api.entry(f.api.as_str()).or_default() += 1;
    }
    lines.extend(by_api.iter().map(|(api, n)| {
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": METRIC_NAMESPACE,
                    "Dimensions": [["Api"]],
                    "Metrics": [{"Name": "CollectionErrors", "Unit": "Count"}],
                }],
            },
            "Api": api,
            "CollectionErrors": n,
            "Account": account,
            "Region": region,
        })
        .to_string()
    }));
    let run = [
        ("Transitions", out.drift.transitions),
        ("AlertsPublished", out.drift.alerts_published),
        ("AlertsFailed", out.drift.alerts_failed),
        ("ApiCalls", out.api_calls),
        ("CollectionErrors", out.collection_errors.len()),
        ("Incomplete", usize::from(!out.complete)),
        (
            "ReportsWritten",
            out.reports.as_ref().map_or(0, |r| r.written.len()),
        ),
        (
            "ReportsFailed",
            out.reports.as_ref().map_or(0, |r| r.failed.len()),
        ),
    ];
    let mut doc = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": [[]],
                "Metrics": run.iter().map(|(name, _)| json!({"Name": name, "Unit": "Count"})).collect::<Vec<_>>(),
            }],
        },
        "Account": account,
        "Region": region,
    });
    for (name, n) in run {
        doc[name] = json!(n);
    }
    lines.push(doc.to_string());
    if let Some(h) = &out.security_hub {
        lines.push(
            json!({
                "_aws": {
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [{
                        "Namespace": METRIC_NAMESPACE,
                        "Dimensions": [[]],
                        "Metrics": [
                            {"Name": "SecurityHubImported", "Unit": "Count"},
                            {"Name": "SecurityHubImportFailed", "Unit": "Count"},
                        ],
                    }],
                },
                "SecurityHubImported": h.imported,
                "SecurityHubImportFailed": h.failed,
                "Account": account,
                "Region": region,
            })
            .to_string(),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_object_events_are_rejected_with_what_arrived() {
        assert!(check_event(&json!({"source": "aws.events"})).is_ok());
        assert!(check_event(&json!({})).is_ok());
        let e = check_event(&json!("ping")).unwrap_err();
        assert!(!e.retryable());
        let e = e.to_string();
        assert!(e.contains("got a string"), "{e}");
        assert!(check_event(&Value::Null).is_err());
    }

    #[test]
    fn metrics_are_valid_emf_with_one_document_per_status_and_severity() {
        let e = plaudit::synth::Estate::backend();
        let report = plaudit::audit(
            &e.snap,
            &plaudit::AuditOptions {
                manifest: Some(&e.manifest),
                ..plaudit::AuditOptions::default()
            },
        );
        let out = Outcome {
            api_calls: 12,
            complete: true,
            ..Outcome::default()
        };
        let lines = metrics(&report, &out, 1_800_000_000_000);
        let docs: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut total = 0;
        for d in &docs {
            let cw = &d["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(cw["Namespace"], METRIC_NAMESPACE);
            assert_eq!(d["_aws"]["Timestamp"], 1_800_000_000_000u64);
            // Every dimension and metric named in the directive is present as a member.
            for dim in cw["Dimensions"][0].as_array().unwrap() {
                assert!(d[dim.as_str().unwrap()].is_string(), "{d}");
            }
            for m in cw["Metrics"].as_array().unwrap() {
                assert!(d[m["Name"].as_str().unwrap()].is_number(), "{d}");
            }
            total += d["Findings"].as_u64().unwrap_or(0);
        }
        assert_eq!(total as usize, report.findings.len());
        let run = docs.last().unwrap();
        assert_eq!(run["ApiCalls"], 12);
        assert_eq!(run["Incomplete"], 0);
    }
}

//! The AWS Config custom-rule function's handler: a plain async function that tests call
//! directly. `main` only wires the clients.
//!
//! Change-triggered runs re-evaluate the whole VPC of the changed resource and report every
//! resource in it; periodic runs evaluate the region (or the manifest's VPCs) and mark resources
//! that Config still lists but plaudit no longer reports `NOT_APPLICABLE`. `ruleParameters`
//! (`{"rules": "PL-SG,PL-NACL"}`) choose which plaudit rules a Config rule reports, so one function
//! backs several Config rules.

use std::collections::BTreeSet;
use std::future::Future;

use plaudit::alerting::AlertSink;
use plaudit::collect::{collect, CallCounter, CollectOptions, Ec2Client};
use plaudit::config_rule::{
    blind_reason, change_not_applicable, evaluations, parse_event, parse_invocation,
    parse_parameters, resources_of_vpc, stale, vpc_of_history_item, ConfigEventError, Evaluation,
    Invocation, ResourceKey, EVALUATIONS_PER_CALL,
};
use plaudit::drift::{sync_report, DriftError, Scope, StateStore, SyncOutcome};
use plaudit::engine::{audit, AuditOptions, Report};
use plaudit::index::Index;
use plaudit::manifest::Manifest;
use plaudit::publish::{DynamoStore, SnsSink};
use plaudit::snapshot::SnapshotMeta;
use serde_json::Value;

/// The AWS Config calls the handler makes: a small seam so tests can record them (moto neither
/// stores evaluations nor implements the compliance-reading calls).
pub trait ConfigApi {
    /// Sends one chunk (at most 100); returns the evaluations Config rejected.
    fn put_evaluations(
        &self,
        token: &str,
        test_mode: bool,
        chunk: &[Evaluation],
    ) -> impl Future<Output = Result<Vec<ResourceKey>, ConfigApiError>> + Send;
    /// The resources Config currently shows as compliant or not for a rule.
    fn reported_resources(
        &self,
        rule_name: &str,
    ) -> impl Future<Output = Result<Vec<ResourceKey>, ConfigApiError>> + Send;
    /// The VPC of a resource, from its configuration item at `capture_time` (oversized items).
    fn vpc_from_history(
        &self,
        resource: &ResourceKey,
        capture_time: &str,
    ) -> impl Future<Output = Result<Option<String>, ConfigApiError>> + Send;
}

/// A Config call failed.
#[derive(Debug, thiserror::Error)]
#[error("{api} failed: {message}")]
pub struct ConfigApiError {
    pub api: &'static str,
    pub message: String,
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event cannot be understood: retrying will not help.
    #[error("malformed Config event: {0}")]
    BadEvent(#[from] ConfigEventError),
    /// A Config call failed: Lambda may retry the invocation.
    #[error(transparent)]
    Config(#[from] ConfigApiError),
    /// Config rejected some evaluations even after a retry.
    #[error("Config rejected {count} evaluation(s) twice, e.g. {example}")]
    Rejected { count: usize, example: String },
    /// The evaluations were sent, but drift alerting failed (a retry or the next run catches
    /// up).
    #[error(transparent)]
    Drift(#[from] DriftError),
}

impl HandlerError {
    /// Whether Lambda should retry the invocation.
    pub fn retryable(&self) -> bool {
        !matches!(self, HandlerError::BadEvent(_))
    }
}

/// What the handler needs, built once per container.
pub struct Deps<C, S = DynamoStore, A = SnsSink> {
    pub ec2: Ec2Client,
    pub config: C,
    pub manifest: Option<Manifest>,
    pub account_id: Option<String>,
    pub region: String,
    /// The drift state and alert topic shared with the scheduled function; when set, every
    /// evaluation also records transitions and alerts on them.
    pub alerting: Option<(S, A)>,
}

/// What an invocation did (returned to Lambda and logged).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub message_type: String,
    pub evaluations: usize,
    pub calls: usize,
    pub test_mode: bool,
    /// What the drift alerting did (absent when not configured or nothing was evaluated).
    pub drift: Option<SyncOutcome>,
}

/// What an evaluation saw, for the drift state: the report and the resources it answers for
/// (`None`: everything in the region).
type Seen = Option<(Report, Option<BTreeSet<String>>, bool)>;

/// Time kept back from the Lambda deadline for evaluating and sending.
pub const SEND_RESERVE: std::time::Duration = std::time::Duration::from_secs(15);

/// Handles one Config event with no deadline (tests, tools).
pub async fn handle<C, S, A>(raw: &Value, deps: &Deps<C, S, A>) -> Result<Outcome, HandlerError>
where
    C: ConfigApi + Sync,
    S: StateStore + Sync,
    A: AlertSink + Sync,
{
    handle_until(raw, deps, None).await
}

/// Handles one Config event. Collection stops [`SEND_RESERVE`] before `deadline` (the Lambda
/// deadline): inputs not read by then are `Error` findings, reported `NON_COMPLIANT` with the
/// reason, never `COMPLIANT`.
pub async fn handle_until<C, S, A>(
    raw: &Value,
    deps: &Deps<C, S, A>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Outcome, HandlerError>
where
    C: ConfigApi + Sync,
    S: StateStore + Sync,
    A: AlertSink + Sync,
{
    let collect_by = deadline.map(|d| {
        d.checked_sub(SEND_RESERVE)
            .unwrap_or(d)
            .max(tokio::time::Instant::now())
    });
    let event = parse_event(raw)?;
    let invocation = parse_invocation(&event)?;
    let params = parse_parameters(&event)?;
    let token = event.result_token.clone().unwrap_or_default();
    let test_mode = event.test_mode();
    let mut out = Outcome {
        test_mode,
        ..Outcome::default()
    };
    let (evals, ordering, seen): (Vec<Evaluation>, Option<String>, Seen) = match &invocation {
        Invocation::Unknown { message_type } => {
            tracing::info!(message_type = %message_type, "unknown message type: no evaluations");
            out.message_type = message_type.clone();
            return Ok(out);
        }
        Invocation::Change { .. } | Invocation::Oversized { .. } => {
            out.message_type = "change".into();
            if let Some(na) = change_not_applicable(&event, &invocation) {
                (vec![na], None, None)
            } else {
                let (resource, capture_time, vpc) = match &invocation {
                    Invocation::Change {
                        resource,
                        capture_time,
                        vpc_id,
                        ..
                    } => (resource, capture_time, vpc_id.clone()),
                    Invocation::Oversized {
                        resource,
                        capture_time,
                        ..
                    } => (
                        resource,
                        capture_time,
                        deps.config.vpc_from_history(resource, capture_time).await?,
                    ),
                    _ => return Ok(out),
                };
                let Some(vpc) = vpc else {
                    tracing::info!(resource_type = %resource.resource_type, resource_id = %resource.resource_id, "resource belongs to no VPC: not applicable");
                    let na = Evaluation {
                        resource: resource.clone(),
                        compliance: plaudit::config_rule::Compliance::NotApplicable,
                        annotation: plaudit::config_rule::annotation(
                            "The resource belongs to no VPC that plaudit audits.",
                        ),
                        ordering_timestamp: capture_time.clone(),
                    };
                    return send(deps, &token, test_mode, vec![na], out).await;
                };
                let snap = collect_scope(deps, vec![vpc.clone()], collect_by, &mut out).await;
                let report = audit(&snap, &options(deps, &params.rules));
                let ix = Index::new(&snap);
                let mut scope = resources_of_vpc(&ix, &vpc);
                scope.insert(resource.clone());
                let mut evals = evaluations(&report.findings, Some(&scope), capture_time);
                // The changed resource always gets an answer: not applicable when plaudit saw
                // the VPC and reported nothing for it; when the state could not be read, an
                // explicit NON_COMPLIANT with the reason (never a silent not-applicable).
                if !evals.iter().any(|e| e.resource == *resource) {
                    evals.push(match blind_reason(&report.findings) {
                        Some(why) => Evaluation {
                            resource: resource.clone(),
                            compliance: plaudit::config_rule::Compliance::NonCompliant,
                            annotation: plaudit::config_rule::annotation(&format!(
                                "plaudit could not evaluate this VPC: {why}"
                            )),
                            ordering_timestamp: capture_time.clone(),
                        },
                        None => Evaluation {
                            resource: resource.clone(),
                            compliance: plaudit::config_rule::Compliance::NotApplicable,
                            annotation: None,
                            ordering_timestamp: capture_time.clone(),
                        },
                    });
                }
                let ids = scope.into_iter().map(|k| k.resource_id).collect();
                (evals, None, Some((report, Some(ids), partial(&snap))))
            }
        }
        Invocation::Scheduled { notification_time } => {
            out.message_type = "scheduled".into();
            let vpcs = deps
                .manifest
                .as_ref()
                .map(Manifest::vpc_ids)
                .unwrap_or_default();
            let snap = collect_scope(deps, vpcs, collect_by, &mut out).await;
            let report = audit(&snap, &options(deps, &params.rules));
            let evals = evaluations(&report.findings, None, notification_time);
            let partial = partial(&snap);
            (
                evals,
                Some(notification_time.clone()),
                Some((report, None, partial)),
            )
        }
    };
    let mut evals = evals;
    if let (Some(ts), Some(rule)) = (ordering, event.config_rule_name.as_deref()) {
        let previous = deps.config.reported_resources(rule).await?;
        let blind = seen
            .as_ref()
            .and_then(|(r, _, _)| blind_reason(&r.findings));
        evals.extend(stale(&previous, &evals, &ts, blind.as_deref()));
    }
    let selectors = params.rules.clone();
    let out = send(deps, &token, test_mode, evals, out).await?;
    record_drift(deps, seen, &selectors, deadline, out).await
}

/// Records the transitions of what was evaluated and alerts on them (after the evaluations are
/// sent, so a state or topic outage never holds back the Config dashboard).
async fn record_drift<C, S, A>(
    deps: &Deps<C, S, A>,
    seen: Seen,
    _selectors: &[String],
    deadline: Option<tokio::time::Instant>,
    mut out: Outcome,
) -> Result<Outcome, HandlerError>
where
    S: StateStore + Sync,
    A: AlertSink + Sync,
{
    // The report says which rules ran and whether the collection was partial (`report.rules_run`,
    // `report.collection`): the selectors and the tuple's flag are no longer needed here.
    let (Some((store, sink)), Some((report, ids, _partial))) = (&deps.alerting, seen) else {
        return Ok(out);
    };
    // A change run answers for the resources of the VPC it re-evaluated; a periodic run for all.
    let scope = match ids {
        None => Scope::Everything,
        Some(ids) => Scope::only(Vec::<String>::new(), Vec::<String>::new(), ids),
    };
    let stop_at = deadline.map(|d| {
        d.checked_sub(std::time::Duration::from_secs(5))
            .unwrap_or(d)
            .into_std()
    });
    let drift = sync_report(store, sink, &report, &scope, stop_at)
        .await
        .map_err(DriftError::from)?;
    tracing::info!(
        transitions = drift.transitions,
        alerts = drift.alerts_published,
        lost_races = drift.lost_races,
        "drift recorded"
    );
    let failed = drift.delivery_error();
    out.drift = Some(drift);
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(out),
    }
}

/// Whether some input could not be collected (anything but "not collected by design").
fn partial(snap: &plaudit::Snapshot) -> bool {
    plaudit::snapshot::Input::ALL.iter().any(|i| {
        snap.availability(*i)
            .is_err_and(|f| f.code != "NotCollected")
    })
}

fn options<'a, C, S, A>(deps: &'a Deps<C, S, A>, rules: &[String]) -> AuditOptions<'a> {
    AuditOptions {
        manifest: deps.manifest.as_ref(),
        region: Some(deps.region.clone()),
        rules: rules.to_vec(),
        today: None,
    }
}

async fn collect_scope<C, S, A>(
    deps: &Deps<C, S, A>,
    vpc_ids: Vec<String>,
    collect_by: Option<tokio::time::Instant>,
    out: &mut Outcome,
) -> plaudit::Snapshot {
    let counter = collect_by
        .map(CallCounter::with_deadline)
        .unwrap_or_default();
    let meta = SnapshotMeta {
        format_version: Some(plaudit::snapshot::SNAPSHOT_FORMAT_VERSION),
        account_id: deps.account_id.clone(),
        region: Some(deps.region.clone()),
        collected_at: Some(plaudit::time::now_rfc3339()),
        collection_errors: Vec::new(),
    };
    let snap = collect(
        &deps.ec2,
        &CollectOptions {
            vpc_ids,
            ..CollectOptions::default()
        },
        meta,
        &counter,
    )
    .await;
    out.calls += counter.total();
    for i in plaudit::snapshot::Input::ALL {
        if let Err(f) = snap.availability(i) {
            if f.code != "NotCollected" {
                tracing::warn!(api = %f.api, code = %f.code, "collection failed; the rules that need it report error");
            }
        }
    }
    snap
}

/// `PutEvaluations` in chunks of at most 100; rejected evaluations are sent once more, then
/// reported.
async fn send<C: ConfigApi, S, A>(
    deps: &Deps<C, S, A>,
    token: &str,
    test_mode: bool,
    evals: Vec<Evaluation>,
    mut out: Outcome,
) -> Result<Outcome, HandlerError> {
    out.evaluations = evals.len();
    let mut rejected: Vec<Evaluation> = Vec::new();
    for chunk in evals.chunks(EVALUATIONS_PER_CALL) {
        let failed: BTreeSet<ResourceKey> = deps
            .config
            .put_evaluations(token, test_mode, chunk)
            .await?
            .into_iter()
            .collect();
        rejected.extend(
            chunk
                .iter()
                .filter(|e| failed.contains(&e.resource))
                .cloned(),
        );
    }
    if !rejected.is_empty() {
        tracing::warn!(
            count = rejected.len(),
            "Config rejected evaluations; retrying them once"
        );
        let mut still = Vec::new();
        for chunk in rejected.chunks(EVALUATIONS_PER_CALL) {
            still.extend(deps.config.put_evaluations(token, test_mode, chunk).await?);
        }
        if let Some(first) = still.first() {
            return Err(HandlerError::Rejected {
                count: still.len(),
                example: format!("{} {}", first.resource_type, first.resource_id),
            });
        }
    }
    tracing::info!(evaluations = out.evaluations, calls = out.calls, message_type = %out.message_type, "evaluated");
    Ok(out)
}

/// The real Config client.
pub struct AwsConfig(pub aws_sdk_config::Client);

fn config_error(api: &'static str, e: impl std::error::Error) -> ConfigApiError {
    ConfigApiError {
        api,
        message: e.to_string(),
    }
}

fn timestamp(ts: &str) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_str(ts, aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| aws_smithy_types::DateTime::from(std::time::SystemTime::now()))
}

impl ConfigApi for AwsConfig {
    async fn put_evaluations(
        &self,
        token: &str,
        test_mode: bool,
        chunk: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, ConfigApiError> {
        use aws_sdk_config::types::{ComplianceType, Evaluation as E};
        let mut req = self
            .0
            .put_evaluations()
            .result_token(token)
            .test_mode(test_mode);
        for e in chunk {
            let built = E::builder()
                .compliance_resource_type(&e.resource.resource_type)
                .compliance_resource_id(&e.resource.resource_id)
                .compliance_type(ComplianceType::from(e.compliance.as_str()))
                .set_annotation(e.annotation.clone())
                .ordering_timestamp(timestamp(&e.ordering_timestamp))
                .build()
                .map_err(|err| config_error("PutEvaluations", err))?;
            req = req.evaluations(built);
        }
        let resp = req.send().await.map_err(|err| {
            config_error(
                "PutEvaluations",
                aws_sdk_config::error::DisplayErrorContext(err).to_string_error(),
            )
        })?;
        Ok(resp
            .failed_evaluations()
            .iter()
            .map(|f| ResourceKey {
                resource_type: f.compliance_resource_type().to_string(),
                resource_id: f.compliance_resource_id().to_string(),
            })
            .collect())
    }

    async fn reported_resources(
        &self,
        rule_name: &str,
    ) -> Result<Vec<ResourceKey>, ConfigApiError> {
        use aws_sdk_config::types::ComplianceType;
        let mut stream = self
            .0
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule_name)
            .compliance_types(ComplianceType::Compliant)
            .compliance_types(ComplianceType::NonCompliant)
            .limit(100)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = stream.next().await {
            let page = page.map_err(|err| {
                config_error(
                    "GetComplianceDetailsByConfigRule",
                    aws_sdk_config::error::DisplayErrorContext(err).to_string_error(),
                )
            })?;
            for r in page.evaluation_results() {
                if let Some(q) = r
                    .evaluation_result_identifier()
                    .and_then(|i| i.evaluation_result_qualifier())
                {
                    if let (Some(t), Some(id)) = (q.resource_type(), q.resource_id()) {
                        out.push(ResourceKey {
                            resource_type: t.to_string(),
                            resource_id: id.to_string(),
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    async fn vpc_from_history(
        &self,
        resource: &ResourceKey,
        capture_time: &str,
    ) -> Result<Option<String>, ConfigApiError> {
        let resp = self
            .0
            .get_resource_config_history()
            .resource_type(aws_sdk_config::types::ResourceType::from(
                resource.resource_type.as_str(),
            ))
            .resource_id(&resource.resource_id)
            .later_time(timestamp(capture_time))
            .limit(1)
            .send()
            .await
            .map_err(|err| {
                config_error(
                    "GetResourceConfigHistory",
                    aws_sdk_config::error::DisplayErrorContext(err).to_string_error(),
                )
            })?;
        Ok(resp.configuration_items().first().and_then(|item| {
            let rels: Vec<(String, String)> = item
                .relationships()
                .iter()
                .filter_map(|r| {
                    Some((
                        r.resource_type()?.as_str().to_string(),
                        r.resource_id()?.to_string(),
                    ))
                })
                .collect();
            vpc_of_history_item(
                &resource.resource_type,
                &resource.resource_id,
                item.configuration(),
                &rels,
            )
        }))
    }
}

/// Turns a displayable SDK error into a `std::error::Error`.
trait ToStringError {
    fn to_string_error(&self) -> StringError;
}

impl<T: std::fmt::Display> ToStringError for T {
    fn to_string_error(&self) -> StringError {
        StringError(self.to_string())
    }
}

/// An error that is only its message.
#[derive(Debug)]
pub struct StringError(String);

impl std::fmt::Display for StringError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StringError {}

//! The AWS Config custom-rule function's handler: a plain async function that tests call
//! directly. `main` only wires the clients.
//!
//! Change-triggered runs re-evaluate the whole VPC of the changed resource and report every
//! resource in it; periodic runs evaluate the region (or the manifest's VPCs) and mark resources
//! that Config still lists but plaudit no longer reports `NOT_APPLICABLE`. `ruleParameters`
//! (`{"rules": "PL-SG,PL-NACL"}`) choose which plaudit rules a Config rule reports, so one function
//! backs several Config rules.

use std::collections::BTreeSet;

use plaudit::alerting::AlertSink;
use plaudit::collect::Ec2Client;
use plaudit::config_rule::{
    parse_event, parse_invocation, parse_parameters, periodic_evaluations, plan_change, ChangePlan,
    ConfigEventError, Evaluation, Invocation, ResourceKey, EVALUATIONS_PER_CALL,
};
use plaudit::drift::{DriftError, Scope, StateStore, SyncOutcome};
use plaudit::ec2::Ec2Api;
use plaudit::index::Index;
use plaudit::pipeline::{
    record_drift, Collector, Freshness, Invoke, Setup, SetupError, PERIODIC_REUSE,
};
use plaudit::publish::{DynamoStore, SnsSink};
use serde_json::Value;
use tokio::time::Instant;

pub use plaudit::config::AwsConfig;
pub use plaudit::config_rule::{ConfigApi, ConfigApiError};

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event cannot be understood: retrying will not help.
    #[error("malformed Config event: {0}")]
    BadEvent(#[from] ConfigEventError),
    /// The function is set up wrong (no account): retrying will not help.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// A Config call failed: Lambda may retry the invocation.
    #[error(transparent)]
    Config(#[from] ConfigApiError),
    /// Config rejected some evaluations even after a retry.
    #[error("Config rejected {count} evaluation(s) twice, e.g. {example}")]
    Rejected { count: usize, example: String },
    /// The deadline came before every evaluation was sent (the most important went first).
    #[error("the Lambda deadline came before every evaluation was sent: {sent} sent, {unsent} not sent; a retry sends them")]
    Deadline { sent: usize, unsent: usize },
    /// The evaluations were sent, but drift alerting failed (a retry or the next run catches
    /// up).
    #[error(transparent)]
    Drift(#[from] DriftError),
}

impl HandlerError {
    /// Whether Lambda should retry the invocation.
    pub fn retryable(&self) -> bool {
        !matches!(self, HandlerError::BadEvent(_) | HandlerError::Setup(_))
    }
}

/// What the handler needs, built once per container.
pub struct Deps<C, S = DynamoStore, A = SnsSink, E = Ec2Client> {
    /// *collect*: EC2, with this container's last collection (shared by a periodic cycle).
    pub collector: Collector<E>,
    pub config: C,
    /// Region, manifest, rules; the account comes from each invocation's function ARN.
    pub setup: Setup,
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
    /// True when a fresh collection of this container answered (no EC2 calls).
    pub reused_collection: bool,
    pub test_mode: bool,
    /// What the drift alerting did (absent when not configured or nothing was evaluated).
    pub drift: Option<SyncOutcome>,
}

/// Time kept back from the Lambda deadline for evaluating and sending.
pub const SEND_RESERVE: std::time::Duration = std::time::Duration::from_secs(15);

/// Sending and recording stop this long before the Lambda deadline, so the function returns.
pub const RETURN_RESERVE: std::time::Duration = std::time::Duration::from_secs(2);

/// Handles one Config event with no deadline, in the account of `deps.setup` (tests, tools).
pub async fn handle<C, S, A, E>(
    raw: &Value,
    deps: &Deps<C, S, A, E>,
) -> Result<Outcome, HandlerError>
where
    C: ConfigApi + Sync,
    S: StateStore + Sync,
    A: AlertSink + Sync,
    E: Ec2Api,
{
    let account_id = deps
        .setup
        .account_id
        .clone()
        .ok_or_else(|| SetupError::FunctionArn(String::new()))?;
    let invoke = Invoke {
        deadline: None,
        account_id,
    };
    handle_until(raw, deps, &invoke).await
}

/// Handles one Config event: collect -> audit -> decide (evaluations) -> send -> record (drift).
/// Collection stops [`SEND_RESERVE`] before the deadline: inputs not read by then are `Error`
/// findings, reported `NON_COMPLIANT` with the reason, never `COMPLIANT`.
pub async fn handle_until<C, S, A, E>(
    raw: &Value,
    deps: &Deps<C, S, A, E>,
    invoke: &Invoke,
) -> Result<Outcome, HandlerError>
where
    C: ConfigApi + Sync,
    S: StateStore + Sync,
    A: AlertSink + Sync,
    E: Ec2Api,
{
    let event = parse_event(raw)?;
    let invocation = parse_invocation(&event)?;
    let params = parse_parameters(&event)?;
    let setup = deps.setup.in_account(&invoke.account_id);
    let collect_by = invoke.deadline.map(|d| before(d, SEND_RESERVE));
    let send_by = invoke.deadline.map(|d| before(d, RETURN_RESERVE));
    let mut out = Outcome {
        test_mode: event.test_mode(),
        message_type: message_type(&invocation),
        ..Outcome::default()
    };
    // collect -> audit -> decide
    let (evals, seen) = match &invocation {
        Invocation::Unknown { message_type } => {
            tracing::info!(message_type = %message_type, "unknown message type: no evaluations");
            return Ok(out);
        }
        Invocation::Scheduled { notification_time } => {
            let fresh = Freshness::NotOlderThan(PERIODIC_REUSE);
            let c = deps
                .collector
                .collect(&setup, setup.region_scope(), fresh, collect_by)
                .await;
            (out.calls, out.reused_collection) = (c.api_calls, c.reused);
            let report = setup.audit(&c.snapshot, None, &params.rules);
            let previous = match event.config_rule_name.as_deref() {
                Some(rule) => deps.config.reported_resources(rule).await?,
                None => Vec::new(),
            };
            let evals = periodic_evaluations(&report, &previous, notification_time);
            (evals, Some((report, Scope::Everything)))
        }
        Invocation::Change { .. } | Invocation::Oversized { .. } => {
            let Some(item) = invocation.change() else {
                return Ok(out);
            };
            let vpc = match item.vpc_id {
                Some(v) => Some(v.to_string()),
                None if item.vpc_needs_history() => {
                    deps.config
                        .vpc_from_history(item.resource, item.capture_time)
                        .await?
                }
                None => None,
            };
            match plan_change(&event, &invocation, setup.manifest.as_ref(), vpc.as_deref()) {
                ChangePlan::Answer(evals) => (evals, None),
                ChangePlan::Audit(plan) => {
                    // A collection that started after the change was captured already holds it:
                    // a burst of changes to one VPC is read once.
                    let fresh = plaudit::time::parse_rfc3339(&plan.capture_time)
                        .map_or(Freshness::Now, Freshness::StartedAfter);
                    let c = deps
                        .collector
                        .collect(&setup, plan.collect.clone(), fresh, collect_by)
                        .await;
                    (out.calls, out.reused_collection) = (c.api_calls, c.reused);
                    let report = setup.audit(&c.snapshot, plan.manifest.as_ref(), &params.rules);
                    let (evals, scope) = plan.evaluations(&report, &Index::new(&c.snapshot));
                    (evals, Some((report, scope)))
                }
            }
        }
    };
    // send -> record
    let token = event.result_token.clone().unwrap_or_default();
    let mut out = send(&deps.config, &token, evals, send_by, out).await?;
    if let (Some((store, sink)), Some((report, scope))) = (&deps.alerting, seen) {
        let drift = record_drift(store, sink, &report, &scope, send_by).await?;
        let failed = drift.delivery_error();
        out.drift = Some(drift);
        if let Some(e) = failed {
            return Err(e.into());
        }
    }
    Ok(out)
}

fn before(deadline: Instant, reserve: std::time::Duration) -> Instant {
    deadline
        .checked_sub(reserve)
        .unwrap_or(deadline)
        .max(Instant::now())
}

fn message_type(invocation: &Invocation) -> String {
    match invocation {
        Invocation::Unknown { message_type } => message_type.clone(),
        Invocation::Scheduled { .. } => "scheduled".into(),
        Invocation::Change { .. } | Invocation::Oversized { .. } => "change".into(),
    }
}

/// One `PutEvaluations` call, unless `send_by` passes first (`None`).
async fn put_until<C: ConfigApi>(
    config: &C,
    token: &str,
    test_mode: bool,
    chunk: &[Evaluation],
    send_by: Option<Instant>,
) -> Option<Result<Vec<ResourceKey>, ConfigApiError>> {
    let call = config.put_evaluations(token, test_mode, chunk);
    match send_by {
        Some(by) => tokio::time::timeout_at(by, call).await.ok(),
        None => Some(call.await),
    }
}

/// *send*: `PutEvaluations` in chunks of at most 100, in the order given (failures first), until
/// `send_by`; rejected evaluations are sent once more, then reported.
async fn send<C: ConfigApi>(
    config: &C,
    token: &str,
    evals: Vec<Evaluation>,
    send_by: Option<Instant>,
    mut out: Outcome,
) -> Result<Outcome, HandlerError> {
    out.evaluations = evals.len();
    let test_mode = out.test_mode;
    let put = |chunk| put_until(config, token, test_mode, chunk, send_by);
    let mut rejected: Vec<Evaluation> = Vec::new();
    let mut sent = 0;
    for chunk in evals.chunks(EVALUATIONS_PER_CALL) {
        let Some(failed) = put(chunk).await else {
            tracing::error!(
                sent,
                unsent = evals.len() - sent,
                "deadline reached while sending evaluations"
            );
            return Err(HandlerError::Deadline {
                sent,
                unsent: evals.len() - sent,
            });
        };
        let failed: BTreeSet<ResourceKey> = failed?.into_iter().collect();
        sent += chunk.len();
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
            let Some(failed) = put(chunk).await else {
                return Err(HandlerError::Deadline {
                    sent: sent - rejected.len(),
                    unsent: rejected.len(),
                });
            };
            still.extend(failed?);
        }
        if let Some(first) = still.first() {
            return Err(HandlerError::Rejected {
                count: still.len(),
                example: format!("{} {}", first.resource_type, first.resource_id),
            });
        }
    }
    tracing::info!(evaluations = out.evaluations, calls = out.calls, reused = out.reused_collection, message_type = %out.message_type, "evaluated");
    Ok(out)
}

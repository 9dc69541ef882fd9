//! The live half of the pipeline (feature `aws`): the invocation, the shared collection, and
//! the drift record.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{account_from_function_arn, Setup, SetupError};
use crate::alerting::AlertSink;
use crate::collect::{collect, CallCounter, CollectOptions, Timeouts};
use crate::drift::{sync_report, DriftError, Scope, StateStore, SyncOutcome};
use crate::ec2::Ec2Api;
use crate::engine::Report;
use crate::snapshot::{Snapshot, SnapshotMeta, SNAPSHOT_FORMAT_VERSION};

/// One Lambda invocation: its deadline and its account (from the function ARN, so finding ids
/// and drift partitions never lose the account).
#[derive(Debug, Clone)]
pub struct Invoke {
    pub deadline: Option<tokio::time::Instant>,
    pub account_id: String,
}

impl Invoke {
    /// From the Lambda context's function ARN and deadline.
    pub fn from_context(
        function_arn: &str,
        deadline: tokio::time::Instant,
    ) -> Result<Invoke, SetupError> {
        Ok(Invoke {
            deadline: Some(deadline),
            account_id: account_from_function_arn(function_arn)?,
        })
    }
}

/// How fresh a collection must be to answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Always read again.
    Now,
    /// A collection that started after this time, give or take [`CONSISTENCY_MARGIN`] (a change
    /// captured at that time is in it), and at most [`PERIODIC_REUSE`] old: a burst of changes
    /// to one VPC is read once.
    StartedAfter(SystemTime),
    /// A collection at most this old (a periodic run: the six Config rules' periodic
    /// invocations of one cycle share one collection).
    NotOlderThan(Duration),
}

/// One collection, and what it cost.
#[derive(Debug, Clone)]
pub struct Collection {
    pub snapshot: Arc<Snapshot>,
    /// EC2 calls this run made (0 when the collection was reused).
    pub api_calls: usize,
    pub calls_by_api: BTreeMap<&'static str, usize>,
    /// True when an earlier, fresh enough collection answered.
    pub reused: bool,
}

/// How long a periodic run may reuse a collection: the six Config rules' periodic invocations of
/// one cycle arrive within seconds of each other.
pub const PERIODIC_REUSE: Duration = Duration::from_secs(300);

/// How long after a change a collection must have started to be sure to show it.
pub const CONSISTENCY_MARGIN: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Cached {
    /// The VPCs it read (empty: the whole region).
    vpc_ids: Vec<String>,
    started: SystemTime,
    snapshot: Arc<Snapshot>,
}

/// *collect*: the EC2 seam plus the last complete collection of this container, so that runs
/// arriving close together share one read of the region (Lambda runs one invocation at a time
/// per container; the Config function's reserved concurrency keeps a cycle on one container).
pub struct Collector<E> {
    pub ec2: E,
    /// The per-attempt and per-call limits (capped at the time a run has left).
    pub timeouts: Timeouts,
    cache: Mutex<Option<Cached>>,
}

impl<E: Ec2Api> Collector<E> {
    pub fn new(ec2: E) -> Collector<E> {
        Collector {
            ec2,
            timeouts: Timeouts::default(),
            cache: Mutex::new(None),
        }
    }

    /// This collector with `timeouts` (build the SDK client with the same: `collect::ec2_client`).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Collector<E> {
        self.timeouts = timeouts;
        self
    }

    fn reusable(&self, vpc_ids: &[String], fresh: Freshness) -> Option<Arc<Snapshot>> {
        let guard = self.cache.lock().ok()?;
        let c = guard.as_ref()?;
        // A region read answers any scope; a scoped read only the same or a smaller scope.
        let covers = c.vpc_ids.is_empty()
            || (!vpc_ids.is_empty() && vpc_ids.iter().all(|v| c.vpc_ids.contains(v)));
        let age = c.started.elapsed().unwrap_or(Duration::MAX);
        let fresh_enough = match fresh {
            Freshness::Now => false,
            // EC2's describe calls are eventually consistent: a read that started only just
            // after the change may not show it yet.
            Freshness::StartedAfter(t) => {
                c.started > t + CONSISTENCY_MARGIN && age <= PERIODIC_REUSE
            }
            Freshness::NotOlderThan(max) => age <= max,
        };
        (covers && fresh_enough).then(|| c.snapshot.clone())
    }

    /// Reads `vpc_ids` (empty: the region) unless a fresh enough complete collection exists.
    /// Collection stops at `deadline`: inputs not read by then are `DeadlineExceeded` errors.
    pub async fn collect(
        &self,
        setup: &Setup,
        vpc_ids: Vec<String>,
        fresh: Freshness,
        deadline: Option<tokio::time::Instant>,
    ) -> Collection {
        if let Some(snapshot) = self.reusable(&vpc_ids, fresh) {
            tracing::info!(
                vpcs = vpc_ids.len(),
                "reusing a fresh collection of this container"
            );
            return Collection {
                snapshot,
                api_calls: 0,
                calls_by_api: BTreeMap::new(),
                reused: true,
            };
        }
        let started = SystemTime::now();
        let counter = deadline.map(CallCounter::with_deadline).unwrap_or_default();
        let meta = SnapshotMeta {
            format_version: Some(SNAPSHOT_FORMAT_VERSION),
            account_id: setup.account_id.clone(),
            region: setup.region.clone(),
            collected_at: Some(crate::time::rfc3339(started)),
            collection_errors: Vec::new(),
        };
        // A run's limits never outlast its deadline, so a cut call is reported while there is
        // time to report it.
        let timeouts = match deadline {
            Some(d) => self
                .timeouts
                .within(d.saturating_duration_since(tokio::time::Instant::now())),
            None => self.timeouts,
        };
        let opts = CollectOptions {
            vpc_ids: vpc_ids.clone(),
            timeouts,
            ..CollectOptions::default()
        };
        // Boxed: the collector's future (ten describe calls joined, each with its pages) is large,
        // and every caller's future would otherwise hold it inline (a stack overflow where
        // several handler futures are built at once).
        let snapshot = Arc::new(Box::pin(collect(&self.ec2, &opts, meta, &counter)).await);
        let status = crate::engine::CollectionStatus::of(&snapshot);
        for f in &status.errors {
            tracing::warn!(api = %f.api, code = %f.code, "collection failed; the rules that need it report error");
        }
        if let Ok(mut cache) = self.cache.lock() {
            // Only a complete read is worth sharing: the next run retries what failed.
            *cache = (!status.partial).then(|| Cached {
                vpc_ids,
                started,
                snapshot: snapshot.clone(),
            });
        }
        Collection {
            snapshot,
            api_calls: counter.total(),
            calls_by_api: counter.by_api(),
            reused: false,
        }
    }
}

/// *record*: the drift transitions of a report, and alerts on them, stopping at `stop_at`.
/// After the evaluations are sent, so a state or topic outage never holds back the dashboard.
/// An unreadable state is an error (no alert can be trusted); failed writes or deliveries are in
/// the outcome ([`SyncOutcome::delivery_error`]), for the caller to report after logging.
pub async fn record_drift<S, A>(
    store: &S,
    sink: &A,
    report: &Report,
    scope: &Scope,
    stop_at: Option<tokio::time::Instant>,
) -> Result<SyncOutcome, DriftError>
where
    S: StateStore + Sync,
    A: AlertSink + Sync,
{
    let drift = sync_report(
        store,
        sink,
        report,
        scope,
        stop_at.map(tokio::time::Instant::into_std),
    )
    .await
    .map_err(DriftError::from)?;
    tracing::info!(
        transitions = drift.transitions,
        alerts = drift.alerts_published,
        lost_races = drift.lost_races,
        unsent = drift.unsent.len(),
        deferred = drift.deferred,
        "drift recorded"
    );
    for u in &drift.unsent {
        tracing::warn!(unsent = ?u, "alert copy not sent in this run; it stays pending for the next");
    }
    Ok(drift)
}

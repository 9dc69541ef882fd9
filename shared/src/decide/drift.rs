//! Drift state and alert delivery: exactly one alert per transition, even when runs overlap, and
//! no transition lost when publishing fails.
//!
//! Pure protocol over two small seams, [`StateStore`] (DynamoDB in production, see
//! `publish::DynamoStore`) and [`AlertSink`] (SNS). The protocol (docs/drift-state.md):
//!
//! 1. Load the stored records of the scope (account and region).
//! 2. [`diff`] them against this run's findings.
//! 3. Write every record that changed with a conditional put on its revision. The run whose put
//!    wins owns the transition and marks it *pending*; a run whose put loses (another run recorded
//!    the same transition first) sends nothing for it.
//! 4. Publish the owned transitions (single alerts, or digests when there are many).
//! 5. Clear *pending* for each delivered alert. An alert that could not be published stays
//!    pending and is sent by a later run once its claim is older than [`LEASE_SECS`] (so a run that
//!    is still publishing is not duplicated).
//!
//! Records exist only for findings that failed or could not be evaluated at some point; a
//! resolved record expires [`RESOLVED_TTL_SECS`] after it resolved (DynamoDB TTL).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use serde::Serialize;

use crate::drift::{alerts, diff, Alert, Change, StateItem};
use crate::finding::{Finding, FindingId, Status};

/// How long a claimed, undelivered alert belongs to the run that claimed it (the longest Lambda
/// run is 15 minutes).
pub const LEASE_SECS: u64 = 900;

/// How long a resolved record is kept (then DynamoDB's TTL removes it).
pub const RESOLVED_TTL_SECS: u64 = 30 * 86_400;

/// Conditional writes in flight at once.
const WRITE_CONCURRENCY: usize = 16;

/// One stored finding state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub item: StateItem,
    /// Incremented by every write; the condition of the next one.
    pub rev: u64,
    /// A transition recorded but not yet delivered.
    pub pending: Option<Change>,
    /// When the pending alert was claimed (epoch seconds).
    pub claimed_at: Option<u64>,
    pub last_notified: Option<String>,
    /// DynamoDB TTL (epoch seconds), set once resolved.
    pub expires_at: Option<u64>,
}

/// The state store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("drift state {operation} failed: {message}")]
pub struct StoreError {
    pub operation: &'static str,
    pub message: String,
}

/// An alert could not be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("publishing the alert failed: {message}")]
pub struct SinkError {
    pub message: String,
}

/// Why a run's drift alerting did not fully succeed (both functions report it as is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriftError {
    /// The state could not be read: no alert can be trusted, none was sent.
    #[error(transparent)]
    State(#[from] StoreError),
    /// The state was read, but some records or alerts failed; undelivered alerts are sent by a
    /// later run, unrecorded transitions are seen again.
    #[error("{count} drift-state or publish error(s), first: {first}")]
    Delivery { count: usize, first: String },
}

/// Where the drift state lives.
pub trait StateStore {
    /// Every record of a scope.
    fn load(&self, scope: &str) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;
    /// Writes `record` if the stored revision is still `expected` (`None`: no record yet).
    /// `Ok(false)`: another run changed it first.
    fn put_if(
        &self,
        scope: &str,
        record: &Record,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Where alerts go.
pub trait AlertSink {
    fn publish(&self, alert: &Alert) -> impl Future<Output = Result<(), SinkError>> + Send;
}

/// What one run brings.
pub struct SyncInput<'a> {
    /// The state partition, `account#region`.
    pub scope: &'a str,
    pub findings: &'a [Finding],
    /// The rules that ran (a rule that did not run resolves nothing).
    pub evaluated: &'a [&'a str],
    /// The stored records this run is responsible for besides its findings' own (a
    /// change-triggered run answers for one VPC; a scheduled run for everything).
    pub in_scope: &'a (dyn Fn(&StateItem) -> bool + Sync),
    pub now: &'a str,
    pub now_epoch: u64,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    /// When to stop recording new transitions (shortly before the Lambda deadline). Those not
    /// recorded by then are not lost: the next run sees them again.
    pub stop_at: Option<std::time::Instant>,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncOutcome {
    /// Transitions this run recorded (and so owns).
    pub transitions: usize,
    /// Transitions another run recorded first (not alerted here).
    pub lost_races: usize,
    /// Undelivered alerts of earlier runs picked up again.
    pub redelivered: usize,
    pub alerts_published: usize,
    pub alerts_failed: usize,
    pub writes: usize,
    /// Store and publish failures (the run goes on; nothing is marked delivered that was not).
    pub errors: Vec<String>,
    /// Writes not attempted because the run reached `stop_at` (left for the next run).
    pub deferred: usize,
}

impl SyncOutcome {
    /// The run's store and publish failures as one error, if there were any.
    pub fn delivery_error(&self) -> Option<DriftError> {
        self.errors.first().map(|first| DriftError::Delivery {
            count: self.errors.len(),
            first: first.clone(),
        })
    }
}

/// A write this run wants, and whether its pending alert is this run's to send.
struct Write {
    record: Record,
    expected: Option<u64>,
    fresh: bool,
    send: bool,
}

/// Records the drift of one run and delivers its alerts. Fails only when the state cannot be
/// read (then nothing is written or sent: no alert can be trusted without it).
pub async fn sync<S: StateStore + Sync, A: AlertSink + Sync>(
    store: &S,
    sink: &A,
    input: &SyncInput<'_>,
) -> Result<SyncOutcome, StoreError> {
    let stored = store.load(input.scope).await?;
    let by_id: HashMap<FindingId, &Record> =
        stored.iter().map(|r| (r.item.finding_id, r)).collect();
    let current: BTreeSet<FindingId> = input.findings.iter().map(|f| f.id).collect();
    let previous: Vec<StateItem> = stored
        .iter()
        .filter(|r| current.contains(&r.item.finding_id) || (input.in_scope)(&r.item))
        .map(|r| r.item.clone())
        .collect();
    let drift = diff(&previous, input.findings, input.evaluated, input.now);
    let order: HashMap<FindingId, usize> = drift
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.finding_id, i))
        .collect();
    let mut changes: HashMap<FindingId, Change> = drift
        .changes
        .into_iter()
        .map(|c| (c.finding_id, c))
        .collect();

    let mut writes = Vec::new();
    for item in drift.next {
        let old = by_id.get(&item.finding_id).copied();
        let change = changes.remove(&item.finding_id);
        let worth = match old {
            None => item.status == Status::Fail || item.unreadable,
            Some(o) => {
                change.is_some()
                    || o.item.status != item.status
                    || o.item.evidence != item.evidence
                    || o.item.unreadable != item.unreadable
            }
        };
        if worth {
            writes.push(planned(old, item, change, input.now_epoch));
        }
    }
    // Failures whose resource disappeared: resolved, kept until the TTL.
    for (id, change) in changes {
        if let Some(old) = by_id.get(&id) {
            let mut item = old.item.clone();
            item.status = Status::Pass;
            item.evidence = 0;
            item.unreadable = false;
            item.last_changed = input.now.to_string();
            writes.push(planned(Some(old), item, Some(change), input.now_epoch));
        }
    }
    // Earlier runs' alerts that were never delivered and whose claim has lapsed.
    let rewritten: BTreeSet<FindingId> = writes.iter().map(|w| w.record.item.finding_id).collect();
    for r in &stored {
        if r.pending.is_some()
            && !rewritten.contains(&r.item.finding_id)
            && lapsed(r.claimed_at, input.now_epoch)
        {
            let mut record = r.clone();
            record.rev = r.rev + 1;
            record.claimed_at = Some(input.now_epoch);
            writes.push(Write {
                record,
                expected: Some(r.rev),
                fresh: false,
                send: true,
            });
        }
    }

    let mut out = SyncOutcome::default();
    let mut owned: Vec<Record> = Vec::new();
    for (n, batch) in writes.chunks(WRITE_CONCURRENCY).enumerate() {
        if input
            .stop_at
            .is_some_and(|t| std::time::Instant::now() >= t)
        {
            out.deferred = writes.len() - n * WRITE_CONCURRENCY;
            break;
        }
        let results = futures_util::future::join_all(
            batch
                .iter()
                .map(|w| store.put_if(input.scope, &w.record, w.expected)),
        )
        .await;
        for (w, result) in batch.iter().zip(results) {
            match result {
                Ok(true) => {
                    out.writes += 1;
                    if w.fresh {
                        out.transitions += 1;
                    } else if w.send {
                        out.redelivered += 1;
                    }
                    if w.send {
                        owned.push(w.record.clone());
                    }
                }
                Ok(false) => out.lost_races += 1,
                // Not recorded: the next run sees the same transition and alerts then.
                Err(e) => out.errors.push(e.to_string()),
            }
        }
    }

    owned.sort_by_key(|r| order.get(&r.item.finding_id).copied().unwrap_or(usize::MAX));
    let to_send: Vec<Change> = owned.iter().filter_map(|r| r.pending.clone()).collect();
    let claimed: HashMap<FindingId, &Record> =
        owned.iter().map(|r| (r.item.finding_id, r)).collect();
    for alert in alerts(&to_send, input.account, input.region) {
        if let Err(e) = sink.publish(&alert).await {
            out.alerts_failed += 1;
            out.errors.push(e.to_string());
            continue;
        }
        out.alerts_published += 1;
        for id in &alert.finding_ids {
            let Some(r) = claimed.get(id) else { continue };
            let mut done = (*r).clone();
            done.rev = r.rev + 1;
            done.pending = None;
            done.claimed_at = None;
            done.last_notified = Some(input.now.to_string());
            // A lost race here means a newer transition replaced it: nothing to clear.
            match store.put_if(input.scope, &done, Some(r.rev)).await {
                Ok(_) => out.writes += 1,
                Err(e) => out.errors.push(e.to_string()),
            }
        }
    }
    Ok(out)
}

/// The state partition of an account and region.
pub fn scope_of(account: Option<&str>, region: Option<&str>) -> String {
    format!(
        "{}#{}",
        account.unwrap_or("unknown"),
        region.unwrap_or("unknown")
    )
}

/// [`sync`] for an audit report: the scope, the rules that ran and the clock come from the report
/// and the rule selection. `partial`: some input could not be collected.
pub async fn sync_report<S: StateStore + Sync, A: AlertSink + Sync>(
    store: &S,
    sink: &A,
    report: &crate::engine::Report,
    selectors: &[String],
    in_scope: &(dyn Fn(&StateItem) -> bool + Sync),
    stop_at: Option<std::time::Instant>,
    partial: bool,
) -> Result<SyncOutcome, StoreError> {
    // A run that could not read everything proves nothing about what it did not see: nothing
    // is resolved by disappearing (a throttled DescribeVpcs must not "resolve" every failure).
    let evaluated: Vec<&str> = if partial {
        Vec::new()
    } else {
        crate::rules::select(selectors)
            .iter()
            .map(|r| r.meta.id)
            .collect()
    };
    let now_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let now = crate::time::now_rfc3339();
    let account = report.account_id.as_deref();
    let region = report.region.as_deref();
    sync(
        store,
        sink,
        &SyncInput {
            scope: &scope_of(account, region),
            findings: &report.findings,
            evaluated: &evaluated,
            in_scope,
            now: &now,
            now_epoch,
            account,
            region,
            stop_at,
        },
    )
    .await
}

fn lapsed(claimed_at: Option<u64>, now: u64) -> bool {
    claimed_at.is_none_or(|t| now.saturating_sub(t) >= LEASE_SECS)
}

fn planned(old: Option<&Record>, item: StateItem, change: Option<Change>, now: u64) -> Write {
    let fresh = change.is_some();
    let inherited = old.and_then(|o| o.pending.clone().map(|p| (p, o.claimed_at)));
    let (pending, claimed_at, send) = match (change, inherited) {
        (Some(c), _) => (Some(c), Some(now), true),
        (None, Some((p, at))) if lapsed(at, now) => (Some(p), Some(now), true),
        (None, Some((p, at))) => (Some(p), at, false),
        (None, None) => (None, None, false),
    };
    let resolved = item.status != Status::Fail && !item.unreadable;
    Write {
        record: Record {
            rev: old.map_or(1, |o| o.rev + 1),
            last_notified: old.and_then(|o| o.last_notified.clone()),
            expires_at: resolved.then_some(now + RESOLVED_TTL_SECS),
            item,
            pending,
            claimed_at,
        },
        expected: old.map(|o| o.rev),
        fresh,
        send,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::task::Poll;

    use super::*;
    use crate::synth::Estate;

    const SCOPE: &str = "111122223333#us-east-1";
    const T0: u64 = 1_800_000_000;

    /// A store with DynamoDB's conditional-put semantics; `gate` makes `n` loads wait for each
    /// other, so overlapping runs read the same state before either writes.
    #[derive(Default)]
    struct Store {
        items: Mutex<BTreeMap<FindingId, Record>>,
        gate: AtomicUsize,
        gate_for: usize,
        fail_puts: bool,
    }

    async fn yield_now() {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }

    impl StateStore for Store {
        async fn load(&self, _scope: &str) -> Result<Vec<Record>, StoreError> {
            let snapshot: Vec<Record> = self.items.lock().unwrap().values().cloned().collect();
            self.gate.fetch_add(1, Ordering::SeqCst);
            while self.gate.load(Ordering::SeqCst) < self.gate_for {
                yield_now().await;
            }
            Ok(snapshot)
        }

        async fn put_if(
            &self,
            _scope: &str,
            record: &Record,
            expected: Option<u64>,
        ) -> Result<bool, StoreError> {
            yield_now().await;
            if self.fail_puts {
                return Err(StoreError {
                    operation: "PutItem",
                    message: "ProvisionedThroughputExceededException".into(),
                });
            }
            let mut items = self.items.lock().unwrap();
            let current = items.get(&record.item.finding_id).map(|r| r.rev);
            if current != expected {
                return Ok(false);
            }
            items.insert(record.item.finding_id, record.clone());
            Ok(true)
        }
    }

    #[derive(Default)]
    struct Sink {
        sent: Mutex<Vec<Alert>>,
        broken: std::sync::atomic::AtomicBool,
    }

    impl AlertSink for Sink {
        async fn publish(&self, alert: &Alert) -> Result<(), SinkError> {
            yield_now().await;
            if self.broken.load(Ordering::SeqCst) {
                return Err(SinkError {
                    message: "AuthorizationError".into(),
                });
            }
            self.sent.lock().unwrap().push(alert.clone());
            Ok(())
        }
    }

    impl Sink {
        fn take(&self) -> Vec<Alert> {
            std::mem::take(&mut *self.sent.lock().unwrap())
        }
    }

    fn rules() -> Vec<&'static str> {
        crate::rules::RULES.iter().map(|r| r.meta.id).collect()
    }

    fn run(store: &Store, sink: &Sink, f: &[Finding], at: u64) -> SyncOutcome {
        futures_executor::block_on(run_async(store, sink, f, at))
    }

    async fn run_async(store: &Store, sink: &Sink, f: &[Finding], at: u64) -> SyncOutcome {
        let rules = rules();
        let now = format!("t{at}");
        let all = |_: &StateItem| true;
        sync(
            store,
            sink,
            &SyncInput {
                scope: SCOPE,
                findings: f,
                evaluated: &rules,
                in_scope: &all,
                now: &now,
                now_epoch: at,
                account: Some("111122223333"),
                region: Some("us-east-1"),
                stop_at: None,
            },
        )
        .await
        .unwrap()
    }

    #[test]
    fn only_transitions_alert_and_only_failures_are_stored() {
        let (store, sink) = (Store::default(), Sink::default());
        let mut e = Estate::backend();
        let ok = e.findings();
        let first = run(&store, &sink, &ok, T0);
        assert_eq!(
            (first.transitions, first.writes),
            (0, 0),
            "a compliant estate stores nothing"
        );
        e.drop_relay_egress();
        let bad = e.findings();
        let failing = bad.iter().filter(|f| f.status == Status::Fail).count();
        assert!(failing > 0);
        let o = run(&store, &sink, &bad, T0 + 3600);
        assert_eq!(o.transitions, failing);
        let sent = sink.take();
        assert_eq!(sent.len(), failing);
        assert!(sent.iter().all(|a| a.event == "new_failure"));
        let stored = store.items.lock().unwrap().clone();
        assert_eq!(stored.len(), failing);
        assert!(stored
            .values()
            .all(|r| r.pending.is_none() && r.last_notified.is_some()));

        let steady = run(&store, &sink, &bad, T0 + 7200);
        assert_eq!((steady.transitions, steady.writes), (0, 0));
        assert!(sink.take().is_empty(), "a steady state sends nothing");

        let fixed = run(&store, &sink, &ok, T0 + 10_800);
        assert_eq!(fixed.transitions, failing);
        let sent = sink.take();
        assert_eq!(sent.len(), failing);
        assert!(sent.iter().all(|a| a.event == "resolved"));
        let stored = store.items.lock().unwrap().clone();
        assert!(stored.values().all(|r| r.item.status == Status::Pass
            && r.expires_at == Some(T0 + 10_800 + RESOLVED_TTL_SECS)));
        assert!(run(&store, &sink, &ok, T0 + 14_400).writes == 0 && sink.take().is_empty());
    }

    #[test]
    fn overlapping_runs_send_one_alert_per_transition() {
        let store = Store {
            gate_for: 2,
            ..Store::default()
        };
        let sink = Sink::default();
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let bad = e.findings();
        let failing = bad.iter().filter(|f| f.status == Status::Fail).count();
        let (a, b) = futures_executor::block_on(futures_util::future::join(
            run_async(&store, &sink, &bad, T0),
            run_async(&store, &sink, &bad, T0 + 1),
        ));
        assert_eq!(a.transitions + b.transitions, failing);
        assert_eq!(a.lost_races + b.lost_races, failing, "{a:?} {b:?}");
        let sent = sink.take();
        let ids: BTreeSet<FindingId> = sent.iter().flat_map(|x| x.finding_ids.clone()).collect();
        assert_eq!(sent.len(), failing);
        assert_eq!(ids.len(), failing, "no transition alerted twice");
    }

    #[test]
    fn an_alert_that_could_not_be_published_is_sent_by_a_later_run_once() {
        let (store, sink) = (Store::default(), Sink::default());
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let bad = e.findings();
        let failing = bad.iter().filter(|f| f.status == Status::Fail).count();
        sink.broken.store(true, Ordering::SeqCst);
        let o = run(&store, &sink, &bad, T0);
        assert_eq!((o.transitions, o.alerts_published), (failing, 0));
        assert_eq!(o.alerts_failed, failing);
        assert!(o.errors.iter().all(|e| e.contains("AuthorizationError")));
        sink.broken.store(false, Ordering::SeqCst);
        // Within the lease the claim still belongs to the failed run: nothing yet.
        let soon = run(&store, &sink, &bad, T0 + 60);
        assert_eq!(soon.redelivered, 0);
        assert!(sink.take().is_empty());
        let later = run(&store, &sink, &bad, T0 + LEASE_SECS);
        assert_eq!((later.redelivered, later.transitions), (failing, 0));
        let sent = sink.take();
        assert_eq!(sent.len(), failing);
        assert!(sent.iter().all(|a| a.event == "new_failure"));
        let again = run(&store, &sink, &bad, T0 + 2 * LEASE_SECS);
        assert_eq!(again.redelivered, 0);
        assert!(sink.take().is_empty(), "delivered once");
    }

    #[test]
    fn a_store_that_cannot_write_sends_nothing_and_loses_nothing() {
        let store = Store {
            fail_puts: true,
            ..Store::default()
        };
        let sink = Sink::default();
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let bad = e.findings();
        let o = run(&store, &sink, &bad, T0);
        assert_eq!((o.transitions, o.alerts_published), (0, 0));
        assert!(!o.errors.is_empty());
        assert!(
            sink.take().is_empty(),
            "an unrecorded transition is not alerted"
        );
        let store = Store {
            items: Mutex::new(store.items.into_inner().unwrap()),
            ..Store::default()
        };
        let o = run(&store, &sink, &bad, T0 + 60);
        assert!(o.transitions > 0, "the next healthy run alerts it");
        assert_eq!(sink.take().len(), o.transitions);
    }

    #[test]
    fn a_change_triggered_run_leaves_other_vpcs_records_alone() {
        let (store, sink) = (Store::default(), Sink::default());
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let bad = e.findings();
        run(&store, &sink, &bad, T0);
        sink.take();
        // A run that saw none of these findings and answers for nothing resolves nothing.
        let rules = rules();
        let none = |_: &StateItem| false;
        let o = futures_executor::block_on(sync(
            &store,
            &sink,
            &SyncInput {
                scope: SCOPE,
                findings: &[],
                evaluated: &rules,
                in_scope: &none,
                now: "later",
                now_epoch: T0 + 60,
                account: None,
                region: None,
                stop_at: None,
            },
        ))
        .unwrap();
        assert_eq!((o.transitions, o.writes), (0, 0));
        assert!(sink.take().is_empty());
    }
}

#[cfg(test)]
mod deadline_tests {
    use super::*;
    use crate::engine::{audit, AuditOptions};
    use crate::synth::Estate;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Mem(Mutex<HashMap<FindingId, Record>>);

    impl StateStore for Mem {
        async fn load(&self, _scope: &str) -> Result<Vec<Record>, StoreError> {
            Ok(self.0.lock().unwrap().values().cloned().collect())
        }
        async fn put_if(
            &self,
            _s: &str,
            r: &Record,
            expected: Option<u64>,
        ) -> Result<bool, StoreError> {
            let mut m = self.0.lock().unwrap();
            if m.get(&r.item.finding_id).map(|x| x.rev) != expected {
                return Ok(false);
            }
            m.insert(r.item.finding_id, r.clone());
            Ok(true)
        }
    }

    struct Count(Mutex<usize>);

    impl AlertSink for Count {
        async fn publish(&self, _a: &Alert) -> Result<(), SinkError> {
            *self.0.lock().unwrap() += 1;
            Ok(())
        }
    }

    #[test]
    fn a_partial_run_that_sees_nothing_resolves_nothing() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let report = audit(
            &e.snap,
            &AuditOptions {
                manifest: Some(&e.manifest),
                ..AuditOptions::default()
            },
        );
        let (store, sink) = (Mem::default(), Count(Mutex::new(0)));
        let all = |_: &StateItem| true;
        let first =
            futures_executor::block_on(sync_report(&store, &sink, &report, &[], &all, None, false))
                .unwrap();
        assert!(first.transitions > 0);
        let sent = *sink.0.lock().unwrap();
        // The next run could not list the VPCs: no findings at all.
        let mut blind = report.clone();
        blind.findings.clear();
        let o =
            futures_executor::block_on(sync_report(&store, &sink, &blind, &[], &all, None, true))
                .unwrap();
        assert_eq!((o.transitions, o.writes), (0, 0), "{o:?}");
        assert_eq!(
            *sink.0.lock().unwrap(),
            sent,
            "no resolved alerts from a blind run"
        );
        // Had it claimed to see everything, they would all resolve.
        let o =
            futures_executor::block_on(sync_report(&store, &sink, &blind, &[], &all, None, false))
                .unwrap();
        assert_eq!(o.transitions, first.transitions);
    }

    #[test]
    fn a_run_past_its_stop_time_defers_transitions_to_the_next_run() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let findings = audit(
            &e.snap,
            &AuditOptions {
                manifest: Some(&e.manifest),
                ..AuditOptions::default()
            },
        )
        .findings;
        let failing = findings.iter().filter(|f| f.status == Status::Fail).count();
        let rules: Vec<&str> = crate::rules::RULES.iter().map(|r| r.meta.id).collect();
        let (store, sink) = (Mem::default(), Count(Mutex::new(0)));
        let all = |_: &StateItem| true;
        let input = |stop_at| SyncInput {
            scope: "s",
            findings: &findings,
            evaluated: &rules,
            in_scope: &all,
            now: "t",
            now_epoch: 1,
            account: None,
            region: None,
            stop_at,
        };
        let late = futures_executor::block_on(sync(
            &store,
            &sink,
            &input(Some(std::time::Instant::now())),
        ))
        .unwrap();
        assert_eq!((late.transitions, late.deferred), (0, failing));
        assert_eq!(*sink.0.lock().unwrap(), 0);
        let next = futures_executor::block_on(sync(&store, &sink, &input(None))).unwrap();
        assert_eq!((next.transitions, next.deferred), (failing, 0));
    }
}

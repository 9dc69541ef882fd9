//! The drift protocol: records a run's transitions and delivers their alerts, exactly once per
//! copy, even when runs overlap, publishing fails or time runs out (docs/drift-state.md).
//!
//! 1. Load the partition's records (account and region).
//! 2. Leave alone every record written from a newer observation than this run's (its
//!    `collected_at` is later): a long run that finishes after a newer one says nothing about it.
//! 3. [`diff`](super::diff) the rest against this run's findings; a stored record the run did not
//!    observe is resolved only when it is in the run's [`Scope`].
//! 4. Write every record that changed with a conditional put on its revision (and on its
//!    observation time). The run whose put wins owns the transition and appends it to the record's
//!    pending alerts; a run whose put loses (another run recorded it first) sends nothing for it.
//!    Earlier undelivered alerts are kept in front of the new one, never replaced: both are sent,
//!    in order.
//! 5. Publish the owned alerts, the chat and the e-mail copy each on its own (single alerts, or
//!    digests when there are many), until the run's stop time.
//! 6. Record, per pending alert, which copies were delivered (retrying a failed write, and
//!    re-reading the record when another run changed it in between); an alert leaves the record
//!    when both copies are delivered. A copy that was not delivered stays pending and is sent by a
//!    later run once this run's claim has lapsed (this run's stop time plus a grace, so a run that
//!    is still publishing is never doubled); the copy that was delivered is not sent again.
//!
//! Every run also re-sends the lapsed pending alerts of the whole partition (an alert is never
//! lost to scope) and replaces the items it could not read by a blank record that expires.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde::Serialize;

use super::record::{
    blank_item, newer, Pending, Record, StateStore, StoreError, LEASE_GRACE_SECS, LEASE_SECS,
    RESOLVED_TTL_SECS,
};
use super::{diff, Scope};
use crate::alerting::{alerts, AlertSink, Format};
use crate::decide::change::{Change, ChangeKind};
use crate::finding::{Finding, FindingId, Status};

/// Conditional writes in flight at once.
const WRITE_CONCURRENCY: usize = 16;

/// Attempts at recording a delivery (a delivery that is not recorded would be sent again).
const DELIVERY_WRITE_ATTEMPTS: usize = 3;

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

/// What one run brings.
pub struct SyncInput<'a> {
    /// The state partition, `account#region` ([`partition_of`]).
    pub partition: &'a str,
    /// The run's findings; those outside `scope` are ignored.
    pub findings: &'a [Finding],
    /// The rules that ran (a rule that did not run resolves nothing; none when the collection
    /// was partial).
    pub evaluated: &'a [&'a str],
    /// The part of the estate this run answers for: stored records outside it are left alone.
    pub scope: &'a Scope,
    pub now: &'a str,
    pub now_epoch: u64,
    /// When this run's observation was collected (RFC 3339): records written from a later one
    /// are left alone. `None`: unknown, so older than any record that has a time.
    pub collected_at: Option<&'a str>,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    /// When to stop starting work (shortly before the Lambda deadline): writes not started are
    /// left for the next run (which sees the transitions again), copies not published stay
    /// pending (a later run sends them once this run's claim lapses), both listed in
    /// [`SyncOutcome::unsent`].
    pub stop_at: Option<Instant>,
}

/// Why a copy of an alert was not sent by this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsentReason {
    /// The run reached its stop time before recording the transition: not recorded, the next run
    /// sees it again (or, for an earlier run's alert, still pending).
    NotRecorded,
    /// The run reached its stop time before publishing: recorded as pending.
    Deadline,
    /// Publishing failed: recorded as pending.
    PublishFailed,
    /// An earlier alert of the same finding is not delivered yet; this one follows it (recorded as
    /// pending).
    WaitsForEarlierAlert,
}

/// A copy of an alert this run did not send, and why. Nothing here is lost: see [`UnsentReason`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsent {
    pub finding_id: FindingId,
    pub rule_id: String,
    pub resource_id: String,
    pub event: ChangeKind,
    pub format: Format,
    pub reason: UnsentReason,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncOutcome {
    /// Transitions this run recorded (and so owns).
    pub transitions: usize,
    /// Transitions another run recorded first (not alerted here).
    pub lost_races: usize,
    /// Records whose undelivered alerts (of earlier runs) this run picked up again.
    pub redelivered: usize,
    /// Copies published (each alert has a chat and an e-mail copy).
    pub alerts_published: usize,
    /// Copies that could not be published (left pending for a later run).
    pub alerts_failed: usize,
    pub writes: usize,
    /// Store and publish failures (the run goes on; nothing is marked delivered that was not).
    pub errors: Vec<String>,
    /// Writes not attempted because the run reached `stop_at` (left for the next run).
    pub deferred: usize,
    /// Stored records left alone because a newer observation wrote them.
    pub superseded: usize,
    /// Unreadable stored items replaced.
    pub replaced_damaged: usize,
    /// Findings of the run outside its scope (not recorded, not alerted).
    pub out_of_scope: usize,
    /// The copies this run owned or found due but did not send.
    pub unsent: Vec<Unsent>,
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

/// A write this run wants, and which of its pending alerts are this run's to send.
struct Write {
    record: Record,
    expected: Option<u64>,
    fresh: bool,
    /// Indices into `record.pending` this run claimed.
    send: Vec<usize>,
    /// Indices into `record.pending` recorded but left for a later run.
    waiting: Vec<usize>,
}

/// Records the drift of one run and delivers its alerts. Fails only when the state cannot be
/// read (then nothing is written or sent: no alert can be trusted without it).
pub async fn sync<S: StateStore + Sync, A: AlertSink + Sync>(
    store: &S,
    sink: &A,
    input: &SyncInput<'_>,
) -> Result<SyncOutcome, StoreError> {
    let stored = store.load(input.partition).await?;
    let mut out = SyncOutcome::default();
    let kept: Vec<Finding>;
    let findings: &[Finding] = match input.scope {
        Scope::Everything => input.findings,
        Scope::Only { .. } => {
            kept = input
                .findings
                .iter()
                .filter(|f| input.scope.covers(f))
                .cloned()
                .collect();
            &kept
        }
    };
    out.out_of_scope = input.findings.len() - findings.len();
    let by_id: HashMap<FindingId, &Record> =
        stored.iter().map(|r| (r.item.finding_id, r)).collect();
    // Written from a newer observation: this run's view of them is out of date.
    let superseded: BTreeSet<FindingId> = stored
        .iter()
        .filter(|r| r.damaged.is_none() && newer(r.collected_at.as_deref(), input.collected_at))
        .map(|r| r.item.finding_id)
        .collect();
    out.superseded = superseded.len();
    let current: BTreeSet<FindingId> = findings.iter().map(|f| f.id).collect();
    // A damaged record says nothing about its finding: the finding is diffed as if new (a
    // failure or "could not evaluate" is told again, never suppressed).
    let previous: Vec<_> = stored
        .iter()
        .filter(|r| r.damaged.is_none() && !superseded.contains(&r.item.finding_id))
        .filter(|r| current.contains(&r.item.finding_id) || input.scope.contains(&r.item))
        .map(|r| r.item.clone())
        .collect();
    let drift = diff(&previous, findings, input.evaluated, input.now);
    let order: HashMap<FindingId, usize> = drift
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.finding_id, i))
        .collect();
    let mut changes: BTreeMap<FindingId, Change> = drift
        .changes
        .into_iter()
        .filter(|c| !superseded.contains(&c.finding_id))
        .map(|c| (c.finding_id, c))
        .collect();
    let lease = lease_until(input);

    let mut writes = Vec::new();
    for item in drift.next {
        if superseded.contains(&item.finding_id) {
            continue;
        }
        let old = by_id.get(&item.finding_id).copied();
        let change = changes.remove(&item.finding_id);
        let worth = match old {
            None => item.status == Status::Fail || item.unreadable,
            Some(o) => {
                o.damaged.is_some()
                    || change.is_some()
                    || o.item.status != item.status
                    || o.item.evidence != item.evidence
                    || o.item.unreadable != item.unreadable
                    || (!item.workspaces.is_empty() && o.item.workspaces != item.workspaces)
            }
        };
        if worth {
            writes.push(planned(old, item, change, input, lease));
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
            writes.push(planned(Some(old), item, Some(change), input, lease));
        }
    }
    let rewritten: BTreeSet<FindingId> = writes.iter().map(|w| w.record.item.finding_id).collect();
    for r in &stored {
        if rewritten.contains(&r.item.finding_id) {
            continue;
        }
        if r.damaged.is_some() {
            // Unreadable and not observed by this run: replaced by a record that says nothing
            // and expires, so it neither lingers nor stands in for a verdict.
            writes.push(Write {
                record: Record {
                    item: blank_item(r.item.finding_id),
                    rev: r.rev + 1,
                    pending: Vec::new(),
                    last_notified: None,
                    expires_at: Some(input.now_epoch + RESOLVED_TTL_SECS),
                    collected_at: input.collected_at.map(str::to_string),
                    damaged: None,
                },
                expected: Some(r.rev),
                fresh: false,
                send: Vec::new(),
                waiting: Vec::new(),
            });
            continue;
        }
        // Earlier runs' alerts that were never delivered and whose claim has lapsed (in scope or
        // not: delivering an alert that was recorded changes no verdict).
        let mut record = r.clone();
        let (send, _) = reclaim(&mut record.pending, input.now_epoch, lease);
        if !send.is_empty() {
            record.rev = r.rev + 1;
            writes.push(Write {
                record,
                expected: Some(r.rev),
                fresh: false,
                send,
                waiting: Vec::new(),
            });
        }
    }

    let mut owned: Vec<(Record, Vec<usize>)> = Vec::new();
    let mut started = 0;
    for batch in writes.chunks(WRITE_CONCURRENCY) {
        if past(input.stop_at) {
            out.deferred = writes.len() - started;
            for w in &writes[started..] {
                for &p in w.send.iter().chain(&w.waiting) {
                    unsent(
                        &mut out,
                        &w.record,
                        p,
                        Format::ALL.to_vec(),
                        UnsentReason::NotRecorded,
                    );
                }
            }
            break;
        }
        started += batch.len();
        let results = futures_util::future::join_all(
            batch
                .iter()
                .map(|w| store.put_if(input.partition, &w.record, w.expected)),
        )
        .await;
        for (w, result) in batch.iter().zip(results) {
            match result {
                Ok(true) => {
                    out.writes += 1;
                    if by_id
                        .get(&w.record.item.finding_id)
                        .is_some_and(|o| o.damaged.is_some())
                    {
                        out.replaced_damaged += 1;
                    }
                    if w.fresh {
                        out.transitions += 1;
                    } else if !w.send.is_empty() {
                        out.redelivered += 1;
                    }
                    for &p in &w.waiting {
                        let formats = missing(&w.record.pending[p]);
                        unsent(
                            &mut out,
                            &w.record,
                            p,
                            formats,
                            UnsentReason::WaitsForEarlierAlert,
                        );
                    }
                    if !w.send.is_empty() {
                        owned.push((w.record.clone(), w.send.clone()));
                    }
                }
                Ok(false) => out.lost_races += 1,
                // Not recorded: the next run sees the same transition and alerts then.
                Err(e) => out.errors.push(e.to_string()),
            }
        }
    }

    owned.sort_by_key(|(r, _)| order.get(&r.item.finding_id).copied().unwrap_or(usize::MAX));
    let delivered = publish(sink, input, &owned, &mut out).await;
    for ((record, _), done) in owned.iter().zip(delivered) {
        let marks: Vec<(Pending, Vec<Format>)> = record
            .pending
            .iter()
            .cloned()
            .zip(done)
            .filter(|(_, d)| !d.is_empty())
            .collect();
        if !marks.is_empty() {
            record_delivery(store, input, record.clone(), &marks, &mut out).await;
        }
    }
    Ok(out)
}

/// Publishes the claimed copies, chat copies first, then e-mail copies, each in the order of the
/// run's changes; stops at the stop time. Returns, per owned record and pending alert, the
/// formats delivered. An alert of a finding whose earlier alert was not delivered in that format
/// is held back, so the copies of one finding always arrive in order.
async fn publish<A: AlertSink + Sync>(
    sink: &A,
    input: &SyncInput<'_>,
    owned: &[(Record, Vec<usize>)],
    out: &mut SyncOutcome,
) -> Vec<Vec<Vec<Format>>> {
    let mut delivered: Vec<Vec<Vec<Format>>> = owned
        .iter()
        .map(|(r, _)| vec![Vec::new(); r.pending.len()])
        .collect();
    for format in Format::ALL {
        // (owned index, pending index) of every copy due in this format.
        let due: Vec<(usize, usize)> = owned
            .iter()
            .enumerate()
            .flat_map(|(o, (r, send))| {
                send.iter()
                    .filter(move |&&p| !r.pending[p].delivered.contains(&format))
                    .map(move |&p| (o, p))
            })
            .collect();
        let texts: Vec<Change> = due
            .iter()
            .map(|&(o, p)| owned[o].0.pending[p].change.clone())
            .collect();
        let mut held: BTreeSet<usize> = BTreeSet::new();
        let mut next = 0;
        for alert in alerts(&texts, input.account, input.region) {
            let covered = &due[next..(next + alert.finding_ids.len()).min(due.len())];
            next += alert.finding_ids.len();
            let reason = if covered.iter().any(|(o, _)| held.contains(o)) {
                Some(UnsentReason::WaitsForEarlierAlert)
            } else if past(input.stop_at) {
                Some(UnsentReason::Deadline)
            } else {
                match sink.publish(&alert, format).await {
                    Ok(()) => None,
                    Err(e) => {
                        out.alerts_failed += 1;
                        out.errors.push(e.to_string());
                        Some(UnsentReason::PublishFailed)
                    }
                }
            };
            match reason {
                None => {
                    out.alerts_published += 1;
                    for &(o, p) in covered {
                        delivered[o][p].push(format);
                    }
                }
                Some(reason) => {
                    for &(o, p) in covered {
                        held.insert(o);
                        unsent(out, &owned[o].0, p, vec![format], reason);
                    }
                }
            }
        }
    }
    delivered
}

fn unsent(out: &mut SyncOutcome, r: &Record, p: usize, formats: Vec<Format>, why: UnsentReason) {
    let Some(pending) = r.pending.get(p) else {
        return;
    };
    for format in formats {
        out.unsent.push(Unsent {
            finding_id: r.item.finding_id,
            rule_id: pending.change.rule_id.clone(),
            resource_id: pending.change.resource_id.clone(),
            event: pending.change.kind,
            format,
            reason: why,
        });
    }
}

/// The copies of a pending alert not delivered yet.
fn missing(p: &Pending) -> Vec<Format> {
    Format::ALL
        .into_iter()
        .filter(|f| !p.delivered.contains(f))
        .collect()
}

/// Marks the delivered copies on the record, so that no later run sends them again. A failed
/// write is retried; a record another run changed in between is read again and marked there (its
/// writer kept these pending alerts).
async fn record_delivery<S: StateStore + Sync>(
    store: &S,
    input: &SyncInput<'_>,
    mut base: Record,
    marks: &[(Pending, Vec<Format>)],
    out: &mut SyncOutcome,
) {
    let mut last_error = None;
    for _ in 0..DELIVERY_WRITE_ATTEMPTS {
        let mut done = base.clone();
        let mut any = false;
        for (pending, formats) in marks {
            if let Some(p) = done
                .pending
                .iter_mut()
                .find(|p| p.change == pending.change && p.claimed_at == pending.claimed_at)
            {
                for f in formats {
                    if !p.delivered.contains(f) {
                        p.delivered.push(*f);
                        any = true;
                    }
                }
            }
        }
        if !any {
            return;
        }
        done.pending.retain(|p| !p.done());
        done.rev = base.rev + 1;
        done.last_notified = Some(input.now.to_string());
        match store.put_if(input.partition, &done, Some(base.rev)).await {
            Ok(true) => {
                out.writes += 1;
                return;
            }
            Ok(false) => {
                // Another run wrote the record since: mark the same alerts on its version.
                match store.load(input.partition).await {
                    Ok(all) => {
                        match all
                            .into_iter()
                            .find(|r| r.item.finding_id == base.item.finding_id)
                        {
                            Some(r) if r.damaged.is_none() => base = r,
                            _ => return,
                        }
                    }
                    Err(e) => last_error = Some(e.to_string()),
                }
            }
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    if let Some(e) = last_error {
        out.errors.push(e);
    }
}

/// The state partition of an account and region.
pub fn partition_of(account: Option<&str>, region: Option<&str>) -> String {
    format!(
        "{}#{}",
        account.unwrap_or("unknown"),
        region.unwrap_or("unknown")
    )
}

/// [`sync`] for an audit report: the partition, the rules that ran, whether the collection was
/// partial (then nothing resolves by disappearing) and the observation time come from the report;
/// `scope` is the part of the estate the run answers for; `stop_at` when to stop starting work.
pub async fn sync_report<S: StateStore + Sync, A: AlertSink + Sync>(
    store: &S,
    sink: &A,
    report: &crate::engine::Report,
    scope: &Scope,
    stop_at: Option<Instant>,
) -> Result<SyncOutcome, StoreError> {
    // A run that could not read everything proves nothing about what it did not see: nothing
    // is resolved by disappearing (a throttled DescribeVpcs must not "resolve" every failure).
    let evaluated: Vec<&str> = if report.collection.partial {
        Vec::new()
    } else {
        report.rules_run.iter().map(String::as_str).collect()
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
            partition: &partition_of(account, region),
            findings: &report.findings,
            evaluated: &evaluated,
            scope,
            now: &now,
            now_epoch,
            collected_at: report.collected_at.as_deref(),
            account,
            region,
            stop_at,
        },
    )
    .await
}

fn past(stop_at: Option<Instant>) -> bool {
    stop_at.is_some_and(|t| Instant::now() >= t)
}

/// Until when this run's claims hold: its stop time plus a grace (after that it has ended), or the
/// fixed lease for a run without a stop time.
fn lease_until(input: &SyncInput<'_>) -> u64 {
    match input.stop_at {
        Some(t) => {
            input.now_epoch
                + t.saturating_duration_since(Instant::now()).as_secs()
                + LEASE_GRACE_SECS
        }
        None => input.now_epoch + LEASE_SECS,
    }
}

/// Claims the pending alerts whose claim lapsed, oldest first, up to the first one another run
/// still holds (the later ones wait for it, so one finding's alerts arrive in order). Returns the
/// claimed indices and whether one is still held.
fn reclaim(pending: &mut [Pending], now: u64, until: u64) -> (Vec<usize>, bool) {
    let mut send = Vec::new();
    for (i, p) in pending.iter_mut().enumerate() {
        if !p.lapsed(now) {
            return (send, true);
        }
        p.claimed_at = Some(now);
        p.claimed_until = Some(until);
        send.push(i);
    }
    (send, false)
}

fn planned(
    old: Option<&Record>,
    item: super::StateItem,
    change: Option<Change>,
    input: &SyncInput<'_>,
    lease: u64,
) -> Write {
    let now = input.now_epoch;
    let fresh = change.is_some();
    // Undelivered alerts stay in front of the new one: an alert is never silently replaced.
    let mut pending: Vec<Pending> = old
        .filter(|o| o.damaged.is_none())
        .map(|o| o.pending.clone())
        .unwrap_or_default();
    let (mut send, held) = reclaim(&mut pending, now, lease);
    let mut waiting = Vec::new();
    if let Some(c) = change {
        if held {
            waiting.push(pending.len());
            pending.push(Pending::unclaimed(c));
        } else {
            send.push(pending.len());
            pending.push(Pending::claimed(c, now, lease));
        }
    }
    let resolved = item.status != Status::Fail && !item.unreadable;
    Write {
        record: Record {
            rev: old.map_or(1, |o| o.rev + 1),
            last_notified: old.and_then(|o| o.last_notified.clone()),
            expires_at: resolved.then_some(now + RESOLVED_TTL_SECS),
            item,
            pending,
            collected_at: input.collected_at.map(str::to_string),
            damaged: None,
        },
        expected: old.map(|o| o.rev),
        fresh,
        send,
        waiting,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::alerting::Format::{Chat, Email};
    use crate::drift::record::LEASE_SECS;
    use crate::synth::Estate;
    use crate::testing::fakes::{MemoryStore, RecordingSink};

    const PART: &str = "111122223333#us-east-1";
    const T0: u64 = 1_800_000_000;

    fn rfc(epoch: u64) -> String {
        let days = i64::try_from(epoch / 86_400).unwrap();
        let rem = epoch % 86_400;
        format!(
            "{}T{:02}:{:02}:{:02}Z",
            crate::time::format_date(days),
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    fn all_rules() -> Vec<&'static str> {
        crate::rules::RULES.iter().map(|r| r.meta.id).collect()
    }

    /// One run: its findings, clock, observation time, scope and stop time.
    struct Run<'a> {
        findings: &'a [Finding],
        now: u64,
        collected: Option<u64>,
        scope: Scope,
        stop_at: Option<Instant>,
    }

    impl<'a> Run<'a> {
        /// A run at `now` whose observation was collected a minute earlier.
        fn at(findings: &'a [Finding], now: u64) -> Run<'a> {
            Run {
                findings,
                now,
                collected: Some(now - 60),
                scope: Scope::Everything,
                stop_at: None,
            }
        }

        fn collected(self, at: u64) -> Run<'a> {
            Run {
                collected: Some(at),
                ..self
            }
        }

        fn scope(self, scope: Scope) -> Run<'a> {
            Run { scope, ..self }
        }

        fn stop_at(self, t: Instant) -> Run<'a> {
            Run {
                stop_at: Some(t),
                ..self
            }
        }

        async fn go_async(&self, store: &MemoryStore, sink: &RecordingSink) -> SyncOutcome {
            let rules = all_rules();
            let now = rfc(self.now);
            let collected = self.collected.map(rfc);
            sync(
                store,
                sink,
                &SyncInput {
                    partition: PART,
                    findings: self.findings,
                    evaluated: &rules,
                    scope: &self.scope,
                    now: &now,
                    now_epoch: self.now,
                    collected_at: collected.as_deref(),
                    account: Some("111122223333"),
                    region: Some("us-east-1"),
                    stop_at: self.stop_at,
                },
            )
            .await
            .unwrap()
        }

        fn go(&self, store: &MemoryStore, sink: &RecordingSink) -> SyncOutcome {
            futures_executor::block_on(self.go_async(store, sink))
        }
    }

    fn estates() -> (Vec<Finding>, Vec<Finding>, usize) {
        let ok = Estate::backend().findings();
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let bad = e.findings();
        let failing = bad.iter().filter(|f| f.status == Status::Fail).count();
        assert!(failing > 0);
        (ok, bad, failing)
    }

    fn events(alerts: &[crate::alerting::Alert]) -> Vec<&'static str> {
        alerts.iter().map(|a| a.event).collect()
    }

    #[test]
    fn only_transitions_alert_and_only_failures_are_stored() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (ok, bad, failing) = estates();
        let first = Run::at(&ok, T0).go(&store, &sink);
        assert_eq!(
            (first.transitions, first.writes),
            (0, 0),
            "a compliant estate stores nothing"
        );
        let o = Run::at(&bad, T0 + 3600).go(&store, &sink);
        assert_eq!(o.transitions, failing);
        assert_eq!(
            o.alerts_published,
            2 * failing,
            "a chat and an e-mail copy each"
        );
        assert_eq!(sink.sent_as(Chat).len(), failing);
        assert!(sink.sent_as(Email).iter().all(|a| a.event == "new_failure"));
        let stored = store.records(PART);
        assert_eq!(stored.len(), failing);
        assert!(stored
            .iter()
            .all(|r| r.pending.is_empty() && r.last_notified.is_some()));
        assert!(stored
            .iter()
            .all(|r| r.collected_at.as_deref() == Some(rfc(T0 + 3540).as_str())));
        sink.take();

        let steady = Run::at(&bad, T0 + 7200).go(&store, &sink);
        assert_eq!((steady.transitions, steady.writes), (0, 0));
        assert!(sink.take().is_empty(), "a steady state sends nothing");

        let fixed = Run::at(&ok, T0 + 10_800).go(&store, &sink);
        assert_eq!(fixed.transitions, failing);
        assert_eq!(sink.sent_as(Email).len(), failing);
        assert!(sink.sent_as(Chat).iter().all(|a| a.event == "resolved"));
        assert!(store
            .records(PART)
            .iter()
            .all(|r| r.item.status == Status::Pass
                && r.expires_at == Some(T0 + 10_800 + RESOLVED_TTL_SECS)));
        sink.take();
        assert_eq!(Run::at(&ok, T0 + 14_400).go(&store, &sink).writes, 0);
        assert!(sink.take().is_empty());
        assert_eq!(store.expire(T0 + 10_800 + RESOLVED_TTL_SECS), failing);
    }

    #[test]
    fn overlapping_runs_send_one_alert_per_transition() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        store.gate_loads(2);
        let (_, bad, failing) = estates();
        let (a, b) = futures_executor::block_on(futures_util::future::join(
            Run::at(&bad, T0).go_async(&store, &sink),
            Run::at(&bad, T0 + 1).go_async(&store, &sink),
        ));
        assert_eq!(a.transitions + b.transitions, failing);
        assert_eq!(a.lost_races + b.lost_races, failing, "{a:?} {b:?}");
        let sent = sink.sent_as(Chat);
        let ids: BTreeSet<FindingId> = sent.iter().flat_map(|x| x.finding_ids.clone()).collect();
        assert_eq!(sent.len(), failing);
        assert_eq!(ids.len(), failing, "no transition alerted twice");
        assert_eq!(sink.sent_as(Email).len(), failing);
    }

    #[test]
    fn an_alert_that_could_not_be_published_is_sent_by_a_later_run_once() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (_, bad, failing) = estates();
        sink.break_all(true);
        let o = Run::at(&bad, T0).go(&store, &sink);
        assert_eq!((o.transitions, o.alerts_published), (failing, 0));
        assert_eq!(o.alerts_failed, 2 * failing);
        assert!(o.errors.iter().all(|e| e.contains("AuthorizationError")));
        assert_eq!(o.unsent.len(), 2 * failing);
        assert!(o
            .unsent
            .iter()
            .all(|u| u.reason == UnsentReason::PublishFailed && u.event == ChangeKind::NewFailure));
        sink.break_all(false);
        // Within the lease the claim still belongs to the failed run: nothing yet.
        let soon = Run::at(&bad, T0 + 60).go(&store, &sink);
        assert_eq!(soon.redelivered, 0);
        assert!(sink.take().is_empty());
        let later = Run::at(&bad, T0 + LEASE_SECS).go(&store, &sink);
        assert_eq!((later.redelivered, later.transitions), (failing, 0));
        assert_eq!(events(&sink.sent_as(Chat)), vec!["new_failure"; failing]);
        assert_eq!(sink.sent_as(Email).len(), failing);
        sink.take();
        let again = Run::at(&bad, T0 + 2 * LEASE_SECS).go(&store, &sink);
        assert_eq!(again.redelivered, 0);
        assert!(sink.take().is_empty(), "delivered once");
    }

    #[test]
    fn a_store_that_cannot_write_sends_nothing_and_loses_nothing() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (_, bad, _) = estates();
        store.fail_all_puts(true);
        let o = Run::at(&bad, T0).go(&store, &sink);
        assert_eq!((o.transitions, o.alerts_published), (0, 0));
        assert!(!o.errors.is_empty());
        assert!(
            sink.take().is_empty(),
            "an unrecorded transition is not alerted"
        );
        store.fail_all_puts(false);
        let o = Run::at(&bad, T0 + 60).go(&store, &sink);
        assert!(o.transitions > 0, "the next healthy run alerts it");
        assert_eq!(sink.sent_as(Chat).len(), o.transitions);
    }

    #[test]
    fn a_state_that_cannot_be_read_fails_the_run_before_anything_is_sent() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (_, bad, _) = estates();
        store.fail_next_loads(1);
        let rules = all_rules();
        let e = futures_executor::block_on(sync(
            &store,
            &sink,
            &SyncInput {
                partition: PART,
                findings: &bad,
                evaluated: &rules,
                scope: &Scope::Everything,
                now: "t",
                now_epoch: T0,
                collected_at: None,
                account: None,
                region: None,
                stop_at: None,
            },
        ))
        .unwrap_err();
        assert_eq!(e.operation, "Query");
        assert!(sink.sent().is_empty() && store.puts() == 0);
    }

    #[test]
    fn a_partial_run_that_sees_nothing_resolves_nothing() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let report = crate::engine::audit(
            &e.snap,
            &crate::engine::AuditOptions {
                manifest: Some(&e.manifest),
                ..crate::engine::AuditOptions::default()
            },
        );
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let go = |r: &crate::engine::Report| {
            futures_executor::block_on(sync_report(&store, &sink, r, &Scope::Everything, None))
                .unwrap()
        };
        let first = go(&report);
        assert!(first.transitions > 0);
        sink.take();
        // The next run could not list the VPCs: no findings at all, and the report says so.
        let mut blind = report.clone();
        blind.findings.clear();
        blind.collection.partial = true;
        let o = go(&blind);
        assert_eq!((o.transitions, o.writes), (0, 0), "{o:?}");
        assert!(
            sink.take().is_empty(),
            "no resolved alerts from a blind run"
        );
        // Had it claimed to see everything, they would all resolve.
        blind.collection.partial = false;
        let o = go(&blind);
        assert_eq!(o.transitions, first.transitions);
        assert!(sink.sent_as(Chat).iter().all(|a| a.event == "resolved"));
        // A rule that did not run resolves nothing either.
        let (store2, sink2) = (MemoryStore::new(), RecordingSink::new());
        futures_executor::block_on(sync_report(
            &store2,
            &sink2,
            &report,
            &Scope::Everything,
            None,
        ))
        .unwrap();
        let mut other = blind.clone();
        other.rules_run = vec!["PL-EP-001".into()];
        let o = futures_executor::block_on(sync_report(
            &store2,
            &sink2,
            &other,
            &Scope::Everything,
            None,
        ))
        .unwrap();
        assert_eq!(o.transitions, 0);
    }

    #[test]
    fn a_run_past_its_stop_time_defers_transitions_to_the_next_run() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (_, bad, failing) = estates();
        let late = Run::at(&bad, T0).stop_at(Instant::now()).go(&store, &sink);
        assert_eq!((late.transitions, late.deferred), (0, failing));
        assert!(late
            .unsent
            .iter()
            .all(|u| u.reason == UnsentReason::NotRecorded));
        assert_eq!(late.unsent.len(), 2 * failing);
        assert!(sink.sent().is_empty() && store.records(PART).is_empty());
        let next = Run::at(&bad, T0 + 60).go(&store, &sink);
        assert_eq!((next.transitions, next.deferred), (failing, 0));
        assert_eq!(sink.sent_as(Email).len(), failing);
    }

    /// Defect 11: the stop time covers publishing. Copies not published by then stay pending,
    /// the outcome names them, and the next run after this one sends exactly those.
    #[test]
    fn time_running_out_while_publishing_leaves_the_rest_pending_and_says_which() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let mut e = Estate::empty();
        for i in 0..3 {
            e.add_vpc(i, false);
        }
        e.drop_relay_egress();
        let bad = e.findings();
        let failing = bad.iter().filter(|f| f.status == Status::Fail).count();
        assert_eq!(failing, 3);
        // The first chat copy goes out; the topic then stalls past the stop time.
        let stop = Instant::now() + Duration::from_millis(400);
        sink.stall_after(1, stop);
        let o = Run::at(&bad, T0).stop_at(stop).go(&store, &sink);
        assert_eq!(o.transitions, 3, "every transition was recorded");
        assert_eq!(o.alerts_published, 2, "the stalled publish still completed");
        let unsent: Vec<(FindingId, Format, UnsentReason)> = o
            .unsent
            .iter()
            .map(|u| (u.finding_id, u.format, u.reason))
            .collect();
        assert_eq!(unsent.len(), 4, "{unsent:?}");
        assert!(unsent.iter().all(|u| u.2 == UnsentReason::Deadline));
        assert_eq!(unsent.iter().filter(|u| u.1 == Chat).count(), 1);
        assert_eq!(unsent.iter().filter(|u| u.1 == Email).count(), 3);
        let pending: usize = store.records(PART).iter().map(|r| r.pending.len()).sum();
        assert_eq!(pending, 3, "one chat and three e-mail copies stay pending");
        let before: BTreeSet<(FindingId, Format)> = sink
            .take()
            .into_iter()
            .flat_map(|(f, a)| a.finding_ids.into_iter().map(move |id| (id, f)))
            .collect();
        // The claims lapse with the run (its stop time plus the grace), not 15 minutes later.
        let next = Run::at(&bad, T0 + LEASE_GRACE_SECS + 1).go(&store, &sink);
        assert_eq!((next.transitions, next.redelivered), (0, 3));
        let after: BTreeSet<(FindingId, Format)> = sink
            .take()
            .into_iter()
            .flat_map(|(f, a)| a.finding_ids.into_iter().map(move |id| (id, f)))
            .collect();
        let named: BTreeSet<(FindingId, Format)> = unsent.iter().map(|u| (u.0, u.1)).collect();
        assert_eq!(after, named, "exactly the copies named as unsent");
        assert!(before.is_disjoint(&after), "nothing sent twice");
        assert!(store.records(PART).iter().all(|r| r.pending.is_empty()));
    }

    /// Defect 5: a long scheduled run that observed the estate before a Config run, and finishes
    /// after it, does not overwrite the Config run's records (no false "Resolved").
    #[test]
    fn an_older_observation_never_overwrites_a_newer_record() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (ok, bad, failing) = estates();
        // The Config run observed the failure at T0 + 120 and recorded it.
        let config = Run::at(&bad, T0 + 130)
            .collected(T0 + 120)
            .go(&store, &sink);
        assert_eq!(config.transitions, failing);
        sink.take();
        // The scheduled run collected at T0 + 60 (still compliant then) and finishes now.
        let scheduled = Run::at(&ok, T0 + 900).collected(T0 + 60).go(&store, &sink);
        assert_eq!(
            (scheduled.transitions, scheduled.writes),
            (0, 0),
            "{scheduled:?}"
        );
        assert_eq!(scheduled.superseded, failing);
        assert!(sink.take().is_empty(), "no false Resolved");
        assert!(store
            .records(PART)
            .iter()
            .all(|r| r.item.status == Status::Fail
                && r.collected_at.as_deref() == Some(rfc(T0 + 120).as_str())));
        // An observation with no time is older than any: it changes nothing either.
        let timeless = Run {
            collected: None,
            ..Run::at(&ok, T0 + 950)
        }
        .go(&store, &sink);
        assert_eq!((timeless.transitions, timeless.superseded), (0, failing));
        // A newer observation still resolves it.
        let fixed = Run::at(&ok, T0 + 1000).go(&store, &sink);
        assert_eq!(fixed.transitions, failing);
        assert_eq!(events(&sink.sent_as(Chat)), vec!["resolved"; failing]);
    }

    /// Defect 5, the race: the older run read the state before the newer one wrote it. Its
    /// write is refused by the store's condition, not only by the check after loading.
    #[test]
    fn the_store_refuses_a_write_from_an_older_observation() {
        let store = MemoryStore::new();
        let (_, bad, _) = estates();
        let sink = RecordingSink::new();
        Run::at(&bad, T0).collected(T0).go(&store, &sink);
        let mut r = store.records(PART).remove(0);
        let rev = r.rev;
        r.rev += 1;
        r.item.status = Status::Pass;
        r.collected_at = Some(rfc(T0 - 1));
        let put =
            |r: &Record| futures_executor::block_on(store.put_if(PART, r, Some(rev))).unwrap();
        assert!(!put(&r), "older observation refused");
        r.collected_at = None;
        assert!(!put(&r), "an observation without a time is the oldest");
        r.collected_at = Some(rfc(T0));
        assert!(put(&r), "the same or a newer observation may write");
    }

    /// Defect 6: an alert that could not be delivered is not replaced by the next transition:
    /// both are sent, oldest first, and a transition whose predecessor another run still holds
    /// waits for it.
    #[test]
    fn an_undelivered_alert_is_never_replaced_by_a_later_transition() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (ok, bad, failing) = estates();
        sink.break_all(true);
        Run::at(&bad, T0).go(&store, &sink);
        sink.break_all(false);
        // Fixed a minute later, while the failed run's claim still holds.
        let soon = Run::at(&ok, T0 + 60).go(&store, &sink);
        assert_eq!(soon.transitions, failing, "the resolution is recorded");
        assert!(
            sink.take().is_empty(),
            "but not sent before the failure it follows"
        );
        assert!(soon
            .unsent
            .iter()
            .all(|u| u.reason == UnsentReason::WaitsForEarlierAlert
                && u.event == ChangeKind::Resolved));
        for r in store.records(PART) {
            let kinds: Vec<ChangeKind> = r.pending.iter().map(|p| p.change.kind).collect();
            assert_eq!(kinds, vec![ChangeKind::NewFailure, ChangeKind::Resolved]);
        }
        // Once the claim lapsed: both facts, in order, in both formats.
        let later = Run::at(&ok, T0 + LEASE_SECS).go(&store, &sink);
        assert_eq!(later.transitions, 0);
        for format in [Chat, Email] {
            let sent = sink.sent_as(format);
            assert_eq!(events(&sent).len(), 2 * failing);
            for id in sent
                .iter()
                .flat_map(|a| a.finding_ids.clone())
                .collect::<BTreeSet<_>>()
            {
                let of: Vec<&str> = sent
                    .iter()
                    .filter(|a| a.finding_ids.contains(&id))
                    .map(|a| a.event)
                    .collect();
                assert_eq!(of, vec!["new_failure", "resolved"], "{format:?}");
            }
        }
        assert!(store.records(PART).iter().all(|r| r.pending.is_empty()));
    }

    /// Defect 6, same run: an undelivered alert whose claim lapsed and the new transition go out
    /// together, oldest first.
    #[test]
    fn a_lapsed_alert_and_the_next_transition_are_sent_together_in_order() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (ok, bad, failing) = estates();
        sink.break_all(true);
        Run::at(&bad, T0).go(&store, &sink);
        sink.break_all(false);
        let o = Run::at(&ok, T0 + LEASE_SECS).go(&store, &sink);
        assert_eq!(o.transitions, failing);
        assert_eq!(
            events(&sink.sent_as(Chat)),
            [["new_failure", "resolved"]; 1].repeat(failing).concat()
        );
        assert!(store.records(PART).iter().all(|r| r.pending.is_empty()));
    }

    /// Defect 7: a copy that failed is sent again alone; the one that was delivered is not.
    #[test]
    fn a_failed_copy_never_resends_the_other_copy() {
        for (broken, fine) in [(Email, Chat), (Chat, Email)] {
            let (store, sink) = (MemoryStore::new(), RecordingSink::new());
            let (_, bad, failing) = estates();
            sink.fail_next(broken, failing);
            let o = Run::at(&bad, T0).go(&store, &sink);
            assert_eq!((o.alerts_published, o.alerts_failed), (failing, failing));
            assert!(o.unsent.iter().all(|u| u.format == broken));
            for r in store.records(PART) {
                assert_eq!(r.pending.len(), 1);
                assert_eq!(r.pending[0].delivered, vec![fine]);
            }
            let later = Run::at(&bad, T0 + LEASE_SECS).go(&store, &sink);
            assert_eq!(later.redelivered, failing);
            assert_eq!(sink.sent_as(fine).len(), failing, "{fine:?} sent once");
            assert_eq!(
                sink.sent_as(broken).len(),
                failing,
                "{broken:?} sent once, later"
            );
            assert!(store.records(PART).iter().all(|r| r.pending.is_empty()));
            Run::at(&bad, T0 + 2 * LEASE_SECS).go(&store, &sink);
            assert_eq!(sink.sent().len(), 2 * failing, "and never again");
        }
    }

    /// Defect 7: a failed write of "delivered" does not make a later run send the alert again.
    #[test]
    fn a_failed_delivery_write_does_not_cause_a_duplicate() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (_, bad, failing) = estates();
        store.fail_next_delivery_writes(failing);
        let o = Run::at(&bad, T0).go(&store, &sink);
        assert_eq!(o.alerts_published, 2 * failing);
        assert!(o.errors.is_empty(), "the retry recorded it: {:?}", o.errors);
        assert!(store.records(PART).iter().all(|r| r.pending.is_empty()));
        Run::at(&bad, T0 + LEASE_SECS).go(&store, &sink);
        Run::at(&bad, T0 + 2 * LEASE_SECS).go(&store, &sink);
        assert_eq!(sink.sent().len(), 2 * failing, "each copy exactly once");
    }

    /// Defect 7: the record changed between publishing and recording the delivery (another run
    /// recorded a newer transition): the delivery is marked on the newer record, not lost.
    #[test]
    fn a_delivery_is_recorded_on_a_record_another_run_changed_meanwhile() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (_, bad, failing) = estates();
        let mut e = Estate::backend();
        e.drop_relay_egress();
        if let Ok(r) = &mut e.snap.security_group_rules {
            r.push(crate::synth::sg_rule(
                "sgr-x",
                &crate::synth::Ids::new(0).ws_sg,
                true,
                "tcp",
                (6666, 6666),
                "10.0.28.0/26",
            ));
        }
        let changed = e.findings();
        // Run A publishes slowly; run B records an evidence change in between.
        let stop = Instant::now() + Duration::from_secs(30);
        sink.stall_after(0, Instant::now() + Duration::from_millis(50));
        let (a, b) = futures_executor::block_on(async {
            let (ra, rb) = (
                Run::at(&bad, T0).stop_at(stop),
                Run::at(&changed, T0 + 1).stop_at(stop),
            );
            let a = ra.go_async(&store, &sink);
            let b = async {
                for _ in 0..20 {
                    crate::testing::fakes::yield_now().await;
                }
                rb.go_async(&store, &sink).await
            };
            futures_util::future::join(a, b).await
        });
        assert_eq!(a.transitions, failing);
        assert!(a.errors.is_empty() && b.errors.is_empty(), "{a:?} {b:?}");
        Run::at(&changed, T0 + LEASE_SECS + 120).go(&store, &sink);
        let chat = sink.sent_as(Chat);
        let new_failures = chat.iter().filter(|a| a.event == "new_failure").count();
        assert_eq!(new_failures, failing, "the first alert was not sent again");
        assert!(store.records(PART).iter().all(|r| r.pending.is_empty()));
    }

    /// Defect 8: an item that cannot be read stands for nothing: the finding's "could not
    /// evaluate" is alerted (never taken for "already said"), and the item is replaced.
    #[test]
    fn an_unreadable_record_never_suppresses_could_not_evaluate() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let mut e = Estate::backend();
        e.not_collected(crate::snapshot::Input::VpcEndpoints);
        let blind = e.findings();
        let errors: Vec<FindingId> = blind
            .iter()
            .filter(|f| f.status == Status::Error)
            .map(|f| f.id)
            .collect();
        assert!(!errors.is_empty());
        for (i, id) in errors.iter().enumerate() {
            // Half with a readable revision, half without.
            let rev = (i % 2 == 0).then_some(3);
            store.insert_damaged(
                PART,
                *id,
                rev,
                "attribute `status` is missing or not a string",
            );
        }
        let o = Run::at(&blind, T0).go(&store, &sink);
        assert_eq!(o.replaced_damaged, errors.len());
        assert_eq!(o.lost_races, 0);
        let told: BTreeSet<FindingId> = sink
            .sent_as(Chat)
            .iter()
            .filter(|a| a.event == "could_not_evaluate" || a.event == "digest")
            .flat_map(|a| a.finding_ids.clone())
            .collect();
        assert_eq!(told, errors.iter().copied().collect(), "every one is told");
        assert!(store.damaged(PART).is_empty(), "replaced");
        assert!(store.records(PART).iter().all(|r| r.item.unreadable));
    }

    /// Defect 8: an unreadable item no run observes is replaced by a blank record that expires
    /// (DynamoDB's TTL removes it), and the blank record suppresses nothing later.
    #[test]
    fn an_unreadable_record_that_no_run_observes_is_replaced_by_one_that_expires() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let (ok, bad, failing) = estates();
        let target = bad.iter().find(|f| f.status == Status::Fail).unwrap().id;
        store.insert_damaged(PART, target, None, "attribute `rev` is missing");
        store.insert_damaged(
            PART,
            FindingId(42),
            Some(3),
            "attribute `status` is missing",
        );
        let o = Run::at(&ok, T0).go(&store, &sink);
        assert_eq!((o.replaced_damaged, o.writes), (2, 2));
        assert!(sink.take().is_empty(), "a blank record says nothing");
        // Observed (passing): replaced by its real, passing record, which expires.
        let r = store.get(PART, target).unwrap();
        assert_eq!(r.expires_at, Some(T0 + RESOLVED_TTL_SECS));
        assert_eq!((r.item.status, r.damaged.is_none()), (Status::Pass, true));
        // Not observed: replaced by a blank record, which expires.
        let r = store.get(PART, FindingId(42)).unwrap();
        assert_eq!(r.expires_at, Some(T0 + RESOLVED_TTL_SECS));
        assert!(r.item.rule_id.is_empty() && r.damaged.is_none());
        assert_eq!(
            Run::at(&ok, T0 + 60).go(&store, &sink).writes,
            0,
            "replaced once"
        );
        // The failure that the unreadable item stood for is told when it is observed.
        let o = Run::at(&bad, T0 + 120).go(&store, &sink);
        assert_eq!(o.transitions, failing);
        assert!(events(&sink.sent_as(Chat))
            .iter()
            .all(|e| *e == "new_failure"));
        assert_eq!(
            store.expire(T0 + RESOLVED_TTL_SECS),
            1,
            "the unobserved one expires"
        );
    }

    /// Defect 3 (drift part): a run that audited part of the estate changes only the records of
    /// that part: another VPC's failure is not resolved, and another VPC's unreadable inputs
    /// are not alerted as "could not evaluate".
    #[test]
    fn a_run_changes_only_the_records_in_its_scope() {
        let (store, sink) = (MemoryStore::new(), RecordingSink::new());
        let two = |broken: bool, blind: bool| {
            let mut e = Estate::empty();
            e.add_vpc(0, false);
            e.add_vpc(1, false);
            if broken {
                e.drop_relay_egress();
            }
            if blind {
                e.not_collected(crate::snapshot::Input::VpcEndpoints);
            }
            e.findings()
        };
        let bad = two(true, false);
        let failing: Vec<&Finding> = bad.iter().filter(|f| f.status == Status::Fail).collect();
        assert_eq!(failing.len(), 2);
        Run::at(&bad, T0).go(&store, &sink);
        sink.take();
        let in_ws = |fs: Vec<Finding>, ws: &str| -> Vec<Finding> {
            fs.into_iter()
                .filter(|f| f.workspaces.iter().any(|w| &**w == ws))
                .collect()
        };
        // A change run for VPC 0: ws-0 is fixed; VPC 1 was not collected (its rules report
        // error), and the run does not answer for it.
        let mut seen = in_ws(two(false, false), "ws-0");
        seen.extend(in_ws(two(false, true), "ws-1"));
        assert!(seen.iter().any(|f| f.status == Status::Error));
        let vpc0 = crate::synth::Ids::new(0).vpc;
        let scope = Scope::only([vpc0], ["ws-0"], Vec::<String>::new());
        let before = store.get(PART, failing[1].id).unwrap();
        let o = Run::at(&seen, T0 + 60).scope(scope).go(&store, &sink);
        assert!(o.out_of_scope > 0);
        assert_eq!(o.transitions, 1, "{o:?}");
        let sent = sink.sent_as(Chat);
        assert_eq!(events(&sent), vec!["resolved"]);
        assert_eq!(sent[0].finding_ids, vec![failing[0].id]);
        assert_eq!(
            store.get(PART, failing[1].id).unwrap(),
            before,
            "left alone"
        );
        // The same run answering for everything would have told both.
        let (store2, sink2) = (MemoryStore::new(), RecordingSink::new());
        Run::at(&bad, T0).go(&store2, &sink2);
        sink2.take();
        let o = Run::at(&seen, T0 + 60).go(&store2, &sink2);
        assert!(o.transitions > 1);
        let told = sink2.sent_as(Chat);
        assert!(
            told.iter()
                .any(|a| a.event == "could_not_evaluate" || a.event == "digest"),
            "{:?}",
            events(&told)
        );
    }

    #[test]
    fn a_scope_matches_resources_vpcs_and_wholly_covered_workspaces() {
        let item = |resource: &str, ws: &[&str]| crate::drift::StateItem {
            resource_id: resource.into(),
            workspaces: ws.iter().map(|w| w.to_string()).collect(),
            ..crate::drift::record::blank_item(FindingId(1))
        };
        let s = Scope::only(["vpc-1"], ["ws-a", "ws-b"], ["sg-1"]);
        assert!(s.contains(&item("sg-1", &[])));
        assert!(s.contains(&item("vpc-1", &[])));
        assert!(s.contains(&item("sg-9", &["ws-a"])));
        assert!(s.contains(&item("sg-9", &["ws-a", "ws-b"])));
        assert!(
            !s.contains(&item("sg-9", &["ws-a", "ws-c"])),
            "shared with a workspace not audited"
        );
        assert!(!s.contains(&item("sg-9", &[])));
        assert!(Scope::Everything.contains(&item("anything", &[])));
    }
}

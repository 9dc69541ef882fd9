//! Drift: what changed since the last run, and how it is recorded so that each change is alerted
//! exactly once. [`diff`] compares a run's findings with the stored state (pure); [`sync`] is the
//! store protocol over two small seams, [`StateStore`] (DynamoDB in production, see
//! `aws::dynamodb::DynamoStore`) and [`AlertSink`] (SNS); what the alerts say is
//! [`crate::alerting`]'s business.
//!
//! A transition is alerted once: a new failure, a resolved failure, a failure whose evidence
//! changed (a different blocking entry), and "could not evaluate" (the first run that cannot read
//! what a finding needs; not again until it has been readable in between). A steady state alerts
//! nothing. An `error` never overwrites the last known verdict, so a failure that was unreadable for
//! a while and is still failing afterwards is not announced again as new.
//!
//! The protocol (docs/drift-state.md):
//!
//! 1. Load the stored records of the scope (account and region).
//! 2. Leave alone every record written from a newer observation than this run's (its
//!    `collected_at` is later): a long run that finishes after a newer one says nothing about them.
//! 3. [`diff`] the rest against this run's findings.
//! 4. Write every record that changed with a conditional put on its revision. The run whose put
//!    wins owns the transition and adds it to the record's *pending* alerts; a run whose put loses
//!    (another run recorded the same transition first) sends nothing for it. Earlier pending alerts
//!    are kept beside the new one, never replaced: both facts are sent.
//! 5. Publish the owned alerts, the chat and the e-mail copy each on its own (single alerts, or
//!    digests when there are many).
//! 6. Record, per pending alert, which copies were delivered (retrying a failed write, and
//!    re-reading the record when another run changed it in between); an alert leaves *pending*
//!    when both copies are delivered. A copy that could not be published stays pending and is sent
//!    by a later run once its claim is older than [`LEASE_SECS`] (so a run that is still
//!    publishing is not duplicated); the copy that was delivered is not sent again.
//!
//! Records exist only for findings that failed or could not be evaluated at some point; a
//! resolved record expires [`RESOLVED_TTL_SECS`] after it resolved (DynamoDB TTL), and so does a
//! stored record that could not be read ([`Record::damaged`]) once a run has replaced it.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::alerting::{alerts, AlertSink, Format};
pub use crate::decide::change::{Change, ChangeKind};
use crate::finding::{Finding, FindingId, Severity, Status};

/// What the state store keeps per finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateItem {
    pub finding_id: FindingId,
    pub rule_id: String,
    pub resource_id: String,
    /// The last known verdict (never `error`).
    pub status: Status,
    /// Hash of the failure's evidence; 0 when not failing.
    pub evidence: u64,
    /// The last run could not evaluate this finding (and that was alerted).
    pub unreadable: bool,
    pub first_seen: String,
    pub last_changed: String,
}

/// The result of comparing a run with the stored state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    pub changes: Vec<Change>,
    /// The state to store: every current finding, minus resolved findings that disappeared.
    pub next: Vec<StateItem>,
}

/// The evidence of a failure: what makes "the same failure" the same.
pub fn evidence_hash(f: &Finding) -> u64 {
    if f.status != Status::Fail {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in f.actual.bytes().chain([0u8]).chain(f.message.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Compares the current findings with the stored state. `evaluated` are the rule ids this run
/// evaluated: stored findings of other rules are kept as they are, not taken for resolved.
pub fn diff(previous: &[StateItem], current: &[Finding], evaluated: &[&str], now: &str) -> Drift {
    let prev: HashMap<FindingId, &StateItem> = previous.iter().map(|p| (p.finding_id, p)).collect();
    let ran: BTreeSet<&str> = evaluated.iter().copied().collect();
    let mut drift = Drift::default();
    let seen: BTreeSet<FindingId> = current.iter().map(|f| f.id).collect();
    // A rule that could not read its inputs reports `error` on the workspace's VPC instead of its
    // usual resources; those resources' findings are then unknown, not resolved.
    let blind: BTreeSet<&str> = current
        .iter()
        .filter(|f| f.status == Status::Error)
        .map(|f| &*f.rule_id)
        .collect();
    for f in current {
        let p = prev.get(&f.id).copied();
        let change = |kind| Change {
            kind,
            finding_id: f.id,
            rule_id: f.rule_id.to_string(),
            title: f.title.to_string(),
            severity: f.severity,
            resource_type: Some(f.resource_type),
            resource_id: f.resource_id.to_string(),
            workspaces: f.workspaces.iter().map(|w| w.to_string()).collect(),
            message: f.message.clone(),
            remediation: f.remediation.to_string(),
        };
        let first_seen = p
            .map(|p| p.first_seen.clone())
            .unwrap_or_else(|| now.to_string());
        if f.status == Status::Error {
            if !p.is_some_and(|p| p.unreadable) {
                drift.changes.push(change(ChangeKind::CouldNotEvaluate));
            }
            drift.next.push(StateItem {
                finding_id: f.id,
                rule_id: f.rule_id.to_string(),
                resource_id: f.resource_id.to_string(),
                // Keep the last known verdict: an error says nothing about it.
                status: p.map(|p| p.status).unwrap_or(Status::NotApplicable),
                evidence: p.map(|p| p.evidence).unwrap_or(0),
                unreadable: true,
                first_seen,
                last_changed: if p.is_some_and(|p| p.unreadable) {
                    p.map(|p| p.last_changed.clone()).unwrap_or_default()
                } else {
                    now.to_string()
                },
            });
            continue;
        }
        let failing = f.status == Status::Fail;
        let evidence = evidence_hash(f);
        let was_failing = p.is_some_and(|p| p.status == Status::Fail);
        let kind = match (was_failing, failing) {
            (false, true) => Some(ChangeKind::NewFailure),
            (true, false) => Some(ChangeKind::Resolved),
            (true, true) if p.is_some_and(|p| p.evidence != evidence) => {
                Some(ChangeKind::EvidenceChanged)
            }
            _ => None,
        };
        if let Some(k) = kind {
            drift.changes.push(change(k));
        }
        let changed = kind.is_some() || p.is_none_or(|p| p.status != f.status || p.unreadable);
        drift.next.push(StateItem {
            finding_id: f.id,
            rule_id: f.rule_id.to_string(),
            resource_id: f.resource_id.to_string(),
            status: f.status,
            evidence,
            unreadable: false,
            first_seen,
            last_changed: if changed {
                now.to_string()
            } else {
                p.map(|p| p.last_changed.clone()).unwrap_or_default()
            },
        });
    }
    for p in previous {
        if seen.contains(&p.finding_id) {
            continue;
        }
        if !ran.contains(p.rule_id.as_str()) || blind.contains(p.rule_id.as_str()) {
            drift.next.push(p.clone());
            continue;
        }
        if p.status == Status::Fail {
            let meta = crate::rules::meta(&p.rule_id);
            drift.changes.push(Change {
                kind: ChangeKind::Resolved,
                finding_id: p.finding_id,
                rule_id: p.rule_id.clone(),
                title: meta.map(|m| m.title.to_string()).unwrap_or_default(),
                severity: meta.map(|m| m.severity).unwrap_or(Severity::Info),
                resource_type: meta.map(|m| m.resource_type),
                resource_id: p.resource_id.clone(),
                workspaces: Vec::new(),
                message: format!(
                    "{} is no longer reported by {}: the resource was removed or left the audited scope.",
                    p.resource_id, p.rule_id
                ),
                remediation: String::new(),
            });
        }
    }
    drift.changes.sort_by(|a, b| {
        (
            b.kind == ChangeKind::NewFailure,
            b.severity,
            &a.rule_id,
            &a.resource_id,
        )
            .cmp(&(
                a.kind == ChangeKind::NewFailure,
                a.severity,
                &b.rule_id,
                &b.resource_id,
            ))
    });
    drift
}

/// How long a claimed, undelivered alert belongs to the run that claimed it (the longest Lambda
/// run is 15 minutes).
pub const LEASE_SECS: u64 = 900;

/// How long a resolved record (or one that replaced an unreadable item) is kept (then DynamoDB's
/// TTL removes it).
pub const RESOLVED_TTL_SECS: u64 = 30 * 86_400;

/// Conditional writes in flight at once.
const WRITE_CONCURRENCY: usize = 16;

/// Attempts at recording a delivery (a failed write would otherwise re-send the alert later).
const DELIVERY_WRITE_ATTEMPTS: usize = 3;

/// The revision a [`Record::damaged`] record carries when the stored item's own revision could
/// not be read either; `put_if(.., Some(UNREADABLE_REV))` replaces such an item (real revisions
/// start at 1).
pub const UNREADABLE_REV: u64 = 0;

/// An alert recorded but not yet delivered in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub change: Change,
    /// When the run that sends it claimed it (epoch seconds).
    pub claimed_at: Option<u64>,
    /// The copies already delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<Format>,
}

impl Pending {
    fn claimed(change: Change, now: u64) -> Pending {
        Pending {
            change,
            claimed_at: Some(now),
            delivered: Vec::new(),
        }
    }
}

/// One stored finding state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub item: StateItem,
    /// Incremented by every write; the condition of the next one.
    pub rev: u64,
    /// Transitions recorded but not yet delivered in full, oldest first.
    pub pending: Vec<Pending>,
    pub last_notified: Option<String>,
    /// DynamoDB TTL (epoch seconds), set once resolved.
    pub expires_at: Option<u64>,
    /// When the observation that wrote this record was collected (RFC 3339). `None` for records
    /// of earlier versions: any run may overwrite them.
    pub collected_at: Option<String>,
    /// Why the stored item could not be read (not stored: a damaged record stands only for its
    /// key and revision, never for a verdict). The next run replaces it.
    pub damaged: Option<String>,
}

impl Record {
    /// What is left of a stored item that could not be read: its key and revision
    /// ([`UNREADABLE_REV`] when the revision is unreadable too), and why.
    pub fn damaged(finding_id: FindingId, rev: Option<u64>, why: impl Into<String>) -> Record {
        Record {
            item: StateItem {
                finding_id,
                rule_id: String::new(),
                resource_id: String::new(),
                status: Status::NotApplicable,
                evidence: 0,
                unreadable: false,
                first_seen: String::new(),
                last_changed: String::new(),
            },
            rev: rev.unwrap_or(UNREADABLE_REV),
            pending: Vec::new(),
            last_notified: None,
            expires_at: None,
            collected_at: None,
            damaged: Some(why.into()),
        }
    }

    /// The earliest claim among the pending alerts.
    pub fn claimed_at(&self) -> Option<u64> {
        self.pending.iter().filter_map(|p| p.claimed_at).min()
    }
}

/// The state store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("drift state {operation} failed: {message}")]
pub struct StoreError {
    pub operation: &'static str,
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
    /// Every record of a scope (items that cannot be read as [`Record::damaged`] records).
    fn load(&self, scope: &str) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;
    /// Writes `record` if the stored revision is still `expected` (`None`: no record yet;
    /// [`UNREADABLE_REV`]: an item whose revision cannot be read). `Ok(false)`: another run
    /// changed it first.
    fn put_if(
        &self,
        scope: &str,
        record: &Record,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
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
    /// When this run's observation was collected (RFC 3339): records written from a later one
    /// are left alone.
    pub collected_at: &'a str,
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
    send: Vec<usize>,
}

/// Records the drift of one run and delivers its alerts. Fails only when the state cannot be
/// read (then nothing is written or sent: no alert can be trusted without it).
pub async fn sync<S: StateStore + Sync, A: AlertSink + Sync>(
    store: &S,
    sink: &A,
    input: &SyncInput<'_>,
) -> Result<SyncOutcome, StoreError> {
    let stored = store.load(input.scope).await?;
    let mut out = SyncOutcome::default();
    let by_id: HashMap<FindingId, &Record> =
        stored.iter().map(|r| (r.item.finding_id, r)).collect();
    let ours = epoch_millis(input.collected_at);
    // Written from a newer observation: this run's view of them is out of date.
    let superseded: BTreeSet<FindingId> = stored
        .iter()
        .filter(|r| r.damaged.is_none() && newer(r.collected_at.as_deref(), ours))
        .map(|r| r.item.finding_id)
        .collect();
    out.superseded = superseded.len();
    let current: BTreeSet<FindingId> = input.findings.iter().map(|f| f.id).collect();
    // A damaged record says nothing about its finding: the finding is diffed as if new (a
    // failure or "could not evaluate" is told again, never suppressed).
    let previous: Vec<StateItem> = stored
        .iter()
        .filter(|r| r.damaged.is_none() && !superseded.contains(&r.item.finding_id))
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
        .filter(|c| !superseded.contains(&c.finding_id))
        .map(|c| (c.finding_id, c))
        .collect();

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
            }
        };
        if worth {
            writes.push(planned(old, item, change, input));
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
            writes.push(planned(Some(old), item, Some(change), input));
        }
    }
    let rewritten: BTreeSet<FindingId> = writes.iter().map(|w| w.record.item.finding_id).collect();
    for r in &stored {
        if rewritten.contains(&r.item.finding_id) {
            continue;
        }
        if r.damaged.is_some() {
            // Unreadable and not seen by this run: replaced by a record that says nothing and
            // expires, so it neither lingers nor stands in for a verdict.
            let mut record = Record::damaged(r.item.finding_id, None, "");
            record.damaged = None;
            record.rev = r.rev + 1;
            record.expires_at = Some(input.now_epoch + RESOLVED_TTL_SECS);
            record.collected_at = Some(input.collected_at.to_string());
            writes.push(Write {
                record,
                expected: Some(r.rev),
                fresh: false,
                send: Vec::new(),
            });
            continue;
        }
        // Earlier runs' alerts that were never delivered and whose claim has lapsed.
        let mut record = r.clone();
        let send = reclaim(&mut record.pending, input.now_epoch);
        if !send.is_empty() {
            record.rev = r.rev + 1;
            writes.push(Write {
                record,
                expected: Some(r.rev),
                fresh: false,
                send,
            });
        }
    }

    let mut owned: Vec<(Record, Vec<usize>)> = Vec::new();
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
    // Which copies of which pending alert this run delivered: (owned index, pending index).
    let mut delivered: Vec<Vec<Vec<Format>>> = owned
        .iter()
        .map(|(r, _)| vec![Vec::new(); r.pending.len()])
        .collect();
    for format in Format::ALL {
        let due: Vec<(usize, usize)> = owned
            .iter()
            .enumerate()
            .flat_map(|(o, (r, send))| {
                send.iter()
                    .filter(|&&p| !r.pending[p].delivered.contains(&format))
                    .map(move |&p| (o, p))
            })
            .collect();
        let texts: Vec<Change> = due
            .iter()
            .map(|&(o, p)| owned[o].0.pending[p].change.clone())
            .collect();
        let mut next = 0;
        for alert in alerts(&texts, input.account, input.region) {
            let covered = &due[next..(next + alert.finding_ids.len()).min(due.len())];
            next += alert.finding_ids.len();
            match sink.publish(&alert, format).await {
                Ok(()) => {
                    out.alerts_published += 1;
                    for &(o, p) in covered {
                        delivered[o][p].push(format);
                    }
                }
                Err(e) => {
                    out.alerts_failed += 1;
                    out.errors.push(e.to_string());
                }
            }
        }
    }
    for ((record, _), done) in owned.iter().zip(delivered) {
        if done.iter().all(Vec::is_empty) {
            continue;
        }
        let marks: Vec<(Pending, Vec<Format>)> = record
            .pending
            .iter()
            .cloned()
            .zip(done)
            .filter(|(_, d)| !d.is_empty())
            .collect();
        record_delivery(store, input, record.clone(), &marks, &mut out).await;
    }
    Ok(out)
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
        done.pending
            .retain(|p| !Format::ALL.iter().all(|f| p.delivered.contains(f)));
        done.rev = base.rev + 1;
        done.last_notified = Some(input.now.to_string());
        match store.put_if(input.scope, &done, Some(base.rev)).await {
            Ok(true) => {
                out.writes += 1;
                return;
            }
            Ok(false) => {
                // Another run wrote the record since: mark the same alerts on its version.
                match store.load(input.scope).await {
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
pub fn scope_of(account: Option<&str>, region: Option<&str>) -> String {
    format!(
        "{}#{}",
        account.unwrap_or("unknown"),
        region.unwrap_or("unknown")
    )
}

/// [`sync`] for an audit report: the scope, the collection time and the clock come from the
/// report, the rules that ran from the rule selection. `partial` (or the report's own
/// `collection.partial`): some input could not be collected, so nothing resolves by
/// disappearing.
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
    let evaluated: Vec<&str> = if partial || report.collection.partial {
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
            collected_at: report.collected_at.as_deref().unwrap_or(&now),
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

/// Claims the pending alerts whose claim lapsed; their indices.
fn reclaim(pending: &mut [Pending], now: u64) -> Vec<usize> {
    let mut send = Vec::new();
    for (i, p) in pending.iter_mut().enumerate() {
        if lapsed(p.claimed_at, now) {
            p.claimed_at = Some(now);
            send.push(i);
        }
    }
    send
}

fn planned(
    old: Option<&Record>,
    item: StateItem,
    change: Option<Change>,
    input: &SyncInput<'_>,
) -> Write {
    let now = input.now_epoch;
    let fresh = change.is_some();
    // Undelivered alerts stay beside the new one: an alert is never silently replaced.
    let mut pending: Vec<Pending> = old
        .filter(|o| o.damaged.is_none())
        .map(|o| o.pending.clone())
        .unwrap_or_default();
    let mut send = reclaim(&mut pending, now);
    if let Some(c) = change {
        send.push(pending.len());
        pending.push(Pending::claimed(c, now));
    }
    let resolved = item.status != Status::Fail && !item.unreadable;
    Write {
        record: Record {
            rev: old.map_or(1, |o| o.rev + 1),
            last_notified: old.and_then(|o| o.last_notified.clone()),
            expires_at: resolved.then_some(now + RESOLVED_TTL_SECS),
            item,
            pending,
            collected_at: Some(input.collected_at.to_string()),
            damaged: None,
        },
        expected: old.map(|o| o.rev),
        fresh,
        send,
    }
}

/// Whether a stored record's observation is strictly newer than this run's. Unknown or
/// unreadable times order nothing (a record of an earlier version may be overwritten).
fn newer(stored: Option<&str>, ours: Option<i128>) -> bool {
    match (stored.and_then(epoch_millis), ours) {
        (Some(s), Some(o)) => s > o,
        _ => false,
    }
}

/// An RFC 3339 time (`2026-11-30T06:00:00Z`, `...06:00:00.123+02:00`) as milliseconds since the
/// epoch.
fn epoch_millis(t: &str) -> Option<i128> {
    let days = i128::from(crate::time::parse_date(t)?);
    let rest = t.get(10..)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let field = |s: &str, at: usize| -> Option<i128> {
        let v = s.get(at..at + 2)?;
        if v.bytes().all(|b| b.is_ascii_digit()) {
            v.parse().ok()
        } else {
            None
        }
    };
    let (h, m, s) = (field(rest, 0)?, field(rest, 3)?, field(rest, 6)?);
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut tail = rest.get(8..)?;
    let mut millis = 0i128;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let ms: String = frac[..digits].chars().chain("000".chars()).take(3).collect();
        millis = ms.parse().ok()?;
        tail = &frac[digits..];
    }
    let offset = match tail {
        "Z" | "z" => 0,
        _ => {
            let sign = match tail.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            if tail.len() != 6 || tail.get(3..4)? != ":" {
                return None;
            }
            sign * (field(tail, 1)? * 60 + field(tail, 4)?)
        }
    };
    Some((((days * 24 + h) * 60 + m - offset) * 60 + s) * 1000 + millis)
}

#[cfg(test)]
mod diff_tests {
    use super::*;
    use crate::synth::Estate;

    const NOW: &str = "2026-11-30T06:00:00Z";
    const LATER: &str = "2026-11-30T07:00:00Z";

    fn all_rules() -> Vec<&'static str> {
        crate::rules::RULES.iter().map(|r| r.meta.id).collect()
    }

    #[test]
    fn a_steady_state_alerts_nothing_and_a_first_run_only_failures() {
        let mut e = Estate::backend();
        let first = diff(&[], &e.findings(), &all_rules(), NOW);
        assert!(first.changes.is_empty(), "{:#?}", first.changes);
        assert_eq!(first.next.len(), e.findings().len());
        let again = diff(&first.next, &e.findings(), &all_rules(), LATER);
        assert!(again.changes.is_empty());
        assert_eq!(
            again.next, first.next,
            "nothing changed, so neither does the state"
        );
        e.drop_relay_egress();
        let broken = diff(&[], &e.findings(), &all_rules(), NOW);
        assert_eq!(broken.changes.len(), 1);
        assert_eq!(broken.changes[0].kind, ChangeKind::NewFailure);
        assert_eq!(broken.changes[0].rule_id, "PL-SG-006");
    }

    #[test]
    fn failure_then_fix_alerts_once_each() {
        let mut e = Estate::backend();
        let s0 = diff(&[], &e.findings(), &all_rules(), NOW).next;
        e.drop_relay_egress();
        let d1 = diff(&s0, &e.findings(), &all_rules(), LATER);
        assert_eq!(
            d1.changes.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![ChangeKind::NewFailure]
        );
        let d2 = diff(&d1.next, &e.findings(), &all_rules(), LATER);
        assert!(
            d2.changes.is_empty(),
            "still failing the same way: no repeat"
        );
        let fixed = Estate::backend();
        let d3 = diff(&d2.next, &fixed.findings(), &all_rules(), LATER);
        assert_eq!(
            d3.changes.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![ChangeKind::Resolved]
        );
    }

    #[test]
    fn a_different_blocking_entry_is_an_evidence_change() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let s = diff(&[], &e.findings(), &all_rules(), NOW).next;
        // 6666 now reaches one of the relay's two subnets: still failing, for a different reason.
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
        let d = diff(&s, &e.findings(), &all_rules(), LATER);
        assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
        assert_eq!(d.changes[0].kind, ChangeKind::EvidenceChanged);
        assert_eq!(d.changes[0].rule_id, "PL-SG-006");
    }

    #[test]
    fn could_not_evaluate_is_alerted_once_and_does_not_reset_a_failure() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let s = diff(&[], &e.findings(), &all_rules(), NOW).next;
        let mut blind = e.clone();
        blind.not_collected(crate::snapshot::Input::VpcEndpoints);
        let d1 = diff(&s, &blind.findings(), &all_rules(), LATER);
        assert!(!d1.changes.is_empty());
        assert!(d1
            .changes
            .iter()
            .all(|c| c.kind == ChangeKind::CouldNotEvaluate));
        let d2 = diff(&d1.next, &blind.findings(), &all_rules(), LATER);
        assert!(d2.changes.is_empty(), "still blind: no repeat");
        // Readable again and still failing the same way: nothing new to say.
        let d3 = diff(&d2.next, &e.findings(), &all_rules(), LATER);
        assert!(d3.changes.is_empty(), "{:#?}", d3.changes);
    }

    #[test]
    fn a_failing_resource_that_disappears_is_resolved_unless_its_rule_did_not_run() {
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let s = diff(&[], &e.findings(), &all_rules(), NOW).next;
        let d = diff(&s, &[], &["PL-SG-006"], LATER);
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].kind, ChangeKind::Resolved);
        assert!(d.changes[0].message.contains("no longer reported"));
        let d = diff(&s, &[], &["PL-EP-001"], LATER);
        assert!(d.changes.is_empty());
        assert!(d
            .next
            .iter()
            .any(|i| i.rule_id == "PL-SG-006" && i.status == Status::Fail));
    }
}

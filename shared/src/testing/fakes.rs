//! Fakes of the drift layer's seams: [`MemoryStore`] (the state store, with DynamoDB's
//! conditional-put semantics) and [`RecordingSink`] (the alert sink, recording each copy). Both
//! inject failures on demand, so the protocol's recovery paths run without AWS. The clock is the
//! caller's: `drift::SyncInput` takes `now` and `now_epoch`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::Poll;

use crate::alerting::{Alert, AlertSink, Format, SinkError};
use crate::drift::{Record, StateStore, StoreError, UNREADABLE_REV};
use crate::finding::FindingId;

/// Yields once to the executor, so that concurrent runs interleave.
pub async fn yield_now() {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes one from a failure budget; whether it was there.
fn take(budget: &AtomicUsize) -> bool {
    budget
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// One stored item: a readable record, or an item the adapter could not read.
#[derive(Debug, Clone)]
enum Slot {
    Good(Record),
    /// What `Record::damaged` keeps of it: the revision, if readable.
    Damaged { rev: Option<u64>, why: String },
}

/// An in-memory drift-state store with DynamoDB's conditional-put semantics: a put succeeds only
/// when the stored revision is the expected one (`None`: no item; `UNREADABLE_REV`: an item
/// whose revision cannot be read).
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<BTreeMap<(String, FindingId), Slot>>,
    fail_loads: AtomicUsize,
    fail_puts: AtomicUsize,
    fail_deliveries: AtomicUsize,
    always_fail_puts: AtomicBool,
    gate: AtomicUsize,
    gate_for: AtomicUsize,
    puts: AtomicUsize,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// The next `n` loads fail.
    pub fn fail_next_loads(&self, n: usize) {
        self.fail_loads.store(n, Ordering::SeqCst);
    }

    /// The next `n` puts fail (before anything is written).
    pub fn fail_next_puts(&self, n: usize) {
        self.fail_puts.store(n, Ordering::SeqCst);
    }

    /// Every put fails until switched off.
    pub fn fail_all_puts(&self, on: bool) {
        self.always_fail_puts.store(on, Ordering::SeqCst);
    }

    /// The next `n` delivery writes (puts that change only which alerts were delivered: same
    /// finding state, a new `last_notified`) fail.
    pub fn fail_next_delivery_writes(&self, n: usize) {
        self.fail_deliveries.store(n, Ordering::SeqCst);
    }

    /// Loads wait until `n` loads have started, so that overlapping runs read the same state
    /// before either writes.
    pub fn gate_loads(&self, n: usize) {
        self.gate_for.store(n, Ordering::SeqCst);
    }

    /// Puts attempted so far (failed ones included).
    pub fn puts(&self) -> usize {
        self.puts.load(Ordering::SeqCst)
    }

    /// Stores a record as is (no condition).
    pub fn insert(&self, scope: &str, record: Record) {
        lock(&self.items).insert(
            (scope.to_string(), record.item.finding_id),
            Slot::Good(record),
        );
    }

    /// Stores an item the adapter cannot read (`rev`: its revision, if that much is readable).
    pub fn insert_damaged(&self, scope: &str, id: FindingId, rev: Option<u64>, why: &str) {
        lock(&self.items).insert(
            (scope.to_string(), id),
            Slot::Damaged {
                rev,
                why: why.to_string(),
            },
        );
    }

    /// The readable records of a scope.
    pub fn records(&self, scope: &str) -> Vec<Record> {
        lock(&self.items)
            .iter()
            .filter(|((s, _), _)| s == scope)
            .filter_map(|(_, slot)| match slot {
                Slot::Good(r) => Some(r.clone()),
                Slot::Damaged { .. } => None,
            })
            .collect()
    }

    /// The ids of the unreadable items of a scope.
    pub fn damaged(&self, scope: &str) -> BTreeSet<FindingId> {
        lock(&self.items)
            .iter()
            .filter(|((s, _), slot)| s == scope && matches!(slot, Slot::Damaged { .. }))
            .map(|((_, id), _)| *id)
            .collect()
    }

    /// One record.
    pub fn get(&self, scope: &str, id: FindingId) -> Option<Record> {
        match lock(&self.items).get(&(scope.to_string(), id)) {
            Some(Slot::Good(r)) => Some(r.clone()),
            _ => None,
        }
    }

    fn fault(&self, operation: &'static str) -> StoreError {
        StoreError {
            operation,
            message: "ProvisionedThroughputExceededException: injected by MemoryStore".into(),
        }
    }
}

impl StateStore for MemoryStore {
    async fn load(&self, scope: &str) -> Result<Vec<Record>, StoreError> {
        if take(&self.fail_loads) {
            return Err(self.fault("Query"));
        }
        let snapshot: Vec<Record> = lock(&self.items)
            .iter()
            .filter(|((s, _), _)| s == scope)
            .map(|((_, id), slot)| match slot {
                Slot::Good(r) => r.clone(),
                Slot::Damaged { rev, why } => Record::damaged(*id, *rev, why.clone()),
            })
            .collect();
        self.gate.fetch_add(1, Ordering::SeqCst);
        while self.gate.load(Ordering::SeqCst) < self.gate_for.load(Ordering::SeqCst) {
            yield_now().await;
        }
        Ok(snapshot)
    }

    async fn put_if(
        &self,
        scope: &str,
        record: &Record,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        yield_now().await;
        self.puts.fetch_add(1, Ordering::SeqCst);
        if self.always_fail_puts.load(Ordering::SeqCst) || take(&self.fail_puts) {
            return Err(self.fault("PutItem"));
        }
        let mut items = lock(&self.items);
        let key = (scope.to_string(), record.item.finding_id);
        let stored = items.get(&key);
        let is_delivery = matches!(stored, Some(Slot::Good(old))
            if old.item == record.item && old.last_notified != record.last_notified);
        if is_delivery && take(&self.fail_deliveries) {
            return Err(self.fault("PutItem"));
        }
        let current = match stored {
            None => None,
            Some(Slot::Good(r)) => Some(r.rev),
            Some(Slot::Damaged { rev, .. }) => Some(rev.unwrap_or(UNREADABLE_REV)),
        };
        if current != expected {
            return Ok(false);
        }
        items.insert(key, Slot::Good(record.clone()));
        Ok(true)
    }
}

/// An alert sink that records each published copy and fails copies on demand.
#[derive(Debug, Default)]
pub struct RecordingSink {
    sent: Mutex<Vec<(Format, Alert)>>,
    fail: Mutex<BTreeMap<Format, usize>>,
    broken: AtomicBool,
}

impl RecordingSink {
    pub fn new() -> RecordingSink {
        RecordingSink::default()
    }

    /// The next `n` copies in `format` fail.
    pub fn fail_next(&self, format: Format, n: usize) {
        lock(&self.fail).insert(format, n);
    }

    /// Every copy fails until switched off.
    pub fn break_all(&self, on: bool) {
        self.broken.store(on, Ordering::SeqCst);
    }

    /// Every copy published so far, in order.
    pub fn sent(&self) -> Vec<(Format, Alert)> {
        lock(&self.sent).clone()
    }

    /// The copies published so far in one format.
    pub fn sent_as(&self, format: Format) -> Vec<Alert> {
        lock(&self.sent)
            .iter()
            .filter(|(f, _)| *f == format)
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// Takes the copies published so far, leaving none.
    pub fn take(&self) -> Vec<(Format, Alert)> {
        std::mem::take(&mut *lock(&self.sent))
    }
}

impl AlertSink for RecordingSink {
    async fn publish(&self, alert: &Alert, format: Format) -> Result<(), SinkError> {
        yield_now().await;
        let fails = self.broken.load(Ordering::SeqCst) || {
            let mut fail = lock(&self.fail);
            match fail.get_mut(&format) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            }
        };
        if fails {
            return Err(SinkError {
                format: format.as_str(),
                message: "AuthorizationError: injected by RecordingSink".into(),
            });
        }
        lock(&self.sent).push((format, alert.clone()));
        Ok(())
    }
}

//! Fakes of the drift layer's seams: [`MemoryStore`] (the state store, with DynamoDB's
//! conditional-put semantics) and [`RecordingSink`] (the alert sink, recording each copy). Both
//! inject failures on demand, so the protocol's recovery paths run without AWS. The clock is the
//! caller's: `drift::SyncInput` takes `now`, `now_epoch` and `collected_at`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::Poll;

use crate::alerting::{Alert, AlertSink, Format, SinkError};
use crate::drift::record::newer;
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
    Good(Box<Record>),
    /// What `Record::damaged` keeps of it: the revision, if readable.
    Damaged {
        rev: Option<u64>,
        why: String,
    },
}

/// An in-memory drift-state store with the DynamoDB adapter's conditional-put semantics: a put
/// succeeds only when the stored revision is the expected one (`None`: no item; `UNREADABLE_REV`:
/// an item whose revision cannot be read) and the stored record was not written from a newer
/// observation (`collected_at`) than the one being put.
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
    pub fn insert(&self, partition: &str, record: Record) {
        lock(&self.items).insert(
            (partition.to_string(), record.item.finding_id),
            Slot::Good(Box::new(record)),
        );
    }

    /// Stores an item the adapter cannot read (`rev`: its revision, if that much is readable).
    pub fn insert_damaged(&self, partition: &str, id: FindingId, rev: Option<u64>, why: &str) {
        lock(&self.items).insert(
            (partition.to_string(), id),
            Slot::Damaged {
                rev,
                why: why.to_string(),
            },
        );
    }

    /// The readable records of a partition.
    pub fn records(&self, partition: &str) -> Vec<Record> {
        lock(&self.items)
            .iter()
            .filter(|((s, _), _)| s == partition)
            .filter_map(|(_, slot)| match slot {
                Slot::Good(r) => Some((**r).clone()),
                Slot::Damaged { .. } => None,
            })
            .collect()
    }

    /// The ids of the unreadable items of a partition.
    pub fn damaged(&self, partition: &str) -> BTreeSet<FindingId> {
        lock(&self.items)
            .iter()
            .filter(|((s, _), slot)| s == partition && matches!(slot, Slot::Damaged { .. }))
            .map(|((_, id), _)| *id)
            .collect()
    }

    /// One record.
    pub fn get(&self, partition: &str, id: FindingId) -> Option<Record> {
        match lock(&self.items).get(&(partition.to_string(), id)) {
            Some(Slot::Good(r)) => Some((**r).clone()),
            _ => None,
        }
    }

    /// What DynamoDB's TTL does, eventually: removes the items whose `expires_at` is at or before
    /// `now` (epoch seconds). Returns how many.
    pub fn expire(&self, now: u64) -> usize {
        let mut items = lock(&self.items);
        let before = items.len();
        items.retain(
            |_, slot| !matches!(slot, Slot::Good(r) if r.expires_at.is_some_and(|t| t <= now)),
        );
        before - items.len()
    }

    fn fault(&self, operation: &'static str) -> StoreError {
        StoreError {
            operation,
            message: "ProvisionedThroughputExceededException: injected by MemoryStore".into(),
        }
    }
}

impl StateStore for MemoryStore {
    async fn load(&self, partition: &str) -> Result<Vec<Record>, StoreError> {
        if take(&self.fail_loads) {
            return Err(self.fault("Query"));
        }
        let snapshot: Vec<Record> = lock(&self.items)
            .iter()
            .filter(|((s, _), _)| s == partition)
            .map(|((_, id), slot)| match slot {
                Slot::Good(r) => (**r).clone(),
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
        partition: &str,
        record: &Record,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        yield_now().await;
        self.puts.fetch_add(1, Ordering::SeqCst);
        if self.always_fail_puts.load(Ordering::SeqCst) || take(&self.fail_puts) {
            return Err(self.fault("PutItem"));
        }
        let mut items = lock(&self.items);
        let key = (partition.to_string(), record.item.finding_id);
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
        if let Some(Slot::Good(old)) = stored {
            if newer(old.collected_at.as_deref(), record.collected_at.as_deref()) {
                return Ok(false);
            }
        }
        items.insert(key, Slot::Good(Box::new(record.clone())));
        Ok(true)
    }
}

/// An alert sink that records each published copy, fails copies on demand and can stand for a
/// slow topic (so that a run reaches its stop time while publishing).
#[derive(Debug, Default)]
pub struct RecordingSink {
    sent: Mutex<Vec<(Format, Alert)>>,
    fail: Mutex<BTreeMap<Format, usize>>,
    broken: AtomicBool,
    stall: Mutex<Option<(usize, std::time::Instant)>>,
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

    /// After `n` more copies are published, the next publish call does not return before
    /// `until` (it then publishes): a topic so slow that the run's time runs out meanwhile.
    pub fn stall_after(&self, n: usize, until: std::time::Instant) {
        *lock(&self.stall) = Some((n, until));
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
        let stall = {
            let mut stall = lock(&self.stall);
            match stall.as_mut() {
                Some((0, until)) => {
                    let until = *until;
                    *stall = None;
                    Some(until)
                }
                Some((n, _)) => {
                    *n -= 1;
                    None
                }
                None => None,
            }
        };
        if let Some(until) = stall {
            // A blocking wait is fine for a test fake: nothing else runs on this task meanwhile.
            std::thread::sleep(until.saturating_duration_since(std::time::Instant::now()));
        }
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

//! The stored form of a finding's drift state and the [`StateStore`] seam it lives behind. No SDK
//! type: the DynamoDB adapter is `aws::dynamodb::DynamoStore`, the in-memory fake
//! `testing::fakes::MemoryStore`; both keep the semantics written on [`StateStore::put_if`].

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StateItem;
use crate::alerting::Format;
use crate::decide::change::Change;
use crate::finding::{FindingId, Status};

/// How long a claim on an undelivered alert holds when the claiming run gave no stop time (and
/// for claims of version 1, which carry only `claimed_at`): the longest Lambda run.
pub const LEASE_SECS: u64 = 900;

/// Added to a run's stop time to make its claims' lease: the rest of its Lambda deadline (5 s)
/// and clock skew between hosts.
pub const LEASE_GRACE_SECS: u64 = 60;

/// How long a resolved record (or one that replaced an unreadable item) is kept (then DynamoDB's
/// TTL removes it).
pub const RESOLVED_TTL_SECS: u64 = 30 * 86_400;

/// The revision a [`Record::damaged`] record carries when the stored item's own revision could
/// not be read either; `put_if(.., Some(UNREADABLE_REV))` replaces such an item (real revisions
/// start at 1).
pub const UNREADABLE_REV: u64 = 0;

/// An alert recorded but not yet delivered in full: one transition of the finding. A record keeps
/// every undelivered one, oldest first, so a later transition never replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub change: Change,
    /// When a run claimed it to send it (epoch seconds); `None`: unclaimed, the next run sends it.
    pub claimed_at: Option<u64>,
    /// Until when the claim holds (epoch seconds): the claiming run's stop time plus
    /// [`LEASE_GRACE_SECS`]. `None` (version 1): `claimed_at` + [`LEASE_SECS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_until: Option<u64>,
    /// The copies already delivered (each is sent once: a failed one never re-sends the other).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<Format>,
}

impl Pending {
    /// A transition claimed by the run that recorded it.
    pub fn claimed(change: Change, now: u64, until: u64) -> Pending {
        Pending {
            change,
            claimed_at: Some(now),
            claimed_until: Some(until),
            delivered: Vec::new(),
        }
    }

    /// A transition recorded but left for a later run (an earlier alert of the same finding is
    /// still claimed by another run, and must arrive first).
    pub fn unclaimed(change: Change) -> Pending {
        Pending {
            change,
            claimed_at: None,
            claimed_until: None,
            delivered: Vec::new(),
        }
    }

    /// Whether no run holds it any more at `now`: unclaimed, or its lease ran out.
    pub fn lapsed(&self, now: u64) -> bool {
        match (self.claimed_until, self.claimed_at) {
            (Some(until), _) => now >= until,
            (None, Some(at)) => now.saturating_sub(at) >= LEASE_SECS,
            (None, None) => true,
        }
    }

    /// Whether both copies were delivered.
    pub fn done(&self) -> bool {
        Format::ALL.iter().all(|f| self.delivered.contains(f))
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
    /// When the observation that wrote this record was collected (RFC 3339). A write from an
    /// older observation never replaces it. `None` for records of version 1: any run may
    /// overwrite them.
    pub collected_at: Option<String>,
    /// Why the stored item could not be read (never stored: a damaged record stands only for its
    /// key and revision, never for a verdict). The next run replaces it.
    pub damaged: Option<String>,
}

impl Record {
    /// What is left of a stored item that could not be read: its key and revision
    /// ([`UNREADABLE_REV`] when the revision is unreadable too), and why.
    pub fn damaged(finding_id: FindingId, rev: Option<u64>, why: impl Into<String>) -> Record {
        Record {
            item: blank_item(finding_id),
            rev: rev.unwrap_or(UNREADABLE_REV),
            pending: Vec::new(),
            last_notified: None,
            expires_at: None,
            collected_at: None,
            damaged: Some(why.into()),
        }
    }

    /// The earliest claim among the pending alerts (the `claimed_at` table attribute).
    pub fn claimed_at(&self) -> Option<u64> {
        self.pending.iter().filter_map(|p| p.claimed_at).min()
    }
}

/// A state that says nothing: not failing, readable, no rule (so no run resolves it).
pub(crate) fn blank_item(finding_id: FindingId) -> StateItem {
    StateItem {
        finding_id,
        rule_id: String::new(),
        resource_id: String::new(),
        status: Status::NotApplicable,
        evidence: 0,
        unreadable: false,
        first_seen: String::new(),
        last_changed: String::new(),
        workspaces: Vec::new(),
    }
}

/// The state store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("drift state {operation} failed: {message}")]
pub struct StoreError {
    pub operation: &'static str,
    pub message: String,
}

/// Where the drift state lives: one partition (`account#region`) per audited account and region.
pub trait StateStore {
    /// Every record of a partition; items that cannot be read come back as
    /// [`Record::damaged`] records (never as an error, never skipped).
    fn load(&self, partition: &str)
        -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;
    /// Writes `record` if the stored revision is still `expected` (`None`: no item yet;
    /// [`UNREADABLE_REV`]: an item whose revision cannot be read) and the stored item was not
    /// written from a newer observation than `record`'s (see [`newer`]). `Ok(false)`: the
    /// condition failed (another run changed it first).
    fn put_if(
        &self,
        partition: &str,
        record: &Record,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Whether a stored record was written from a later observation than `ours`, so `ours` must not
/// replace it. A stored record without a readable time (version 1) orders nothing: any run may
/// replace it. An observation without a readable time counts as the oldest: it replaces no record
/// that has one.
pub fn newer(stored: Option<&str>, ours: Option<&str>) -> bool {
    match (stored.and_then(epoch_millis), ours.and_then(epoch_millis)) {
        (Some(s), Some(o)) => s > o,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// An RFC 3339 time (`2026-11-30T06:00:00Z`, `...06:00:00.123+02:00`) as milliseconds since the
/// epoch; `None` when it is not one.
pub fn epoch_millis(t: &str) -> Option<i64> {
    crate::time::epoch_millis(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observation_times_compare_as_instants_not_strings() {
        let t = |s| epoch_millis(s).unwrap();
        assert_eq!(t("1970-01-01T00:00:00Z"), 0);
        assert_eq!(t("1970-01-01T00:00:01.5Z"), 1500);
        assert_eq!(t("2026-11-30T08:00:00+02:00"), t("2026-11-30T06:00:00Z"));
        // Lexically later, but an earlier instant.
        assert!(newer(
            Some("2026-11-30T06:00:00Z"),
            Some("2026-11-30T07:30:00+02:00")
        ));
        assert!(!newer(
            Some("2026-11-30T06:00:00Z"),
            Some("2026-11-30T06:00:00Z")
        ));
        for bad in [
            "",
            "2026-11-30",
            "2026-11-30T25:00:00Z",
            "2026-11-30T06:00:00",
            "x",
        ] {
            assert_eq!(epoch_millis(bad), None, "{bad}");
            assert!(!newer(Some(bad), Some("2026-11-30T06:00:00Z")));
            assert!(newer(Some("2026-11-30T06:00:00Z"), Some(bad)));
        }
        assert!(!newer(None, Some("2026-11-30T06:00:00Z")));
        assert!(newer(Some("2026-11-30T06:00:00Z"), None));
        assert!(!newer(None, None));
    }

    #[test]
    fn a_claim_holds_until_its_lease_and_version_1_claims_for_the_fixed_lease() {
        let change = Change {
            kind: crate::decide::change::ChangeKind::NewFailure,
            finding_id: FindingId(1),
            rule_id: "PL-SG-006".into(),
            title: String::new(),
            severity: crate::finding::Severity::High,
            resource_type: None,
            resource_id: "sg-1".into(),
            workspaces: Vec::new(),
            message: String::new(),
            remediation: String::new(),
        };
        let p = Pending::claimed(change.clone(), 100, 200);
        assert!(!p.lapsed(199) && p.lapsed(200));
        let v1 = Pending {
            claimed_until: None,
            ..p.clone()
        };
        assert!(!v1.lapsed(100 + LEASE_SECS - 1) && v1.lapsed(100 + LEASE_SECS));
        assert!(Pending::unclaimed(change).lapsed(0));
        let mut half = p;
        half.delivered.push(Format::Chat);
        assert!(!half.done());
        half.delivered.push(Format::Email);
        assert!(half.done());
    }
}

//! The drift state store on DynamoDB.
//!
//! Table layout (docs/drift-state.md): partition key `scope` (`account#region`), sort key
//! `finding_id`; attributes `rule_id`, `resource_id`, `status`, `evidence`, `unreadable`,
//! `first_seen`, `last_changed`, `rev`, and optionally `workspaces`, `collected_at` and
//! `collected_ms` (the observation that wrote the record), `pending` (the undelivered alerts, a
//! JSON list), `claimed_at`, `last_notified`, `expires_at` (the TTL attribute).
//!
//! Every write is conditional: on the revision (`attribute_not_exists` for a new item) and on
//! the observation time (`collected_ms` not later than the written record's).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;

use super::error::sdk_message;
use crate::decide::change::Change;
use crate::drift::record::epoch_millis;
use crate::drift::{Pending, Record, StateItem, StateStore, StoreError, UNREADABLE_REV};
use crate::finding::{FindingId, Status};

/// The IAM actions the drift-state store uses (on its table).
pub const STATE_ACTIONS: [&str; 2] = ["dynamodb:PutItem", "dynamodb:Query"];
/// The drift-state table's partition key, sort key and TTL attribute.
pub const TABLE_KEYS: (&str, &str, &str) = ("scope", "finding_id", "expires_at");

/// The drift-state table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: impl ToString) -> Av {
    Av::N(v.to_string())
}

fn to_item(partition: &str, r: &Record) -> HashMap<String, Av> {
    let i = &r.item;
    let mut m = HashMap::from([
        ("scope".to_string(), s(partition)),
        ("finding_id".to_string(), s(&i.finding_id.to_string())),
        ("rule_id".to_string(), s(&i.rule_id)),
        ("resource_id".to_string(), s(&i.resource_id)),
        ("status".to_string(), s(i.status.as_str())),
        ("evidence".to_string(), s(&format!("{:016x}", i.evidence))),
        ("unreadable".to_string(), Av::Bool(i.unreadable)),
        ("first_seen".to_string(), s(&i.first_seen)),
        ("last_changed".to_string(), s(&i.last_changed)),
        ("rev".to_string(), n(r.rev)),
    ]);
    if !i.workspaces.is_empty() {
        let mut ws = i.workspaces.clone();
        ws.sort();
        ws.dedup();
        m.insert("workspaces".into(), Av::Ss(ws));
    }
    if let Some(t) = &r.collected_at {
        m.insert("collected_at".into(), s(t));
        if let Some(ms) = epoch_millis(t) {
            m.insert("collected_ms".into(), n(ms));
        }
    }
    if !r.pending.is_empty() {
        if let Ok(p) = serde_json::to_string(&r.pending) {
            m.insert("pending".into(), Av::S(p));
        }
    }
    if let Some(t) = r.claimed_at() {
        m.insert("claimed_at".into(), n(t));
    }
    if let Some(t) = &r.last_notified {
        m.insert("last_notified".into(), s(t));
    }
    if let Some(t) = r.expires_at {
        m.insert("expires_at".into(), n(t));
    }
    m
}

/// The undelivered alerts: a JSON list (version 2), or the one transition of version 1 (a JSON
/// object) with its item's `claimed_at`.
fn pending_from(text: &str, claimed_at: Option<u64>) -> Result<Vec<Pending>, String> {
    if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("attribute `pending` is not valid: {e}"))
    } else {
        let change: Change = serde_json::from_str(text)
            .map_err(|e| format!("attribute `pending` is not valid: {e}"))?;
        Ok(vec![Pending {
            change,
            claimed_at,
            claimed_until: None,
            delivered: Vec::new(),
        }])
    }
}

/// Reads one stored item; `Err` names the attribute that is missing or malformed.
fn from_item(m: &HashMap<String, Av>) -> Result<Record, String> {
    let text = |k: &str| -> Result<String, String> {
        m.get(k)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| format!("attribute `{k}` is missing or not a string"))
    };
    let num = |k: &str| -> Result<Option<u64>, String> {
        match m.get(k) {
            None => Ok(None),
            Some(v) => v
                .as_n()
                .ok()
                .and_then(|x| x.parse().ok())
                .map(Some)
                .ok_or_else(|| format!("attribute `{k}` is not a whole number")),
        }
    };
    let id = text("finding_id")?;
    let finding_id =
        parse_id(&id).ok_or_else(|| format!("finding_id `{id}` is not 16 hex digits"))?;
    let status_text = text("status")?;
    let status = Status::ALL
        .into_iter()
        .find(|s| s.as_str() == status_text)
        .ok_or_else(|| format!("status `{status_text}` is unknown"))?;
    let evidence_text = text("evidence")?;
    let evidence = u64::from_str_radix(&evidence_text, 16)
        .map_err(|_| format!("evidence `{evidence_text}` is not hex"))?;
    let workspaces = match m.get("workspaces") {
        None => Vec::new(),
        Some(v) => v
            .as_ss()
            .cloned()
            .map_err(|_| "attribute `workspaces` is not a string set".to_string())?,
    };
    let claimed_at = num("claimed_at")?;
    let pending = match m.get("pending") {
        None => Vec::new(),
        Some(v) => pending_from(
            v.as_s()
                .map_err(|_| "attribute `pending` is not a string".to_string())?,
            claimed_at,
        )?,
    };
    let rev = num("rev")?.ok_or("attribute `rev` is missing")?;
    if rev == UNREADABLE_REV {
        return Err("attribute `rev` is 0".into());
    }
    Ok(Record {
        item: StateItem {
            finding_id,
            rule_id: text("rule_id")?,
            resource_id: text("resource_id")?,
            status,
            evidence,
            unreadable: match m.get("unreadable") {
                None => false,
                Some(v) => *v
                    .as_bool()
                    .map_err(|_| "attribute `unreadable` is not a boolean".to_string())?,
            },
            first_seen: text("first_seen")?,
            last_changed: text("last_changed")?,
            workspaces,
        },
        rev,
        pending,
        last_notified: m
            .get("last_notified")
            .map(|_| text("last_notified"))
            .transpose()?,
        expires_at: num("expires_at")?,
        collected_at: m
            .get("collected_at")
            .map(|_| text("collected_at"))
            .transpose()?,
        damaged: None,
    })
}

fn parse_id(id: &str) -> Option<FindingId> {
    (id.len() == 16)
        .then(|| u64::from_str_radix(id, 16).ok().map(FindingId))
        .flatten()
}

/// What is left of an item [`from_item`] cannot read: its key and, if readable, its revision.
/// `None` when not even the key is readable (then no write can address it: it is left to the
/// TTL or an operator, with a warning).
fn salvage(m: &HashMap<String, Av>, why: String) -> Option<Record> {
    let id = parse_id(m.get("finding_id")?.as_s().ok()?)?;
    let rev = m
        .get("rev")
        .and_then(|v| v.as_n().ok())
        .and_then(|x| x.parse::<u64>().ok())
        .filter(|&r| r != UNREADABLE_REV);
    Some(Record::damaged(id, rev, why))
}

/// The condition of a conditional put, with its placeholders.
fn condition(record: &Record, expected: Option<u64>) -> (String, Vec<(&'static str, Av)>) {
    let mut values = Vec::new();
    let rev = match expected {
        None => "attribute_not_exists(finding_id)".to_string(),
        // An item whose revision cannot be read: missing, not a number, or below 1.
        Some(UNREADABLE_REV) => {
            values.push((":num", s("N")));
            values.push((":one", n(1)));
            "attribute_exists(finding_id) AND (attribute_not_exists(rev) OR NOT attribute_type(rev, :num) OR rev < :one)".to_string()
        }
        Some(r) => {
            values.push((":rev", n(r)));
            "rev = :rev".to_string()
        }
    };
    if matches!(expected, None | Some(UNREADABLE_REV)) {
        return (rev, values);
    }
    // Never replace a record written from a newer observation (a record without a time, of
    // version 1, may be replaced by any; a write without a time replaces none that has one). An
    // item whose revision is unreadable is damaged: its time orders nothing either.
    let time = match record.collected_at.as_deref().and_then(epoch_millis) {
        Some(ms) => {
            values.push((":cms", n(ms)));
            "(attribute_not_exists(collected_ms) OR collected_ms <= :cms)"
        }
        None => "attribute_not_exists(collected_ms)",
    };
    (format!("({rev}) AND {time}"), values)
}

impl StateStore for DynamoStore {
    async fn load(&self, partition: &str) -> Result<Vec<Record>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "scope")
            .expression_attribute_values(":s", s(partition))
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| StoreError {
                operation: "Query",
                message: format!("{} on table {}", sdk_message(&e), self.table),
            })?;
            for item in page.items() {
                // An item this version cannot read does not fail every run: it comes back as a
                // damaged record (its key, and its revision if readable), which says nothing
                // about its finding and which the run replaces.
                match from_item(item) {
                    Ok(r) => out.push(r),
                    Err(why) => {
                        let salvaged = salvage(item, why.clone());
                        tracing::warn!(
                            table = %self.table,
                            %why,
                            replaceable = salvaged.is_some(),
                            "unreadable drift record"
                        );
                        out.extend(salvaged);
                    }
                }
            }
        }
        Ok(out)
    }

    async fn put_if(
        &self,
        partition: &str,
        record: &Record,
        expected: Option<u64>,
    ) -> Result<bool, StoreError> {
        let (cond, values) = condition(record, expected);
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(partition, record)))
            .condition_expression(cond);
        for (k, v) in values {
            req = req.expression_attribute_values(k, v);
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError {
                operation: "PutItem",
                message: format!("{} on table {}", sdk_message(&e), self.table),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::Format;
    use crate::decide::change::ChangeKind;
    use crate::finding::Severity;

    fn record() -> Record {
        Record {
            item: StateItem {
                finding_id: FindingId(0xfeed_beef_0000_0001),
                rule_id: "PL-SG-006".into(),
                resource_id: "sg-1".into(),
                status: Status::Fail,
                evidence: u64::MAX,
                unreadable: false,
                first_seen: "2026-11-30T06:00:00Z".into(),
                last_changed: "2026-11-30T06:00:00Z".into(),
                workspaces: vec!["ws-0".into(), "ws-1".into()],
            },
            rev: 7,
            pending: Vec::new(),
            last_notified: None,
            expires_at: None,
            collected_at: Some("2026-11-30T05:59:00Z".into()),
            damaged: None,
        }
    }

    fn change() -> Change {
        Change {
            kind: ChangeKind::NewFailure,
            finding_id: FindingId(0xfeed_beef_0000_0001),
            rule_id: "PL-SG-006".into(),
            title: "t".into(),
            severity: Severity::Critical,
            resource_type: None,
            resource_id: "sg-1".into(),
            workspaces: vec!["ws-0".into()],
            message: "m".into(),
            remediation: "r".into(),
        }
    }

    #[test]
    fn records_round_trip_through_dynamodb_items() {
        let mut r = record();
        let item = to_item("111122223333#us-east-1", &r);
        assert_eq!(item["finding_id"], s("feedbeef00000001"));
        assert_eq!(
            item["collected_ms"],
            n(epoch_millis("2026-11-30T05:59:00Z").unwrap())
        );
        assert_eq!(from_item(&item), Ok(r.clone()));
        r.pending = vec![
            Pending {
                delivered: vec![Format::Chat],
                ..Pending::claimed(change(), 1_800_000_000, 1_800_000_100)
            },
            Pending::unclaimed(Change {
                kind: ChangeKind::Resolved,
                ..change()
            }),
        ];
        r.item.workspaces.clear();
        r.collected_at = None;
        let item = to_item("p", &r);
        assert_eq!(
            item["claimed_at"],
            n(1_800_000_000u64),
            "the earliest claim"
        );
        assert!(!item.contains_key("workspaces") && !item.contains_key("collected_ms"));
        assert_eq!(from_item(&item), Ok(r));
    }

    #[test]
    fn a_version_1_pending_transition_is_read_as_one_pending_alert() {
        let mut item = to_item("p", &record());
        item.insert(
            "pending".into(),
            s(&serde_json::to_string(&change()).unwrap()),
        );
        item.insert("claimed_at".into(), n(1_800_000_000u64));
        item.remove("collected_at");
        item.remove("collected_ms");
        item.remove("workspaces");
        let r = from_item(&item).unwrap();
        assert_eq!(
            r.pending,
            vec![Pending {
                change: change(),
                claimed_at: Some(1_800_000_000),
                claimed_until: None,
                delivered: Vec::new(),
            }]
        );
        assert_eq!(r.collected_at, None);
        assert!(r.item.workspaces.is_empty());
    }

    #[test]
    fn an_unreadable_item_comes_back_damaged_by_key_and_revision() {
        let mut item = to_item("s", &record());
        item.insert("status".into(), s("exploded"));
        let why = from_item(&item).unwrap_err();
        assert!(why.contains("status"), "{why}");
        let r = salvage(&item, why).unwrap();
        assert_eq!(
            (r.item.finding_id, r.rev, r.item.status),
            (FindingId(0xfeed_beef_0000_0001), 7, Status::NotApplicable)
        );
        assert!(r.damaged.is_some());
        for bad_rev in [s("three"), n("1.5"), n(0)] {
            item.insert("rev".into(), bad_rev);
            let r = salvage(&item, "x".into()).unwrap();
            assert_eq!(
                r.rev, UNREADABLE_REV,
                "replaced with the unreadable-revision condition"
            );
        }
        item.insert("finding_id".into(), s("zz"));
        assert!(salvage(&item, "x".into()).is_none(), "not addressable");
    }

    #[test]
    fn a_malformed_item_names_the_attribute() {
        let mut item = HashMap::from([("finding_id".to_string(), s("zz"))]);
        assert!(from_item(&item).unwrap_err().contains("finding_id"));
        item.insert("finding_id".into(), s("0000000000000001"));
        assert!(from_item(&item).unwrap_err().contains("status"));
        let mut item = to_item("p", &record());
        item.insert("pending".into(), s("{\"kind\":"));
        assert!(from_item(&item).unwrap_err().contains("pending"));
        let mut item = to_item("p", &record());
        item.insert("workspaces".into(), s("ws-0"));
        assert!(from_item(&item).unwrap_err().contains("workspaces"));
    }

    #[test]
    fn every_replacing_write_is_conditional_on_the_revision_and_the_observation_time() {
        let r = record();
        let (c, v) = condition(&r, None);
        assert_eq!(c, "attribute_not_exists(finding_id)");
        assert!(v.is_empty());
        let (c, v) = condition(&r, Some(7));
        assert!(
            c.contains("rev = :rev") && c.contains("collected_ms <= :cms"),
            "{c}"
        );
        assert!(v.contains(&(":rev", n(7))));
        let (c, _) = condition(&r, Some(UNREADABLE_REV));
        assert!(
            c.contains("attribute_not_exists(rev)") && !c.contains("collected_ms"),
            "{c}"
        );
        let timeless = Record {
            collected_at: None,
            ..r
        };
        let (c, v) = condition(&timeless, Some(7));
        assert!(c.ends_with("AND attribute_not_exists(collected_ms)"), "{c}");
        assert!(!v.iter().any(|(k, _)| *k == ":cms"));
    }
}

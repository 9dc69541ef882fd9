//! A change worth telling someone about: the vocabulary shared by [`crate::drift`] (which finds
//! the changes and records them) and [`crate::alerting`] (which words them).

use serde::{Deserialize, Serialize};

use crate::finding::{FindingId, ResourceType, Severity};

/// The kinds of change that are alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    NewFailure,
    EvidenceChanged,
    CouldNotEvaluate,
    Resolved,
}

impl ChangeKind {
    /// What a person reads (`New failure`, ...).
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => "New failure",
            ChangeKind::EvidenceChanged => "Failure changed",
            ChangeKind::CouldNotEvaluate => "Could not evaluate",
            ChangeKind::Resolved => "Resolved",
        }
    }

    /// The wire name (`new_failure`, ...), also the `event` message attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => "new_failure",
            ChangeKind::EvidenceChanged => "evidence_changed",
            ChangeKind::CouldNotEvaluate => "could_not_evaluate",
            ChangeKind::Resolved => "resolved",
        }
    }

    /// The chat emoji.
    pub fn emoji(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => ":red_circle:",
            ChangeKind::EvidenceChanged => ":large_orange_circle:",
            ChangeKind::CouldNotEvaluate => ":warning:",
            ChangeKind::Resolved => ":large_green_circle:",
        }
    }
}

/// One alerted change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub finding_id: FindingId,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub resource_type: Option<ResourceType>,
    pub resource_id: String,
    pub workspaces: Vec<String>,
    /// The current message (for a resolved finding that disappeared, why it is resolved).
    pub message: String,
    pub remediation: String,
}

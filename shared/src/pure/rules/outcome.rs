//! A rule's verdict on one resource, and helpers to build the common ones.

use std::borrow::Cow;
use std::sync::Arc;

use crate::pure::deployment::Workspace;
use crate::pure::finding::{ResourceType, Severity, Status};

/// A rule's verdict on one resource, before the engine turns it into a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub resource_type: ResourceType,
    pub resource_id: crate::pure::model::Text,
    pub workspace: Option<Arc<str>>,
    pub message: String,
    pub expected: Cow<'static, str>,
    pub actual: Cow<'static, str>,
    /// Overrides the rule's severity (rules whose ports matter unequally).
    pub severity: Option<Severity>,
}

impl Outcome {
    fn new(status: Status, rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome {
            status,
            resource_type: rt,
            resource_id: id.into(),
            workspace: None,
            message,
            expected: Cow::Borrowed(""),
            actual: Cow::Borrowed(""),
            severity: None,
        }
    }
    pub fn pass(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::Pass, rt, id, message)
    }
    pub fn fail(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::Fail, rt, id, message)
    }
    pub fn not_applicable(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::NotApplicable, rt, id, message)
    }
    pub fn error(rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(Status::Error, rt, id, message)
    }
    /// Pass or fail on a condition.
    pub fn verdict(ok: bool, rt: ResourceType, id: &str, message: String) -> Outcome {
        Outcome::new(
            if ok { Status::Pass } else { Status::Fail },
            rt,
            id,
            message,
        )
    }
    pub fn ws(mut self, w: &Workspace) -> Outcome {
        self.workspace = Some(w.name.clone());
        self
    }
    pub fn expect(
        mut self,
        expected: impl Into<Cow<'static, str>>,
        actual: impl Into<Cow<'static, str>>,
    ) -> Outcome {
        self.expected = expected.into();
        self.actual = actual.into();
        self
    }
    pub fn severity(mut self, s: Severity) -> Outcome {
        self.severity = Some(s);
        self
    }
}

/// Outcome for every workspace of a list (a VPC-level verdict shared by its workspaces).
pub fn for_each_ws(list: &[&Workspace], o: Outcome) -> Vec<Outcome> {
    list.iter().map(|w| o.clone().ws(w)).collect()
}

/// `error` outcomes for subnets whose availability zone cannot be related to the others'
/// ([`crate::pure::model::Zones::keys`]): zones cannot be counted, so no verdict on them.
pub fn zone_errors(ws: &Workspace, bad: &[(String, String)]) -> Vec<Outcome> {
    bad.iter()
        .map(|(id, why)| {
            Outcome::error(
                ResourceType::Subnet,
                id,
                format!(
                    "The availability zones of workspace `{}` cannot be counted: {why}.",
                    ws.name
                ),
            )
            .ws(ws)
        })
        .collect()
}

/// Names the workspaces of a list: "`a`, `b`".
pub fn names(ws: &[&Workspace]) -> String {
    ws.iter()
        .map(|w| format!("`{}`", w.name))
        .collect::<Vec<_>>()
        .join(", ")
}

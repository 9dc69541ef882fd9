//! A rule's declaration: what users, docs and IAM policies need to know about it.

use std::collections::BTreeSet;

use crate::pure::deployment::Mode;
use crate::pure::deployment::Workspace;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

use super::ports::PortGroup;

/// A rule's declaration: everything users, docs and IAM policies need to know about it.
#[derive(Debug)]
pub struct RuleMeta {
    /// `PL-<AREA>-<NNN>`: stable, never reused; users write waivers against it.
    pub id: &'static str,
    pub title: &'static str,
    /// The severity of a failure: the worst one the rule reports. The catalogue, `explain` and
    /// every finding take it from here.
    pub severity: Severity,
    /// The lower severities some of its failures carry instead, each with when (ports that
    /// matter less, a mode where the gap hurts less). A registry test checks that every failure
    /// on every test estate carries [`RuleMeta::severity`] or one of these.
    pub severity_when: &'static [(Severity, &'static str)],
    /// The modes the rule applies to (`cmv` means every workspace).
    pub modes: &'static [Mode],
    /// Modes under which the rule does not apply even when `modes` matches.
    pub not_under: &'static [Mode],
    pub resource_type: ResourceType,
    pub rationale: &'static str,
    pub remediation: &'static str,
    pub references: &'static [&'static str],
    /// The describe calls whose answers the rule reads. The IAM actions it needs follow from
    /// them ([`RuleMeta::permissions`]).
    pub inputs: &'static [Input],
    /// Inputs the rule uses when present and does without otherwise (PL-SG-004 names the S3
    /// prefix list from `describe-managed-prefix-lists.json`, else from the routes). Their
    /// actions are part of [`RuleMeta::permissions`] too.
    pub optional_inputs: &'static [Input],
    /// The families of the Databricks port table ([`super::ports`]) the rule reads; the context
    /// hands it only those rows. The ports differ by partition, so a rule that declares any is
    /// not run without a region: the engine reports `error` instead.
    pub ports: &'static [PortGroup],
    /// The rule checks endpoint service names against the Databricks service table, which
    /// `explain` prints.
    pub service_table: bool,
    /// The kinds of required flows whose hops the rule judges: the engine attaches to its
    /// findings the traced flows of these kinds (and of its port families, when it declares
    /// any) whose path goes through the finding's resource ([`crate::pure::flows`]).
    pub flows: &'static [FlowKind],
}

impl RuleMeta {
    /// The fields a rule spells only when it differs: every workspace (`cmv`), no exclusion,
    /// no reference, no input, no optional input, no port family. A rule writes
    /// `..RuleMeta::DEFAULT` after its own fields; `id`, `title`, `rationale` and
    /// `remediation` are empty here, and a registry test refuses a rule that leaves them so.
    pub const DEFAULT: RuleMeta = RuleMeta {
        id: "",
        title: "",
        severity: Severity::Medium,
        severity_when: &[],
        modes: &[Mode::Cmv],
        not_under: &[],
        resource_type: ResourceType::Vpc,
        rationale: "",
        remediation: "",
        references: &[],
        inputs: &[],
        optional_inputs: &[],
        ports: &[],
        service_table: false,
        flows: &[],
    };
}

impl RuleMeta {
    /// Every severity a failure of the rule can carry, worst first.
    pub fn severities(&self) -> Vec<Severity> {
        let mut v: Vec<Severity> = std::iter::once(self.severity)
            .chain(self.severity_when.iter().map(|(s, _)| *s))
            .collect();
        v.sort_by(|a, b| b.cmp(a));
        v.dedup();
        v
    }

    /// The severity for the catalogue's table: `critical`, or `critical (or medium)`.
    pub fn severity_column(&self) -> String {
        let v = self.severities();
        match v.split_first() {
            Some((first, rest)) if !rest.is_empty() => format!(
                "{first} (or {})",
                rest.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => self.severity.to_string(),
        }
    }

    /// The severity with its exceptions, for `explain`: `critical; medium when ...`.
    pub fn severity_text(&self) -> String {
        let mut s = self.severity.to_string();
        for (sev, when) in self.severity_when {
            s.push_str(&format!("; {sev} {when}"));
        }
        s
    }

    /// The IAM actions the rule needs, one per input.
    pub fn permissions(&self) -> Vec<String> {
        let set: BTreeSet<String> = self
            .inputs
            .iter()
            .chain(self.optional_inputs)
            .map(|i| i.iam_action())
            .collect();
        set.into_iter().collect()
    }

    /// Whether the rule reads the port table, so needs the region.
    pub fn needs_port_table(&self) -> bool {
        !self.ports.is_empty()
    }

    /// Whether the rule applies to a workspace.
    pub fn applies_to(&self, ws: &Workspace) -> bool {
        self.modes.iter().any(|m| ws.has(*m)) && !self.not_under.iter().any(|m| ws.has(*m))
    }
}

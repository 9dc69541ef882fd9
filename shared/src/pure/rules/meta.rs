//! A rule's declaration: what users, docs and IAM policies need to know about it.

use std::collections::BTreeSet;

use crate::pure::deployment::Mode;
use crate::pure::deployment::Workspace;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

use super::ports::PortGroup;

/// A rule's declaration: everything users, docs and IAM policies need to know about it.
#[derive(Debug)]
pub struct RuleMeta {
    /// `PL-<AREA>-<NNN>`: stable, never reused; users write waivers against it.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
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
        modes: &[Mode::Cmv],
        not_under: &[],
        resource_type: ResourceType::Vpc,
        rationale: "",
        remediation: "",
        references: &[],
        inputs: &[],
        optional_inputs: &[],
        ports: &[],
    };
}

impl RuleMeta {
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

//! What is audited: the Databricks workspaces and transit VPCs, and the connectivity modes they
//! run in. [`crate::pure::resolve`] builds it from the manifest, the tags or the state itself.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::pure::cidr::Cidr;

pub const TAG_WORKSPACE: &str = "plaudit:workspace";
pub const TAG_MODES: &str = "plaudit:modes";
pub const TAG_ROLE: &str = "plaudit:role";

/// A Databricks connectivity mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Classic compute in a customer-managed VPC; the baseline every workspace gets.
    #[serde(rename = "cmv")]
    Cmv,
    /// Classic (back-end) PrivateLink.
    BackEnd,
    /// Inbound (front-end) PrivateLink.
    FrontEnd,
    /// Outbound (serverless) PrivateLink.
    Serverless,
    /// Complete private isolation: front-end + back-end + serverless, no internet path.
    Isolated,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Cmv => "cmv",
            Mode::BackEnd => "back-end",
            Mode::FrontEnd => "front-end",
            Mode::Serverless => "serverless",
            Mode::Isolated => "isolated",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cmv" => Some(Mode::Cmv),
            "back-end" | "backend" | "classic" => Some(Mode::BackEnd),
            "front-end" | "frontend" | "inbound" => Some(Mode::FrontEnd),
            "serverless" | "outbound" => Some(Mode::Serverless),
            "isolated" | "isolation" => Some(Mode::Isolated),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Where a workspace description came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Manifest,
    Tags,
    Discovered,
}

/// One Databricks workspace's network, as audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub name: Arc<str>,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    /// The declared modes (`cmv` is implied for every workspace).
    pub modes: BTreeSet<Mode>,
    pub compliance_security_profile: bool,
    pub legacy_hive_metastore: bool,
    pub custom_dns: bool,
    pub origin: Origin,
    /// Why the description cannot be trusted (a `plaudit:modes` tag that does not parse): every
    /// rule reports `error` for the workspace, naming this.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl Workspace {
    /// True when the workspace runs in `mode`: `cmv` always, and `isolated` implies front-end,
    /// back-end and serverless.
    pub fn has(&self, mode: Mode) -> bool {
        mode == Mode::Cmv
            || self.modes.contains(&mode)
            || (self.modes.contains(&Mode::Isolated)
                && matches!(mode, Mode::BackEnd | Mode::FrontEnd | Mode::Serverless))
    }

    pub fn isolated(&self) -> bool {
        self.modes.contains(&Mode::Isolated)
    }
}

/// A VPC holding the front-end endpoint users connect through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitVpc {
    pub vpc_id: String,
    pub client_cidrs: Vec<Cidr>,
    pub origin: Origin,
}

/// Everything the rules audit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub workspaces: Vec<Workspace>,
    pub transit_vpcs: Vec<TransitVpc>,
    pub serverless_endpoint_services: Vec<String>,
    /// What was inferred, and why.
    pub notes: Vec<String>,
    /// Why the workspaces to audit cannot be known: an input that discovery needed could not be
    /// read. Every rule then reports `error` on every VPC the error concerns, so an unreadable
    /// input never reads as "nothing to audit".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope_errors: Vec<ScopeError>,
}

/// An input that discovery needed and could not read, and the VPCs that may hold the workspaces
/// it would have found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeError {
    /// Every VPC the readable inputs name (each may hold a workspace that cannot be seen).
    pub vpc_ids: Vec<String>,
    pub message: String,
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

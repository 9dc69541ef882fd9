//! plaudit: audits the AWS network around Databricks workspaces against Databricks' PrivateLink
//! guidance.
//!
//! `collect (AWS) -> Snapshot -> evaluate (pure) -> Findings -> publish (AWS)`. This crate's pure
//! core ([`snapshot`], [`manifest`], [`deployment`], [`rules`], [`reachability`], [`finding`],
//! [`engine`], [`render`]) names no AWS SDK type and builds without any feature.

pub mod alerting;
pub mod cidr;
#[cfg(feature = "aws")]
pub mod collect;
pub mod config_rule;
pub mod deployment;
pub mod drift;
pub mod engine;
pub mod finding;
pub mod index;
pub mod lifecycle;
pub mod manifest;
pub mod model;
#[cfg(feature = "aws")]
pub mod publish;
pub mod reachability;
pub mod render;
pub mod routing;
pub mod rules;
pub mod services;
pub mod snapshot;
pub mod synth;
pub mod time;

pub use engine::{audit, AuditOptions, Report};
pub use finding::{Finding, Severity, Status};
pub use manifest::Manifest;
pub use snapshot::Snapshot;

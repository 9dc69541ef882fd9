//! plaudit: audits the AWS network around Databricks workspaces against Databricks' PrivateLink
//! guidance.
//!
//! `collect (AWS) -> Snapshot -> evaluate (pure) -> Findings -> publish (AWS)`. This crate's pure
//! core ([`snapshot`], [`manifest`], [`deployment`], [`rules`], [`reachability`], [`finding`],
//! [`engine`], [`render`]) names no AWS SDK type and builds without any feature.

#[cfg(feature = "aws")]
pub mod aws;
pub mod decide;
pub mod pipeline;
pub mod pure;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;

// The modules keep their short paths (`plaudit::rules`, `plaudit::drift`, ...): the folders show
// the layers, the paths stay stable for the front ends.
#[cfg(feature = "aws")]
pub use aws::{collect, config, ec2, publish};
pub use decide::{alerting, config_rule, drift};
pub use pure::{
    baseline, cidr, deployment, engine, evidence, finding, index, lifecycle, manifest, model,
    reachability, render, routing, rules, services, snapshot, time,
};
#[cfg(any(test, feature = "test-util"))]
pub use testing::synth;

pub use engine::{audit, AuditOptions, Report};
pub use finding::{Finding, Severity, Status};
pub use manifest::Manifest;
pub use snapshot::Snapshot;

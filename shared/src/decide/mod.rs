//! Decisions built on the pure core's findings: what to tell AWS Config
//! ([`config_rule`]: evaluations, stale clean-up), what changed since the last run ([`drift`])
//! and what to say about it ([`alerting`]). The protocols are written against small traits
//! (state store, alert sink) so they run without AWS; the adapters live in `aws`.

pub mod alerting;
pub mod config_rule;
pub mod drift;

//! Decisions built on the pure core's findings: what to tell AWS Config
//! ([`config_rule`]: evaluations, stale clean-up), what changed since the last run and how it is
//! recorded ([`drift`]: the diff, the state records, the store protocol) and what to say about it
//! ([`alerting`]: alert texts, digests, the sink). [`change`] is the vocabulary the two share, so
//! `drift -> alerting -> change` has no cycle. The protocols are written against small traits
//! (state store, alert sink) so they run without AWS; the adapters live in `aws`, the fakes in
//! `testing`.

pub mod alerting;
pub mod change;
pub mod config_rule;
pub mod drift;

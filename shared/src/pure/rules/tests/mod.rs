//! The catalogue's own tests: the kit every rule test uses, the registry guards, and the
//! regression estates that span several rules.

pub(crate) mod testkit;

mod fail_closed;
mod failing;
mod misc_regressions;
mod registry;
mod regression_sg;
mod report_contract;

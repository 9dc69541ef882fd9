//! Test support (feature `test-util`, and this crate's own tests): synthetic estates and fakes of
//! the AWS boundaries. Not production API.

pub mod faults;
pub mod synth;
#[cfg(feature = "aws")]
pub mod config;

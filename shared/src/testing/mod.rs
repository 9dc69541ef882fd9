//! Test support (feature `test-util`, and this crate's own tests): synthetic estates and fakes of
//! the AWS boundaries. Not production API.

#[cfg(feature = "aws")]
pub mod config;
pub mod faults;
pub mod synth;

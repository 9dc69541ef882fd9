//! Test support (feature `test-util`, and this crate's own tests): synthetic estates and fakes of
//! the AWS boundaries. Not production API.

#[cfg(feature = "aws")]
pub mod config;
#[cfg(feature = "aws")]
pub mod ec2;
pub mod fakes;
pub mod faults;
pub mod flows;
pub mod reports;
pub mod synth;

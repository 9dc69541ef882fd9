//! Test support (feature `test-util`, and this crate's own tests): synthetic estates and fakes of
//! the AWS boundaries. Not production API.

pub mod fakes;
pub mod synth;

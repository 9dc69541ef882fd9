//! The AWS adapters (feature `aws`): the only code that names AWS SDK types, one module per
//! service. [`collect`] reads EC2 into a snapshot through the EC2 seam ([`ec2::Ec2Api`],
//! implemented by the SDK client here and by `testing::ec2::FakeEc2` in tests); [`config`], [`dynamodb`] and [`sns`] implement the decision
//! layer's seams (`config_rule::ConfigApi`, `drift::StateStore`, `alerting::AlertSink`); [`ssm`]
//! reads the manifest; [`lambda`] holds the Lambda runtime helpers (deadline, logging);
//! [`securityhub`] imports the report's ASFF findings into Security Hub; [`s3`] writes the
//! scheduled function's reports.

pub mod collect;
pub mod config;
pub mod dynamodb;
pub mod ec2;
mod error;
pub mod lambda;
pub mod s3;
pub mod securityhub;
pub mod sns;
pub mod ssm;

/// The adapters' former home, kept so the front ends' paths (`plaudit::publish::...`) stay
/// stable.
pub mod publish {
    pub use super::dynamodb::{DynamoStore, STATE_ACTIONS, TABLE_KEYS};
    pub use super::lambda::{init_json_logs, lambda_deadline, log_filter};
    pub use super::s3::{s3_client, S3Reports, REPORT_ACTIONS};
    pub use super::sns::{SnsSink, ALERT_ACTIONS};
    pub use super::ssm::{manifest_from_env, manifest_from_ssm, MANIFEST_ACTIONS};
}

//! The report store on S3 (the scheduled function's report bucket): each object is one
//! `PutObject` under `reports/`, with its content type and SSE-S3 requested explicitly.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use super::error::sdk_message;
use crate::pipeline::reports::{PutError, ReportStore};

/// The IAM actions writing reports uses (on `<bucket>/reports/*` only).
pub const REPORT_ACTIONS: [&str; 1] = ["s3:PutObject"];

/// How long one put attempt may take, and one put with its retries: the alerts wait for the
/// reports (they link them), so a slow bucket must not hold them back for long.
pub const PUT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub const PUT_TIMEOUT: Duration = Duration::from_secs(10);

/// The report bucket.
#[derive(Debug, Clone)]
pub struct S3Reports {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

/// The S3 client for the reports: `conf` with [`PUT_ATTEMPT_TIMEOUT`] / [`PUT_TIMEOUT`];
/// path-style addresses when `conf` names an endpoint (moto, a local emulator), since
/// `bucket.127.0.0.1` does not resolve.
pub fn s3_client(conf: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let limits = conf
        .timeout_config()
        .map(|t| t.to_builder())
        .unwrap_or_default()
        .operation_attempt_timeout(PUT_ATTEMPT_TIMEOUT)
        .operation_timeout(PUT_TIMEOUT)
        .build();
    let c = aws_sdk_s3::config::Builder::from(conf)
        .timeout_config(limits)
        .force_path_style(conf.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(c)
}

/// The stack's bucket encrypts with SSE-S3 by default; the header says so on every put, so an
/// object is never stored less encrypted than asked even if the bucket default changed.
impl ReportStore for S3Reports {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<(), PutError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PutError {
                message: sdk_message(&e),
            })
    }
}

//! SDK errors as the one line the adapters' own errors carry.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;

/// An SDK error as `Code: message` (the code alone when there is no message).
fn describe<E: ProvideErrorMetadata>(e: &E, fallback: &str) -> String {
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => fallback.to_string(),
    }
}

/// What went wrong with a call: the service's code and message, a timeout, or a request that
/// could not be sent.
pub(crate) fn sdk_message<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(s) => describe(s.err(), "the service returned an error"),
        SdkError::TimeoutError(_) => "Timeout: the call timed out".to_string(),
        SdkError::DispatchFailure(_) => "DispatchFailure: the request could not be sent".into(),
        other => format!("SdkError: {other}"),
    }
}

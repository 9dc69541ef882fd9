//! The manifest from SSM Parameter Store (or inline, from the environment).

use super::error::sdk_message;

/// The IAM action reading the manifest from SSM uses (on the parameter).
pub const MANIFEST_ACTIONS: [&str; 1] = ["ssm:GetParameter"];

/// Reads the manifest from an SSM parameter (String or SecureString).
pub async fn manifest_from_ssm(
    client: &aws_sdk_ssm::Client,
    name: &str,
) -> Result<crate::Manifest, crate::manifest::ManifestError> {
    let resp = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| crate::manifest::ManifestError::Source {
            source_name: format!("SSM parameter {name}"),
            message: sdk_message(&e),
        })?;
    let text = resp.parameter().and_then(|p| p.value()).unwrap_or_default();
    crate::Manifest::from_json_str(&format!("SSM parameter {name}"), text)
}

/// The manifest named by the `PLAUDIT_MANIFEST` environment variable: inline JSON (it starts
/// with `{`), or else the name of an SSM parameter that holds it; unset or empty: none.
pub async fn manifest_from_env(
    conf: &aws_config::SdkConfig,
) -> Result<Option<crate::Manifest>, crate::manifest::ManifestError> {
    let value = std::env::var("PLAUDIT_MANIFEST").unwrap_or_default();
    let value = value.trim();
    if value.is_empty() {
        Ok(None)
    } else if value.starts_with('{') {
        crate::Manifest::from_json_str("PLAUDIT_MANIFEST", value).map(Some)
    } else {
        manifest_from_ssm(&aws_sdk_ssm::Client::new(conf), value)
            .await
            .map(Some)
    }
}

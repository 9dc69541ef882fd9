//! Scheduled audit function for plaudit: wires the clients once per container and hands each
//! EventBridge schedule event to [`plaudit_scheduled_audit::handle`].
//!
//! Environment: `PLAUDIT_STATE_TABLE` (the drift-state table), `PLAUDIT_TOPIC_ARN` (the alert
//! topic), optional `PLAUDIT_MANIFEST` (inline JSON, or the name of an SSM parameter holding it),
//! optional `PLAUDIT_RULES` (comma-separated rule ids or families), `AWS_LAMBDA_LOG_LEVEL` /
//! `RUST_LOG`.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use plaudit::publish::{manifest_from_env, DynamoStore, SnsSink};
use plaudit_scheduled_audit::{handle, Deps};
use serde_json::Value;

fn required(name: &str) -> Result<String, lambda_runtime::Error> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("environment variable {name} is not set").into()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    plaudit::publish::init_json_logs();
    let conf = plaudit::collect::bounded_config_loader().load().await;
    let deps = Deps {
        ec2: plaudit::collect::Ec2Client::new(&conf),
        store: DynamoStore {
            client: aws_sdk_dynamodb::Client::new(&conf),
            table: required("PLAUDIT_STATE_TABLE")?,
        },
        sink: SnsSink {
            client: aws_sdk_sns::Client::new(&conf),
            topic_arn: required("PLAUDIT_TOPIC_ARN")?,
        },
        manifest: manifest_from_env(&conf).await?,
        account_id: plaudit::collect::account_id(&conf).await,
        region: conf.region().map(|r| r.to_string()).unwrap_or_default(),
        rules: std::env::var("PLAUDIT_RULES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let by = plaudit::publish::lambda_deadline(event.context.deadline);
        handle(&event.payload, deps, by).await.map_err(|e| {
            tracing::error!(error = %e, retryable = e.retryable(), "scheduled audit failed");
            Diagnostic {
                error_type: if e.retryable() { "Retryable" } else { "Fatal" }.into(),
                error_message: e.to_string(),
            }
        })
    }))
    .await
}

//! Scheduled audit function for plaudit: wires the clients once per container and hands each
//! EventBridge schedule event to [`plaudit_scheduled_audit::handle`].
//!
//! Environment: `PLAUDIT_STATE_TABLE` (the drift-state table), `PLAUDIT_TOPIC_ARN` (the alert
//! topic), optional `PLAUDIT_MANIFEST` (inline JSON, or the name of an SSM parameter holding it),
//! optional `PLAUDIT_RULES` (rule ids or families; an unknown one fails the start), optional
//! `PLAUDIT_REPORT_BUCKET` (the bucket the JSON and HTML reports go to; empty: none),
//! optional `PLAUDIT_SECURITY_HUB` (`enabled`: import the findings into Security Hub),
//! `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG`.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use plaudit::aws::securityhub::SecurityHubClient;
use plaudit::pipeline::{parse_rules, Collector, Invoke, Setup};
use plaudit::publish::{manifest_from_env, s3_client, DynamoStore, S3Reports, SnsSink};
use plaudit_scheduled_audit::{handle_and_import, security_hub_enabled, Deps, HandlerError};
use serde_json::Value;

fn required(name: &str) -> Result<String, lambda_runtime::Error> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("environment variable {name} is not set").into()),
    }
}

fn diagnostic(e: &dyn std::fmt::Display, retryable: bool) -> Diagnostic {
    Diagnostic {
        error_type: if retryable { "Retryable" } else { "Fatal" }.into(),
        error_message: e.to_string(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    plaudit::publish::init_json_logs();
    let rules = parse_rules(
        "PLAUDIT_RULES",
        &std::env::var("PLAUDIT_RULES").unwrap_or_default(),
    )?;
    // EC2 limits from PLAUDIT_ATTEMPT_TIMEOUT_SECS / PLAUDIT_CALL_TIMEOUT_SECS (a bad value fails
    // the cold start); each run caps them at the time it has left.
    let timeouts = plaudit::collect::Timeouts::from_env()?;
    let conf = plaudit::collect::bounded_config_loader().load().await;
    let hub = security_hub_enabled(std::env::var("PLAUDIT_SECURITY_HUB").ok().as_deref())?
        .then(|| SecurityHubClient::new(&conf));
    let deps = Deps {
        collector: Collector::new(plaudit::collect::ec2_client(&conf, &timeouts))
            .with_timeouts(timeouts),
        store: DynamoStore {
            client: aws_sdk_dynamodb::Client::new(&conf),
            table: required("PLAUDIT_STATE_TABLE")?,
        },
        sink: SnsSink {
            client: aws_sdk_sns::Client::new(&conf),
            topic_arn: required("PLAUDIT_TOPIC_ARN")?,
        },
        reports: std::env::var("PLAUDIT_REPORT_BUCKET")
            .ok()
            .filter(|b| !b.trim().is_empty())
            .map(|bucket| S3Reports {
                client: s3_client(&conf),
                bucket,
            }),
        setup: Setup {
            account_id: None,
            region: conf.region().map(|r| r.to_string()),
            manifest: manifest_from_env(&conf).await?,
            rules,
        },
    };
    let deps = &deps;
    let hub = hub.as_ref();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = plaudit::publish::lambda_deadline(event.context.deadline);
        let invoke = Invoke::from_context(&event.context.invoked_function_arn, deadline)
            .map_err(|e| diagnostic(&e, false))?;
        handle_and_import(&event.payload, deps, &invoke, hub)
            .await
            .map_err(|e: HandlerError| {
                tracing::error!(error = %e, retryable = e.retryable(), "scheduled audit failed");
                diagnostic(&e, e.retryable())
            })
    }))
    .await
}

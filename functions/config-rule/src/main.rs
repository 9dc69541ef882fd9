//! AWS Config custom Lambda rule for plaudit: wires the clients once per container and hands each
//! event to [`plaudit_config_rule::handle_until`].
//!
//! Environment: optional `PLAUDIT_STATE_TABLE` + `PLAUDIT_TOPIC_ARN` (drift alerts), optional
//! `PLAUDIT_MANIFEST` (inline JSON, or the name of an SSM parameter holding it), optional
//! `PLAUDIT_RULES` (rule ids or families; an unknown one fails the start).

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use plaudit::pipeline::{parse_rules, Collector, Invoke, Setup};
use plaudit::publish::{DynamoStore, SnsSink};
use plaudit_config_rule::{handle_until, AwsConfig, Deps, HandlerError};
use serde_json::Value;

fn diagnostic(e: &HandlerError) -> Diagnostic {
    Diagnostic {
        error_type: if e.retryable() {
            "Retryable".into()
        } else {
            "Fatal".into()
        },
        error_message: e.to_string(),
    }
}

/// The drift state and alert topic, when both `PLAUDIT_STATE_TABLE` and `PLAUDIT_TOPIC_ARN` are
/// set (the SAM template sets them); otherwise the function only reports to Config.
fn alerting(conf: &aws_config::SdkConfig) -> Option<(DynamoStore, SnsSink)> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let (table, topic_arn) = (var("PLAUDIT_STATE_TABLE")?, var("PLAUDIT_TOPIC_ARN")?);
    Some((
        DynamoStore {
            client: aws_sdk_dynamodb::Client::new(conf),
            table,
        },
        SnsSink {
            client: aws_sdk_sns::Client::new(conf),
            topic_arn,
        },
    ))
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
    let deps = Deps {
        collector: Collector::new(plaudit::collect::ec2_client(&conf, &timeouts))
            .with_timeouts(timeouts),
        config: AwsConfig(aws_sdk_config::Client::new(&conf)),
        setup: Setup {
            account_id: None,
            region: conf.region().map(|r| r.to_string()),
            manifest: plaudit::publish::manifest_from_env(&conf).await?,
            rules,
        },
        alerting: alerting(&conf),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = plaudit::publish::lambda_deadline(event.context.deadline);
        let result = match Invoke::from_context(&event.context.invoked_function_arn, deadline) {
            Ok(invoke) => handle_until(&event.payload, deps, &invoke).await,
            Err(e) => Err(HandlerError::from(e)),
        };
        result.map_err(|e| {
            tracing::error!(error = %e, retryable = e.retryable(), "invocation failed");
            diagnostic(&e)
        })
    }))
    .await
}

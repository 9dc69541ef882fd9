//! AWS Config custom Lambda rule for plaudit: wires the clients once per container and hands each
//! event to [`plaudit_config_rule::handle`].

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use plaudit_config_rule::{handle, AwsConfig, Deps, HandlerError};
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    plaudit::publish::init_json_logs();
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let manifest = plaudit::publish::manifest_from_env(&conf).await?;
    let deps = Deps {
        ec2: plaudit::collect::Ec2Client::new(&conf),
        config: AwsConfig(aws_sdk_config::Client::new(&conf)),
        manifest,
        account_id: plaudit::collect::account_id(&conf).await,
        region: conf.region().map(|r| r.to_string()).unwrap_or_default(),
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(&event.payload, deps).await.map_err(|e| {
            tracing::error!(error = %e, retryable = e.retryable(), "invocation failed");
            diagnostic(&e)
        })
    }))
    .await
}

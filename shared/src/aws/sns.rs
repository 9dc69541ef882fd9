//! The alert sink on SNS: each copy of an alert is one `Publish`.

use aws_sdk_sns::types::MessageAttributeValue;

use super::error::sdk_message;
use crate::alerting::{Alert, AlertSink, Format, SinkError};

/// The IAM actions publishing alerts uses (on the topic, and its KMS key).
pub const ALERT_ACTIONS: [&str; 3] = ["kms:Decrypt", "kms:GenerateDataKey", "sns:Publish"];

/// The alert topic.
#[derive(Debug, Clone)]
pub struct SnsSink {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

fn attr(v: &str) -> Option<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .ok()
}

/// Each copy is published with `MessageStructure=String` (SNS delivers message attributes, and
/// so filter policies can rely on them, only for String messages): the Amazon Q Developer / AWS
/// Chatbot custom notification (`format` = `chat`), or plain text for people (`format` =
/// `email`). Both carry `severity` and `event`. Subscriptions pick one with a filter policy (the
/// SAM template's e-mail subscription takes `email`); Chatbot ignores the plain-text copy. The
/// drift protocol publishes the two copies separately and records each delivery, so a copy that
/// failed is sent again without the other.
impl AlertSink for SnsSink {
    async fn publish(&self, alert: &Alert, format: Format) -> Result<(), SinkError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&alert.subject)
            .message(alert.body(format))
            .set_message_attributes(Some(
                [
                    ("severity", alert.severity.as_str()),
                    ("event", alert.event),
                    ("format", format.as_str()),
                ]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), attr(v)?)))
                .collect(),
            ))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| SinkError {
                format: format.as_str(),
                message: format!("{} (topic {})", sdk_message(&e), self.topic_arn),
            })
    }
}

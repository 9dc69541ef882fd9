//! The AWS Config adapter: [`ConfigApi`] on the SDK client.

use aws_sdk_config::error::DisplayErrorContext;

use crate::config_rule::{vpc_of_history_item, ConfigApi, ConfigApiError, Evaluation, ResourceKey};

/// The real Config client.
pub struct AwsConfig(pub aws_sdk_config::Client);

fn config_error(api: &'static str, e: impl std::fmt::Display) -> ConfigApiError {
    ConfigApiError {
        api,
        message: e.to_string(),
    }
}

fn sdk_error<E: std::error::Error + 'static>(api: &'static str, e: E) -> ConfigApiError {
    config_error(api, DisplayErrorContext(e))
}

fn timestamp(ts: &str) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_str(ts, aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| aws_smithy_types::DateTime::from(std::time::SystemTime::now()))
}

impl ConfigApi for AwsConfig {
    async fn put_evaluations(
        &self,
        token: &str,
        test_mode: bool,
        chunk: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, ConfigApiError> {
        use aws_sdk_config::types::{ComplianceType, Evaluation as E};
        let mut req = self
            .0
            .put_evaluations()
            .result_token(token)
            .test_mode(test_mode);
        for e in chunk {
            let built = E::builder()
                .compliance_resource_type(&e.resource.resource_type)
                .compliance_resource_id(&e.resource.resource_id)
                .compliance_type(ComplianceType::from(e.compliance.as_str()))
                .set_annotation(e.annotation.clone())
                .ordering_timestamp(timestamp(&e.ordering_timestamp))
                .build()
                .map_err(|err| config_error("PutEvaluations", err))?;
            req = req.evaluations(built);
        }
        let resp = req
            .send()
            .await
            .map_err(|err| sdk_error("PutEvaluations", err))?;
        Ok(resp
            .failed_evaluations()
            .iter()
            .map(|f| ResourceKey {
                resource_type: f.compliance_resource_type().to_string(),
                resource_id: f.compliance_resource_id().to_string(),
            })
            .collect())
    }

    async fn reported_resources(
        &self,
        rule_name: &str,
    ) -> Result<Vec<ResourceKey>, ConfigApiError> {
        use aws_sdk_config::types::ComplianceType;
        let mut stream = self
            .0
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule_name)
            .compliance_types(ComplianceType::Compliant)
            .compliance_types(ComplianceType::NonCompliant)
            .limit(100)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = stream.next().await {
            let page = page.map_err(|err| sdk_error("GetComplianceDetailsByConfigRule", err))?;
            for r in page.evaluation_results() {
                if let Some(q) = r
                    .evaluation_result_identifier()
                    .and_then(|i| i.evaluation_result_qualifier())
                {
                    if let (Some(t), Some(id)) = (q.resource_type(), q.resource_id()) {
                        out.push(ResourceKey {
                            resource_type: t.to_string(),
                            resource_id: id.to_string(),
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    async fn vpc_from_history(
        &self,
        resource: &ResourceKey,
        capture_time: &str,
    ) -> Result<Option<String>, ConfigApiError> {
        let resp = self
            .0
            .get_resource_config_history()
            .resource_type(aws_sdk_config::types::ResourceType::from(
                resource.resource_type.as_str(),
            ))
            .resource_id(&resource.resource_id)
            .later_time(timestamp(capture_time))
            // Newest first: a deleted resource's last item has no configuration, the one
            // before it names the VPC.
            .limit(5)
            .send()
            .await
            .map_err(|err| sdk_error("GetResourceConfigHistory", err))?;
        Ok(resp.configuration_items().iter().find_map(|item| {
            let rels: Vec<(String, String)> = item
                .relationships()
                .iter()
                .filter_map(|r| {
                    Some((
                        r.resource_type()?.as_str().to_string(),
                        r.resource_id()?.to_string(),
                    ))
                })
                .collect();
            vpc_of_history_item(
                &resource.resource_type,
                &resource.resource_id,
                item.configuration(),
                &rels,
            )
        }))
    }
}

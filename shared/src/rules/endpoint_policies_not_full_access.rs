//! PL-EP-010: the S3, STS and Kinesis endpoints do not keep the default full-access policy.

use serde_json::Value;

use super::{Context, Outcome, RuleMeta};
use crate::finding::{ResourceType, Severity};
use crate::manifest::Mode;
use crate::services::{kinesis_service, s3_service, sts_service};
use crate::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-010",
    title: "AWS-service endpoint policies are not full access",
    severity: Severity::Low,
    modes: &[Mode::BackEnd],
    not_under: &[],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "The default endpoint policy allows any principal any action on any resource, so the endpoint is an exfiltration path to any account's buckets and streams. Databricks' reference architecture restricts them.",
    remediation: "Attach an endpoint policy limited to your accounts and the Databricks buckets, roles and streams (see the SRA's privatelink.tf).",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::VpcEndpoints],
    optional_inputs: &[],
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(region) = ctx.region else {
            out.push(
                Outcome::error(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    "The region is unknown; pass --region.".into(),
                )
                .ws(ws),
            );
            continue;
        };
        let services = [
            s3_service(region),
            sts_service(region),
            kinesis_service(region),
        ];
        for e in ctx
            .ix
            .endpoints(&ws.vpc_id)
            .iter()
            .filter(|e| services.iter().any(|s| *s == e.service_name) && !e.is_gone())
        {
            let id = &e.vpc_endpoint_id;
            let o = match e.policy_document.as_deref().map(serde_json::from_str::<Value>) {
                None => Outcome::fail(ResourceType::VpcEndpoint, id, format!("{id} ({}) reports no policy, so the AWS default full-access policy applies.", e.service_name)),
                Some(Err(err)) => Outcome::error(ResourceType::VpcEndpoint, id, format!("{id}'s PolicyDocument is not valid JSON ({err}).")),
                Some(Ok(doc)) => {
                    if full_access(&doc) {
                        Outcome::fail(ResourceType::VpcEndpoint, id, format!("{id} ({}) allows every principal every action on every resource.", e.service_name))
                    } else {
                        Outcome::pass(ResourceType::VpcEndpoint, id, format!("{id} ({}) has a restricted policy.", e.service_name))
                    }
                }
            };
            out.push(o.ws(ws).expect(
                "a policy narrower than Principal *, Action *, Resource *",
                "see message",
            ));
        }
    }
    out
}

fn is_star(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => s == "*",
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some("*")),
        Some(Value::Object(o)) => o.get("AWS").is_some_and(|x| is_star(Some(x))),
        _ => false,
    }
}

/// True when some statement allows `*` to `*` on `*` without conditions.
fn full_access(doc: &Value) -> bool {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    statements.into_iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && is_star(s.get("Principal"))
            && is_star(s.get("Action"))
            && is_star(s.get("Resource"))
            && s.get("Condition").is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Status;

    const DEFAULT: &str =
        r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}"#;

    #[test]
    fn passes_with_restricted_policies() {
        assert_all(&run("PL-EP-010", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_with_the_default_policy() {
        let mut e = Estate::backend();
        e.endpoint(&ids().s3).policy_document = Some(DEFAULT.into());
        assert_eq!(status_of(&run("PL-EP-010", &e), &ids().s3), Status::Fail);
    }

    #[test]
    fn a_condition_makes_it_restricted() {
        let mut e = Estate::backend();
        e.endpoint(&ids().sts).policy_document = Some(r#"{"Statement":{"Action":"*","Effect":"Allow","Principal":{"AWS":"*"},"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}}"#.into());
        assert_eq!(status_of(&run("PL-EP-010", &e), &ids().sts), Status::Pass);
    }

    #[test]
    fn error_on_unreadable_policy() {
        let mut e = Estate::backend();
        e.endpoint(&ids().kinesis).policy_document = Some("{not json".into());
        assert_eq!(
            status_of(&run("PL-EP-010", &e), &ids().kinesis),
            Status::Error
        );
    }
}

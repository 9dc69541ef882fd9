//! The one pipeline every front end runs: **collect -> audit -> decide -> send -> record**.
//!
//! - *collect*: [`Collector::collect`] reads EC2 through the [`Ec2Api`] seam (the SDK client in
//!   production, `testing::ec2::FakeEc2` in tests) into a snapshot, stopping at the run's
//!   deadline; a collection that is fresh enough for the question is reused (one collection per
//!   periodic Config cycle, one per burst of changes to a VPC).
//! - *audit*: [`Setup::audit`] runs the pure engine; the [`Report`] says which rules ran and
//!   whether the collection was partial, so nothing downstream re-derives it.
//! - *decide*: the front end's own decision (Config evaluations in `config_rule`, drift
//!   transitions in `drift`).
//! - *send* and *record*: the adapters behind the decision layer's traits.
//!
//! - *report* (the scheduled function, with a report bucket): [`reports::write_reports`] puts the
//!   JSON and HTML reports in S3 before *record*, so the alerts link them.
//!
//! The CLI stops after *audit* (it renders the report); the scheduled function records drift; the
//! Config function sends evaluations, then records drift.

use crate::engine::{audit, AuditOptions, Report};
use crate::manifest::Manifest;
use crate::snapshot::Snapshot;

#[cfg(feature = "aws")]
mod live;
pub mod reports;
#[cfg(feature = "aws")]
pub use live::*;

/// Why a front end cannot start (fails the cold start or the invocation, never retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// `PLAUDIT_RULES` (or a rule selection) names something that is not a rule or family.
    #[error(
        "{source_name}: `{selector}` is not a plaudit rule id or family (see `plaudit rules`)"
    )]
    UnknownRule {
        source_name: String,
        selector: String,
    },
    /// The account could not be read from the Lambda function ARN.
    #[error("cannot tell the AWS account from the function ARN `{0}` (expected arn:<partition>:lambda:<region>:<12-digit account>:function:<name>)")]
    FunctionArn(String),
}

/// Parses a comma-separated rule selection (`PL-SG,PL-EP-006`); every selector must match a rule
/// or family, so a typo fails the start instead of silently auditing nothing.
pub fn parse_rules(source_name: &str, value: &str) -> Result<Vec<String>, SetupError> {
    let rules: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = rules
        .iter()
        .find(|r| crate::rules::select(std::slice::from_ref(r)).is_empty())
    {
        return Err(SetupError::UnknownRule {
            source_name: source_name.to_string(),
            selector: bad.clone(),
        });
    }
    Ok(rules)
}

/// The account of a Lambda function ARN (`arn:aws:lambda:eu-west-1:123456789012:function:f`,
/// possibly with a version or alias suffix).
pub fn account_from_function_arn(arn: &str) -> Result<String, SetupError> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, account, "function", ..]
            if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok((*account).to_string())
        }
        _ => Err(SetupError::FunctionArn(arn.to_string())),
    }
}

/// What every run of a front end shares: where it audits and what.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub account_id: Option<String>,
    /// The region audited (`None`: the snapshot's own).
    pub region: Option<String>,
    pub manifest: Option<Manifest>,
    /// Rule ids or families to run (empty: all).
    pub rules: Vec<String>,
}

impl Setup {
    /// This setup, in `account_id` (the account of an invocation's function ARN).
    pub fn in_account(&self, account_id: &str) -> Setup {
        Setup {
            account_id: Some(account_id.to_string()),
            ..self.clone()
        }
    }

    /// The VPCs a region-wide run reads: the manifest's, or every VPC (empty).
    pub fn region_scope(&self) -> Vec<String> {
        self.manifest
            .as_ref()
            .map(Manifest::vpc_ids)
            .unwrap_or_default()
    }

    /// *audit*: the pure engine over a snapshot, with `manifest` (a change run's narrowed one)
    /// or the setup's, and `rules` (a Config rule's own selection) or the setup's.
    pub fn audit(&self, snap: &Snapshot, manifest: Option<&Manifest>, rules: &[String]) -> Report {
        audit(
            snap,
            &AuditOptions {
                manifest: manifest.or(self.manifest.as_ref()),
                region: self.region.clone(),
                rules: if rules.is_empty() {
                    self.rules.clone()
                } else {
                    rules.to_vec()
                },
                now: None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_selections_must_name_rules() {
        assert_eq!(
            parse_rules("PLAUDIT_RULES", " pl-sg, PL-EP-006 ,").unwrap(),
            vec!["PL-SG".to_string(), "PL-EP-006".to_string()]
        );
        assert!(parse_rules("PLAUDIT_RULES", "").unwrap().is_empty());
        let e = parse_rules("PLAUDIT_RULES", "PL-SG,PL-SGG").unwrap_err();
        assert!(e.to_string().contains("PLAUDIT_RULES: `PL-SGG`"), "{e}");
        assert!(parse_rules("PLAUDIT_RULES", "PL-EP-0").is_err());
    }

    #[test]
    fn the_account_comes_from_the_function_arn() {
        assert_eq!(
            account_from_function_arn("arn:aws:lambda:eu-west-1:123456789012:function:plaudit")
                .unwrap(),
            "123456789012"
        );
        assert_eq!(
            account_from_function_arn(
                "arn:aws-us-gov:lambda:us-gov-west-1:210987654321:function:f:live"
            )
            .unwrap(),
            "210987654321"
        );
        for bad in [
            "",
            "arn:aws:lambda:eu-west-1::function:plaudit",
            "arn:aws:lambda:eu-west-1:12345:function:plaudit",
            "arn:aws:s3:::bucket",
        ] {
            assert!(account_from_function_arn(bad).is_err(), "{bad}");
        }
    }
}

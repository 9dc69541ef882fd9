//! Security Hub import: the report's ASFF findings ([`crate::render::asff`]) sent with
//! `BatchImportFindings`, at most [`BATCH_MAX`] per call, into the account that owns the
//! resources (the product ARN names that account and region).
//!
//! [`import`] is generic over [`FindingsApi`] (the SDK client here, a fake in tests): a call
//! that is throttled is retried with backoff; the findings Security Hub refuses
//! (`FailedFindings`) are sent once more after a backoff, and those refused again are reported
//! with their ids and error codes. A call that fails for another reason (access denied, Security
//! Hub not enabled) stops the import: the next calls would fail alike.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_securityhub::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;

use super::error::sdk_message;
use crate::pure::render::asff::AsffFinding;

/// The IAM action the import uses.
pub const IMPORT_ACTIONS: [&str; 1] = ["securityhub:BatchImportFindings"];

/// At most this many findings per `BatchImportFindings` call (the API's limit).
pub const BATCH_MAX: usize = 100;

/// One finding Security Hub refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailedFinding {
    pub id: String,
    pub code: String,
    pub message: String,
}

/// A call that failed as a whole: the service's error code (`AccessDeniedException`,
/// `TooManyRequestsException`, ...), or `DispatchFailure` / `Timeout` when no answer came.
pub use super::ec2::CallError;

/// True for the codes Security Hub uses when it throttles.
fn throttled(e: &CallError) -> bool {
    e.is_throttling() || e.code == "LimitExceededException"
}

/// The `BatchImportFindings` seam.
pub trait FindingsApi {
    /// Imports one batch (at most [`BATCH_MAX`]); returns the findings Security Hub refused.
    fn batch_import(
        &self,
        batch: &[AsffFinding],
    ) -> impl Future<Output = Result<Vec<FailedFinding>, CallError>> + Send;
}

/// How patient the import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// The first backoff; each retry of a call doubles it.
    pub backoff: Duration,
    /// Attempts of a throttled call (the SDK's own retries come on top).
    pub throttle_attempts: u32,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            backoff: Duration::from_millis(500),
            throttle_attempts: 4,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    /// Findings Security Hub took (created or updated).
    pub imported: usize,
    /// Findings it refused twice, with its error codes.
    pub failed: Vec<FailedFinding>,
    /// `BatchImportFindings` calls made (retries included).
    pub calls: usize,
    /// Findings refused once and sent again.
    pub retried: usize,
}

impl ImportOutcome {
    /// "imported 40 findings in 1 call; 2 failed (InvalidInput: id-1, id-2)".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "imported {} finding{} in {} call{}",
            self.imported,
            if self.imported == 1 { "" } else { "s" },
            self.calls,
            if self.calls == 1 { "" } else { "s" }
        );
        if self.retried > 0 {
            s.push_str(&format!("; {} retried", self.retried));
        }
        if !self.failed.is_empty() {
            let mut by_code: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
            for f in &self.failed {
                by_code.entry(&f.code).or_default().push(&f.id);
            }
            let parts: Vec<String> = by_code
                .iter()
                .map(|(code, ids)| format!("{code}: {}", ids.join(", ")))
                .collect();
            s.push_str(&format!(
                "; {} failed ({})",
                self.failed.len(),
                parts.join("; ")
            ));
        }
        s
    }
}

/// An import that stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("BatchImportFindings failed ({cause}); {imported} of {total} findings were imported before it stopped")]
pub struct ImportError {
    pub cause: CallError,
    pub imported: usize,
    pub total: usize,
    /// The outcome so far.
    pub outcome: ImportOutcome,
}

/// One call, retried with doubling backoff while throttled.
async fn call<A: FindingsApi>(
    api: &A,
    batch: &[AsffFinding],
    opts: &ImportOptions,
    calls: &mut usize,
) -> Result<Vec<FailedFinding>, CallError> {
    let mut delay = opts.backoff;
    let mut attempt = 1;
    loop {
        *calls += 1;
        match api.batch_import(batch).await {
            Err(e) if throttled(&e) && attempt < opts.throttle_attempts.max(1) => {
                tracing::warn!(code = %e.code, attempt, "Security Hub throttled; backing off");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Imports `findings` in batches of at most [`BATCH_MAX`]; the refused ones are sent once more
/// after a backoff, and reported in [`ImportOutcome::failed`] when refused again.
pub async fn import<A: FindingsApi>(
    api: &A,
    findings: &[AsffFinding],
    opts: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let mut out = ImportOutcome::default();
    let stop = |cause: CallError, out: &ImportOutcome| ImportError {
        cause,
        imported: out.imported,
        total: findings.len(),
        outcome: out.clone(),
    };
    let mut refused: Vec<FailedFinding> = Vec::new();
    for batch in findings.chunks(BATCH_MAX) {
        let failed = call(api, batch, opts, &mut out.calls)
            .await
            .map_err(|e| stop(e, &out))?;
        out.imported += batch.len().saturating_sub(failed.len());
        refused.extend(failed);
    }
    if refused.is_empty() {
        return Ok(out);
    }
    // The second chance: the refused findings, by id, after a backoff.
    tokio::time::sleep(opts.backoff).await;
    let by_id: HashMap<&str, &AsffFinding> = findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let again: Vec<AsffFinding> = refused
        .iter()
        .filter_map(|r| by_id.get(r.id.as_str()).map(|f| (*f).clone()))
        .collect();
    // A refusal naming no finding of ours cannot be retried: it stays failed.
    out.failed = refused
        .iter()
        .filter(|r| !by_id.contains_key(r.id.as_str()))
        .cloned()
        .collect();
    out.retried = again.len();
    for batch in again.chunks(BATCH_MAX) {
        let failed = call(api, batch, opts, &mut out.calls)
            .await
            .map_err(|e| stop(e, &out))?;
        out.imported += batch.len().saturating_sub(failed.len());
        out.failed.extend(failed);
    }
    Ok(out)
}

/// The real Security Hub client.
#[derive(Debug, Clone)]
pub struct SecurityHubClient(pub aws_sdk_securityhub::Client);

impl SecurityHubClient {
    /// A client for `conf`'s account and region (front ends need not name the SDK crate).
    pub fn new(conf: &aws_config::SdkConfig) -> SecurityHubClient {
        SecurityHubClient(aws_sdk_securityhub::Client::new(conf))
    }
}

/// An ASFF finding as the SDK's type.
pub fn to_sdk(f: &AsffFinding) -> aws_sdk_securityhub::types::AwsSecurityFinding {
    use aws_sdk_securityhub::types as t;
    let fpf = &f.finding_provider_fields;
    let rec = &f.remediation.recommendation;
    let mut b = t::AwsSecurityFinding::builder()
        .schema_version(f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .product_name(f.product_name)
        .company_name(f.company_name)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .last_observed_at(&f.last_observed_at)
        .title(&f.title)
        .description(&f.description)
        .finding_provider_fields(
            t::FindingProviderFields::builder()
                .severity(
                    t::FindingProviderSeverity::builder()
                        .label(t::SeverityLabel::from(fpf.severity.label.as_str()))
                        .original(&fpf.severity.original)
                        .build(),
                )
                .set_types(Some(fpf.types.clone()))
                .build(),
        )
        .remediation(
            t::Remediation::builder()
                .recommendation(
                    t::Recommendation::builder()
                        .text(&rec.text)
                        .set_url(rec.url.clone())
                        .build(),
                )
                .build(),
        )
        .compliance(
            t::Compliance::builder()
                .status(t::ComplianceStatus::from(f.compliance.status.as_str()))
                .build(),
        )
        .workflow(
            t::Workflow::builder()
                .status(t::WorkflowStatus::from(f.workflow.status.as_str()))
                .build(),
        )
        .record_state(t::RecordState::from(f.record_state.as_str()));
    for (k, v) in &f.product_fields {
        b = b.product_fields(k, v);
    }
    for r in &f.resources {
        let details = r.details.as_ref().map(|d| {
            let mut db = t::ResourceDetails::builder();
            for (k, v) in &d.other {
                db = db.other(k, v);
            }
            db.build()
        });
        b = b.resources(
            t::Resource::builder()
                .r#type(r.kind)
                .id(&r.id)
                .partition(t::Partition::from(r.partition))
                .region(&r.region)
                .set_details(details)
                .build(),
        );
    }
    b.build()
}

impl FindingsApi for SecurityHubClient {
    async fn batch_import(&self, batch: &[AsffFinding]) -> Result<Vec<FailedFinding>, CallError> {
        // On the heap: the SDK call's future is large in a debug build, and inline in the
        // import's it overflowed a test thread's 2 MB stack.
        let send = Box::pin(
            self.0
                .batch_import_findings()
                .set_findings(Some(batch.iter().map(to_sdk).collect()))
                .send(),
        );
        let resp = send.await.map_err(|e| {
            let (code, message) = match &e {
                SdkError::DispatchFailure(_) => {
                    ("DispatchFailure", "the request could not be sent")
                }
                SdkError::TimeoutError(_) => ("Timeout", "the call timed out"),
                _ => (e.code().unwrap_or("SdkError"), e.message().unwrap_or("")),
            };
            CallError {
                code: code.to_string(),
                message: if message.is_empty() {
                    sdk_message(&e)
                } else {
                    message.to_string()
                },
            }
        })?;
        Ok(resp
            .failed_findings()
            .iter()
            .map(|f| FailedFinding {
                id: f.id().unwrap_or_default().to_string(),
                code: f.error_code().unwrap_or("Unknown").to_string(),
                message: f.error_message().unwrap_or_default().to_string(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records each call's ids; refuses the ids in `refuse` (each as many times as listed) and
    /// throttles the first `throttle` calls.
    #[derive(Default)]
    struct Fake {
        calls: Mutex<Vec<Vec<String>>>,
        refuse: Mutex<Vec<String>>,
        throttle: Mutex<usize>,
        deny: bool,
    }

    impl FindingsApi for Fake {
        async fn batch_import(
            &self,
            batch: &[AsffFinding],
        ) -> Result<Vec<FailedFinding>, CallError> {
            self.calls
                .lock()
                .unwrap()
                .push(batch.iter().map(|f| f.id.clone()).collect());
            if self.deny {
                return Err(CallError {
                    code: "AccessDeniedException".into(),
                    message: "no".into(),
                });
            }
            {
                let mut t = self.throttle.lock().unwrap();
                if *t > 0 {
                    *t -= 1;
                    return Err(CallError {
                        code: "TooManyRequestsException".into(),
                        message: "slow down".into(),
                    });
                }
            }
            let mut refuse = self.refuse.lock().unwrap();
            let mut failed = Vec::new();
            for f in batch {
                if let Some(i) = refuse.iter().position(|r| *r == f.id) {
                    refuse.remove(i);
                    failed.push(FailedFinding {
                        id: f.id.clone(),
                        code: "InvalidInput".into(),
                        message: "bad".into(),
                    });
                }
            }
            Ok(failed)
        }
    }

    fn findings(n: usize) -> Vec<AsffFinding> {
        let e = crate::testing::synth::Estate::backend();
        let report = crate::pure::engine::audit(
            &e.snap,
            &crate::pure::engine::AuditOptions {
                manifest: Some(&e.manifest),
                ..Default::default()
            },
        );
        let mut report = report;
        report.account_id = Some("123456789012".into());
        report.region = Some("us-east-1".into());
        report.collected_at = Some("2026-11-30T06:00:00Z".into());
        let one = crate::pure::render::asff::findings(&report).unwrap();
        let base = one.first().cloned().unwrap();
        (0..n)
            .map(|i| AsffFinding {
                id: format!("{}-{i}", base.id),
                ..base.clone()
            })
            .collect()
    }

    fn quick() -> ImportOptions {
        ImportOptions {
            backoff: Duration::ZERO,
            throttle_attempts: 3,
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn two_hundred_fifty_findings_take_three_calls_of_at_most_one_hundred() {
        let fake = Fake::default();
        let list = findings(250);
        let out = block_on(import(&fake, &list, &quick())).unwrap();
        let calls = fake.calls.lock().unwrap();
        assert_eq!(
            calls.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert_eq!(out.imported, 250);
        assert_eq!(out.calls, 3);
        assert!(out.failed.is_empty());
        // Every finding sent exactly once, in order.
        let sent: Vec<&String> = calls.iter().flatten().collect();
        assert_eq!(sent, list.iter().map(|f| &f.id).collect::<Vec<_>>());
    }

    #[test]
    fn refused_findings_are_retried_once_then_reported_with_their_codes() {
        let list = findings(150);
        let (a, b) = (list[3].id.clone(), list[120].id.clone());
        // `a` is refused once (the retry takes it), `b` twice (reported).
        let fake = Fake {
            refuse: Mutex::new(vec![a.clone(), b.clone(), b.clone()]),
            ..Fake::default()
        };
        let out = block_on(import(&fake, &list, &quick())).unwrap();
        let calls = fake.calls.lock().unwrap();
        assert_eq!(calls.len(), 3, "two batches and one retry");
        assert_eq!(calls[2], vec![a.clone(), b.clone()]);
        assert_eq!(out.retried, 2);
        assert_eq!(out.imported, 149);
        assert_eq!(out.failed.len(), 1);
        assert_eq!(out.failed[0].id, b);
        assert_eq!(out.failed[0].code, "InvalidInput");
        assert!(
            out.summary()
                .contains(&format!("1 failed (InvalidInput: {b})")),
            "{}",
            out.summary()
        );
    }

    #[test]
    fn throttled_calls_are_retried_and_other_errors_stop_the_import() {
        let list = findings(120);
        let fake = Fake {
            throttle: Mutex::new(2),
            ..Fake::default()
        };
        let out = block_on(import(&fake, &list, &quick())).unwrap();
        assert_eq!(out.calls, 4, "first batch three times, second once");
        assert_eq!(out.imported, 120);

        let fake = Fake {
            throttle: Mutex::new(5),
            ..Fake::default()
        };
        let e = block_on(import(&fake, &list, &quick())).unwrap_err();
        assert_eq!(e.cause.code, "TooManyRequestsException");
        assert_eq!(
            fake.calls.lock().unwrap().len(),
            3,
            "gave up after 3 attempts"
        );

        let fake = Fake {
            deny: true,
            ..Fake::default()
        };
        let e = block_on(import(&fake, &list, &quick())).unwrap_err();
        assert_eq!(e.cause.code, "AccessDeniedException");
        assert_eq!((e.imported, e.total), (0, 120));
        assert_eq!(
            fake.calls.lock().unwrap().len(),
            1,
            "no call after a denial"
        );
    }

    #[test]
    fn the_import_future_stays_small_for_its_callers() {
        let conf = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let client = SecurityHubClient::new(&conf);
        let (list, opts) = (findings(1), quick());
        let fut = import(&client, &list, &opts);
        assert!(
            std::mem::size_of_val(&fut) < 8192,
            "{} bytes",
            std::mem::size_of_val(&fut)
        );
    }

    #[test]
    fn the_sdk_finding_carries_every_attribute() {
        let f = findings(1).remove(0);
        let s = to_sdk(&f);
        assert_eq!(s.id(), Some(f.id.as_str()));
        assert_eq!(s.product_arn(), Some(f.product_arn.as_str()));
        assert_eq!(s.aws_account_id(), Some("123456789012"));
        assert_eq!(
            s.finding_provider_fields()
                .and_then(|p| p.severity())
                .and_then(|s| s.label())
                .map(|l| l.as_str()),
            Some(f.finding_provider_fields.severity.label.as_str())
        );
        assert_eq!(
            s.compliance().and_then(|c| c.status()).map(|c| c.as_str()),
            Some(f.compliance.status.as_str())
        );
        assert_eq!(s.resources().len(), f.resources.len());
        assert_eq!(s.resources()[0].id(), Some(f.resources[0].id.as_str()));
        assert_eq!(
            s.product_fields().map(|m| m.len()),
            Some(f.product_fields.len())
        );
        assert_eq!(s.record_state().map(|r| r.as_str()), Some("ACTIVE"));
    }
}

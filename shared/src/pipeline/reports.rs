//! *report*: the scheduled function's report archive (issue 12). After each audit the JSON
//! report and the HTML report are written to the report bucket, once under the run's own
//! prefix and once as the region's `latest`:
//!
//! ```text
//! reports/<account>/<region>/<YYYYMMDDTHHMMSSZ>/report.json
//! reports/<account>/<region>/<YYYYMMDDTHHMMSSZ>/report.html
//! reports/<account>/<region>/latest.json
//! reports/<account>/<region>/latest.html
//! ```
//!
//! The time is the collection's start (the report's `collected_at`), in UTC, without separators
//! (sortable, and nothing in a key that a URL or a shell must escape). Pure: [`ReportStore`] is
//! the seam to S3 (`aws::s3::S3Reports`, a fake in tests). A failed write is in the outcome
//! ([`ReportsOutcome::error`]), never silent; the alerts of the run name it ([`ReportLink`]).

use std::future::Future;
use std::time::{Instant, SystemTime};

use serde::Serialize;

use crate::alerting::ReportLink;
use crate::engine::Report;
use crate::pure::render::{Html, Json, Render};

/// Where every report key starts (the function may write nothing else).
pub const REPORTS_PREFIX: &str = "reports/";

/// The content type of `report.json` / `latest.json`.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// The content type of `report.html` / `latest.html`.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// One object could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PutError {
    pub message: String,
}

/// Where reports go: one bucket, one object per call.
pub trait ReportStore {
    /// The bucket (for links and messages).
    fn bucket(&self) -> &str;

    /// Writes `body` at `key` with `content_type` (replacing what was there).
    fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = Result<(), PutError>> + Send;
}

/// The keys of one run's reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKeys {
    /// `reports/<account>/<region>/`
    region_prefix: String,
    /// `<YYYYMMDDTHHMMSSZ>`
    timestamp: String,
}

/// A key segment from the account or the region: anything but ASCII letters, digits, `-` and
/// `_` becomes `_` (neither ever has one; a stray `/` must not add a level).
fn segment(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unknown".to_string()
    } else {
        s
    }
}

impl ReportKeys {
    /// The keys of a run in `account` and `region` at `at`.
    pub fn new(account: &str, region: &str, at: SystemTime) -> ReportKeys {
        // RFC 3339 in UTC, whole seconds (`2026-12-03T19:00:00Z`) without its separators.
        let timestamp = crate::time::rfc3339(at).replace(['-', ':'], "");
        ReportKeys {
            region_prefix: format!("{REPORTS_PREFIX}{}/{}/", segment(account), segment(region)),
            timestamp,
        }
    }

    /// The keys of a report: its account and region, and its collection time (`now` when it has
    /// none).
    pub fn of(report: &Report, now: SystemTime) -> ReportKeys {
        let at = report
            .collected_at
            .as_deref()
            .and_then(crate::time::parse_rfc3339)
            .unwrap_or(now);
        ReportKeys::new(
            report.account_id.as_deref().unwrap_or("unknown"),
            report.region.as_deref().unwrap_or("unknown"),
            at,
        )
    }

    /// `reports/<account>/<region>/<timestamp>/report.<ext>`
    pub fn run(&self, ext: &str) -> String {
        format!("{}{}/report.{ext}", self.region_prefix, self.timestamp)
    }

    /// `reports/<account>/<region>/latest.<ext>`
    pub fn latest(&self, ext: &str) -> String {
        format!("{}latest.{ext}", self.region_prefix)
    }
}

/// What writing a run's reports did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportsOutcome {
    pub bucket: String,
    /// The keys written, in order.
    pub written: Vec<String>,
    /// The objects not written, as `key: why`.
    pub failed: Vec<String>,
    /// Why there is no HTML report (its renderer failed), if so: logged, not an error.
    pub html_skipped: Option<String>,
    /// The object the run's alerts link to: the run's HTML report, else its JSON report.
    #[serde(skip)]
    link: Option<String>,
    /// The run's JSON report key (named in the alerts when nothing could be written).
    #[serde(skip)]
    intended: String,
}

impl ReportsOutcome {
    /// The failed writes as one error, if there were any.
    pub fn error(&self) -> Option<String> {
        let first = self.failed.first()?;
        Some(format!(
            "{} report object(s) not written to s3://{}, first: {first}",
            self.failed.len(),
            self.bucket
        ))
    }

    /// What the run's alerts say about the report (`region`: the bucket's, for the console).
    pub fn link(&self, region: &str) -> ReportLink {
        match (&self.link, self.error()) {
            (Some(key), None) => ReportLink::Written {
                bucket: self.bucket.clone(),
                key: key.clone(),
                region: region.to_string(),
            },
            (Some(key), Some(error)) => ReportLink::Partial {
                bucket: self.bucket.clone(),
                key: key.clone(),
                region: region.to_string(),
                error,
            },
            (None, error) => ReportLink::Failed {
                bucket: self.bucket.clone(),
                key: self.intended.clone(),
                error: error.unwrap_or_else(|| "nothing was written".to_string()),
            },
        }
    }
}

fn rendered(renderer: &dyn Render, report: &Report) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    renderer
        .render(report, &mut body)
        .map(|()| body)
        .map_err(|e| e.to_string())
}

/// *report*: renders the JSON and HTML reports and writes each at the run's key, then as the
/// region's latest (`now`: the key's time when the report has no collection time). Starts no
/// write after `stop_at` (the writes not started are failures: the alerts must still go out in
/// time). An HTML renderer error skips the HTML objects (in [`ReportsOutcome::html_skipped`]).
pub async fn write_reports<R: ReportStore + Sync>(
    store: &R,
    report: &Report,
    html: &Html,
    now: SystemTime,
    stop_at: Option<Instant>,
) -> ReportsOutcome {
    let keys = ReportKeys::of(report, now);
    let mut out = ReportsOutcome {
        bucket: store.bucket().to_string(),
        intended: keys.run("json"),
        ..ReportsOutcome::default()
    };
    let json = rendered(&Json, report);
    let html = rendered(html, report);
    let mut bodies = Vec::new();
    match json {
        Ok(b) => bodies.push(("json", JSON_CONTENT_TYPE, b)),
        Err(e) => out
            .failed
            .push(format!("{}: rendering failed: {e}", keys.run("json"))),
    }
    match html {
        Ok(b) => bodies.push(("html", HTML_CONTENT_TYPE, b)),
        Err(e) => out.html_skipped = Some(e),
    }
    for (ext, content_type, body) in bodies {
        let run_key = keys.run(ext);
        let run_ok = put(
            store,
            &run_key,
            body.clone(),
            content_type,
            stop_at,
            &mut out,
        )
        .await;
        if run_ok {
            // The HTML report is what a person opens; the JSON one when there is no HTML.
            if ext == "html" || out.link.is_none() {
                out.link = Some(run_key);
            }
        }
        put(
            store,
            &keys.latest(ext),
            body,
            content_type,
            stop_at,
            &mut out,
        )
        .await;
    }
    out
}

async fn put<R: ReportStore + Sync>(
    store: &R,
    key: &str,
    body: Vec<u8>,
    content_type: &'static str,
    stop_at: Option<Instant>,
    out: &mut ReportsOutcome,
) -> bool {
    if stop_at.is_some_and(|t| Instant::now() >= t) {
        out.failed.push(format!(
            "{key}: not attempted, the run reached its stop time"
        ));
        return false;
    }
    match store.put(key, body, content_type).await {
        Ok(()) => {
            out.written.push(key.to_string());
            true
        }
        Err(e) => {
            out.failed.push(format!("{key}: {e}"));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::testing::reports::MemoryBucket;

    fn report(collected_at: Option<&str>) -> Report {
        let e = crate::synth::Estate::backend();
        let mut r = crate::audit(
            &e.snap,
            &crate::AuditOptions {
                manifest: Some(&e.manifest),
                ..crate::AuditOptions::default()
            },
        );
        r.account_id = Some("111122223333".into());
        r.region = Some("eu-west-1".into());
        r.collected_at = collected_at.map(str::to_string);
        r
    }

    #[test]
    fn keys_follow_the_layout_and_the_collection_time() {
        let at = UNIX_EPOCH + Duration::from_secs(1_796_324_400); // 2026-12-03T19:00:00Z
        let k = ReportKeys::new("111122223333", "eu-west-1", at);
        assert_eq!(
            k.run("json"),
            "reports/111122223333/eu-west-1/20261203T190000Z/report.json"
        );
        assert_eq!(
            k.latest("html"),
            "reports/111122223333/eu-west-1/latest.html"
        );
        // The report's own collection time wins over `now`; without one, `now`.
        let r = report(Some("2026-11-30T06:05:09Z"));
        assert_eq!(
            ReportKeys::of(&r, at).run("html"),
            "reports/111122223333/eu-west-1/20261130T060509Z/report.html"
        );
        assert_eq!(ReportKeys::of(&report(None), at), k);
        // Nothing in an account or region can add a level or leave the prefix.
        let odd = ReportKeys::new("../1/2", "", at);
        assert_eq!(odd.latest("json"), "reports/___1_2/unknown/latest.json");
    }

    #[test]
    fn a_run_writes_its_reports_and_the_latest_with_content_types() {
        let store = MemoryBucket::new();
        let r = report(Some("2026-11-30T06:05:09Z"));
        let out = futures_executor::block_on(write_reports(
            &store,
            &r,
            &Html::default(),
            SystemTime::now(),
            None,
        ));
        let puts = store.puts();
        let prefix = "reports/111122223333/eu-west-1/";
        let mut expected = vec![
            (
                format!("{prefix}20261130T060509Z/report.json"),
                JSON_CONTENT_TYPE,
            ),
            (format!("{prefix}latest.json"), JSON_CONTENT_TYPE),
        ];
        assert_eq!(out.html_skipped, None);
        expected.push((
            format!("{prefix}20261130T060509Z/report.html"),
            HTML_CONTENT_TYPE,
        ));
        expected.push((format!("{prefix}latest.html"), HTML_CONTENT_TYPE));
        let got: Vec<(String, &str)> = puts.iter().map(|(k, c, _)| (k.clone(), *c)).collect();
        assert_eq!(got, expected);
        assert_eq!(
            out.written,
            expected.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()
        );
        assert_eq!(out.error(), None);
        // The JSON objects are the versioned report, the same bytes twice.
        let v: serde_json::Value = serde_json::from_slice(&puts[0].2).unwrap();
        assert_eq!(v["account_id"], "111122223333");
        assert_eq!(puts[0].2, puts[1].2);
        // The alerts link to the run's own object (HTML when there is one), not to `latest`.
        match out.link("eu-west-1") {
            ReportLink::Written {
                bucket,
                key,
                region,
            } => {
                assert_eq!(bucket, "memory-bucket");
                assert_eq!(region, "eu-west-1");
                assert_eq!(key, format!("{prefix}20261130T060509Z/report.html"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn failed_writes_are_errors_and_the_link_says_so() {
        let store = MemoryBucket::failing("report.json");
        let r = report(Some("2026-11-30T06:05:09Z"));
        let out = futures_executor::block_on(write_reports(
            &store,
            &r,
            &Html::default(),
            SystemTime::now(),
            None,
        ));
        // The other objects are still written.
        assert!(out
            .written
            .contains(&"reports/111122223333/eu-west-1/latest.json".to_string()));
        assert_eq!(out.failed.len(), 1, "{out:?}");
        let e = out.error().unwrap();
        assert!(
            e.contains("s3://memory-bucket") && e.contains("AccessDenied"),
            "{e}"
        );
        let link = out.link("eu-west-1");
        assert!(matches!(link, ReportLink::Partial { .. }), "{link:?}");
        // A bucket that takes nothing: every object failed, none linked.
        let store = MemoryBucket::failing("reports/");
        let out = futures_executor::block_on(write_reports(
            &store,
            &r,
            &Html::default(),
            SystemTime::now(),
            None,
        ));
        assert!(out.written.is_empty());
        assert!(matches!(out.link("eu-west-1"), ReportLink::Failed { .. }));
    }

    #[test]
    fn no_write_starts_after_the_stop_time() {
        let store = MemoryBucket::new();
        let out = futures_executor::block_on(write_reports(
            &store,
            &report(None),
            &Html::default(),
            SystemTime::now(),
            Some(Instant::now()),
        ));
        assert!(store.puts().is_empty());
        assert!(out.written.is_empty());
        assert!(
            out.failed.iter().all(|f| f.contains("stop time")),
            "{out:?}"
        );
        assert!(out.error().is_some());
    }
}

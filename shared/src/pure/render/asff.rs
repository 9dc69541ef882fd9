//! The `asff` format: the report as a JSON array of AWS Security Finding Format (ASFF) findings,
//! ready for Security Hub's `BatchImportFindings` (the `aws` feature imports them:
//! `aws::securityhub`). [`findings`] builds them, [`Asff`] prints them, and [`validate`] checks
//! any ASFF JSON against the ASFF rules without using either, so the tests judge the renderer by
//! the rules rather than by itself. The mapping and what is exported: `docs/asff.md`.
//!
//! Exported: `fail` (FAILED, workflow NEW), `error` (NOT_AVAILABLE, NEW), `waived` (FAILED,
//! SUPPRESSED) and `pass` (PASSED, RESOLVED, so Security Hub resolves a finding that failed
//! before). `not_applicable` is left out, unless it resolves a baseline failure. A finding
//! resolved against the baseline (`change: resolved`) and every baseline failure that is gone
//! from the report are exported with `RecordState` ARCHIVED.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::pure::baseline::PastFinding;
use crate::pure::engine::Report;
use crate::pure::finding::{Change, Finding, ResourceType, Severity, Status};

use super::Render;

/// The ASFF schema version every finding carries.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// The one finding type plaudit reports (`namespace/category/classifier`).
pub const FINDING_TYPE: &str =
    "Software and Configuration Checks/AWS Security Best Practices/Databricks PrivateLink Networking";
/// `ProductName` and `CompanyName` (a custom integration may set them).
pub const PRODUCT_NAME: &str = "plaudit";

/// ASFF length limits, in characters (UTF-16 code units, as the service counts them).
pub const ID_MAX: usize = 512;
pub const TITLE_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 1024;
pub const RECOMMENDATION_MAX: usize = 512;
pub const PRODUCT_FIELDS_MAX: usize = 50;
pub const PRODUCT_FIELD_KEY_MAX: usize = 128;
pub const PRODUCT_FIELD_VALUE_MAX: usize = 2048;
pub const RESOURCES_MAX: usize = 32;
pub const TYPES_MAX: usize = 50;

/// The `asff` format: a JSON array of [`AsffFinding`]s.
#[derive(Debug, Clone, Default)]
pub struct Asff;

impl Render for Asff {
    /// Streams the array one finding at a time (a 10,000-VPC report would otherwise hold a
    /// gigabyte of ASFF in memory).
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let (ctx, vpcs) = context(report).map_err(io::Error::other)?;
        super::write_json_array(each(report, &ctx, &vpcs), out)
    }
}

/// Why a report cannot become ASFF: every ASFF finding needs the account, the region (for the
/// product ARN) and a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AsffError {
    #[error("ASFF needs the account id: the snapshot does not name one (set `account_id` in snapshot.json)")]
    NoAccount,
    #[error("ASFF needs a 12-digit account id, not `{0}`")]
    BadAccount(String),
    #[error("ASFF needs the region: the snapshot does not name one (pass --region)")]
    NoRegion,
    #[error("ASFF needs the collection time: the snapshot does not name one (set `collected_at` in snapshot.json)")]
    NoTime,
    #[error("ASFF needs an RFC 3339 collection time, not `{0}`")]
    BadTime(String),
}

/// `Severity.Label`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeverityLabel {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SeverityLabel::Informational => "INFORMATIONAL",
            SeverityLabel::Low => "LOW",
            SeverityLabel::Medium => "MEDIUM",
            SeverityLabel::High => "HIGH",
            SeverityLabel::Critical => "CRITICAL",
        }
    }

    fn of(s: Severity) -> SeverityLabel {
        match s {
            Severity::Info => SeverityLabel::Informational,
            Severity::Low => SeverityLabel::Low,
            Severity::Medium => SeverityLabel::Medium,
            Severity::High => SeverityLabel::High,
            Severity::Critical => SeverityLabel::Critical,
        }
    }
}

/// `Compliance.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceStatus {
    Passed,
    Warning,
    Failed,
    NotAvailable,
}

impl ComplianceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Passed => "PASSED",
            ComplianceStatus::Warning => "WARNING",
            ComplianceStatus::Failed => "FAILED",
            ComplianceStatus::NotAvailable => "NOT_AVAILABLE",
        }
    }
}

/// `Workflow.Status` (Security Hub keeps the customer's value once a finding exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowStatus {
    New,
    Notified,
    Resolved,
    Suppressed,
}

impl WorkflowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::New => "NEW",
            WorkflowStatus::Notified => "NOTIFIED",
            WorkflowStatus::Resolved => "RESOLVED",
            WorkflowStatus::Suppressed => "SUPPRESSED",
        }
    }
}

/// `RecordState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordState {
    Active,
    Archived,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Active => "ACTIVE",
            RecordState::Archived => "ARCHIVED",
        }
    }
}

/// One ASFF finding: the attributes plaudit sets, named and nested as ASFF names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: &'static str,
    /// `plaudit/<account>/<region>/<rule>/<finding id>`: stable across runs.
    pub id: String,
    pub product_arn: String,
    pub product_name: &'static str,
    pub company_name: &'static str,
    /// The rule id.
    pub generator_id: String,
    pub aws_account_id: String,
    /// The collection time (RFC 3339, UTC).
    pub created_at: String,
    pub updated_at: String,
    pub last_observed_at: String,
    pub title: String,
    pub description: String,
    pub finding_provider_fields: ProviderFields,
    pub remediation: Remediation,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<AsffResource>,
    pub compliance: Compliance,
    pub workflow: Workflow,
    pub record_state: RecordState,
}

/// `FindingProviderFields`: the provider's own severity and types (Security Hub fills the
/// top-level `Severity` and `Types` from them and keeps customers' changes to those).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProviderFields {
    pub severity: ProviderSeverity,
    pub types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProviderSeverity {
    pub label: SeverityLabel,
    /// plaudit's own severity (`critical` ... `info`).
    pub original: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One entry of `Resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    /// An ASFF resource type (`AwsEc2Vpc`, ...) or `Other`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// The ARN when it is known, else the resource id.
    pub id: String,
    pub partition: &'static str,
    pub region: String,
    /// For `Other`: the CloudFormation type, so the resource stays identifiable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ResourceDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceDetails {
    pub other: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance {
    pub status: ComplianceStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Workflow {
    pub status: WorkflowStatus,
}

/// The ASFF resource type of a plaudit resource type. NAT gateways, internet gateways and VPC
/// endpoints have no ASFF type (Security Hub's `ResourceDetails` has none for them): `Other`.
pub fn resource_type(rt: ResourceType) -> &'static str {
    match rt {
        ResourceType::Vpc => "AwsEc2Vpc",
        ResourceType::Subnet => "AwsEc2Subnet",
        ResourceType::RouteTable => "AwsEc2RouteTable",
        ResourceType::SecurityGroup => "AwsEc2SecurityGroup",
        ResourceType::NetworkAcl => "AwsEc2NetworkAcl",
        ResourceType::VpcEndpointService => "AwsEc2VpcEndpointService",
        ResourceType::InternetGateway | ResourceType::NatGateway | ResourceType::VpcEndpoint => {
            "Other"
        }
    }
}

/// The partition of a region (`aws`, `aws-us-gov`, `aws-cn`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

/// The product ARN of findings imported into `account`'s own Security Hub (the default
/// product of a custom integration).
pub fn product_arn(account: &str, region: &str) -> String {
    format!(
        "arn:{}:securityhub:{region}:{account}:product/{account}/default",
        partition(region)
    )
}

/// The ASFF `Id` of a finding (stable: the finding id with the account, region and rule that
/// make it unique and readable).
pub fn asff_id(account: &str, region: &str, rule_id: &str, finding_id: &str) -> String {
    format!("plaudit/{account}/{region}/{rule_id}/{finding_id}")
}

/// `s` cut to at most `max` UTF-16 code units on a character boundary, ending in `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        // Room is kept for the ellipsis (one code unit).
        if used + c.len_utf16() + 1 > max {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

/// What every finding of one report shares.
struct Ctx<'a> {
    account: &'a str,
    region: &'a str,
    partition: &'static str,
    product_arn: String,
    at: String,
    version: &'static str,
}

impl Ctx<'_> {
    fn resource(&self, rt: Option<ResourceType>, cfn_type: &str, id: &str) -> AsffResource {
        let arn =
            rt.and_then(|rt| crate::pure::finding::resource_arn(rt, id, self.account, self.region));
        let kind = rt.map_or("Other", resource_type);
        AsffResource {
            kind,
            id: match (arn, id.is_empty()) {
                (Some(arn), _) => arn,
                (None, false) => id.to_string(),
                // An id is required: an unnamed resource is the account's.
                (None, true) => format!("AWS::::Account:{}", self.account),
            },
            partition: self.partition,
            region: self.region.to_string(),
            details: (kind == "Other" && !cfn_type.is_empty()).then(|| ResourceDetails {
                other: BTreeMap::from([("CloudFormationType".to_string(), cfn_type.to_string())]),
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        rule_id: &str,
        finding_id: &str,
        title: &str,
        description: &str,
        severity: SeverityLabel,
        original: Severity,
        remediation: &str,
        references: &[&str],
        resources: Vec<AsffResource>,
        compliance: ComplianceStatus,
        workflow: WorkflowStatus,
        record_state: RecordState,
        product_fields: BTreeMap<String, String>,
    ) -> AsffFinding {
        AsffFinding {
            schema_version: SCHEMA_VERSION,
            id: cut(
                &asff_id(self.account, self.region, rule_id, finding_id),
                ID_MAX,
            ),
            product_arn: self.product_arn.clone(),
            product_name: PRODUCT_NAME,
            company_name: PRODUCT_NAME,
            generator_id: cut(rule_id, ID_MAX),
            aws_account_id: self.account.to_string(),
            created_at: self.at.clone(),
            updated_at: self.at.clone(),
            last_observed_at: self.at.clone(),
            title: cut(&format!("{rule_id} {title}"), TITLE_MAX),
            description: cut(description, DESCRIPTION_MAX),
            finding_provider_fields: ProviderFields {
                severity: ProviderSeverity {
                    label: severity,
                    original: original.as_str().to_string(),
                },
                types: vec![FINDING_TYPE.to_string()],
            },
            remediation: Remediation {
                recommendation: Recommendation {
                    text: cut(
                        if remediation.trim().is_empty() {
                            "See the rule's documentation (plaudit explain RULE)."
                        } else {
                            remediation
                        },
                        RECOMMENDATION_MAX,
                    ),
                    url: references
                        .iter()
                        .find(|r| r.starts_with("https://") || r.starts_with("http://"))
                        .map(|r| r.to_string()),
                },
            },
            product_fields: product_fields
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k, cut(&v, PRODUCT_FIELD_VALUE_MAX)))
                .take(PRODUCT_FIELDS_MAX)
                .collect(),
            resources: resources.into_iter().take(RESOURCES_MAX).collect(),
            compliance: Compliance { status: compliance },
            workflow: Workflow { status: workflow },
            record_state,
        }
    }

    fn fields(&self, rule_id: &str, finding_id: &str, status: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("plaudit/RuleId".to_string(), rule_id.to_string()),
            ("plaudit/FindingId".to_string(), finding_id.to_string()),
            ("plaudit/Status".to_string(), status.to_string()),
            ("plaudit/Version".to_string(), self.version.to_string()),
        ])
    }
}

/// The description: the finding's sentence, then what was expected and found.
fn describe(f: &Finding) -> String {
    let mut d = f.message.trim().to_string();
    if d.is_empty() {
        d = f.title.to_string();
    }
    if matches!(f.status, Status::Fail | Status::Waived) {
        if !f.expected.is_empty() {
            d.push_str(&format!("\n\nExpected: {}", f.expected));
        }
        if !f.actual.is_empty() {
            d.push_str(&format!("\nActual: {}", f.actual));
        }
    }
    d
}

/// "dst_nacl_in (acl-1): rule 90 blocks tcp 443" for the first failing flow's blocking hop.
fn blocking_hop(f: &Finding) -> Option<String> {
    f.paths.iter().find_map(|p| {
        let h = p.blocking_hop()?;
        let mut s = format!("{}: {}", p.id, h.hop.as_str());
        if !h.resources.is_empty() {
            s.push_str(&format!(" ({})", h.resources.join(", ")));
        }
        if !h.entries.is_empty() {
            s.push_str(&format!(": {}", h.entries.join(", ")));
        }
        if !h.detail.is_empty() {
            s.push_str(&format!(": {}", h.detail));
        }
        Some(s)
    })
}

fn of_finding(ctx: &Ctx<'_>, f: &Finding, vpcs: &BTreeMap<&str, &str>) -> Option<AsffFinding> {
    let resolved = f.change == Some(Change::Resolved);
    let (compliance, workflow) = match f.status {
        Status::Fail => (ComplianceStatus::Failed, WorkflowStatus::New),
        Status::Error => (ComplianceStatus::NotAvailable, WorkflowStatus::New),
        Status::Waived => (ComplianceStatus::Failed, WorkflowStatus::Suppressed),
        Status::Pass => (ComplianceStatus::Passed, WorkflowStatus::Resolved),
        // Only a baseline failure that no longer applies is worth a record: to archive it.
        Status::NotApplicable if resolved => {
            (ComplianceStatus::NotAvailable, WorkflowStatus::Resolved)
        }
        Status::NotApplicable => return None,
    };
    let severity = match f.status {
        Status::Pass | Status::NotApplicable => SeverityLabel::Informational,
        _ => SeverityLabel::of(f.severity),
    };
    let id = f.id.to_string();
    let mut resources = vec![ctx.resource(
        Some(f.resource_type),
        f.resource_type.as_str(),
        &f.resource_id,
    )];
    // The workspaces' VPCs, so a finding can be found from the VPC in Security Hub.
    for ws in &f.workspaces {
        if let Some(vpc) = vpcs.get(&**ws) {
            let r = ctx.resource(Some(ResourceType::Vpc), "", vpc);
            if !resources.iter().any(|x| x.id == r.id) {
                resources.push(r);
            }
        }
    }
    let mut fields = ctx.fields(&f.rule_id, &id, f.status.as_str());
    fields.insert("plaudit/Workspaces".into(), f.workspaces.join(", "));
    fields.insert("plaudit/ResourceId".into(), f.resource_id.to_string());
    if let Some(c) = f.change {
        fields.insert("plaudit/Change".into(), c.as_str().into());
    }
    if let Some(h) = blocking_hop(f) {
        fields.insert("plaudit/BlockingHop".into(), h);
    }
    if let Some(w) = &f.waiver {
        fields.insert(
            "plaudit/Waiver".into(),
            format!(
                "{} (owner {}, expires {})",
                w.reason,
                if w.owner.is_empty() { "-" } else { &w.owner },
                w.expires.as_deref().unwrap_or("never")
            ),
        );
    }
    Some(ctx.finding(
        &f.rule_id,
        &id,
        &f.title,
        &describe(f),
        severity,
        f.severity,
        &f.remediation,
        f.references(),
        resources,
        compliance,
        workflow,
        if resolved {
            RecordState::Archived
        } else {
            RecordState::Active
        },
        fields,
    ))
}

/// A baseline failure with no finding now: archived.
fn of_gone(ctx: &Ctx<'_>, p: &PastFinding) -> AsffFinding {
    let rt: Option<ResourceType> =
        serde_json::from_value(serde_json::Value::String(p.resource_type.clone())).ok();
    let meta = crate::pure::rules::meta(&p.rule_id);
    let title = if p.title.is_empty() {
        meta.map_or("", |m| m.title)
    } else {
        &p.title
    };
    let id = p.id.to_string();
    let mut fields = ctx.fields(&p.rule_id, &id, "gone");
    fields.insert("plaudit/Workspaces".into(), p.workspaces.join(", "));
    fields.insert("plaudit/ResourceId".into(), p.resource_id.clone());
    fields.insert("plaudit/Change".into(), Change::Resolved.as_str().into());
    let description = format!(
        "Resolved: this failure of the baseline has no finding now (the resource was deleted, or \
         its workspace left the audit). It was: {}",
        p.message
    );
    ctx.finding(
        &p.rule_id,
        &id,
        title,
        &description,
        SeverityLabel::Informational,
        p.severity,
        meta.map_or("", |m| m.remediation),
        meta.map_or(&[], |m| m.references),
        vec![ctx.resource(rt, &p.resource_type, &p.resource_id)],
        ComplianceStatus::NotAvailable,
        WorkflowStatus::Resolved,
        RecordState::Archived,
        fields,
    )
}

/// The report's findings as ASFF, in report order, then the baseline failures that are gone.
pub fn findings(report: &Report) -> Result<Vec<AsffFinding>, AsffError> {
    let (ctx, vpcs) = context(report)?;
    Ok(each(report, &ctx, &vpcs).collect())
}

/// What every finding of a report shares: account, region, product ARN, time; and each
/// workspace's VPC.
fn context(report: &Report) -> Result<(Ctx<'_>, BTreeMap<&str, &str>), AsffError> {
    let account = report.account_id.as_deref().ok_or(AsffError::NoAccount)?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AsffError::BadAccount(account.to_string()));
    }
    let region = report
        .region
        .as_deref()
        .filter(|r| !r.is_empty())
        .ok_or(AsffError::NoRegion)?;
    let at = report.collected_at.as_deref().ok_or(AsffError::NoTime)?;
    let at = crate::pure::time::parse_rfc3339(at)
        .map(crate::pure::time::rfc3339)
        .ok_or_else(|| AsffError::BadTime(at.to_string()))?;
    let ctx = Ctx {
        account,
        region,
        partition: partition(region),
        product_arn: product_arn(account, region),
        at,
        version: report.tool.version,
    };
    let vpcs: BTreeMap<&str, &str> = report
        .deployment
        .workspaces
        .iter()
        .map(|w| (&*w.name, w.vpc_id.as_str()))
        .collect();
    Ok((ctx, vpcs))
}

/// The report's ASFF findings, in order, then the baseline's gone failures (archived).
fn each<'a>(
    report: &'a Report,
    ctx: &'a Ctx<'a>,
    vpcs: &'a BTreeMap<&'a str, &'a str>,
) -> impl Iterator<Item = AsffFinding> + 'a {
    report
        .findings
        .iter()
        .filter_map(move |f| of_finding(ctx, f, vpcs))
        .chain(
            report
                .baseline
                .iter()
                .flat_map(|b| b.gone.iter())
                .map(move |p| of_gone(ctx, p)),
        )
}

// ---------------------------------------------------------------------------------------------
// Validation: the ASFF rules, on any JSON, independently of the types above.

/// The top-level attributes ASFF defines (a misspelt one is reported, not ignored).
const KNOWN_TOP_LEVEL: &[&str] = &[
    "Action",
    "AwsAccountId",
    "AwsAccountName",
    "CompanyName",
    "Compliance",
    "Confidence",
    "CreatedAt",
    "Criticality",
    "Description",
    "Detection",
    "FindingProviderFields",
    "FirstObservedAt",
    "GeneratorDetails",
    "GeneratorId",
    "Id",
    "LastObservedAt",
    "Malware",
    "Network",
    "NetworkPath",
    "Note",
    "PatchSummary",
    "Process",
    "ProcessedAt",
    "ProductArn",
    "ProductFields",
    "ProductName",
    "RecordState",
    "Region",
    "RelatedFindings",
    "Remediation",
    "Resources",
    "Sample",
    "SchemaVersion",
    "Severity",
    "SourceUrl",
    "ThreatIntelIndicators",
    "Threats",
    "Title",
    "Types",
    "UpdatedAt",
    "UserDefinedFields",
    "VerificationState",
    "Vulnerabilities",
    "Workflow",
    "WorkflowState",
];

const REQUIRED_STRINGS: &[(&str, usize)] = &[
    ("SchemaVersion", 32),
    ("Id", ID_MAX),
    ("ProductArn", 2048),
    ("GeneratorId", ID_MAX),
    ("AwsAccountId", 12),
    ("CreatedAt", 64),
    ("UpdatedAt", 64),
    ("Title", TITLE_MAX),
    ("Description", DESCRIPTION_MAX),
];

const TYPE_NAMESPACES: &[&str] = &[
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
];

const SEVERITY_LABELS: &[&str] = &["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
const COMPLIANCE_STATUSES: &[&str] = &["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"];
const WORKFLOW_STATUSES: &[&str] = &["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"];
const RECORD_STATES: &[&str] = &["ACTIVE", "ARCHIVED"];
const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov"];

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// A timestamp as Security Hub takes it: `YYYY-MM-DDTHH:MM:SS`, optional fraction of 1 to 9
/// digits, then `Z` or `±HH:MM`; and a real instant.
fn timestamp_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || i - start > 9 {
            return false;
        }
    }
    let zone = &s[i..];
    let zone_ok = zone == "Z"
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':'
            && zone
                .bytes()
                .enumerate()
                .all(|(j, c)| matches!(j, 0 | 3) || c.is_ascii_digit()));
    zone_ok && crate::pure::time::parse_timestamp(s).is_ok()
}

fn enum_ok(v: Option<&serde_json::Value>, allowed: &[&str]) -> Option<bool> {
    v.map(|v| v.as_str().is_some_and(|s| allowed.contains(&s)))
}

/// Checks ASFF JSON (one finding object, or an array of them as `--format asff` prints)
/// against the ASFF rules: required attributes, lengths, enumerations, the `Id`, `ProductArn`
/// and account formats, timestamps, types, resources, and unique ids in an array. Returns one
/// message per problem, empty when valid.
pub fn validate(value: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    match value {
        serde_json::Value::Array(list) => {
            let mut seen = std::collections::HashSet::new();
            for (i, f) in list.iter().enumerate() {
                for p in validate_one(f) {
                    problems.push(format!("[{i}] {p}"));
                }
                if let Some(id) = f.get("Id").and_then(|v| v.as_str()) {
                    if !seen.insert(id) {
                        problems.push(format!("[{i}] Id `{id}` appears twice"));
                    }
                }
            }
        }
        other => problems.extend(validate_one(other)),
    }
    problems
}

fn validate_one(f: &serde_json::Value) -> Vec<String> {
    let mut p = Vec::new();
    let Some(obj) = f.as_object() else {
        return vec!["a finding must be a JSON object".into()];
    };
    for key in obj.keys() {
        if !KNOWN_TOP_LEVEL.contains(&key.as_str()) {
            p.push(format!("{key}: not an ASFF attribute"));
        }
    }
    for (key, max) in REQUIRED_STRINGS {
        match obj.get(*key) {
            None => p.push(format!("{key}: required")),
            Some(v) => match v.as_str() {
                None => p.push(format!("{key}: must be a string")),
                Some("") => p.push(format!("{key}: must not be empty")),
                Some(s) if units(s) > *max => {
                    p.push(format!("{key}: {} characters, at most {max}", units(s)))
                }
                Some(_) => {}
            },
        }
    }
    let text = |k: &str| obj.get(k).and_then(|v| v.as_str()).unwrap_or("");
    if obj.contains_key("SchemaVersion") && text("SchemaVersion") != SCHEMA_VERSION {
        p.push(format!("SchemaVersion: must be {SCHEMA_VERSION}"));
    }
    let account = text("AwsAccountId");
    if obj.contains_key("AwsAccountId")
        && (account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()))
    {
        p.push("AwsAccountId: must be 12 digits".into());
    }
    if obj.contains_key("ProductArn") {
        // arn:<partition>:securityhub:<region>:<account>:product/<company>/<product>
        let arn = text("ProductArn");
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && PARTITIONS.contains(&parts[1])
            && parts[2] == "securityhub"
            && !parts[3].is_empty()
            && (parts[4].is_empty() || parts[4].len() == 12)
            && parts[5]
                .strip_prefix("product/")
                .is_some_and(|rest| rest.split('/').count() == 2 && !rest.contains("//"));
        if !ok {
            p.push(format!(
                "ProductArn: `{arn}` is not arn:<partition>:securityhub:<region>:<account>:product/<company>/<product>"
            ));
        } else if parts[5].ends_with("/default") && parts[5] != format!("product/{account}/default")
        {
            p.push("ProductArn: a default product ARN must name the finding's account".into());
        } else if parts[5].ends_with("/default") && parts[4] != account {
            p.push("ProductArn: the account must be the finding's AwsAccountId".into());
        }
    }
    if obj.contains_key("Id") && text("Id").chars().any(char::is_control) {
        p.push("Id: must not contain control characters".into());
    }
    for key in [
        "CreatedAt",
        "UpdatedAt",
        "FirstObservedAt",
        "LastObservedAt",
    ] {
        if let Some(v) = obj.get(key) {
            if !v.as_str().is_some_and(timestamp_ok) {
                p.push(format!(
                    "{key}: not an RFC 3339 timestamp Security Hub accepts (YYYY-MM-DDTHH:MM:SS[.f]Z or ±HH:MM)"
                ));
            }
        }
    }
    if let (Some(c), Some(u)) = (
        crate::pure::time::parse_rfc3339(text("CreatedAt")),
        crate::pure::time::parse_rfc3339(text("UpdatedAt")),
    ) {
        if u < c {
            p.push("UpdatedAt: earlier than CreatedAt".into());
        }
    }
    let fpf = obj.get("FindingProviderFields");
    // Severity: top level or the provider's, with a label.
    let labels = [
        obj.get("Severity").and_then(|s| s.get("Label")),
        fpf.and_then(|f| f.get("Severity"))
            .and_then(|s| s.get("Label")),
    ];
    if labels.iter().all(Option::is_none) {
        p.push(
            "Severity: required (Severity.Label or FindingProviderFields.Severity.Label)".into(),
        );
    }
    for l in labels.into_iter().flatten() {
        if !l.as_str().is_some_and(|s| SEVERITY_LABELS.contains(&s)) {
            p.push(format!(
                "Severity.Label: `{l}` is not one of {SEVERITY_LABELS:?}"
            ));
        }
    }
    // Types: top level or the provider's, namespace/category[/classifier].
    let types = [obj.get("Types"), fpf.and_then(|f| f.get("Types"))];
    if types.iter().all(Option::is_none) {
        p.push("Types: required (Types or FindingProviderFields.Types)".into());
    }
    for t in types.into_iter().flatten() {
        match t.as_array() {
            Some(list) if list.is_empty() => p.push("Types: must not be empty".into()),
            Some(list) if list.len() > TYPES_MAX => p.push(format!(
                "Types: {} entries, at most {TYPES_MAX}",
                list.len()
            )),
            Some(list) => {
                for ty in list {
                    let s = ty.as_str().unwrap_or("");
                    let segs: Vec<&str> = s.split('/').collect();
                    if !(2..=3).contains(&segs.len())
                        || !TYPE_NAMESPACES.contains(&segs[0])
                        || segs.iter().any(|x| x.is_empty())
                    {
                        p.push(format!(
                            "Types: `{s}` is not namespace/category/classifier with a valid namespace"
                        ));
                    }
                }
            }
            None => p.push("Types: must be an array".into()),
        }
    }
    match obj.get("Resources").map(|r| r.as_array()) {
        None => p.push("Resources: required".into()),
        Some(None) => p.push("Resources: must be an array".into()),
        Some(Some(list)) if list.is_empty() || list.len() > RESOURCES_MAX => p.push(format!(
            "Resources: {} entries, must be 1 to {RESOURCES_MAX}",
            list.len()
        )),
        Some(Some(list)) => {
            for (i, r) in list.iter().enumerate() {
                for key in ["Type", "Id"] {
                    if !r
                        .get(key)
                        .and_then(|v| v.as_str())
                        .is_some_and(|s| !s.is_empty() && units(s) <= 512)
                    {
                        p.push(format!(
                            "Resources[{i}].{key}: required, 1 to 512 characters"
                        ));
                    }
                }
                if enum_ok(r.get("Partition"), PARTITIONS) == Some(false) {
                    p.push(format!(
                        "Resources[{i}].Partition: not one of {PARTITIONS:?}"
                    ));
                }
                if let Some(region) = r.get("Region") {
                    if !region
                        .as_str()
                        .is_some_and(|s| !s.is_empty() && s.len() <= 16)
                    {
                        p.push(format!("Resources[{i}].Region: 1 to 16 characters"));
                    }
                }
            }
        }
    }
    if enum_ok(
        obj.get("Compliance").and_then(|c| c.get("Status")),
        COMPLIANCE_STATUSES,
    ) == Some(false)
    {
        p.push(format!(
            "Compliance.Status: not one of {COMPLIANCE_STATUSES:?}"
        ));
    }
    if enum_ok(
        obj.get("Workflow").and_then(|c| c.get("Status")),
        WORKFLOW_STATUSES,
    ) == Some(false)
    {
        p.push(format!("Workflow.Status: not one of {WORKFLOW_STATUSES:?}"));
    }
    if enum_ok(obj.get("RecordState"), RECORD_STATES) == Some(false) {
        p.push(format!("RecordState: not one of {RECORD_STATES:?}"));
    }
    if let Some(r) = obj.get("Remediation").and_then(|r| r.get("Recommendation")) {
        if let Some(t) = r.get("Text") {
            if t.as_str().is_none_or(|s| units(s) > RECOMMENDATION_MAX) {
                p.push(format!(
                    "Remediation.Recommendation.Text: a string of at most {RECOMMENDATION_MAX} characters"
                ));
            }
        }
        if let Some(u) = r.get("Url") {
            if !u
                .as_str()
                .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://"))
            {
                p.push("Remediation.Recommendation.Url: must be an http(s) URL".into());
            }
        }
    }
    if let Some(pf) = obj.get("ProductFields") {
        match pf.as_object() {
            None => p.push("ProductFields: must be an object of strings".into()),
            Some(m) => {
                if m.len() > PRODUCT_FIELDS_MAX {
                    p.push(format!(
                        "ProductFields: {} pairs, at most {PRODUCT_FIELDS_MAX}",
                        m.len()
                    ));
                }
                for (k, v) in m {
                    if k.is_empty() || units(k) > PRODUCT_FIELD_KEY_MAX {
                        p.push(format!(
                            "ProductFields: key `{k}` must have 1 to {PRODUCT_FIELD_KEY_MAX} characters"
                        ));
                    }
                    if v.as_str()
                        .is_none_or(|s| units(s) > PRODUCT_FIELD_VALUE_MAX)
                    {
                        p.push(format!(
                            "ProductFields.{k}: a string of at most {PRODUCT_FIELD_VALUE_MAX} characters"
                        ));
                    }
                }
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> serde_json::Value {
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": "plaudit/123456789012/us-east-1/PL-SG-006/0123456789abcdef",
            "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
            "GeneratorId": "PL-SG-006",
            "AwsAccountId": "123456789012",
            "CreatedAt": "2026-11-30T06:00:00Z",
            "UpdatedAt": "2026-11-30T08:00:00.123+02:00",
            "Title": "t",
            "Description": "d",
            "FindingProviderFields": {"Severity": {"Label": "HIGH"}, "Types": [FINDING_TYPE]},
            "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", "Partition": "aws", "Region": "us-east-1"}],
            "Compliance": {"Status": "FAILED"},
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE"
        })
    }

    #[test]
    fn a_minimal_valid_finding_passes() {
        assert_eq!(validate(&valid()), Vec::<String>::new());
    }

    #[test]
    fn each_rule_is_enforced() {
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            ("Title", json!("x".repeat(257)), "Title: 257 characters"),
            ("Description", json!("é".repeat(1025)), "Description: 1025"),
            (
                "AwsAccountId",
                json!("12345"),
                "AwsAccountId: must be 12 digits",
            ),
            (
                "SchemaVersion",
                json!("2019-01-01"),
                "SchemaVersion: must be",
            ),
            (
                "CreatedAt",
                json!("2026-11-30 06:00:00"),
                "CreatedAt: not an RFC 3339",
            ),
            (
                "UpdatedAt",
                json!("2026-11-30T06:00:00.1234567890Z"),
                "UpdatedAt: not",
            ),
            ("RecordState", json!("DELETED"), "RecordState: not one of"),
            ("Compliance", json!({"Status": "OK"}), "Compliance.Status"),
            ("Workflow", json!({"Status": "DONE"}), "Workflow.Status"),
            ("Resources", json!([]), "Resources: 0 entries"),
            (
                "Resources",
                json!([{"Type": "AwsEc2Vpc"}]),
                "Resources[0].Id: required",
            ),
            (
                "ProductArn",
                json!("arn:aws:securityhub:us-east-1:123456789012:product/999999999999/default"),
                "default product ARN",
            ),
            ("ProductArn", json!("arn:aws:s3:::bucket"), "is not arn:"),
            ("Types", json!(["Bogus/Category"]), "valid namespace"),
            ("Severity", json!({"Label": "SEVERE"}), "Severity.Label"),
            ("Severty", json!({}), "Severty: not an ASFF attribute"),
            (
                "ProductFields",
                json!({"k": "v".repeat(2049)}),
                "ProductFields.k",
            ),
            (
                "Remediation",
                json!({"Recommendation": {"Text": "t", "Url": "ftp://x"}}),
                "Url: must be",
            ),
        ];
        for (key, v, want) in cases {
            let mut f = valid();
            f[key] = v;
            let problems = validate(&f);
            assert!(
                problems.iter().any(|p| p.contains(want)),
                "{key}: wanted `{want}` in {problems:?}"
            );
        }
        let mut f = valid();
        f.as_object_mut().unwrap().remove("FindingProviderFields");
        let problems = validate(&f);
        assert!(
            problems.iter().any(|p| p.starts_with("Severity: required")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("Types: required")),
            "{problems:?}"
        );
        let mut f = valid();
        f.as_object_mut().unwrap().remove("Id");
        assert!(validate(&f).contains(&"Id: required".to_string()));
        // Ids unique within an array.
        let problems = validate(&json!([valid(), valid()]));
        assert!(
            problems.iter().any(|p| p.contains("appears twice")),
            "{problems:?}"
        );
    }

    #[test]
    fn cut_keeps_char_boundaries_and_marks_the_cut() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        let s = "é😀".repeat(300);
        let c = cut(&s, 256);
        assert!(
            c.encode_utf16().count() <= 256,
            "{}",
            c.encode_utf16().count()
        );
        assert!(c.ends_with('…'));
        assert!(s.starts_with(c.trim_end_matches('…')));
    }

    #[test]
    fn arns_and_types_follow_the_partition() {
        assert_eq!(
            product_arn("123456789012", "us-gov-west-1"),
            "arn:aws-us-gov:securityhub:us-gov-west-1:123456789012:product/123456789012/default"
        );
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(resource_type(ResourceType::NatGateway), "Other");
        assert_eq!(resource_type(ResourceType::NetworkAcl), "AwsEc2NetworkAcl");
    }
}

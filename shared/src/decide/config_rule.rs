//! AWS Config custom-rule logic, pure: parsing the invocation event, choosing what to report, and
//! turning findings into evaluations. The Lambda function adds the AWS calls around it.
//!
//! Decisions (see README): an `error` finding is reported as `NON_COMPLIANT` with an annotation
//! that says the state could not be read, because leaving the previous evaluation untouched would
//! keep a stale `COMPLIANT` on the dashboard. One evaluation per (Config rule, resource) aggregates
//! that resource's findings: any failure, else any error, makes it `NON_COMPLIANT`; a pass or a
//! waiver makes it `COMPLIANT`; nothing applicable makes it `NOT_APPLICABLE`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::manifest::Manifest;
use serde_json::Value;

use crate::finding::{Finding, Status};

/// The resource statuses that are evaluated; the others (deleted, not recorded) are not applicable.
const EVALUATED_STATUSES: [&str; 2] = ["OK", "ResourceDiscovered"];

/// The top level of the event Config sends. `invokingEvent` and `ruleParameters` are JSON in a
/// string. Missing optional keys are tolerated (older event versions leave some out).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigEvent {
    #[serde(default)]
    pub invoking_event: Option<String>,
    #[serde(default)]
    pub rule_parameters: Option<String>,
    #[serde(default)]
    pub result_token: Option<String>,
    #[serde(default)]
    pub event_left_scope: bool,
    #[serde(default)]
    pub config_rule_name: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
}

impl ConfigEvent {
    /// `TESTMODE` as the result token means: call `PutEvaluations` with `TestMode=true`.
    pub fn test_mode(&self) -> bool {
        self.result_token.as_deref() == Some("TESTMODE")
    }
}

/// A resource as Config names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    pub resource_type: String,
    pub resource_id: String,
}

/// What triggered the invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// A configuration change of one resource.
    Change {
        resource: ResourceKey,
        /// `OK`, `ResourceDiscovered`, `ResourceDeleted`, ...
        status: String,
        capture_time: String,
        /// The VPC the resource belongs to, when the item says.
        vpc_id: Option<String>,
    },
    /// A change whose item was too large to send: fetch it with `GetResourceConfigHistory`.
    Oversized {
        resource: ResourceKey,
        status: String,
        capture_time: String,
    },
    /// A periodic run.
    Scheduled { notification_time: String },
    /// A message type this version does not know: reply with no evaluations.
    Unknown { message_type: String },
}

/// The changed item of a `Change` or `Oversized` invocation, as one view of both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangedItem<'a> {
    pub resource: &'a ResourceKey,
    pub status: &'a str,
    pub capture_time: &'a str,
    /// The VPC the item names (an oversized item names none).
    pub vpc_id: Option<&'a str>,
    /// The item is oversized: its configuration must be fetched.
    pub oversized: bool,
}

impl ChangedItem<'_> {
    /// The resource is gone (deleted, or no longer recorded).
    pub fn deleted(&self) -> bool {
        is_deleted(self.status)
    }

    /// Whether the last known configuration item must be looked up for the VPC: the item is
    /// oversized, or the resource was deleted and its item carries no configuration.
    pub fn vpc_needs_history(&self) -> bool {
        self.oversized || (self.vpc_id.is_none() && self.deleted())
    }

    /// The NOT_APPLICABLE answer for this resource, saying why.
    fn not_applicable(&self, why: &str) -> Evaluation {
        not_applicable(self.resource, why, self.capture_time)
    }
}

/// Why a deleted resource is NOT_APPLICABLE.
const DELETED: &str = "The resource was deleted or is not recorded.";

fn not_applicable(resource: &ResourceKey, why: &str, ordering_timestamp: &str) -> Evaluation {
    Evaluation {
        resource: resource.clone(),
        compliance: Compliance::NotApplicable,
        annotation: annotation(why),
        ordering_timestamp: ordering_timestamp.to_string(),
    }
}

impl Invocation {
    /// The changed item, for a change (normal or oversized); `None` for other invocations.
    pub fn change(&self) -> Option<ChangedItem<'_>> {
        match self {
            Invocation::Change {
                resource,
                status,
                capture_time,
                vpc_id,
            } => Some(ChangedItem {
                resource,
                status,
                capture_time,
                vpc_id: vpc_id.as_deref(),
                oversized: false,
            }),
            Invocation::Oversized {
                resource,
                status,
                capture_time,
            } => Some(ChangedItem {
                resource,
                status,
                capture_time,
                vpc_id: None,
                oversized: true,
            }),
            Invocation::Scheduled { .. } | Invocation::Unknown { .. } => None,
        }
    }
}

/// Why an event could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigEventError {
    #[error("the event is not a Config rule event: {0}")]
    Envelope(String),
    #[error("invokingEvent is missing")]
    NoInvokingEvent,
    #[error("invokingEvent is not JSON: {0}")]
    InvokingEventNotJson(String),
    #[error("invokingEvent.{field} is missing or not a string")]
    Field { field: &'static str },
    #[error("ruleParameters is not a JSON object: {0}")]
    Parameters(String),
    #[error("ruleParameters `rules`: `{0}` is not a plaudit rule id or family")]
    UnknownRule(String),
}

/// The rule parameters plaudit reads: `{"rules": "PL-SG,PL-NACL"}` (ids or families; a JSON array
/// works too). Without them, every rule is reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleParameters {
    pub rules: Vec<String>,
}

/// Parses the event envelope.
pub fn parse_event(raw: &Value) -> Result<ConfigEvent, ConfigEventError> {
    serde_json::from_value(raw.clone()).map_err(|e| ConfigEventError::Envelope(e.to_string()))
}

fn text<'a>(v: &'a Value, key: &'static str) -> Result<&'a str, ConfigEventError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or(ConfigEventError::Field { field: key })
}

fn vpc_of(item: &Value) -> Option<String> {
    if item.get("resourceType").and_then(Value::as_str) == Some("AWS::EC2::VPC") {
        return item
            .get("resourceId")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    if let Some(v) = item.pointer("/configuration/vpcId").and_then(Value::as_str) {
        return Some(v.to_string());
    }
    item.get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| r.get("resourceType").and_then(Value::as_str) == Some("AWS::EC2::VPC"))
        .and_then(|r| r.get("resourceId").and_then(Value::as_str))
        .map(str::to_string)
}

/// Parses `invokingEvent`.
pub fn parse_invocation(event: &ConfigEvent) -> Result<Invocation, ConfigEventError> {
    let raw = event
        .invoking_event
        .as_deref()
        .ok_or(ConfigEventError::NoInvokingEvent)?;
    let v: Value = serde_json::from_str(raw)
        .map_err(|e| ConfigEventError::InvokingEventNotJson(e.to_string()))?;
    let message_type = text(&v, "messageType")?;
    let key = |item: &Value| -> Result<ResourceKey, ConfigEventError> {
        Ok(ResourceKey {
            resource_type: text(item, "resourceType")?.to_string(),
            resource_id: text(item, "resourceId")?.to_string(),
        })
    };
    match message_type {
        "ConfigurationItemChangeNotification" => {
            let item = v.get("configurationItem").ok_or(ConfigEventError::Field {
                field: "configurationItem",
            })?;
            Ok(Invocation::Change {
                resource: key(item)?,
                status: text(item, "configurationItemStatus")?.to_string(),
                capture_time: text(item, "configurationItemCaptureTime")?.to_string(),
                vpc_id: vpc_of(item),
            })
        }
        "OversizedConfigurationItemChangeNotification" => {
            let item = v
                .get("configurationItemSummary")
                .ok_or(ConfigEventError::Field {
                    field: "configurationItemSummary",
                })?;
            Ok(Invocation::Oversized {
                resource: key(item)?,
                status: text(item, "configurationItemStatus")?.to_string(),
                capture_time: text(item, "configurationItemCaptureTime")?.to_string(),
            })
        }
        "ScheduledNotification" => Ok(Invocation::Scheduled {
            notification_time: text(&v, "notificationCreationTime")?.to_string(),
        }),
        other => Ok(Invocation::Unknown {
            message_type: other.to_string(),
        }),
    }
}

/// The VPC of an item fetched with `GetResourceConfigHistory` (whose `configuration` is a JSON
/// string and whose relationships use other field names).
pub fn vpc_of_history_item(
    resource_type: &str,
    resource_id: &str,
    configuration: Option<&str>,
    relationships: &[(String, String)],
) -> Option<String> {
    if resource_type == "AWS::EC2::VPC" {
        return Some(resource_id.to_string());
    }
    if let Some(v) = configuration
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .and_then(|c| c.get("vpcId").and_then(Value::as_str).map(str::to_string))
    {
        return Some(v);
    }
    relationships
        .iter()
        .find(|(t, _)| t == "AWS::EC2::VPC")
        .map(|(_, id)| id.clone())
}

/// Parses `ruleParameters`.
pub fn parse_parameters(event: &ConfigEvent) -> Result<RuleParameters, ConfigEventError> {
    let Some(raw) = event
        .rule_parameters
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    else {
        return Ok(RuleParameters::default());
    };
    let v: Value =
        serde_json::from_str(raw).map_err(|e| ConfigEventError::Parameters(e.to_string()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| ConfigEventError::Parameters("expected an object".into()))?;
    let rules: Vec<String> = match obj.get("rules") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|x| x.trim().to_ascii_uppercase())
            .filter(|x| !x.is_empty())
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|x| x.trim().to_ascii_uppercase())
            .collect(),
        Some(_) => {
            return Err(ConfigEventError::Parameters(
                "`rules` must be a string or an array".into(),
            ))
        }
    };
    if let Some(bad) = rules
        .iter()
        .find(|r| crate::rules::select(std::slice::from_ref(r)).is_empty())
    {
        return Err(ConfigEventError::UnknownRule(bad.clone()));
    }
    Ok(RuleParameters { rules })
}

/// Config's verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Compliance {
    Compliant,
    NonCompliant,
    NotApplicable,
}

impl Compliance {
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "COMPLIANT",
            Compliance::NonCompliant => "NON_COMPLIANT",
            Compliance::NotApplicable => "NOT_APPLICABLE",
        }
    }
}

/// One evaluation to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub resource: ResourceKey,
    pub compliance: Compliance,
    /// At most 256 bytes, never empty (left out rather than sent empty).
    pub annotation: Option<String>,
    /// RFC 3339: the item's capture time for a change, the notification time for a periodic run.
    pub ordering_timestamp: String,
}

/// The IAM actions the Config-rule function uses on AWS Config.
pub const CONFIG_ACTIONS: [&str; 3] = [
    "config:GetComplianceDetailsByConfigRule",
    "config:GetResourceConfigHistory",
    "config:PutEvaluations",
];

/// The largest annotation Config takes.
pub const ANNOTATION_MAX_BYTES: usize = 256;

/// At most this many evaluations per `PutEvaluations` call.
pub const EVALUATIONS_PER_CALL: usize = 100;

/// Cuts text to `ANNOTATION_MAX_BYTES` on a character boundary, marking the cut.
pub fn annotation(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.len() <= ANNOTATION_MAX_BYTES {
        return Some(t.to_string());
    }
    const MARK: &str = " [truncated]";
    let mut end = ANNOTATION_MAX_BYTES - MARK.len();
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{}{MARK}", &t[..end]))
}

/// One evaluation per resource, aggregating its findings (see the module documentation).
/// `scope`, when given, keeps only those resources (a change re-evaluates one VPC).
pub fn evaluations(
    findings: &[Finding],
    scope: Option<&BTreeSet<ResourceKey>>,
    ordering_timestamp: &str,
) -> Vec<Evaluation> {
    let mut by_resource: BTreeMap<ResourceKey, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let key = ResourceKey {
            resource_type: f.resource_type.as_str().to_string(),
            resource_id: f.resource_id.to_string(),
        };
        if scope.is_some_and(|s| !s.contains(&key)) {
            continue;
        }
        by_resource.entry(key).or_default().push(f);
    }
    by_resource
        .into_iter()
        .map(|(resource, fs)| {
            let failing: Vec<&&Finding> = fs.iter().filter(|f| f.status == Status::Fail).collect();
            let errors: Vec<&&Finding> = fs.iter().filter(|f| f.status == Status::Error).collect();
            let (compliance, text) = if !failing.is_empty() {
                let ids: Vec<&str> = failing.iter().map(|f| &*f.rule_id).collect();
                (
                    Compliance::NonCompliant,
                    format!("{}: {}", ids.join(", "), failing[0].message),
                )
            } else if !errors.is_empty() {
                (
                    Compliance::NonCompliant,
                    format!(
                        "Could not evaluate ({}): {}",
                        errors
                            .iter()
                            .map(|f| &*f.rule_id)
                            .collect::<Vec<_>>()
                            .join(", "),
                        errors[0].message
                    ),
                )
            } else if fs
                .iter()
                .any(|f| matches!(f.status, Status::Pass | Status::Waived))
            {
                let waived = fs.iter().filter(|f| f.status == Status::Waived).count();
                (
                    Compliance::Compliant,
                    if waived > 0 {
                        format!("{waived} finding(s) waived")
                    } else {
                        String::new()
                    },
                )
            } else {
                (Compliance::NotApplicable, String::new())
            };
            Evaluation {
                resource,
                compliance,
                annotation: annotation(&text),
                ordering_timestamp: ordering_timestamp.to_string(),
            }
        })
        .collect()
}

/// Every resource of a VPC that plaudit reports on: what a change anywhere in the VPC
/// re-evaluates (a security-group change can break a flow that a NACL finding describes).
pub fn resources_of_vpc(ix: &crate::index::Index<'_>, vpc_id: &str) -> BTreeSet<ResourceKey> {
    use crate::finding::ResourceType as R;
    let k = |t: R, id: &str| ResourceKey {
        resource_type: t.as_str().to_string(),
        resource_id: id.to_string(),
    };
    let mut out = BTreeSet::from([k(R::Vpc, vpc_id)]);
    for s in ix.subnets_by_vpc.get(vpc_id).into_iter().flatten() {
        out.insert(k(R::Subnet, &s.subnet_id));
        if let Some(acl) = ix.acl_for(&s.subnet_id) {
            out.insert(k(R::NetworkAcl, acl.id));
        }
    }
    for t in ix.rts_by_vpc.get(vpc_id).into_iter().flatten() {
        out.insert(k(R::RouteTable, &t.route_table_id));
    }
    for g in ix.groups_in(vpc_id) {
        out.insert(k(R::SecurityGroup, &g.group_id));
    }
    for e in ix.endpoints(vpc_id) {
        out.insert(k(R::VpcEndpoint, &e.vpc_endpoint_id));
    }
    for g in ix.igws_by_vpc.get(vpc_id).into_iter().flatten() {
        out.insert(k(R::InternetGateway, &g.internet_gateway_id));
    }
    for n in ix.nats_by_vpc.get(vpc_id).into_iter().flatten() {
        out.insert(k(R::NatGateway, &n.nat_gateway_id));
    }
    out
}

/// Why a run could not see everything: the first `error` finding's message, if any.
pub fn blind_reason(findings: &[crate::finding::Finding]) -> Option<String> {
    findings
        .iter()
        .find(|f| f.status == crate::finding::Status::Error)
        .map(|f| f.message.clone())
}

/// The resources Config still shows for this rule that the current periodic run no longer
/// reports (matched on type and id): `NOT_APPLICABLE` when the run saw everything; when it could
/// not (`blind`: why), `NON_COMPLIANT` with the reason, since a resource missing from a partial
/// read may well still exist. Only for periodic runs: doing it on a change would wipe every other
/// resource's result.
pub fn stale(
    previous: &[ResourceKey],
    current: &[Evaluation],
    ordering_timestamp: &str,
    blind: Option<&str>,
) -> Vec<Evaluation> {
    let now: BTreeSet<&ResourceKey> = current.iter().map(|e| &e.resource).collect();
    let (compliance, note) = match blind {
        None => (
            Compliance::NotApplicable,
            "No longer in plaudit's audit scope.".to_string(),
        ),
        Some(why) => (
            Compliance::NonCompliant,
            format!("plaudit could not evaluate this resource: {why}"),
        ),
    };
    let mut out: Vec<Evaluation> = previous
        .iter()
        .filter(|k| !now.contains(k))
        .map(|k| Evaluation {
            resource: k.clone(),
            compliance,
            annotation: annotation(&note),
            ordering_timestamp: ordering_timestamp.to_string(),
        })
        .collect();
    out.sort_by(|a, b| a.resource.cmp(&b.resource));
    out.dedup_by(|a, b| a.resource == b.resource);
    out
}

/// The single evaluation for a change that left the rule's scope or whose resource is gone.
pub fn change_not_applicable(event: &ConfigEvent, invocation: &Invocation) -> Option<Evaluation> {
    let item = invocation.change()?;
    if event.event_left_scope {
        Some(item.not_applicable("The resource left the rule's scope."))
    } else {
        item.deleted().then(|| item.not_applicable(DELETED))
    }
}

/// Whether a change's configuration item says the resource is gone.
pub fn is_deleted(status: &str) -> bool {
    !EVALUATED_STATUSES.contains(&status)
}

/// What a change run reads and answers for.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeScope {
    /// The resource's VPC is not in the manifest: not applicable, nothing to read.
    OutsideManifest { vpc_id: String },
    /// Read `collect` (empty: the region scope), audit with `manifest`, and answer for the
    /// resources of `report_vpc` (`None`: every resource, for an endpoint service).
    Audit {
        collect: Vec<String>,
        manifest: Option<Manifest>,
        report_vpc: Option<String>,
    },
}

/// The scope of a change in `vpc` (`None`: a resource of no VPC, an endpoint service, which is
/// evaluated region-wide). With a manifest, only the workspaces of that VPC are audited (other
/// VPCs are neither read nor reported as errors); a change in a transit VPC reads every VPC of
/// the manifest, since the transit VPC serves their front ends.
pub fn change_scope(manifest: Option<&Manifest>, vpc: Option<&str>) -> ChangeScope {
    let Some(vpc) = vpc else {
        return ChangeScope::Audit {
            collect: manifest.map(Manifest::vpc_ids).unwrap_or_default(),
            manifest: manifest.cloned(),
            report_vpc: None,
        };
    };
    let Some(m) = manifest else {
        return ChangeScope::Audit {
            collect: vec![vpc.to_string()],
            manifest: None,
            report_vpc: Some(vpc.to_string()),
        };
    };
    if m.transit_vpcs.iter().any(|t| t.vpc_id == vpc) {
        return ChangeScope::Audit {
            collect: m.vpc_ids(),
            manifest: Some(m.clone()),
            report_vpc: Some(vpc.to_string()),
        };
    }
    if !m.workspaces.iter().any(|w| w.vpc_id == vpc) {
        return ChangeScope::OutsideManifest {
            vpc_id: vpc.to_string(),
        };
    }
    let mut scoped = m.clone();
    scoped.workspaces.retain(|w| w.vpc_id == vpc);
    let mut collect: Vec<String> = std::iter::once(vpc.to_string())
        .chain(m.transit_vpcs.iter().map(|t| t.vpc_id.clone()))
        .collect();
    collect.sort();
    collect.dedup();
    ChangeScope::Audit {
        collect,
        manifest: Some(scoped),
        report_vpc: Some(vpc.to_string()),
    }
}

/// Why a report cannot prove absence: its collection was partial, or some rule could not run.
pub fn report_blind_reason(report: &crate::engine::Report) -> Option<String> {
    if report.collection.partial {
        let apis: Vec<String> = report
            .collection
            .errors
            .iter()
            .map(|f| format!("{} ({})", f.api, f.code))
            .collect();
        return Some(format!(
            "the collection was partial: {} could not be read",
            apis.join(", ")
        ));
    }
    blind_reason(&report.findings)
}

/// The evaluations of a change run: every resource in `scope` (`None`: all) that the report
/// covers, and always the changed resource. When the report is blind (a partial collection or
/// an error), nothing is declared NOT_APPLICABLE: the changed resource gets NON_COMPLIANT with
/// the reason, other not-applicable results are left unsent (Config keeps their last verdict).
pub fn change_evaluations(
    report: &crate::engine::Report,
    scope: Option<&BTreeSet<ResourceKey>>,
    resource: &ResourceKey,
    capture_time: &str,
) -> Vec<Evaluation> {
    let blind = report_blind_reason(report);
    let mut evals = evaluations(&report.findings, scope, capture_time);
    if let Some(why) = &blind {
        evals.retain(|e| e.compliance != Compliance::NotApplicable || e.resource == *resource);
        let note = format!("plaudit could not evaluate this VPC: {why}");
        for e in evals.iter_mut().filter(|e| e.resource == *resource) {
            if e.compliance == Compliance::NotApplicable {
                e.compliance = Compliance::NonCompliant;
                e.annotation = annotation(&note);
            }
        }
    }
    if !evals.iter().any(|e| e.resource == *resource) {
        evals.push(Evaluation {
            resource: resource.clone(),
            compliance: if blind.is_some() {
                Compliance::NonCompliant
            } else {
                Compliance::NotApplicable
            },
            annotation: blind
                .as_deref()
                .and_then(|why| annotation(&format!("plaudit could not evaluate this VPC: {why}"))),
            ordering_timestamp: capture_time.to_string(),
        });
    }
    in_sending_order(evals)
}

/// The evaluations of a periodic run: every resource the report covers, and the resources Config
/// still shows (`previous`) that the run no longer reports. A blind run declares nothing not
/// applicable: a resource it would call so, that Config has a verdict for, gets NON_COMPLIANT
/// with the reason; one Config has never seen is left out.
pub fn periodic_evaluations(
    report: &crate::engine::Report,
    previous: &[ResourceKey],
    notification_time: &str,
) -> Vec<Evaluation> {
    let blind = report_blind_reason(report);
    let mut evals = evaluations(&report.findings, None, notification_time);
    if let Some(why) = &blind {
        let known: BTreeSet<&ResourceKey> = previous.iter().collect();
        let note = format!("plaudit could not evaluate this resource: {why}");
        evals.retain(|e| e.compliance != Compliance::NotApplicable || known.contains(&e.resource));
        for e in evals
            .iter_mut()
            .filter(|e| e.compliance == Compliance::NotApplicable)
        {
            e.compliance = Compliance::NonCompliant;
            e.annotation = annotation(&note);
        }
    }
    let gone = stale(previous, &evals, notification_time, blind.as_deref());
    let mut out = in_sending_order(evals);
    out.extend(gone);
    out
}

/// The order evaluations are sent in, so that a run cut short by its deadline leaves the
/// dashboard as right as it can: failures first, then passes, then not-applicable (stale
/// clean-up comes after all of them).
pub fn in_sending_order(mut evals: Vec<Evaluation>) -> Vec<Evaluation> {
    evals.sort_by_key(|e| match e.compliance {
        Compliance::NonCompliant => 0,
        Compliance::Compliant => 1,
        Compliance::NotApplicable => 2,
    });
    evals
}

/// The AWS Config calls a Config run makes, without SDK types: the SDK client implements it in
/// `aws::config`, `testing::config::FakeConfig` in tests.
pub trait ConfigApi {
    /// Sends one chunk (at most [`EVALUATIONS_PER_CALL`]); returns the evaluations Config
    /// rejected.
    fn put_evaluations(
        &self,
        token: &str,
        test_mode: bool,
        chunk: &[Evaluation],
    ) -> impl std::future::Future<Output = Result<Vec<ResourceKey>, ConfigApiError>> + Send;
    /// The resources Config currently shows as compliant or not for a rule.
    fn reported_resources(
        &self,
        rule_name: &str,
    ) -> impl std::future::Future<Output = Result<Vec<ResourceKey>, ConfigApiError>> + Send;
    /// The VPC of a resource, from its last configuration item at or before `capture_time` that
    /// names one (oversized items, and deleted resources whose last item has no configuration).
    fn vpc_from_history(
        &self,
        resource: &ResourceKey,
        capture_time: &str,
    ) -> impl std::future::Future<Output = Result<Option<String>, ConfigApiError>> + Send;
}

/// A Config call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{api} failed: {message}")]
pub struct ConfigApiError {
    pub api: &'static str,
    pub message: String,
}

/// What a change run does, decided before anything is read.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangePlan {
    /// Nothing to read: these evaluations answer the change (the resource left the rule's
    /// scope, belongs to no VPC, or to a VPC outside the manifest).
    Answer(Vec<Evaluation>),
    /// Read and audit a scope, then answer with [`ChangeAudit::evaluations`].
    Audit(Box<ChangeAudit>),
}

/// A change run that audits: what to read, with which manifest, and what to answer for.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeAudit {
    /// The VPCs to read (empty: the region, or the manifest's VPCs).
    pub collect: Vec<String>,
    /// The manifest narrowed to the changed VPC's workspaces (plus the transit VPCs).
    pub manifest: Option<Manifest>,
    /// The VPC whose resources are reported (`None`: every resource, for an endpoint service).
    pub report_vpc: Option<String>,
    pub resource: ResourceKey,
    pub capture_time: String,
    /// The resource is gone: it is reported NOT_APPLICABLE whatever the audit says of it.
    pub deleted: bool,
}

/// Decides a change run (defects 3 and 4 of issue 10): a resource that left the scope or
/// belongs to no audited VPC is answered without reading anything; a resource of a manifest VPC
/// re-evaluates that VPC's workspaces only; a deletion re-evaluates the VPC it was in (`vpc`,
/// from the last known item), so the rules that depended on it fail at once; an endpoint
/// service (no VPC) is evaluated region-wide.
pub fn plan_change(
    event: &ConfigEvent,
    invocation: &Invocation,
    manifest: Option<&Manifest>,
    vpc: Option<&str>,
) -> ChangePlan {
    let Some(item) = invocation.change() else {
        return ChangePlan::Answer(Vec::new());
    };
    let resource = item.resource;
    if event.event_left_scope {
        return ChangePlan::Answer(
            change_not_applicable(event, invocation)
                .into_iter()
                .collect(),
        );
    }
    let endpoint_service = resource.resource_type == "AWS::EC2::VPCEndpointService";
    let gone = change_not_applicable(event, invocation);
    if vpc.is_none() && !endpoint_service {
        return ChangePlan::Answer(vec![gone.unwrap_or_else(|| {
            item.not_applicable("The resource belongs to no VPC that plaudit audits.")
        })]);
    }
    match change_scope(manifest, vpc) {
        ChangeScope::OutsideManifest { vpc_id } => {
            ChangePlan::Answer(vec![gone.unwrap_or_else(|| {
                item.not_applicable(&format!("{vpc_id} is not a VPC of the plaudit manifest."))
            })])
        }
        ChangeScope::Audit {
            collect,
            manifest,
            report_vpc,
        } => ChangePlan::Audit(Box::new(ChangeAudit {
            collect,
            manifest,
            report_vpc,
            resource: resource.clone(),
            capture_time: item.capture_time.to_string(),
            deleted: item.deleted(),
        })),
    }
}

impl ChangeAudit {
    /// The evaluations of the audited change, and the part of the estate they answer for (the
    /// drift sync touches only its records: the VPC, its workspaces, its resources).
    pub fn evaluations(
        &self,
        report: &crate::engine::Report,
        index: &crate::index::Index<'_>,
    ) -> (Vec<Evaluation>, crate::drift::Scope) {
        let scope = self.report_vpc.as_deref().map(|v| {
            let mut keys = resources_of_vpc(index, v);
            keys.insert(self.resource.clone());
            keys
        });
        let mut evals =
            change_evaluations(report, scope.as_ref(), &self.resource, &self.capture_time);
        if self.deleted {
            evals.retain(|e| e.resource != self.resource);
            evals.push(not_applicable(&self.resource, DELETED, &self.capture_time));
        }
        let drift_scope = match (&self.report_vpc, scope) {
            (Some(vpc), Some(keys)) => crate::drift::Scope::only(
                [vpc.clone()],
                self.manifest
                    .iter()
                    .flat_map(|m| m.workspaces.iter().map(|w| w.name.clone())),
                keys.into_iter().map(|k| k.resource_id),
            ),
            _ => crate::drift::Scope::Everything,
        };
        (evals, drift_scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(invoking: Value, params: Option<&str>) -> ConfigEvent {
        parse_event(&json!({
            "version": "1.0",
            "invokingEvent": invoking.to_string(),
            "ruleParameters": params,
            "resultToken": "TESTMODE",
            "eventLeftScope": false,
            "configRuleName": "plaudit-security-groups",
            "accountId": "123456789012"
        }))
        .unwrap()
    }

    #[test]
    fn parses_the_three_message_types_and_tolerates_unknown_ones() {
        let change = event(
            json!({"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": "2026-11-30T06:00:01Z",
                   "configurationItem": {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "configurationItemStatus": "OK",
                       "configurationItemCaptureTime": "2026-11-30T06:00:00Z", "configuration": {"vpcId": "vpc-1"}, "relationships": []}}),
            None,
        );
        assert!(change.test_mode());
        match parse_invocation(&change).unwrap() {
            Invocation::Change {
                resource,
                vpc_id,
                capture_time,
                ..
            } => {
                assert_eq!(resource.resource_id, "sg-1");
                assert_eq!(vpc_id.as_deref(), Some("vpc-1"));
                assert_eq!(capture_time, "2026-11-30T06:00:00Z");
            }
            other => panic!("{other:?}"),
        }
        let subnet = event(
            json!({"messageType": "ConfigurationItemChangeNotification",
                   "configurationItem": {"resourceType": "AWS::EC2::NetworkAcl", "resourceId": "acl-1", "configurationItemStatus": "OK",
                       "configurationItemCaptureTime": "t", "relationships": [{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-9", "name": "Is contained in Vpc"}]}}),
            None,
        );
        assert!(
            matches!(parse_invocation(&subnet).unwrap(), Invocation::Change { vpc_id: Some(v), .. } if v == "vpc-9")
        );
        let oversized = event(
            json!({"messageType": "OversizedConfigurationItemChangeNotification",
                   "configurationItemSummary": {"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-2", "configurationItemStatus": "ResourceDeleted", "configurationItemCaptureTime": "t2"}}),
            None,
        );
        let inv = parse_invocation(&oversized).unwrap();
        assert!(
            matches!(&inv, Invocation::Oversized { resource, .. } if resource.resource_id == "vpc-2")
        );
        let na = change_not_applicable(&oversized, &inv).unwrap();
        assert_eq!(na.compliance, Compliance::NotApplicable);
        assert_eq!(na.ordering_timestamp, "t2");
        let periodic = event(
            json!({"messageType": "ScheduledNotification", "notificationCreationTime": "2026-11-30T07:00:00Z", "awsAccountId": "1"}),
            None,
        );
        assert_eq!(
            parse_invocation(&periodic).unwrap(),
            Invocation::Scheduled {
                notification_time: "2026-11-30T07:00:00Z".into()
            }
        );
        let unknown = event(
            json!({"messageType": "ConfigurationSnapshotDeliveryCompleted"}),
            None,
        );
        assert!(matches!(
            parse_invocation(&unknown).unwrap(),
            Invocation::Unknown { .. }
        ));
    }

    #[test]
    fn malformed_events_are_errors_not_evaluations() {
        let mut e = event(json!({}), None);
        e.invoking_event = Some("{not json".into());
        assert!(matches!(
            parse_invocation(&e),
            Err(ConfigEventError::InvokingEventNotJson(_))
        ));
        e.invoking_event = Some(json!({"messageType": 7}).to_string());
        assert_eq!(
            parse_invocation(&e),
            Err(ConfigEventError::Field {
                field: "messageType"
            })
        );
        e.invoking_event = None;
        assert_eq!(parse_invocation(&e), Err(ConfigEventError::NoInvokingEvent));
        assert!(parse_event(&json!("a string")).is_err());
        // eventLeftScope may be missing.
        assert!(parse_event(&json!({"invokingEvent": "{}"})).is_ok());
    }

    #[test]
    fn rule_parameters_select_rules_and_reject_typos() {
        assert_eq!(
            parse_parameters(&event(json!({}), Some(r#"{"rules": "pl-sg, PL-EP-006"}"#)))
                .unwrap()
                .rules,
            vec!["PL-SG", "PL-EP-006"]
        );
        assert_eq!(
            parse_parameters(&event(json!({}), Some(r#"{"rules": ["PL-NACL"]}"#)))
                .unwrap()
                .rules,
            vec!["PL-NACL"]
        );
        assert!(parse_parameters(&event(json!({}), None))
            .unwrap()
            .rules
            .is_empty());
        assert_eq!(
            parse_parameters(&event(json!({}), Some(r#"{"rules": "PL-SGG"}"#))),
            Err(ConfigEventError::UnknownRule("PL-SGG".into()))
        );
        assert!(parse_parameters(&event(json!({}), Some("[1]"))).is_err());
    }

    #[test]
    fn annotations_are_cut_on_a_character_boundary() {
        let long = "é".repeat(300);
        let a = annotation(&long).unwrap();
        assert!(a.len() <= ANNOTATION_MAX_BYTES, "{}", a.len());
        assert!(a.ends_with(" [truncated]"));
        assert_eq!(annotation("   "), None);
        assert_eq!(annotation("ok").as_deref(), Some("ok"));
    }

    #[test]
    fn one_evaluation_per_resource_with_errors_never_compliant() {
        use crate::engine::{audit, AuditOptions};
        use crate::synth::{Estate, Ids};
        let mut e = Estate::backend();
        e.drop_relay_egress();
        let f = audit(
            &e.snap,
            &AuditOptions {
                manifest: Some(&e.manifest),
                ..AuditOptions::default()
            },
        )
        .findings;
        let evals = evaluations(&f, None, "2026-11-30T07:00:00Z");
        let keys: BTreeSet<&ResourceKey> = evals.iter().map(|e| &e.resource).collect();
        assert_eq!(keys.len(), evals.len(), "one evaluation per resource");
        let sg = evals
            .iter()
            .find(|x| x.resource.resource_id == Ids::new(0).ws_sg)
            .unwrap();
        assert_eq!(sg.compliance, Compliance::NonCompliant);
        assert!(sg.annotation.as_deref().unwrap().starts_with("PL-SG-006: "));
        // Blind: the endpoint rules cannot read their input; their VPC-level result is not compliant.
        e.not_collected(crate::snapshot::Input::VpcEndpoints);
        let f = audit(
            &e.snap,
            &AuditOptions {
                manifest: Some(&e.manifest),
                ..AuditOptions::default()
            },
        )
        .findings;
        let evals = evaluations(&f, None, "t");
        let vpc = evals
            .iter()
            .find(|x| x.resource.resource_id == Ids::new(0).vpc)
            .unwrap();
        assert_eq!(vpc.compliance, Compliance::NonCompliant);
        assert!(
            vpc.annotation
                .as_deref()
                .unwrap()
                .starts_with("Could not evaluate"),
            "{vpc:?}"
        );
        // Scoped to one resource, and chunked for PutEvaluations.
        let scope: BTreeSet<ResourceKey> = [ResourceKey {
            resource_type: "AWS::EC2::SecurityGroup".into(),
            resource_id: Ids::new(0).ws_sg,
        }]
        .into();
        assert_eq!(evaluations(&f, Some(&scope), "t").len(), 1);
        let many: Vec<Evaluation> = (0..250)
            .map(|i| Evaluation {
                resource: ResourceKey {
                    resource_type: "AWS::EC2::VPC".into(),
                    resource_id: format!("vpc-{i}"),
                },
                compliance: Compliance::Compliant,
                annotation: None,
                ordering_timestamp: "t".into(),
            })
            .collect();
        assert_eq!(
            many.chunks(EVALUATIONS_PER_CALL)
                .map(|c| c.len())
                .collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
    }

    #[test]
    fn a_change_re_evaluates_its_whole_vpc_and_nothing_else() {
        use crate::engine::{audit, AuditOptions};
        use crate::synth::{Estate, Ids};
        let mut e = Estate::backend();
        e.add_vpc(1, true);
        let ix = crate::index::Index::new(&e.snap);
        let scope = resources_of_vpc(&ix, &Ids::new(0).vpc);
        assert!(
            scope
                .iter()
                .any(|k| k.resource_id == Ids::new(0).acl
                    && k.resource_type == "AWS::EC2::NetworkAcl")
        );
        assert!(scope.iter().any(|k| k.resource_id == Ids::new(0).relay));
        assert!(!scope.iter().any(|k| k.resource_id == Ids::new(1).vpc));
        let f = audit(
            &e.snap,
            &AuditOptions {
                manifest: Some(&e.manifest),
                ..AuditOptions::default()
            },
        )
        .findings;
        let evals = evaluations(&f, Some(&scope), "t");
        assert!(!evals.is_empty());
        assert!(evals.iter().all(|x| scope.contains(&x.resource)));
        assert!(evals
            .iter()
            .any(|x| x.resource.resource_type == "AWS::EC2::SecurityGroup"));
    }

    #[test]
    fn stale_resources_become_not_applicable_by_type_and_id() {
        let k = |t: &str, id: &str| ResourceKey {
            resource_type: t.into(),
            resource_id: id.into(),
        };
        let current = vec![Evaluation {
            resource: k("AWS::EC2::VPC", "vpc-1"),
            compliance: Compliance::Compliant,
            annotation: None,
            ordering_timestamp: "t".into(),
        }];
        // Same id, other type: still stale.
        let prev = vec![
            k("AWS::EC2::VPC", "vpc-1"),
            k("AWS::EC2::SecurityGroup", "vpc-1"),
            k("AWS::EC2::Subnet", "subnet-gone"),
        ];
        let s = stale(&prev, &current, "t", None);
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|e| e.compliance == Compliance::NotApplicable));
        // A partial read proves nothing about what it did not see.
        let s = stale(&prev, &current, "t", Some("DescribeSubnets: AccessDenied"));
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|e| e.compliance == Compliance::NonCompliant
            && e.annotation.as_deref().unwrap().contains("AccessDenied")));
    }
}

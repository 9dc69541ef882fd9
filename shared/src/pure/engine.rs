//! The audit: snapshot + manifest in, report out. Pure: no I/O, no clock unless the snapshot
//! does not say when it was taken.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::pure::deployment::Deployment;
use crate::pure::finding::{Finding, FindingId, ResourceType, Severity, Status, WaiverNote};
use crate::pure::index::Index;
use crate::pure::manifest::{Manifest, Waiver};
use crate::pure::rules::{self, Context, Outcome, Rule, Shared};
use crate::pure::services::ServiceTable;
use crate::pure::snapshot::{InputSet, Snapshot};
use crate::pure::view::View;

/// The version of the JSON report layout.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// What to audit and how.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions<'a> {
    pub manifest: Option<&'a Manifest>,
    /// `--region`, used when the snapshot does not say.
    pub region: Option<String>,
    /// Rule ids or families to run; empty means all.
    pub rules: Vec<String>,
    /// The time waivers are compared with when the snapshot has no `collected_at` (default:
    /// the clock).
    pub now: Option<crate::pure::time::Timestamp>,
}

/// Where the region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionSource {
    Snapshot,
    Option,
    InferredFromAvailabilityZones,
    Unknown,
}

impl RegionSource {
    pub fn describe(self) -> &'static str {
        match self {
            RegionSource::Snapshot => "from snapshot.json",
            RegionSource::Option => "from --region",
            RegionSource::InferredFromAvailabilityZones => "inferred from availability-zone names",
            RegionSource::Unknown => "unknown",
        }
    }
}

/// Counts of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub by_status: BTreeMap<Status, usize>,
    /// Failures (not waived) by severity.
    pub failures_by_severity: BTreeMap<Severity, usize>,
    /// False when any finding is `error` (some rules could not be evaluated), or when the
    /// workspaces to audit could not be known (`deployment.scope_errors`).
    pub complete: bool,
}

/// The result of an audit.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub region_source: RegionSource,
    pub collected_at: Option<String>,
    pub service_table_version: String,
    pub deployment: Deployment,
    pub summary: Summary,
    /// The ids of the rules this audit ran (after `--rules` selection), in registry order.
    pub rules_run: Vec<String>,
    /// Whether every input was read: downstream decisions (Config clean-up, drift) read this
    /// instead of re-deriving it from the snapshot.
    pub collection: CollectionStatus,
    #[serde(serialize_with = "crate::pure::finding::serialize_findings")]
    pub findings: Vec<Finding>,
    /// Every required flow of every workspace, traced hop by hop (since schema 2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Arc<crate::pure::evidence::FlowPath>>,
    /// The comparison with a baseline report, when one was given (since schema 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::pure::baseline::BaselineSummary>,
}

/// What the collection behind a report could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CollectionStatus {
    /// True when some input failed to be read (a failed or cut call; never an input left out
    /// by design, code `NotCollected`). A partial collection may hide resources, so nothing may
    /// be declared not applicable or resolved from it.
    pub partial: bool,
    /// The inputs that failed, one per input: API, error code and message.
    pub errors: Vec<crate::pure::snapshot::CollectFailure>,
}

impl CollectionStatus {
    /// The collection status of a snapshot.
    pub fn of(snap: &Snapshot) -> CollectionStatus {
        let mut errors: Vec<crate::pure::snapshot::CollectFailure> = Vec::new();
        for input in crate::pure::snapshot::Input::ALL {
            if let Err(f) = snap.availability(input) {
                if f.code != crate::pure::snapshot::NOT_COLLECTED && !errors.contains(f) {
                    errors.push(f.clone());
                }
            }
        }
        CollectionStatus {
            partial: !errors.is_empty(),
            errors,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Report {
    /// Exit code contract: 0 clean, 1 failures at or above `fail_on`, 3 incomplete (errors)
    /// without such failures. (2, bad usage or input, never comes from a report.)
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        let failing = self
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity >= fail_on);
        if failing {
            1
        } else if !self.summary.complete || self.deployment.workspaces.is_empty() {
            // No workspace: nothing was audited (a transit VPC alone is audited only through
            // the workspaces it serves).
            3
        } else {
            0
        }
    }
}

/// Resolves the region: the snapshot's, else the option, else the AZ names'.
pub fn resolve_region(snap: &Snapshot, option: Option<&str>) -> (Option<String>, RegionSource) {
    let zones = zone_regions(snap);
    // A VPC lives in one region: zones of another region than the declared one, or of several
    // regions, make the region unknown (the port table and service names differ between them).
    let agrees = |r: &str| zones.keys().all(|z| *z == r);
    if let Some(r) = snap.meta.region.as_deref().filter(|r| !r.is_empty()) {
        if !agrees(r) {
            return (None, RegionSource::Unknown);
        }
        return (Some(r.to_string()), RegionSource::Snapshot);
    }
    if let Some(r) = option {
        if !agrees(r) {
            return (None, RegionSource::Unknown);
        }
        return (Some(r.to_string()), RegionSource::Option);
    }
    match zones.len() {
        1 => (
            zones.keys().next().map(|r| r.to_string()),
            RegionSource::InferredFromAvailabilityZones,
        ),
        _ => (None, RegionSource::Unknown),
    }
}

/// The regions of the subnets' availability-zone names (`us-east-1a` is in `us-east-1`), with
/// the number of subnets in each.
fn zone_regions(snap: &Snapshot) -> BTreeMap<&str, usize> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in snap.subnets.as_deref().unwrap_or(&[]) {
        let az = s.availability_zone.as_str();
        if az.ends_with(|c: char| c.is_ascii_lowercase()) {
            let region = &az[..az.len() - 1];
            if region.ends_with(|c: char| c.is_ascii_digit()) {
                *counts.entry(region).or_default() += 1;
            }
        }
    }
    counts
}

/// Why the region is unknown although something names one: the declared region against the
/// zones, or zones of several regions.
fn region_conflict(snap: &Snapshot, option: Option<&str>) -> Option<String> {
    let zones = zone_regions(snap);
    let list = zones
        .iter()
        .map(|(r, n)| format!("{r} ({n} subnet{})", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ");
    let declared = match (
        snap.meta.region.as_deref().filter(|r| !r.is_empty()),
        option,
    ) {
        (Some(r), _) => Some(format!("snapshot.json says {r}")),
        (None, Some(r)) => Some(format!("--region says {r}")),
        (None, None) => None,
    };
    match declared {
        Some(d) if !zones.is_empty() => Some(format!(
            "the region cannot be told: {d}, but the subnets' availability zones are in {list}"
        )),
        None if zones.len() > 1 => Some(format!(
            "the region cannot be told: the subnets' availability zones are in several regions ({list}), and a VPC lives in one; pass --region or fix the snapshot"
        )),
        _ => None,
    }
}

/// Runs the audit.
pub fn audit(snap: &Snapshot, opts: &AuditOptions<'_>) -> Report {
    let table = ServiceTable::builtin();
    let ix = Index::new(snap);
    let (region, region_source) = resolve_region(snap, opts.region.as_deref());
    let mut deployment =
        crate::pure::resolve::resolve(&ix, opts.manifest, region.as_deref(), table);
    let conflict = region
        .is_none()
        .then(|| region_conflict(snap, opts.region.as_deref()))
        .flatten();
    let region_unknown = conflict.clone().unwrap_or_else(|| {
        "the region is unknown (not in snapshot.json, no --region, no availability-zone names)"
            .into()
    });
    deployment
        .notes
        .extend(conflict.map(|c| format!("{c}; the rules that depend on the region report error")));
    let account = snap.meta.account_id.clone();
    let dbx = rules::classify_endpoints(&ix, table, region.as_deref());
    let env = RuleEnv {
        snap,
        ix: &ix,
        deployment: &deployment,
        region: region.as_deref(),
        region_unknown: &region_unknown,
        table,
        dbx: &dbx,
    };
    // Rules are independent and pure: run them on every core, then keep registry order.
    let selected = rules::select(&opts.rules);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let (selected, env) = (&selected, &env);
    let (acct, reg): (Option<Arc<str>>, Option<Arc<str>>) = (
        account.as_deref().map(Arc::from),
        region.as_deref().map(Arc::from),
    );
    let collected: Option<Arc<str>> = snap.meta.collected_at.as_deref().map(Arc::from);
    let (acct, reg, collected) = (&acct, &reg, &collected);
    let per_rule: Vec<Vec<Finding>> = par_jobs(
        selected.len(),
        threads,
        || (),
        |_, i| to_findings(run_rule(selected[i], env), acct, reg, collected),
    );
    // The registry is sorted by id, so rule order then resource order is the report's order.
    // `Snapshot::load` refuses a `collected_at` that is not an RFC 3339 time.
    let now = snap
        .meta
        .collected_at
        .as_deref()
        .and_then(|t| crate::pure::time::parse_timestamp(t).ok())
        .or(opts.now)
        .unwrap_or_else(crate::pure::time::Timestamp::now_utc);
    let mut findings: Vec<Finding> = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    for v in per_rule {
        findings.extend(v);
    }
    apply_waivers(
        &mut findings,
        opts.manifest.map_or(&[][..], |m| &m.waivers),
        now,
    );
    // The evidence: the required flows, traced once, shared by the findings that judged them.
    // Traced only when a rule that judges flows runs.
    let flows = if selected.iter().any(|r| !r.meta.flows.is_empty()) {
        let shared = Shared {
            deployment: &deployment,
            region: region.as_deref(),
            table,
            dbx: &dbx,
        };
        let traced = crate::pure::flows::trace_all(&ix, &shared, threads);
        crate::pure::flows::attach(&mut findings, &traced);
        traced.into_iter().map(|t| t.path).collect()
    } else {
        Vec::new()
    };
    let mut summary = summarise(&findings);
    // Also when no VPC was readable to report the scope error on.
    summary.complete &= deployment.scope_errors.is_empty();
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool {
            name: "plaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        account_id: account,
        region,
        region_source,
        collected_at: snap.meta.collected_at.clone(),
        service_table_version: table.table_version.clone(),
        deployment,
        summary,
        rules_run: selected.iter().map(|r| r.meta.id.to_string()).collect(),
        collection: CollectionStatus::of(snap),
        findings,
        flows,
        baseline: None,
    }
}

/// Runs `work(state, i)` for every job `i` in `0..jobs` on up to `threads` threads, each with
/// its own `state` from `init`; each thread takes the next job not yet taken, so costly jobs do
/// not pile up on one. The results come back in job order. A panic in a job (a bug) is re-raised
/// rather than returning partial results.
pub(crate) fn par_jobs<S, T: Send>(
    jobs: usize,
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&S, usize) -> T + Sync,
) -> Vec<T> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (next, init, work) = (&next, &init, &work);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.clamp(1, jobs.max(1)))
            .map(|_| {
                scope.spawn(move || {
                    let state = init();
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= jobs {
                            break;
                        }
                        out.push((i, work(&state, i)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(p) => std::panic::resume_unwind(p),
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, v)| v).collect()
}

/// What every rule runs against.
struct RuleEnv<'a> {
    snap: &'a Snapshot,
    ix: &'a Index<'a>,
    deployment: &'a Deployment,
    region: Option<&'a str>,
    /// Why the region is unknown, when it is.
    region_unknown: &'a str,
    table: &'a ServiceTable,
    dbx: &'a crate::pure::fastmap::FastMap<&'a str, Vec<rules::DatabricksEndpoint<'a>>>,
}

/// An `error` outcome on a workspace's VPC: the rule could not judge anything in it.
fn vpc_error(w: &crate::pure::deployment::Workspace, message: String) -> Outcome {
    Outcome::error(ResourceType::Vpc, &w.vpc_id, message).ws(w)
}

/// The VPCs a snapshot holds, for an error that names one it lacks: "it holds vpc-a, vpc-b".
fn known_vpcs(ix: &Index<'_>) -> String {
    let mut ids: Vec<&str> = ix.vpcs.keys().copied().collect();
    ids.sort_unstable();
    match ids.len() {
        0 => "it holds no VPC".to_string(),
        n if n <= 5 => format!("it holds {}", ids.join(", ")),
        n => format!("it holds {} VPCs: {}, ...", n, ids[..5].join(", ")),
    }
}

/// Runs one rule for the workspaces it applies to, or reports why it cannot run.
fn run_rule(rule: &'static Rule, env: &RuleEnv<'_>) -> Vec<(&'static Rule, Outcome)> {
    let mut out = Vec::new();
    // Where the workspaces cannot be known, no rule can say anything is fine: each reports error
    // on every VPC that may hold one.
    for e in &env.deployment.scope_errors {
        for vpc in &e.vpc_ids {
            let msg = format!(
                "{} cannot be evaluated in {vpc}: {}.",
                rule.meta.id, e.message
            );
            out.push((
                rule,
                Outcome::error(ResourceType::Vpc, vpc, msg)
                    .expect("the workspaces to audit", e.message.clone()),
            ));
        }
    }
    // A workspace whose description cannot be trusted counts for every rule: its modes may be
    // the ones it cannot be told to have.
    let mut workspaces: Vec<_> = env
        .deployment
        .workspaces
        .iter()
        .filter(|w| rule.meta.applies_to(w) || !w.problems.is_empty())
        .collect();
    if workspaces.is_empty() {
        return out;
    }
    let missing: Vec<String> = rule
        .meta
        .inputs
        .iter()
        .filter_map(|i| env.snap.availability(*i).err().map(|f| f.to_string()))
        .collect();
    if !missing.is_empty() {
        let why = missing.join("; ");
        for w in &workspaces {
            let msg = format!(
                "{} could not be evaluated for workspace `{}`: {why}.",
                rule.meta.id, w.name
            );
            out.push((
                rule,
                vpc_error(w, msg).expect("the inputs the rule reads", why.clone()),
            ));
        }
        return out;
    }
    if let Some(e) = &env.table.load_error {
        for w in &workspaces {
            out.push((rule, vpc_error(w, e.clone())));
        }
        return out;
    }
    // A workspace whose description cannot be trusted (a `plaudit:modes` tag that does not parse)
    // is judged by no rule: each reports `error` naming the problem, as a manifest would refuse it.
    workspaces.retain(|w| {
        if w.problems.is_empty() {
            return true;
        }
        let why = w.problems.join("; ");
        let msg = format!(
            "{} cannot be evaluated for workspace `{}`: {why}.",
            rule.meta.id, w.name
        );
        out.push((
            rule,
            vpc_error(w, msg).expect("a valid workspace description", why),
        ));
        false
    });
    if workspaces.is_empty() {
        return out;
    }
    // The ports Databricks needs depend on the partition (GovCloud drops 6666 and always needs
    // 2443), so a rule that reads the port table cannot judge without the region.
    if env.region.is_none() && rule.meta.needs_port_table() {
        for w in &workspaces {
            let msg = format!(
                "{} could not be evaluated for workspace `{}`: {}, so the ports Databricks needs there (commercial or GovCloud) are unknown; pass --region.",
                rule.meta.id, w.name, env.region_unknown
            );
            out.push((
                rule,
                vpc_error(w, msg).expect("the region of the snapshot", "unknown"),
            ));
        }
        return out;
    }
    // A workspace whose VPC is not in the snapshot cannot be judged by any rule.
    if env.snap.vpcs.is_ok() {
        workspaces.retain(|w| {
            let known = env.ix.vpcs.contains_key(w.vpc_id.as_str());
            if !known {
                let msg = format!(
                    "Workspace `{}` names {}, which is not in describe-vpcs.json ({}): check its vpc_id in the manifest (or the region and account the snapshot is of).",
                    w.name,
                    w.vpc_id,
                    known_vpcs(env.ix)
                );
                out.push((rule, vpc_error(w, msg)));
            }
            known
        });
    }
    if workspaces.is_empty() {
        return out;
    }
    // The rule sees only the inputs it declares; what it reads beyond them is written down.
    let declared = InputSet::of(rule.meta.inputs).union(InputSet::of(rule.meta.optional_inputs));
    let undeclared = Cell::new(InputSet::EMPTY);
    let shared = Shared {
        deployment: env.deployment,
        region: env.region,
        table: env.table,
        dbx: env.dbx,
    };
    let ctx = Context::new(
        rule.meta,
        View::new(env.ix, declared, &undeclared),
        workspaces.clone(),
        &shared,
    );
    let verdicts = (rule.check)(&ctx);
    let undeclared = undeclared.get();
    if !undeclared.is_empty() {
        // Its verdicts would not notice a failure of what it read without declaring: none is
        // trusted. A registry test runs every rule on every estate so this never ships.
        let files: Vec<&str> = undeclared.iter().map(|i| i.file()).collect();
        let why = format!(
            "it reads {} without declaring {} (a plaudit bug: please report it)",
            files.join(", "),
            if files.len() == 1 { "it" } else { "them" }
        );
        for w in &workspaces {
            let msg = format!(
                "{} cannot be evaluated for workspace `{}`: {why}.",
                rule.meta.id, w.name
            );
            out.push((
                rule,
                vpc_error(w, msg).expect("a rule that declares what it reads", why.clone()),
            ));
        }
        return out;
    }
    out.extend(verdicts.into_iter().map(|o| (rule, o)));
    out
}

/// Turns one rule's outcomes into findings, one per resource, sorted by resource: the worse
/// verdict wins, and the workspaces and distinct messages of shared resources are combined.
fn to_findings(
    mut outcomes: Vec<(&'static Rule, Outcome)>,
    account: &Option<Arc<str>>,
    region: &Option<Arc<str>>,
    collected_at: &Option<Arc<str>>,
) -> Vec<Finding> {
    outcomes.sort_by(|a, b| a.1.resource_id.cmp(&b.1.resource_id));
    let mut out = Vec::with_capacity(outcomes.len());
    merge_rule(outcomes, account, region, collected_at, &mut out);
    out.shrink_to_fit();
    out
}

fn merge_rule(
    outcomes: Vec<(&'static Rule, Outcome)>,
    account: &Option<Arc<str>>,
    region: &Option<Arc<str>>,
    collected_at: &Option<Arc<str>>,
    out: &mut Vec<Finding>,
) {
    for (rule, mut o) in outcomes {
        let m = rule.meta;
        let severity = o.severity.unwrap_or(m.severity);
        if let Some(f) = out
            .last_mut()
            .filter(|f| f.rule_id == m.id && f.resource_id == o.resource_id)
        {
            if let Some(w) = o.workspace {
                if let Err(at) = f.workspaces.binary_search(&w) {
                    f.workspaces.insert(at, w);
                }
            }
            let worse = o.status.rank() > f.status.rank()
                || (o.status == f.status && severity > f.severity);
            if worse {
                let old_msg = std::mem::take(&mut f.message);
                let same_status = o.status == f.status;
                f.status = o.status;
                f.severity = severity;
                f.resource_type = o.resource_type;
                f.expected = o.expected;
                f.actual = o.actual;
                f.message = o.message;
                if same_status && old_msg != f.message {
                    f.message = format!("{} {old_msg}", f.message);
                }
            } else if o.status == f.status && !f.message.contains(&o.message) {
                f.message.push(' ');
                f.message.push_str(&o.message);
            }
            continue;
        }
        // Formatting leaves slack capacity; findings are many, so give it back.
        o.message.shrink_to_fit();
        for c in [&mut o.expected, &mut o.actual] {
            if let Cow::Owned(s) = c {
                s.shrink_to_fit();
            }
        }
        let remediation = fix_text(m.remediation, &o, region.as_deref());
        out.push(Finding {
            id: FindingId::new(account.as_deref(), region.as_deref(), m.id, &o.resource_id),
            rule_id: Cow::Borrowed(m.id),
            title: Cow::Borrowed(m.title),
            severity,
            status: o.status,
            resource_type: o.resource_type,
            resource_id: o.resource_id,
            workspaces: o.workspace.into_iter().collect(),
            account_id: account.clone(),
            region: region.clone(),
            message: o.message,
            expected: o.expected,
            actual: o.actual,
            remediation,
            waiver: None,
            collected_at: collected_at.clone(),
            paths: Vec::new(),
            change: None,
        });
    }
}

/// The rule's fix for one finding: its placeholders filled with what the finding knows. `<vpc>`,
/// `<vpce>`, `<sg>`, `<subnet>`, `<acl>`, `<rtb>` and `<svc>` become the resource's id when the
/// finding is about such a resource; `<region>` the region and `<Databricks role ARN>` the
/// region's Databricks serverless principals when the region is known. A placeholder nothing can
/// fill stays as it is.
fn fix_text(template: &'static str, o: &Outcome, region: Option<&str>) -> Cow<'static, str> {
    if !template.contains('<') {
        return Cow::Borrowed(template);
    }
    let own = match o.resource_type {
        ResourceType::Vpc => "vpc",
        ResourceType::Subnet => "subnet",
        ResourceType::RouteTable => "rtb",
        ResourceType::InternetGateway => "igw",
        ResourceType::NatGateway => "nat",
        ResourceType::SecurityGroup => "sg",
        ResourceType::NetworkAcl => "acl",
        ResourceType::VpcEndpoint => "vpce",
        ResourceType::VpcEndpointService => "svc",
    };
    let mut s = template.replace(&format!("<{own}>"), &o.resource_id);
    if let Some(r) = region {
        s = s.replace(
            "<Databricks role ARN>",
            &crate::pure::services::serverless_principals(r).join(" "),
        );
        s = s.replace("<region>", r);
    }
    Cow::Owned(s)
}

/// Waives the failures a waiver names, unless it had expired when the snapshot was collected
/// (`now`): the comparison is between instants, in UTC.
fn apply_waivers(findings: &mut [Finding], waivers: &[Waiver], now: crate::pure::time::Timestamp) {
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        let Some(w) = waivers
            .iter()
            .find(|w| w.rule == f.rule_id && w.resource == f.resource_id)
        else {
            continue;
        };
        let expired = w
            .expires
            .as_deref()
            .and_then(|e| crate::pure::time::parse_expiry(e).ok())
            .is_some_and(|end| now >= end);
        if expired {
            f.message = format!(
                "{} (A waiver by {} expired on {}, so this failure counts again.)",
                f.message,
                if w.owner.is_empty() {
                    "an unnamed owner"
                } else {
                    &w.owner
                },
                w.expires.as_deref().unwrap_or("")
            );
        } else {
            f.status = Status::Waived;
        }
        f.waiver = Some(Box::new(WaiverNote {
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w.expires.clone(),
            expired,
        }));
    }
}

fn summarise(findings: &[Finding]) -> Summary {
    let mut s = Summary {
        total: findings.len(),
        complete: true,
        ..Summary::default()
    };
    for f in findings {
        *s.by_status.entry(f.status).or_default() += 1;
        if f.status == Status::Fail {
            *s.failures_by_severity.entry(f.severity).or_default() += 1;
        }
        if f.status == Status::Error {
            s.complete = false;
        }
    }
    s
}

#[cfg(test)]
mod tests;

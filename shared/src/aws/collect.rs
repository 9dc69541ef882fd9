//! The collector: reads live state through the EC2 seam ([`Ec2Api`]) into a [`Snapshot`]
//! (feature `aws`). The SDK client implements the seam (`super::ec2`); so does the in-memory
//! fake (`plaudit::testing::ec2::FakeEc2`, feature `test-util`), which is how the collector's
//! own tests run without an emulator.
//!
//! One paginated sequence per describe call, the independent ones concurrently, plus the two
//! `DescribeVpcAttribute` calls per VPC. Every call goes through one concurrency limit
//! ([`CollectOptions::max_concurrency`]) that halves, down to one call at a time, when the
//! endpoint throttles, times out or answers slowly. Filter values are sent at most
//! [`MAX_FILTER_VALUES`] per call (EC2 refuses more with `FilterLimitExceeded`); the chunks'
//! answers are merged and de-duplicated. A call that fails (access denied, throttled after the
//! SDK's retries, timed out, cut by the run's deadline) becomes data: its input is
//! `Err(CollectFailure)` with the API, the error code and why, so the rules that needed it
//! report `Error`, never `Pass`; the snapshot's `meta.collection_errors` lists every such
//! failure.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::time::Instant;

pub use super::ec2::{
    CallError, Describe, Ec2Api, Filter, Items, Page, PageRequest, VpcAttributeName,
    MAX_FILTER_VALUES,
};
use crate::model::*;
use crate::snapshot::{CollectFailure, Collected, Input, Snapshot, SnapshotMeta, NOT_COLLECTED};

/// How to collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Restrict the calls to these VPCs with server-side filters (empty: the whole region).
    pub vpc_ids: Vec<String>,
    /// At most this many calls in flight at first; halved (down to one) each time the endpoint
    /// throttles, times out or answers slower than [`CollectOptions::slow_call`], and never
    /// raised again within the run.
    pub max_concurrency: usize,
    /// A page slower than this is taken as a sign of an overloaded endpoint (the SDK's retries
    /// of a throttled call show up as a slow call) and halves the concurrency. `None`: half the
    /// per-call limit, so only a call at risk of being cut counts as slow (an endpoint that is
    /// merely far away keeps its concurrency).
    pub slow_call: Option<Duration>,
    /// The per-call limit the collector enforces on every page (`timeouts.call`), as a
    /// backstop to the SDK's own timeouts (an [`Ec2Api`] implementation without any cannot
    /// hang the run). Build the SDK client with the same values: [`ec2_client`].
    pub timeouts: Timeouts,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            vpc_ids: Vec::new(),
            max_concurrency: 8,
            slow_call: None,
            timeouts: Timeouts::default(),
        }
    }
}

/// How many calls each API took, and when collection must stop.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<&'static str, usize>>,
    total: AtomicUsize,
    backoffs: AtomicUsize,
    deadline: Option<Instant>,
}

/// The code of an input that could not be read before the deadline.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// The code of an input whose call took longer than the per-call limit.
pub const TIMED_OUT: &str = "Timeout";

impl CallCounter {
    /// A counter whose calls stop at `deadline`: an input not read by then becomes
    /// `Err(DeadlineExceeded)`, so what was read is still audited and the rest reports `Error`.
    pub fn with_deadline(deadline: Instant) -> CallCounter {
        CallCounter {
            deadline: Some(deadline),
            ..CallCounter::default()
        }
    }

    /// Runs `f` unless the deadline passes first (once it has passed, `f` is not started).
    async fn within<F: std::future::Future>(&self, f: F) -> Option<F::Output> {
        match self.deadline {
            Some(d) if Instant::now() >= d => None,
            Some(d) => tokio::time::timeout_at(d, f).await.ok(),
            None => Some(f.await),
        }
    }

    fn count(&self, api: &'static str) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.counts.lock() {
            *m.entry(api).or_default() += 1;
        }
    }

    /// Calls per API (one per page; a call cut by the deadline before it answered is not
    /// counted).
    pub fn by_api(&self) -> BTreeMap<&'static str, usize> {
        self.counts.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Calls in all.
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// How many times the collector halved its concurrency because the endpoint throttled,
    /// timed out or answered slowly.
    pub fn backoffs(&self) -> usize {
        self.backoffs.load(Ordering::Relaxed)
    }
}

// ---- The concurrency limit ------------------------------------------------------------------

/// At most `limit` calls in flight; the limit halves (down to one) when the endpoint throttles,
/// times out or is slow. Only a call started after the last halving can halve it again, so one
/// slow round of calls halves it once, not once per call.
#[derive(Debug)]
struct Gate {
    slots: tokio::sync::Semaphore,
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    limit: usize,
    /// Slots to take out of use as the calls holding them end (the amount the limit dropped
    /// by while they were in flight).
    debt: usize,
    /// Bumped at each halving.
    epoch: u64,
}

/// A place among the calls in flight, given back (or retired, after a halving) when dropped.
struct Slot<'a> {
    gate: &'a Gate,
    permit: Option<tokio::sync::SemaphorePermit<'a>>,
    epoch: u64,
}

impl Gate {
    fn new(limit: usize) -> Gate {
        let limit = limit.max(1);
        Gate {
            slots: tokio::sync::Semaphore::new(limit),
            state: Mutex::new(GateState {
                limit,
                debt: 0,
                epoch: 0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, GateState> {
        // Nothing panics while holding it; if something did, the counts are still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn acquire(&self) -> Slot<'_> {
        // The semaphore is never closed; without a permit the call simply goes ahead.
        let permit = self.slots.acquire().await.ok();
        let epoch = self.state().epoch;
        Slot {
            gate: self,
            permit,
            epoch,
        }
    }

    /// Halves the limit unless it is one already or another call of the same round halved it.
    /// True when it did.
    fn back_off(&self, slot: &Slot<'_>) -> bool {
        let mut s = self.state();
        if s.epoch != slot.epoch || s.limit <= 1 {
            return false;
        }
        let lower = s.limit / 2;
        s.debt += s.limit - lower;
        s.limit = lower;
        s.epoch += 1;
        true
    }

    fn limit(&self) -> usize {
        self.state().limit
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut s = self.gate.state();
        if let Some(p) = self.permit.take() {
            if s.debt > 0 {
                s.debt -= 1;
                p.forget();
            }
        }
    }
}

// ---- One call ---------------------------------------------------------------------------------

fn failure(api: &str, e: CallError) -> CollectFailure {
    CollectFailure {
        api: api.to_string(),
        code: e.code,
        message: e.message,
    }
}

fn unexpected(api: &str) -> CollectFailure {
    CollectFailure {
        api: api.to_string(),
        code: "UnexpectedResponse".to_string(),
        message: "the answer held items of another call".to_string(),
    }
}

/// Which request, in words, for the messages of a cut call.
fn label(req: &PageRequest, page: usize) -> String {
    match (&req.call, &req.filter) {
        (Describe::VpcAttribute { vpc_id, attribute }, _) => {
            format!("the {attribute:?} attribute of {vpc_id}")
        }
        (Describe::VpcEndpointServicePermissions { service_id }, _) => {
            format!("page {page} for {service_id}")
        }
        (_, Some(f)) => format!(
            "page {page} of the call filtered on {} {} value(s)",
            f.values.len(),
            f.name
        ),
        (_, None) => format!("page {page}"),
    }
}

/// What one collection shares: the seam, the counter, the options and the concurrency limit.
struct Run<'a, E> {
    ec2: &'a E,
    counter: &'a CallCounter,
    opts: &'a CollectOptions,
    gate: Gate,
    started: Instant,
}

impl<E: Ec2Api> Run<'_, E> {
    fn back_off(&self, slot: &Slot<'_>) {
        if self.gate.back_off(slot) {
            self.counter.backoffs.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                limit = self.gate.limit(),
                "EC2 throttled, timed out or answered slowly; fewer calls in flight"
            );
        }
    }

    /// One page of one call: waits for a place among the calls in flight, then calls with the
    /// per-call limit, all within the run's deadline. Counts the call; halves the concurrency
    /// on throttling, a time-out or a slow answer.
    async fn page(&self, req: &PageRequest, page: usize) -> Result<Page, CollectFailure> {
        let api = req.call.api();
        let limit = self.opts.timeouts.call;
        let call = async {
            let slot = self.gate.acquire().await;
            let started = Instant::now();
            // Boxed: one SDK call's future is several KB, and many are joined.
            let answer = tokio::time::timeout(limit, Box::pin(self.ec2.call(req))).await;
            self.counter.count(api);
            match answer {
                Err(_) => {
                    self.back_off(&slot);
                    Err(CollectFailure {
                        api: api.to_string(),
                        code: TIMED_OUT.to_string(),
                        message: format!(
                            "{} timed out after {} s (the per-call limit; raise it with --call-timeout or {CALL_TIMEOUT_ENV})",
                            label(req, page),
                            limit.as_secs()
                        ),
                    })
                }
                Ok(Err(e)) => {
                    if e.is_throttling() || e.code == TIMED_OUT {
                        self.back_off(&slot);
                    }
                    Err(failure(api, e))
                }
                Ok(Ok(p)) => {
                    let slow = self.opts.slow_call.unwrap_or(limit / 2);
                    if started.elapsed() >= slow {
                        self.back_off(&slot);
                    }
                    Ok(p)
                }
            }
        };
        match self.counter.within(call).await {
            Some(r) => r,
            None => Err(CollectFailure {
                api: api.to_string(),
                code: DEADLINE_EXCEEDED.to_string(),
                message: format!(
                    "cut by the run's deadline after {} s of collection ({} not answered); the Lambda time limit left no time to finish, the next run retries",
                    self.started.elapsed().as_secs(),
                    label(req, page)
                ),
            }),
        }
    }

    /// Every page of one call with one filter.
    async fn all_pages<T: FromItems>(
        &self,
        call: Describe,
        filter: Option<Filter>,
    ) -> Collected<Vec<T>> {
        let api = call.api();
        let mut req = PageRequest {
            call,
            filter,
            next_token: None,
        };
        let mut out = Vec::new();
        for page in 1.. {
            let answer = self.page(&req, page).await?;
            out.extend(T::from_items(answer.items).ok_or_else(|| unexpected(api))?);
            match answer.next_token {
                None => return Ok(out),
                Some(next) if req.next_token.as_deref() == Some(next.as_str()) => {
                    return Err(CollectFailure {
                        api: api.to_string(),
                        code: "PaginationLoop".to_string(),
                        message: format!("the next token {next} repeated the previous page's"),
                    })
                }
                Some(next) => req.next_token = Some(next),
            }
        }
        Ok(out)
    }

    /// One describe call: the whole region (`scope` `None`), or filtered on `scope`'s values,
    /// at most [`MAX_FILTER_VALUES`] of them per call (the chunks concurrently, within the
    /// concurrency limit), the answers merged in order without duplicates. One chunk failing
    /// fails the input: a partial list would hide resources.
    async fn describe<T: FromItems>(
        &self,
        call: Describe,
        scope: Option<(&'static str, &[String])>,
    ) -> Collected<Vec<T>> {
        let Some((name, values)) = scope else {
            return self.all_pages(call, None).await;
        };
        let mut seen = BTreeSet::new();
        let values: Vec<String> = values
            .iter()
            .filter(|v| seen.insert(v.as_str()))
            .cloned()
            .collect();
        let chunks = values.chunks(MAX_FILTER_VALUES).map(|chunk| {
            self.all_pages::<T>(
                call.clone(),
                Some(Filter {
                    name,
                    values: chunk.to_vec(),
                }),
            )
        });
        let parts = futures_util::future::try_join_all(chunks).await?;
        let mut keys = BTreeSet::new();
        let mut out = Vec::new();
        for item in parts.into_iter().flatten() {
            if keys.insert(item.key().to_string()) {
                out.push(item);
            }
        }
        Ok(out)
    }
}

/// The model type a describe call's pages hold, and its id.
trait FromItems: Sized {
    fn from_items(items: Items) -> Option<Vec<Self>>;
    fn key(&self) -> &str;
}

macro_rules! from_items {
    ($($variant:ident => $ty:ty, $key:ident;)*) => {$(
        impl FromItems for $ty {
            fn from_items(items: Items) -> Option<Vec<Self>> {
                match items {
                    Items::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn key(&self) -> &str {
                &self.$key
            }
        }
    )*};
}

from_items!(
    Vpcs => Vpc, vpc_id;
    Subnets => Subnet, subnet_id;
    RouteTables => RouteTable, route_table_id;
    InternetGateways => InternetGateway, internet_gateway_id;
    NatGateways => NatGateway, nat_gateway_id;
    VpcEndpoints => VpcEndpoint, vpc_endpoint_id;
    SecurityGroups => SecurityGroup, group_id;
    SecurityGroupRules => SecurityGroupRule, security_group_rule_id;
    NetworkAcls => NetworkAcl, network_acl_id;
    ServiceConfigurations => EndpointServiceConfiguration, service_id;
    PrefixLists => ManagedPrefixList, prefix_list_id;
    AllowedPrincipals => AllowedPrincipal, principal;
);

// ---- The collection ---------------------------------------------------------------------------

/// Collects one region's state through `ec2` (the SDK client, or `FakeEc2` in tests). Never
/// fails as a whole: each input is read or carries why not, and `meta.collection_errors` lists
/// every call that failed or was cut. `counter` counts the calls per API and carries the run's
/// deadline, if any.
pub async fn collect<E: Ec2Api>(
    ec2: &E,
    opts: &CollectOptions,
    meta: SnapshotMeta,
    counter: &CallCounter,
) -> Snapshot {
    // On the heap: the joined describe sequences make a large future (over 100 KB in a debug
    // build), too large to keep in the callers' futures on a test thread's stack.
    Box::pin(collect_boxed(ec2, opts, meta, counter)).await
}

async fn collect_boxed<E: Ec2Api>(
    ec2: &E,
    opts: &CollectOptions,
    meta: SnapshotMeta,
    counter: &CallCounter,
) -> Snapshot {
    let run = Run {
        ec2,
        counter,
        opts,
        gate: Gate::new(opts.max_concurrency),
        started: Instant::now(),
    };
    let run = &run;
    let ids = &opts.vpc_ids;
    let scoped = !ids.is_empty();
    let by_vpc = scoped.then_some(("vpc-id", ids.as_slice()));
    let by_attachment = scoped.then_some(("attachment.vpc-id", ids.as_slice()));
    let (vpcs, subnets, route_tables, igws, nats, endpoints, groups, acls, services, prefix_lists) = tokio::join!(
        run.describe::<Vpc>(Describe::Vpcs, by_vpc),
        run.describe::<Subnet>(Describe::Subnets, by_vpc),
        run.describe::<RouteTable>(Describe::RouteTables, by_vpc),
        run.describe::<InternetGateway>(Describe::InternetGateways, by_attachment),
        run.describe::<NatGateway>(Describe::NatGateways, by_vpc),
        run.describe::<VpcEndpoint>(Describe::VpcEndpoints, by_vpc),
        run.describe::<SecurityGroup>(Describe::SecurityGroups, by_vpc),
        run.describe::<NetworkAcl>(Describe::NetworkAcls, by_vpc),
        run.describe::<EndpointServiceConfiguration>(
            Describe::VpcEndpointServiceConfigurations,
            None
        ),
        run.describe::<ManagedPrefixList>(Describe::ManagedPrefixLists, None),
    );
    // These depend on what the first round found.
    let vpc_ids: Vec<String> = vpcs
        .as_ref()
        .map(|v| v.iter().map(|x| x.vpc_id.to_string()).collect())
        .unwrap_or_default();
    let service_ids: Vec<String> = services
        .as_ref()
        .map(|v| v.iter().map(|x| x.service_id.to_string()).collect())
        .unwrap_or_default();
    let rules = async {
        match (&groups, scoped) {
            (_, false) => run.describe(Describe::SecurityGroupRules, None).await,
            // The rules of the groups found in the VPCs (none found: nothing to ask).
            (Ok(g), true) => {
                let group_ids: Vec<String> = g.iter().map(|x| x.group_id.to_string()).collect();
                run.describe(
                    Describe::SecurityGroupRules,
                    Some(("group-id", group_ids.as_slice())),
                )
                .await
            }
            // Without the groups there is nothing to ask about.
            (Err(f), true) => Err(CollectFailure {
                api: Input::SecurityGroupRules.api().into(),
                code: NOT_COLLECTED.into(),
                message: format!("skipped because DescribeSecurityGroups failed ({})", f.code),
            }),
        }
    };
    let (rules, attributes, permissions) = tokio::join!(
        rules,
        vpc_attributes(run, &vpc_ids),
        service_permissions(run, &service_ids, services.is_ok()),
    );
    let attributes = match vpcs {
        Ok(_) => attributes,
        // Without the VPC list there is nothing to ask about.
        Err(ref f) => Err(CollectFailure {
            api: Input::VpcAttributes.api().into(),
            code: NOT_COLLECTED.into(),
            message: format!("skipped because DescribeVpcs failed ({})", f.code),
        }),
    };
    let mut snap = Snapshot {
        meta,
        vpcs,
        vpc_attributes: attributes,
        subnets,
        route_tables,
        internet_gateways: igws,
        nat_gateways: nats,
        vpc_endpoints: endpoints,
        security_groups: groups,
        security_group_rules: rules,
        network_acls: acls,
        endpoint_service_configurations: services,
        endpoint_service_permissions: permissions,
        managed_prefix_lists: prefix_lists,
    };
    snap.meta.collection_errors = failures(&snap);
    snap
}

/// Every call that failed or was cut (not the ones skipped by design), as `snapshot.json`
/// records them.
fn failures(s: &Snapshot) -> Vec<CollectFailure> {
    fn err<T>(c: &Collected<T>) -> Option<&CollectFailure> {
        c.as_ref().err()
    }
    [
        err(&s.vpcs),
        err(&s.vpc_attributes),
        err(&s.subnets),
        err(&s.route_tables),
        err(&s.internet_gateways),
        err(&s.nat_gateways),
        err(&s.vpc_endpoints),
        err(&s.security_groups),
        err(&s.security_group_rules),
        err(&s.network_acls),
        err(&s.endpoint_service_configurations),
        err(&s.endpoint_service_permissions),
        err(&s.managed_prefix_lists),
    ]
    .into_iter()
    .flatten()
    .filter(|f| f.code != NOT_COLLECTED)
    .cloned()
    .collect()
}

/// Both DNS attributes of every VPC, within the concurrency limit. Any failure fails the whole
/// input (a partial list would let a VPC's attributes go unchecked without saying why) and
/// stops the calls not yet made.
async fn vpc_attributes<E: Ec2Api>(
    run: &Run<'_, E>,
    vpc_ids: &[String],
) -> Collected<Vec<VpcAttributes>> {
    let api = Input::VpcAttributes.api();
    let mut out: Vec<VpcAttributes> = vpc_ids
        .iter()
        .map(|v| VpcAttributes {
            vpc_id: Text::from(v.as_str()),
            enable_dns_hostnames: None,
            enable_dns_support: None,
        })
        .collect();
    let mut calls: FuturesUnordered<_> = vpc_ids
        .iter()
        .enumerate()
        .flat_map(|(i, vpc)| {
            [
                VpcAttributeName::EnableDnsHostnames,
                VpcAttributeName::EnableDnsSupport,
            ]
            .map(|attribute| async move {
                let req = PageRequest {
                    call: Describe::VpcAttribute {
                        vpc_id: vpc.clone(),
                        attribute,
                    },
                    filter: None,
                    next_token: None,
                };
                (i, attribute, run.page(&req, 1).await)
            })
        })
        .collect();
    while let Some((i, attribute, answer)) = calls.next().await {
        let value = match answer? {
            Page {
                items: Items::VpcAttribute(value),
                ..
            } => value.map(|value| BoolValue { value }),
            _ => return Err(unexpected(api)),
        };
        match attribute {
            VpcAttributeName::EnableDnsHostnames => out[i].enable_dns_hostnames = value,
            VpcAttributeName::EnableDnsSupport => out[i].enable_dns_support = value,
        }
    }
    Ok(out)
}

/// Who may connect to each endpoint service this account offers.
async fn service_permissions<E: Ec2Api>(
    run: &Run<'_, E>,
    service_ids: &[String],
    listed: bool,
) -> Collected<BTreeMap<String, ServicePermissions>> {
    let api = Input::EndpointServicePermissions.api();
    if !listed {
        return Err(CollectFailure {
            api: api.into(),
            code: NOT_COLLECTED.into(),
            message: "skipped because DescribeVpcEndpointServiceConfigurations failed".into(),
        });
    }
    let unique: BTreeSet<&String> = service_ids.iter().collect();
    let lists = futures_util::future::try_join_all(unique.into_iter().map(|id| async move {
        let principals: Vec<AllowedPrincipal> = run
            .all_pages(
                Describe::VpcEndpointServicePermissions {
                    service_id: id.clone(),
                },
                None,
            )
            .await?;
        Ok::<_, CollectFailure>((
            id.clone(),
            ServicePermissions {
                allowed_principals: principals,
            },
        ))
    }))
    .await?;
    Ok(lists.into_iter().collect())
}

// ---- Timeouts ------------------------------------------------------------------------------

/// The environment variable for the per-attempt timeout, in whole seconds.
pub const ATTEMPT_TIMEOUT_ENV: &str = "PLAUDIT_ATTEMPT_TIMEOUT_SECS";
/// The environment variable for the per-call timeout (all attempts of one page), in seconds.
pub const CALL_TIMEOUT_ENV: &str = "PLAUDIT_CALL_TIMEOUT_SECS";
/// The longest timeout accepted (an hour): longer is a typo, not a plan.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

/// How long one page of one call may take.
///
/// Defaults: 60 s an attempt (the read timeout of botocore and the AWS CLI, whose runs over
/// large estates this must match) and 300 s a call, which leaves room for the four attempts
/// the retry policy allows at 60 s each plus backoff, so a retry is never cut by the call limit
/// before it is made. In Lambda, [`Timeouts::within`] caps both at the run's remaining time,
/// and the run's deadline ([`CallCounter::with_deadline`]) cuts whatever is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// One HTTP attempt (connect, send, read the answer).
    pub attempt: Duration,
    /// One call: every attempt and the backoff between them.
    pub call: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            attempt: Duration::from_secs(60),
            call: Duration::from_secs(300),
        }
    }
}

/// A timeout setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutsError {
    #[error("{var}={value:?}: expected a whole number of seconds from 1 to {MAX_TIMEOUT_SECS}")]
    Invalid { var: &'static str, value: String },
    #[error("the attempt timeout ({attempt} s, {attempt_var}) is longer than the call timeout ({call} s, {call_var}), which would cut every attempt; raise {call_var} or lower {attempt_var}")]
    AttemptLongerThanCall {
        attempt: u64,
        call: u64,
        attempt_var: &'static str,
        call_var: &'static str,
    },
}

/// Parses one timeout setting (`var` names it in the error: an environment variable or a flag).
pub fn parse_timeout_secs(var: &'static str, value: &str) -> Result<Duration, TimeoutsError> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_TIMEOUT_SECS).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(TimeoutsError::Invalid {
            var,
            value: value.to_string(),
        }),
    }
}

impl Timeouts {
    /// The defaults, overridden by [`ATTEMPT_TIMEOUT_ENV`] and [`CALL_TIMEOUT_ENV`] when set.
    pub fn from_env() -> Result<Timeouts, TimeoutsError> {
        Timeouts::from_vars(|k| std::env::var(k).ok())
    }

    /// [`Timeouts::from_env`] with the variables read through `get` (for tests).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Timeouts, TimeoutsError> {
        let attempt = get(ATTEMPT_TIMEOUT_ENV)
            .map(|v| parse_timeout_secs(ATTEMPT_TIMEOUT_ENV, &v))
            .transpose()?;
        let call = get(CALL_TIMEOUT_ENV)
            .map(|v| parse_timeout_secs(CALL_TIMEOUT_ENV, &v))
            .transpose()?;
        Timeouts::default().set(attempt, call, ATTEMPT_TIMEOUT_ENV, CALL_TIMEOUT_ENV)
    }

    /// These timeouts with the ones given in seconds (command-line flags) put in place.
    pub fn with_secs(
        self,
        attempt: Option<u64>,
        call: Option<u64>,
    ) -> Result<Timeouts, TimeoutsError> {
        let secs = |var: &'static str, n: Option<u64>| {
            n.map(|n| parse_timeout_secs(var, &n.to_string()))
                .transpose()
        };
        let attempt = secs("--attempt-timeout", attempt)?;
        let call = secs("--call-timeout", call)?;
        self.set(attempt, call, "--attempt-timeout", "--call-timeout")
    }

    /// These timeouts with the given ones put in place. An attempt never outlasts its call: a
    /// limit given alone moves the other one (a call limit below the attempt limit lowers the
    /// attempt limit to it, an attempt limit above the call limit raises the call limit to
    /// it); both given and contradicting each other is an error naming both.
    fn set(
        self,
        attempt: Option<Duration>,
        call: Option<Duration>,
        attempt_var: &'static str,
        call_var: &'static str,
    ) -> Result<Timeouts, TimeoutsError> {
        match (attempt, call) {
            (Some(attempt), Some(call)) if attempt > call => {
                Err(TimeoutsError::AttemptLongerThanCall {
                    attempt: attempt.as_secs(),
                    call: call.as_secs(),
                    attempt_var,
                    call_var,
                })
            }
            (Some(attempt), Some(call)) => Ok(Timeouts { attempt, call }),
            (Some(attempt), None) => Ok(Timeouts {
                attempt,
                call: self.call.max(attempt),
            }),
            (None, Some(call)) => Ok(Timeouts {
                attempt: self.attempt.min(call),
                call,
            }),
            (None, None) => Ok(self),
        }
    }

    /// These timeouts, neither longer than `remaining` (the time a Lambda run has left), so a
    /// call gives up while there is still time to report it.
    pub fn within(self, remaining: Duration) -> Timeouts {
        let remaining = remaining.max(Duration::from_secs(1));
        Timeouts {
            attempt: self.attempt.min(remaining),
            call: self.call.min(remaining),
        }
    }
}

/// The SDK configuration every front end uses: every call times out (20 s an attempt, 90 s in
/// all), and throttling or 5xx answers get at most four attempts (standard retry with backoff)
/// before the input is reported as not collected. Add a profile or endpoint, then `load()`.
/// The EC2 client the collector uses gets its own, larger limits: [`ec2_client`].
pub fn bounded_config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(4))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        )
}

/// The EC2 client for the collector: `conf` (credentials, region, endpoint, connect timeout)
/// with `timeouts` per attempt and per call, and the SDK's adaptive retry mode (at most four
/// attempts; exponential backoff plus a client-side rate limiter that slows this client's own
/// requests after throttling). Pass the same `timeouts` in [`CollectOptions::timeouts`]. In
/// Lambda, build it per invocation with `timeouts.within(remaining)` (cheap: no I/O).
pub fn ec2_client(conf: &aws_config::SdkConfig, timeouts: &Timeouts) -> Ec2Client {
    let limits = conf
        .timeout_config()
        .map(|t| t.to_builder())
        .unwrap_or_default()
        .operation_attempt_timeout(timeouts.attempt)
        .operation_timeout(timeouts.call)
        .build();
    let c = aws_sdk_ec2::config::Builder::from(conf)
        .retry_config(aws_config::retry::RetryConfig::adaptive().with_max_attempts(4))
        .timeout_config(limits)
        .build();
    Ec2Client::from_conf(c)
}

/// The account the credentials belong to (`sts:GetCallerIdentity`, which needs no permission).
pub async fn account_id(conf: &aws_config::SdkConfig) -> Option<String> {
    aws_sdk_sts::Client::new(conf)
        .get_caller_identity()
        .send()
        .await
        .ok()
        .and_then(|o| o.account().map(str::to_string))
}

/// The EC2 client type, re-exported so front ends need not name the SDK crate.
pub type Ec2Client = aws_sdk_ec2::Client;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn timeouts_default_to_a_minute_an_attempt_and_five_a_call() {
        let t = Timeouts::from_vars(vars(&[])).unwrap();
        assert_eq!(t, Timeouts::default());
        assert_eq!(t.attempt, Duration::from_secs(60));
        assert_eq!(t.call, Duration::from_secs(300));
    }

    #[test]
    fn timeouts_come_from_the_environment() {
        let t = Timeouts::from_vars(vars(&[
            (ATTEMPT_TIMEOUT_ENV, "120"),
            (CALL_TIMEOUT_ENV, " 900 "),
        ]))
        .unwrap();
        assert_eq!(t.attempt, Duration::from_secs(120));
        assert_eq!(t.call, Duration::from_secs(900));
    }

    #[test]
    fn a_bad_timeout_names_its_variable() {
        for bad in ["", "0", "-5", "1.5", "ten", "3601"] {
            let e = Timeouts::from_vars(vars(&[(CALL_TIMEOUT_ENV, bad)])).unwrap_err();
            assert_eq!(
                e,
                TimeoutsError::Invalid {
                    var: CALL_TIMEOUT_ENV,
                    value: bad.into()
                }
            );
            assert!(e.to_string().contains("PLAUDIT_CALL_TIMEOUT_SECS"), "{e}");
        }
        let e = Timeouts::from_vars(vars(&[
            (ATTEMPT_TIMEOUT_ENV, "400"),
            (CALL_TIMEOUT_ENV, "300"),
        ]))
        .unwrap_err();
        assert!(
            matches!(
                e,
                TimeoutsError::AttemptLongerThanCall {
                    attempt: 400,
                    call: 300,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains(ATTEMPT_TIMEOUT_ENV), "{e}");
        assert!(e.to_string().contains(CALL_TIMEOUT_ENV), "{e}");
    }

    #[test]
    fn a_limit_given_alone_moves_the_other_so_an_attempt_fits_in_its_call() {
        let t = Timeouts::from_vars(vars(&[(ATTEMPT_TIMEOUT_ENV, "400")])).unwrap();
        assert_eq!(
            (t.attempt, t.call),
            (Duration::from_secs(400), Duration::from_secs(400))
        );
        let t = Timeouts::default().with_secs(None, Some(30)).unwrap();
        assert_eq!(
            (t.attempt, t.call),
            (Duration::from_secs(30), Duration::from_secs(30))
        );
        let t = Timeouts::default().with_secs(None, Some(900)).unwrap();
        assert_eq!(
            (t.attempt, t.call),
            (Duration::from_secs(60), Duration::from_secs(900))
        );
    }

    #[test]
    fn flags_override_the_environment_and_name_the_flag() {
        let env = Timeouts::from_vars(vars(&[(ATTEMPT_TIMEOUT_ENV, "30")])).unwrap();
        let t = env.with_secs(None, Some(600)).unwrap();
        assert_eq!(
            (t.attempt, t.call),
            (Duration::from_secs(30), Duration::from_secs(600))
        );
        let e = env.with_secs(Some(0), None).unwrap_err();
        assert!(e.to_string().contains("--attempt-timeout"), "{e}");
        let e = env.with_secs(Some(90), Some(60)).unwrap_err();
        assert!(e.to_string().contains("--call-timeout"), "{e}");
    }

    #[test]
    fn timeouts_within_a_lambda_deadline_never_outlast_it() {
        let t = Timeouts::default().within(Duration::from_secs(45));
        assert_eq!(
            (t.attempt, t.call),
            (Duration::from_secs(45), Duration::from_secs(45))
        );
        let t = Timeouts::default().within(Duration::from_secs(3600));
        assert_eq!(t, Timeouts::default());
    }
}

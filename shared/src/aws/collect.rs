//! The collector: reads live state through the EC2 seam ([`Ec2Api`]) into a [`Snapshot`]
//! (feature `aws`).
//!
//! One paginated sequence per describe call, the independent ones concurrently, plus the two
//! `DescribeVpcAttribute` calls per VPC with bounded, adaptive concurrency. Filter values are
//! sent at most [`MAX_FILTER_VALUES`] per call (EC2 refuses more with `FilterLimitExceeded`),
//! the chunks' answers merged. A call that fails (access denied, throttled after the SDK's
//! retries, timed out, cut by the run's deadline) becomes data: its input is
//! `Err(CollectFailure)` with the API and the error code, so the rules that needed it report
//! `Error`, never `Pass`; the snapshot's `meta.collection_errors` lists every such failure.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};

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
    /// At most this many `DescribeVpcAttribute` calls in flight (halved, down to one, while the
    /// endpoint throttles or answers slowly).
    pub max_concurrency: usize,
    /// A `DescribeVpcAttribute` call slower than this halves the fan-out's concurrency (the
    /// SDK's retries of a throttled call show up as a slow call).
    pub slow_call: Duration,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            vpc_ids: Vec::new(),
            max_concurrency: 8,
            slow_call: Duration::from_secs(5),
        }
    }
}

/// How many calls each API took, and when collection must stop.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: std::sync::Mutex<BTreeMap<&'static str, usize>>,
    total: AtomicUsize,
    backoffs: AtomicUsize,
    deadline: Option<tokio::time::Instant>,
}

/// The code of an input that could not be read before the deadline.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

impl CallCounter {
    /// A counter whose calls stop at `deadline`: an input not read by then becomes
    /// `Err(DeadlineExceeded)`, so what was read is still audited and the rest reports `Error`.
    pub fn with_deadline(deadline: tokio::time::Instant) -> CallCounter {
        CallCounter {
            deadline: Some(deadline),
            ..CallCounter::default()
        }
    }

    /// Runs `f` unless the deadline passes first.
    async fn within<F: std::future::Future>(&self, f: F) -> Option<F::Output> {
        match self.deadline {
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

    /// Calls per API (one per page).
    pub fn by_api(&self) -> BTreeMap<&'static str, usize> {
        self.counts.lock().map(|m| m.clone()).unwrap_or_default()
    }

    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// How many times the collector halved its concurrency because the endpoint throttled or
    /// answered slowly.
    pub fn backoffs(&self) -> usize {
        self.backoffs.load(Ordering::Relaxed)
    }
}

fn failure(api: &str, e: CallError) -> CollectFailure {
    CollectFailure {
        api: api.to_string(),
        code: e.code,
        message: e.message,
    }
}

fn deadline_failure(api: &str) -> CollectFailure {
    CollectFailure {
        api: api.to_string(),
        code: DEADLINE_EXCEEDED.to_string(),
        message: "not read before the run's deadline (the Lambda time limit); the next run retries"
            .to_string(),
    }
}

fn unexpected(api: &str) -> CollectFailure {
    CollectFailure {
        api: api.to_string(),
        code: "UnexpectedResponse".to_string(),
        message: "the answer held items of another call".to_string(),
    }
}

/// The model type a describe call's pages hold.
trait FromItems: Sized {
    fn from_items(items: Items) -> Option<Vec<Self>>;
}

macro_rules! from_items {
    ($($variant:ident => $ty:ty),* $(,)?) => {$(
        impl FromItems for $ty {
            fn from_items(items: Items) -> Option<Vec<Self>> {
                match items {
                    Items::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    )*};
}

from_items!(
    Vpcs => Vpc,
    Subnets => Subnet,
    RouteTables => RouteTable,
    InternetGateways => InternetGateway,
    NatGateways => NatGateway,
    VpcEndpoints => VpcEndpoint,
    SecurityGroups => SecurityGroup,
    SecurityGroupRules => SecurityGroupRule,
    NetworkAcls => NetworkAcl,
    ServiceConfigurations => EndpointServiceConfiguration,
    PrefixLists => ManagedPrefixList,
    AllowedPrincipals => AllowedPrincipal,
);

/// Every page of one call with one filter, counting one call per page.
async fn all_pages<E: Ec2Api, T: FromItems>(
    ec2: &E,
    counter: &CallCounter,
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
    loop {
        let Some(answer) = counter.within(ec2.call(&req)).await else {
            return Err(deadline_failure(api));
        };
        counter.count(api);
        let page = answer.map_err(|e| failure(api, e))?;
        out.extend(T::from_items(page.items).ok_or_else(|| unexpected(api))?);
        match page.next_token {
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
}

/// One describe call, whole region (`scope` `None`) or filtered on `scope`'s values, at most
/// [`MAX_FILTER_VALUES`] of them per call; the chunks' answers merged in order.
async fn describe<E: Ec2Api, T: FromItems>(
    ec2: &E,
    counter: &CallCounter,
    call: Describe,
    scope: Option<(&'static str, &[String])>,
) -> Collected<Vec<T>> {
    let Some((name, values)) = scope else {
        return all_pages(ec2, counter, call, None).await;
    };
    let mut out = Vec::new();
    for chunk in values.chunks(MAX_FILTER_VALUES) {
        let filter = Filter {
            name,
            values: chunk.to_vec(),
        };
        out.extend(all_pages::<E, T>(ec2, counter, call.clone(), Some(filter)).await?);
    }
    Ok(out)
}

/// Collects one region's state through `ec2` (the SDK client, or a fake in tests).
pub async fn collect<E: Ec2Api>(
    ec2: &E,
    opts: &CollectOptions,
    meta: SnapshotMeta,
    counter: &CallCounter,
) -> Snapshot {
    let ids = &opts.vpc_ids;
    let by_vpc = (!ids.is_empty()).then_some(("vpc-id", ids.as_slice()));
    let by_attachment = (!ids.is_empty()).then_some(("attachment.vpc-id", ids.as_slice()));
    let (vpcs, subnets, route_tables, igws, nats, endpoints, groups, acls, services, prefix_lists) = tokio::join!(
        describe::<E, Vpc>(ec2, counter, Describe::Vpcs, by_vpc),
        describe::<E, Subnet>(ec2, counter, Describe::Subnets, by_vpc),
        describe::<E, RouteTable>(ec2, counter, Describe::RouteTables, by_vpc),
        describe::<E, InternetGateway>(ec2, counter, Describe::InternetGateways, by_attachment),
        describe::<E, NatGateway>(ec2, counter, Describe::NatGateways, by_vpc),
        describe::<E, VpcEndpoint>(ec2, counter, Describe::VpcEndpoints, by_vpc),
        describe::<E, SecurityGroup>(ec2, counter, Describe::SecurityGroups, by_vpc),
        describe::<E, NetworkAcl>(ec2, counter, Describe::NetworkAcls, by_vpc),
        describe::<E, EndpointServiceConfiguration>(
            ec2,
            counter,
            Describe::VpcEndpointServiceConfigurations,
            None
        ),
        describe::<E, ManagedPrefixList>(ec2, counter, Describe::ManagedPrefixLists, None),
    );
    // These depend on what the first round found.
    let scoped = !ids.is_empty();
    let group_ids: Vec<String> = match (&groups, scoped) {
        (Ok(g), true) => g.iter().map(|x| x.group_id.to_string()).collect(),
        _ => Vec::new(),
    };
    let vpc_ids: Vec<String> = vpcs
        .as_ref()
        .map(|v| v.iter().map(|x| x.vpc_id.to_string()).collect())
        .unwrap_or_default();
    let service_ids: Vec<String> = services
        .as_ref()
        .map(|v| v.iter().map(|x| x.service_id.to_string()).collect())
        .unwrap_or_default();
    let rules = async {
        if scoped {
            // Scoped to the groups found in the VPCs (none found: nothing to ask).
            describe(
                ec2,
                counter,
                Describe::SecurityGroupRules,
                Some(("group-id", group_ids.as_slice())),
            )
            .await
        } else {
            describe(ec2, counter, Describe::SecurityGroupRules, None).await
        }
    };
    let (rules, attributes, permissions) = tokio::join!(
        rules,
        vpc_attributes(ec2, counter, &vpc_ids, opts),
        service_permissions(ec2, counter, &service_ids, services.is_ok()),
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

/// One `DescribeVpcAttribute` call of the fan-out: which VPC and attribute, and whether it
/// has already been put back once after throttling.
#[derive(Debug, Clone, Copy)]
struct AttributeJob {
    vpc: usize,
    attribute: VpcAttributeName,
    retried: bool,
}

/// Both DNS attributes of every VPC, at most `opts.max_concurrency` calls in flight. The limit
/// halves (down to one) after a throttled call or a call slower than `opts.slow_call`; a
/// throttled call is put back once at the lower concurrency. Any other failure fails the whole
/// input (a partial list would let a VPC's attributes go unchecked without saying why) and
/// stops further calls.
async fn vpc_attributes<E: Ec2Api>(
    ec2: &E,
    counter: &CallCounter,
    vpc_ids: &[String],
    opts: &CollectOptions,
) -> Collected<Vec<VpcAttributes>> {
    let api = Input::VpcAttributes.api();
    let mut queue: VecDeque<AttributeJob> = (0..vpc_ids.len())
        .flat_map(|vpc| {
            [
                VpcAttributeName::EnableDnsHostnames,
                VpcAttributeName::EnableDnsSupport,
            ]
            .map(|attribute| AttributeJob {
                vpc,
                attribute,
                retried: false,
            })
        })
        .collect();
    let mut out: Vec<VpcAttributes> = vpc_ids
        .iter()
        .map(|v| VpcAttributes {
            vpc_id: Text::from(v.as_str()),
            enable_dns_hostnames: None,
            enable_dns_support: None,
        })
        .collect();
    let one = move |job: AttributeJob| async move {
        let req = PageRequest {
            call: Describe::VpcAttribute {
                vpc_id: vpc_ids[job.vpc].clone(),
                attribute: job.attribute,
            },
            filter: None,
            next_token: None,
        };
        let started = tokio::time::Instant::now();
        let answer = ec2.call(&req).await;
        (job, started.elapsed(), answer)
    };
    let work = async {
        let mut limit = opts.max_concurrency.max(1);
        let mut in_flight = FuturesUnordered::new();
        let mut first_error: Option<CollectFailure> = None;
        let back_off = |limit: &mut usize| {
            if *limit > 1 {
                *limit /= 2;
                counter.backoffs.fetch_add(1, Ordering::Relaxed);
            }
        };
        loop {
            while first_error.is_none() && in_flight.len() < limit {
                let Some(job) = queue.pop_front() else { break };
                in_flight.push(one(job));
            }
            let Some((job, took, answer)) = in_flight.next().await else {
                break;
            };
            counter.count(api);
            if took >= opts.slow_call {
                back_off(&mut limit);
            }
            match answer {
                Ok(Page {
                    items: Items::VpcAttribute(value),
                    ..
                }) => {
                    let value = value.map(|value| BoolValue { value });
                    match job.attribute {
                        VpcAttributeName::EnableDnsHostnames => {
                            out[job.vpc].enable_dns_hostnames = value
                        }
                        VpcAttributeName::EnableDnsSupport => {
                            out[job.vpc].enable_dns_support = value
                        }
                    }
                }
                Ok(_) => {
                    first_error.get_or_insert(unexpected(api));
                }
                Err(e) if e.is_throttling() && !job.retried => {
                    back_off(&mut limit);
                    queue.push_back(AttributeJob {
                        retried: true,
                        ..job
                    });
                }
                Err(e) => {
                    if e.is_throttling() {
                        back_off(&mut limit);
                    }
                    first_error.get_or_insert(failure(api, e));
                }
            }
        }
        first_error
    };
    match counter.within(work).await {
        None => Err(deadline_failure(api)),
        Some(Some(f)) => Err(f),
        Some(None) => Ok(out),
    }
}

async fn service_permissions<E: Ec2Api>(
    ec2: &E,
    counter: &CallCounter,
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
    let mut out = BTreeMap::new();
    let unique: BTreeSet<&String> = service_ids.iter().collect();
    for id in unique {
        let principals: Vec<AllowedPrincipal> = all_pages(
            ec2,
            counter,
            Describe::VpcEndpointServicePermissions {
                service_id: id.clone(),
            },
            None,
        )
        .await?;
        out.insert(
            id.clone(),
            ServicePermissions {
                allowed_principals: principals,
            },
        );
    }
    Ok(out)
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
    #[error("the attempt timeout ({attempt} s) is longer than the call timeout ({call} s), which would cut every attempt; raise {call_var} or lower {attempt_var}")]
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
        let d = Timeouts::default();
        let attempt = get(ATTEMPT_TIMEOUT_ENV)
            .map(|v| parse_timeout_secs(ATTEMPT_TIMEOUT_ENV, &v))
            .transpose()?;
        let call = get(CALL_TIMEOUT_ENV)
            .map(|v| parse_timeout_secs(CALL_TIMEOUT_ENV, &v))
            .transpose()?;
        Timeouts {
            attempt: attempt.unwrap_or(d.attempt),
            call: call.unwrap_or(d.call),
        }
        .checked(ATTEMPT_TIMEOUT_ENV, CALL_TIMEOUT_ENV)
    }

    /// These timeouts with the ones given in seconds (command-line flags) put in place.
    pub fn with_secs(
        self,
        attempt: Option<u64>,
        call: Option<u64>,
    ) -> Result<Timeouts, TimeoutsError> {
        let secs = |var: &'static str, n: Option<u64>, dflt: Duration| match n {
            None => Ok(dflt),
            Some(n) => parse_timeout_secs(var, &n.to_string()),
        };
        Timeouts {
            attempt: secs("--attempt-timeout", attempt, self.attempt)?,
            call: secs("--call-timeout", call, self.call)?,
        }
        .checked("--attempt-timeout", "--call-timeout")
    }

    fn checked(
        self,
        attempt_var: &'static str,
        call_var: &'static str,
    ) -> Result<Timeouts, TimeoutsError> {
        if self.attempt > self.call {
            return Err(TimeoutsError::AttemptLongerThanCall {
                attempt: self.attempt.as_secs(),
                call: self.call.as_secs(),
                attempt_var,
                call_var,
            });
        }
        Ok(self)
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

/// The SDK configuration every front end uses: every call times out (`timeouts`: per attempt
/// and per call), and throttling or 5xx answers get at most four attempts with the SDK's
/// adaptive retry mode (exponential backoff plus a client-side rate limiter that slows the
/// client's own requests after throttling) before the input is reported as not collected. Add
/// a profile or endpoint, then `load()`.
pub fn bounded_config_loader(timeouts: &Timeouts) -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::adaptive().with_max_attempts(4))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.call)
                .build(),
        )
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
        let e = Timeouts::from_vars(vars(&[(ATTEMPT_TIMEOUT_ENV, "400")])).unwrap_err();
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

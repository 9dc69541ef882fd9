//! An in-memory EC2 behind the seam ([`Ec2Api`]): serves a [`Snapshot`]'s data the way EC2
//! would (server-side filters, pages, the 200-value filter limit), with injected failures and
//! delays, and records every request so a test can count and inspect them afterwards.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use plaudit::collect::{collect, CallCounter, CollectOptions};
//! use plaudit::testing::ec2::FakeEc2;
//!
//! let mut estate = plaudit::synth::Estate::empty();
//! estate.add_vpc(0, false);
//! let ec2 = FakeEc2::serving(estate.snap.clone()).fail("DescribeNetworkAcls", "UnauthorizedOperation");
//! let counter = CallCounter::default();
//! let snap = collect(&ec2, &CollectOptions::default(), estate.snap.meta.clone(), &counter).await;
//! assert_eq!(snap.network_acls.unwrap_err().code, "UnauthorizedOperation");
//! assert_eq!(ec2.calls_of("DescribeVpcs"), 1);
//! # }
//! ```
//!
//! Clones share one state (an `Arc`), so a test keeps a clone and inspects it after the run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::aws::ec2::{
    CallError, Describe, Ec2Api, Filter, Items, Page, PageRequest, VpcAttributeName,
    MAX_FILTER_VALUES,
};
use crate::snapshot::{Collected, Snapshot};

/// The fake. Build it with [`FakeEc2::serving`] and the builder methods; pass `&fake` to
/// `plaudit::collect::collect`.
#[derive(Debug, Clone)]
pub struct FakeEc2 {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    snap: Snapshot,
    page_size: usize,
    /// Per API: the error code, and how many more calls fail (`None`: every call).
    failures: BTreeMap<String, (String, Option<usize>)>,
    delays: BTreeMap<String, Duration>,
    slow: Option<Duration>,
    requests: Vec<PageRequest>,
    /// For each request, how many calls of its API were in flight when it started (itself
    /// included).
    started_with: Vec<usize>,
    in_flight: BTreeMap<&'static str, usize>,
    peak_in_flight: BTreeMap<&'static str, usize>,
}

/// EC2's default page size for most describe calls without `MaxResults` is large; the fake
/// answers in one page unless told otherwise.
const DEFAULT_PAGE_SIZE: usize = 1000;

impl FakeEc2 {
    /// An EC2 whose state is `snap`. An input the snapshot holds as `Err` is served as that
    /// error (its code and message) on every call of its API.
    pub fn serving(snap: Snapshot) -> FakeEc2 {
        FakeEc2 {
            inner: Arc::new(Mutex::new(State {
                snap,
                page_size: DEFAULT_PAGE_SIZE,
                failures: BTreeMap::new(),
                delays: BTreeMap::new(),
                slow: None,
                requests: Vec::new(),
                started_with: Vec::new(),
                in_flight: BTreeMap::new(),
                peak_in_flight: BTreeMap::new(),
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has failed already; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// At most `n` items a page (at least one), with a next token while more remain.
    pub fn page_size(self, n: usize) -> FakeEc2 {
        self.state().page_size = n.max(1);
        self
    }

    /// Every call of `api` (`DescribeSubnets`) fails with `code`.
    pub fn fail(self, api: &str, code: &str) -> FakeEc2 {
        self.state()
            .failures
            .insert(api.to_string(), (code.to_string(), None));
        self
    }

    /// The next `n` calls of `api` fail with `code`; later ones are answered.
    pub fn fail_times(self, api: &str, code: &str, n: usize) -> FakeEc2 {
        self.state()
            .failures
            .insert(api.to_string(), (code.to_string(), Some(n)));
        self
    }

    /// Every call of `api` takes `d` (a tokio sleep, so a test with paused time runs at once)
    /// before it answers.
    pub fn delay(self, api: &str, d: Duration) -> FakeEc2 {
        self.state().delays.insert(api.to_string(), d);
        self
    }

    /// Every call of every API without its own [`FakeEc2::delay`] takes `d`: a slow endpoint.
    pub fn slow(self, d: Duration) -> FakeEc2 {
        self.state().slow = Some(d);
        self
    }

    /// Every request received so far, in order (failed ones included).
    pub fn requests(&self) -> Vec<PageRequest> {
        self.state().requests.clone()
    }

    /// How many calls (pages) were made.
    pub fn calls(&self) -> usize {
        self.state().requests.len()
    }

    /// How many calls (pages) of `api` were made.
    pub fn calls_of(&self, api: &str) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|r| r.call.api() == api)
            .count()
    }

    /// The filters the calls of `api` carried, in order (`None` for an unfiltered call).
    pub fn filters_of(&self, api: &str) -> Vec<Option<Filter>> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.call.api() == api)
            .map(|r| r.filter.clone())
            .collect()
    }

    /// The most calls of `api` that were in flight at once.
    pub fn peak_in_flight(&self, api: &str) -> usize {
        self.state()
            .peak_in_flight
            .get(api)
            .copied()
            .unwrap_or_default()
    }

    /// For each call of `api` in order, how many calls of it were in flight when it started
    /// (itself included): the concurrency the collector used over time.
    pub fn concurrency_of(&self, api: &str) -> Vec<usize> {
        let s = self.state();
        s.requests
            .iter()
            .zip(&s.started_with)
            .filter(|(r, _)| r.call.api() == api)
            .map(|(_, n)| *n)
            .collect()
    }

    /// Records the request and decides, before any delay, whether it fails.
    fn begin(&self, req: &PageRequest) -> (Option<Duration>, Option<CallError>) {
        let mut s = self.state();
        let api = req.call.api();
        s.requests.push(req.clone());
        let now = {
            let n = s.in_flight.entry(api).or_default();
            *n += 1;
            *n
        };
        s.started_with.push(now);
        let peak = s.peak_in_flight.entry(api).or_default();
        *peak = (*peak).max(now);
        let delay = s.delays.get(api).copied().or(s.slow);
        let injected = match s.failures.get_mut(api) {
            Some((code, None)) => Some(CallError::new(code.clone(), "injected by the test")),
            Some((code, Some(n))) if *n > 0 => {
                *n -= 1;
                Some(CallError::new(code.clone(), "injected by the test"))
            }
            _ => None,
        };
        (delay, injected)
    }

    fn end(&self, api: &'static str) {
        if let Some(n) = self.state().in_flight.get_mut(api) {
            *n = n.saturating_sub(1);
        }
    }
}

/// Leaves the in-flight count when the call ends, answered or dropped (cut by a deadline).
struct InFlight<'a> {
    fake: &'a FakeEc2,
    api: &'static str,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.fake.end(self.api);
    }
}

impl Ec2Api for FakeEc2 {
    async fn call(&self, req: &PageRequest) -> Result<Page, CallError> {
        let (delay, injected) = self.begin(req);
        let _guard = InFlight {
            fake: self,
            api: req.call.api(),
        };
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        if let Some(e) = injected {
            return Err(e);
        }
        let s = self.state();
        answer(&s.snap, s.page_size, req)
    }
}

/// EC2's answer to one page request.
fn answer(snap: &Snapshot, page_size: usize, req: &PageRequest) -> Result<Page, CallError> {
    if let Some(f) = &req.filter {
        if f.values.len() > MAX_FILTER_VALUES {
            return Err(CallError::new(
                "FilterLimitExceeded",
                format!(
                    "The maximum number of filter values specified on a single call is {MAX_FILTER_VALUES}; {} were given for {}",
                    f.values.len(),
                    f.name
                ),
            ));
        }
    }
    let start = match &req.next_token {
        None => 0,
        Some(t) => t
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                CallError::new("InvalidNextToken", format!("The token '{t}' is invalid"))
            })?,
    };
    let filter = req.filter.as_ref();
    macro_rules! list {
        ($field:expr, $variant:ident, $($name:literal => $key:expr),*) => {{
            let all = served(&$field)?;
            let kept: Vec<_> = match filter {
                None => all.iter().collect(),
                $(Some(f) if f.name == $name => {
                    let wanted: BTreeSet<&str> = f.values.iter().map(String::as_str).collect();
                    all.iter().filter(|x| $key(*x, &wanted)).collect()
                })*
                Some(f) => return Err(invalid_filter(&req.call, f)),
            };
            page(kept, start, page_size, Items::$variant)
        }};
    }
    match &req.call {
        Describe::Vpcs => {
            list!(snap.vpcs, Vpcs, "vpc-id" => |x: &crate::model::Vpc, w: &BTreeSet<&str>| w.contains(x.vpc_id.as_str()))
        }
        Describe::Subnets => {
            list!(snap.subnets, Subnets, "vpc-id" => |x: &crate::model::Subnet, w: &BTreeSet<&str>| w.contains(x.vpc_id.as_str()))
        }
        Describe::RouteTables => {
            list!(snap.route_tables, RouteTables, "vpc-id" => |x: &crate::model::RouteTable, w: &BTreeSet<&str>| w.contains(x.vpc_id.as_str()))
        }
        Describe::InternetGateways => list!(snap.internet_gateways, InternetGateways,
            "attachment.vpc-id" => |x: &crate::model::InternetGateway, w: &BTreeSet<&str>| x.attachments.iter().any(|a| w.contains(a.vpc_id.as_str()))),
        Describe::NatGateways => {
            list!(snap.nat_gateways, NatGateways, "vpc-id" => |x: &crate::model::NatGateway, w: &BTreeSet<&str>| w.contains(x.vpc_id.as_str()))
        }
        Describe::VpcEndpoints => {
            list!(snap.vpc_endpoints, VpcEndpoints, "vpc-id" => |x: &crate::model::VpcEndpoint, w: &BTreeSet<&str>| w.contains(x.vpc_id.as_str()))
        }
        Describe::SecurityGroups => list!(snap.security_groups, SecurityGroups,
            "vpc-id" => |x: &crate::model::SecurityGroup, w: &BTreeSet<&str>| x.vpc_id.as_ref().is_some_and(|v| w.contains(v.as_str())),
            "group-id" => |x: &crate::model::SecurityGroup, w: &BTreeSet<&str>| w.contains(x.group_id.as_str())),
        Describe::SecurityGroupRules => list!(snap.security_group_rules, SecurityGroupRules,
            "group-id" => |x: &crate::model::SecurityGroupRule, w: &BTreeSet<&str>| w.contains(x.group_id.as_str())),
        Describe::NetworkAcls => {
            list!(snap.network_acls, NetworkAcls, "vpc-id" => |x: &crate::model::NetworkAcl, w: &BTreeSet<&str>| w.contains(x.vpc_id.as_str()))
        }
        Describe::VpcEndpointServiceConfigurations => {
            list!(snap.endpoint_service_configurations, ServiceConfigurations,
            "service-id" => |x: &crate::model::EndpointServiceConfiguration, w: &BTreeSet<&str>| w.contains(x.service_id.as_str()))
        }
        Describe::ManagedPrefixLists => list!(snap.managed_prefix_lists, PrefixLists,
            "prefix-list-id" => |x: &crate::model::ManagedPrefixList, w: &BTreeSet<&str>| w.contains(x.prefix_list_id.as_str())),
        Describe::VpcEndpointServicePermissions { service_id } => {
            let all = served(&snap.endpoint_service_permissions)?;
            let Some(p) = all.get(service_id) else {
                return Err(CallError::new(
                    "InvalidVpcEndpointServiceId.NotFound",
                    format!("The Vpc Endpoint Service Id '{service_id}' does not exist"),
                ));
            };
            if let Some(f) = filter {
                return Err(invalid_filter(&req.call, f));
            }
            page(
                p.allowed_principals.iter().collect(),
                start,
                page_size,
                Items::AllowedPrincipals,
            )
        }
        Describe::VpcAttribute { vpc_id, attribute } => {
            let all = served(&snap.vpc_attributes)?;
            let Some(a) = all.iter().find(|a| a.vpc_id.as_str() == vpc_id) else {
                return Err(CallError::new(
                    "InvalidVpcID.NotFound",
                    format!("The vpc ID '{vpc_id}' does not exist"),
                ));
            };
            let value = match attribute {
                VpcAttributeName::EnableDnsHostnames => &a.enable_dns_hostnames,
                VpcAttributeName::EnableDnsSupport => &a.enable_dns_support,
            };
            Ok(Page {
                items: Items::VpcAttribute(value.as_ref().map(|b| b.value)),
                next_token: None,
            })
        }
    }
}

/// The snapshot's data for a call, or its failure served as the call's error.
fn served<T>(c: &Collected<T>) -> Result<&T, CallError> {
    c.as_ref()
        .map_err(|f| CallError::new(f.code.clone(), f.message.clone()))
}

fn invalid_filter(call: &Describe, f: &Filter) -> CallError {
    CallError::new(
        "InvalidParameterValue",
        format!(
            "The filter '{}' is invalid for {} (the fake serves only the filters the collector uses)",
            f.name,
            call.api()
        ),
    )
}

fn page<T: Clone>(
    kept: Vec<&T>,
    start: usize,
    size: usize,
    wrap: impl FnOnce(Vec<T>) -> Items,
) -> Result<Page, CallError> {
    let end = (start + size).min(kept.len());
    let items = kept
        .get(start.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|x| (*x).clone())
        .collect();
    Ok(Page {
        items: wrap(items),
        next_token: (end < kept.len()).then(|| format!("page-{end}")),
    })
}

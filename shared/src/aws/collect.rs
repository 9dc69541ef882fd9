//! The collector: reads live state with the AWS SDK into a [`Snapshot`] (feature `aws`).
//!
//! One paginated sequence per describe call, the independent ones concurrently, plus the two
//! `DescribeVpcAttribute` calls per VPC with bounded concurrency. A call that fails (access
//! denied, throttled after the SDK's retries, timed out) becomes data: its input is
//! `Err(CollectFailure)` with the API and the AWS error code, so the rules that needed it report
//! `Error`, never `Pass`. Enum values are kept as the wire strings (`available` arrives in lower
//! case and the SDK enum may not know it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types as sdk;
use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::Client;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::model::*;
use crate::snapshot::{CollectFailure, Collected, Input, Snapshot, SnapshotMeta};

/// How to collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Restrict the calls to these VPCs with server-side filters (empty: the whole region).
    pub vpc_ids: Vec<String>,
    /// At most this many `DescribeVpcAttribute` calls in flight.
    pub max_concurrency: usize,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            vpc_ids: Vec::new(),
            max_concurrency: 8,
        }
    }
}

/// How many calls each API took, and when collection must stop.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: std::sync::Mutex<BTreeMap<&'static str, usize>>,
    total: AtomicUsize,
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

    /// Calls per API.
    pub fn by_api(&self) -> BTreeMap<&'static str, usize> {
        self.counts.lock().map(|m| m.clone()).unwrap_or_default()
    }

    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

fn failure<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug + 'static>(
    api: &str,
    e: &SdkError<E, R>,
) -> CollectFailure {
    let (code, message) = match e {
        SdkError::ServiceError(s) => (
            s.err().code().unwrap_or("ServiceError").to_string(),
            s.err()
                .message()
                .unwrap_or("the service returned an error")
                .to_string(),
        ),
        SdkError::TimeoutError(_) => ("Timeout".to_string(), "the call timed out".to_string()),
        SdkError::DispatchFailure(_) => (
            "DispatchFailure".to_string(),
            format!("the request could not be sent: {}", chain(e)),
        ),
        other => ("SdkError".to_string(), chain(other)),
    };
    CollectFailure {
        api: api.to_string(),
        code,
        message,
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

/// An error and its sources, each by its `Display`, the way a person reads them.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// Drains a paginator into items, counting one call per page.
macro_rules! paged {
    ($counter:expr, $input:expr, $builder:expr, $items:ident, $convert:expr) => {{
        let api = $input.api();
        let mut stream = $builder.into_paginator().send();
        let mut out = Vec::new();
        loop {
            let Some(next) = $counter.within(stream.next()).await else {
                break Err(deadline_failure(api));
            };
            match next {
                None => break Ok(out),
                Some(Ok(page)) => {
                    $counter.count(api);
                    out.extend(page.$items().iter().map($convert));
                }
                Some(Err(e)) => {
                    $counter.count(api);
                    break Err(failure(api, &e));
                }
            }
        }
    }};
}

fn t(s: Option<&str>) -> Text {
    Text::from(s.unwrap_or_default())
}

fn tags(list: &[sdk::Tag]) -> Vec<Tag> {
    list.iter()
        .map(|x| Tag {
            key: t(x.key()),
            value: t(x.value()),
        })
        .collect()
}

fn texts(list: &[String]) -> Vec<Text> {
    list.iter().map(|s| Text::from(s.as_str())).collect()
}

fn vpc_filter(ids: &[String], name: &str) -> Option<Filter> {
    (!ids.is_empty()).then(|| {
        Filter::builder()
            .name(name)
            .set_values(Some(ids.to_vec()))
            .build()
    })
}

/// Collects one region's state.
pub async fn collect(
    client: &Client,
    opts: &CollectOptions,
    meta: SnapshotMeta,
    counter: &CallCounter,
) -> Snapshot {
    let ids = &opts.vpc_ids;
    let vpcs = async {
        paged!(
            counter,
            Input::Vpcs,
            client
                .describe_vpcs()
                .set_filters(vpc_filter(ids, "vpc-id").map(|f| vec![f])),
            vpcs,
            |v: &sdk::Vpc| Vpc {
                vpc_id: t(v.vpc_id()),
                cidr_block: t(v.cidr_block()),
                cidr_block_association_set: v
                    .cidr_block_association_set()
                    .iter()
                    .map(|a| CidrBlockAssociation {
                        cidr_block: t(a.cidr_block()),
                        cidr_block_state: a.cidr_block_state().map(|s| StateValue {
                            state: t(s.state().map(|x| x.as_str())),
                        }),
                    })
                    .collect(),
                ipv6_cidr_block_association_set: v
                    .ipv6_cidr_block_association_set()
                    .iter()
                    .map(|a| Ipv6CidrBlockAssociation {
                        ipv6_cidr_block: t(a.ipv6_cidr_block()),
                        ipv6_cidr_block_state: a.ipv6_cidr_block_state().map(|s| StateValue {
                            state: t(s.state().map(|x| x.as_str())),
                        }),
                    })
                    .collect(),
                state: v.state().map(|s| Text::from(s.as_str())),
                owner_id: v.owner_id().map(Text::from),
                tags: tags(v.tags()),
            }
        )
    };
    let subnets = async {
        paged!(
            counter,
            Input::Subnets,
            client
                .describe_subnets()
                .set_filters(vpc_filter(ids, "vpc-id").map(|f| vec![f])),
            subnets,
            |s: &sdk::Subnet| Subnet {
                subnet_id: t(s.subnet_id()),
                vpc_id: t(s.vpc_id()),
                cidr_block: s.cidr_block().map(Text::from),
                ipv6_cidr_block_association_set: s
                    .ipv6_cidr_block_association_set()
                    .iter()
                    .map(|a| Ipv6CidrBlockAssociation {
                        ipv6_cidr_block: t(a.ipv6_cidr_block()),
                        ipv6_cidr_block_state: a.ipv6_cidr_block_state().map(|s| StateValue {
                            state: t(s.state().map(|x| x.as_str())),
                        }),
                    })
                    .collect(),
                availability_zone: t(s.availability_zone()),
                availability_zone_id: s.availability_zone_id().map(Text::from),
                available_ip_address_count: s
                    .available_ip_address_count()
                    .and_then(|n| u64::try_from(n).ok()),
                map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
                tags: tags(s.tags()),
            }
        )
    };
    let route_tables = async {
        paged!(
            counter,
            Input::RouteTables,
            client
                .describe_route_tables()
                .set_filters(vpc_filter(ids, "vpc-id").map(|f| vec![f])),
            route_tables,
            |r: &sdk::RouteTable| RouteTable {
                route_table_id: t(r.route_table_id()),
                vpc_id: t(r.vpc_id()),
                associations: r
                    .associations()
                    .iter()
                    .map(|a| RouteTableAssociation {
                        main: a.main().unwrap_or(false),
                        subnet_id: a.subnet_id().map(Text::from),
                        gateway_id: a.gateway_id().map(Text::from),
                        association_state: a.association_state().and_then(|s| {
                            s.state().map(|v| StateValue {
                                state: Text::from(v.as_str()),
                            })
                        }),
                    })
                    .collect(),
                routes: r
                    .routes()
                    .iter()
                    .map(|x| Route {
                        destination_cidr_block: x.destination_cidr_block().map(Text::from),
                        destination_ipv6_cidr_block: x
                            .destination_ipv6_cidr_block()
                            .map(Text::from),
                        destination_prefix_list_id: x.destination_prefix_list_id().map(Text::from),
                        gateway_id: x.gateway_id().map(Text::from),
                        nat_gateway_id: x.nat_gateway_id().map(Text::from),
                        transit_gateway_id: x.transit_gateway_id().map(Text::from),
                        network_interface_id: x.network_interface_id().map(Text::from),
                        instance_id: x.instance_id().map(Text::from),
                        vpc_peering_connection_id: x.vpc_peering_connection_id().map(Text::from),
                        egress_only_internet_gateway_id: x
                            .egress_only_internet_gateway_id()
                            .map(Text::from),
                        local_gateway_id: x.local_gateway_id().map(Text::from),
                        carrier_gateway_id: x.carrier_gateway_id().map(Text::from),
                        core_network_arn: x.core_network_arn().map(Text::from),
                        state: x.state().map(|s| Text::from(s.as_str())),
                    })
                    .collect(),
                tags: tags(r.tags()),
            }
        )
    };
    let igws = async {
        paged!(
            counter,
            Input::InternetGateways,
            client
                .describe_internet_gateways()
                .set_filters(vpc_filter(ids, "attachment.vpc-id").map(|f| vec![f])),
            internet_gateways,
            |g: &sdk::InternetGateway| InternetGateway {
                internet_gateway_id: t(g.internet_gateway_id()),
                attachments: g
                    .attachments()
                    .iter()
                    .map(|a| GatewayAttachment {
                        vpc_id: t(a.vpc_id()),
                        state: t(a.state().map(|s| s.as_str())),
                    })
                    .collect(),
                tags: tags(g.tags()),
            }
        )
    };
    let nats = async {
        paged!(
            counter,
            Input::NatGateways,
            client
                .describe_nat_gateways()
                .set_filter(vpc_filter(ids, "vpc-id").map(|f| vec![f])),
            nat_gateways,
            |n: &sdk::NatGateway| NatGateway {
                nat_gateway_id: t(n.nat_gateway_id()),
                vpc_id: t(n.vpc_id()),
                subnet_id: t(n.subnet_id()),
                state: t(n.state().map(|s| s.as_str())),
                connectivity_type: n.connectivity_type().map(|c| Text::from(c.as_str())),
                tags: tags(n.tags()),
            }
        )
    };
    let endpoints = async {
        paged!(
            counter,
            Input::VpcEndpoints,
            client
                .describe_vpc_endpoints()
                .set_filters(vpc_filter(ids, "vpc-id").map(|f| vec![f])),
            vpc_endpoints,
            |e: &sdk::VpcEndpoint| VpcEndpoint {
                vpc_endpoint_id: t(e.vpc_endpoint_id()),
                vpc_id: t(e.vpc_id()),
                service_name: t(e.service_name()),
                vpc_endpoint_type: t(e.vpc_endpoint_type().map(|x| x.as_str())),
                state: t(e.state().map(|x| x.as_str())),
                private_dns_enabled: e.private_dns_enabled().unwrap_or(false),
                policy_document: e.policy_document().map(Text::from),
                subnet_ids: texts(e.subnet_ids()),
                route_table_ids: texts(e.route_table_ids()),
                groups: e
                    .groups()
                    .iter()
                    .map(|g| GroupIdentifier {
                        group_id: t(g.group_id()),
                        group_name: g.group_name().map(Text::from),
                    })
                    .collect(),
                tags: tags(e.tags()),
            }
        )
    };
    let groups = async {
        paged!(
            counter,
            Input::SecurityGroups,
            client
                .describe_security_groups()
                .set_filters(vpc_filter(ids, "vpc-id").map(|f| vec![f])),
            security_groups,
            |g: &sdk::SecurityGroup| SecurityGroup {
                group_id: t(g.group_id()),
                group_name: t(g.group_name()),
                vpc_id: g.vpc_id().map(Text::from),
                ip_permissions: g.ip_permissions().iter().map(permission).collect(),
                ip_permissions_egress: g.ip_permissions_egress().iter().map(permission).collect(),
                tags: tags(g.tags()),
            }
        )
    };
    let acls = async {
        paged!(
            counter,
            Input::NetworkAcls,
            client
                .describe_network_acls()
                .set_filters(vpc_filter(ids, "vpc-id").map(|f| vec![f])),
            network_acls,
            |a: &sdk::NetworkAcl| NetworkAcl {
                network_acl_id: t(a.network_acl_id()),
                vpc_id: t(a.vpc_id()),
                is_default: a.is_default().unwrap_or(false),
                associations: a
                    .associations()
                    .iter()
                    .map(|x| NetworkAclAssociation {
                        subnet_id: t(x.subnet_id())
                    })
                    .collect(),
                entries: a
                    .entries()
                    .iter()
                    .map(|e| NetworkAclEntry {
                        rule_number: e.rule_number().unwrap_or(32767),
                        protocol: t(e.protocol()),
                        rule_action: t(e.rule_action().map(|x| x.as_str())),
                        egress: e.egress().unwrap_or(false),
                        cidr_block: e.cidr_block().map(Text::from),
                        ipv6_cidr_block: e.ipv6_cidr_block().map(Text::from),
                        port_range: e.port_range().map(|p| PortRangeJson {
                            from: p.from().unwrap_or(0),
                            to: p.to().unwrap_or(65535),
                        }),
                    })
                    .collect(),
                tags: tags(a.tags()),
            }
        )
    };
    let services = async {
        paged!(
            counter,
            Input::EndpointServiceConfigurations,
            client.describe_vpc_endpoint_service_configurations(),
            service_configurations,
            |s: &sdk::ServiceConfiguration| EndpointServiceConfiguration {
                service_id: t(s.service_id()),
                service_name: t(s.service_name()),
                service_state: s.service_state().map(|x| Text::from(x.as_str())),
                acceptance_required: s.acceptance_required().unwrap_or(false),
                network_load_balancer_arns: texts(s.network_load_balancer_arns()),
                gateway_load_balancer_arns: texts(s.gateway_load_balancer_arns()),
                tags: tags(s.tags()),
            }
        )
    };
    let prefix_lists = async {
        paged!(
            counter,
            Input::ManagedPrefixLists,
            client.describe_managed_prefix_lists(),
            prefix_lists,
            |p: &sdk::ManagedPrefixList| ManagedPrefixList {
                prefix_list_id: t(p.prefix_list_id()),
                prefix_list_name: t(p.prefix_list_name()),
                address_family: p.address_family().map(Text::from),
                entries: None,
            }
        )
    };
    let (vpcs, subnets, route_tables, igws, nats, endpoints, groups, acls, services, prefix_lists) = tokio::join!(
        vpcs,
        subnets,
        route_tables,
        igws,
        nats,
        endpoints,
        groups,
        acls,
        services,
        prefix_lists
    );
    // These depend on what the first round found.
    let group_ids: Vec<String> = match (&groups, ids.is_empty()) {
        (Ok(g), false) => g.iter().map(|x| x.group_id.to_string()).collect(),
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
    let (rules, attributes, permissions) = tokio::join!(
        security_group_rules(client, counter, &group_ids, !ids.is_empty()),
        vpc_attributes(client, counter, &vpc_ids, opts.max_concurrency),
        service_permissions(client, counter, &service_ids, services.is_ok()),
    );
    let attributes = match vpcs {
        Ok(_) => attributes,
        // Without the VPC list there is nothing to ask about.
        Err(ref f) => Err(CollectFailure {
            api: Input::VpcAttributes.api().into(),
            code: "NotCollected".into(),
            message: format!("skipped because DescribeVpcs failed ({})", f.code),
        }),
    };
    Snapshot {
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
    }
}

fn permission(p: &sdk::IpPermission) -> IpPermission {
    IpPermission {
        ip_protocol: t(p.ip_protocol()),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ip_ranges: p
            .ip_ranges()
            .iter()
            .map(|r| IpRange {
                cidr_ip: t(r.cidr_ip()),
            })
            .collect(),
        ipv6_ranges: p
            .ipv6_ranges()
            .iter()
            .map(|r| Ipv6Range {
                cidr_ipv6: t(r.cidr_ipv6()),
            })
            .collect(),
        prefix_list_ids: p
            .prefix_list_ids()
            .iter()
            .map(|r| PrefixListId {
                prefix_list_id: t(r.prefix_list_id()),
            })
            .collect(),
        user_id_group_pairs: p
            .user_id_group_pairs()
            .iter()
            .map(|r| UserIdGroupPair {
                group_id: t(r.group_id()),
                vpc_id: r.vpc_id().map(Text::from),
                vpc_peering_connection_id: r.vpc_peering_connection_id().map(Text::from),
            })
            .collect(),
    }
}

async fn security_group_rules(
    client: &Client,
    counter: &CallCounter,
    group_ids: &[String],
    scoped: bool,
) -> Collected<Vec<SecurityGroupRule>> {
    if scoped && group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = scoped.then(|| {
        vec![Filter::builder()
            .name("group-id")
            .set_values(Some(group_ids.to_vec()))
            .build()]
    });
    paged!(
        counter,
        Input::SecurityGroupRules,
        client.describe_security_group_rules().set_filters(filter),
        security_group_rules,
        |r: &sdk::SecurityGroupRule| SecurityGroupRule {
            security_group_rule_id: t(r.security_group_rule_id()),
            group_id: t(r.group_id()),
            is_egress: r.is_egress().unwrap_or(false),
            ip_protocol: t(r.ip_protocol()),
            from_port: r.from_port(),
            to_port: r.to_port(),
            cidr_ipv4: r.cidr_ipv4().map(Text::from),
            cidr_ipv6: r.cidr_ipv6().map(Text::from),
            prefix_list_id: r.prefix_list_id().map(Text::from),
            referenced_group_info: r.referenced_group_info().map(|g| ReferencedGroup {
                group_id: t(g.group_id()),
                vpc_id: g.vpc_id().map(Text::from),
                vpc_peering_connection_id: g.vpc_peering_connection_id().map(Text::from),
            }),
        }
    )
}

/// Both DNS attributes of every VPC, at most `limit` calls in flight. Any failure fails the
/// whole input: a partial list would let a VPC's attributes go unchecked without saying why.
async fn vpc_attributes(
    client: &Client,
    counter: &CallCounter,
    vpc_ids: &[String],
    limit: usize,
) -> Collected<Vec<VpcAttributes>> {
    let api = Input::VpcAttributes.api();
    let gate = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, vpc) in vpc_ids.iter().enumerate() {
        for attr in [
            sdk::VpcAttributeName::EnableDnsHostnames,
            sdk::VpcAttributeName::EnableDnsSupport,
        ] {
            let (client, gate, vpc) = (client.clone(), gate.clone(), vpc.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let res = client
                    .describe_vpc_attribute()
                    .vpc_id(&vpc)
                    .attribute(attr.clone())
                    .send()
                    .await;
                (i, attr, res)
            });
        }
    }
    let mut out: Vec<VpcAttributes> = vpc_ids
        .iter()
        .map(|v| VpcAttributes {
            vpc_id: Text::from(v.as_str()),
            enable_dns_hostnames: None,
            enable_dns_support: None,
        })
        .collect();
    let mut first_error = None;
    loop {
        let Some(next) = counter.within(tasks.join_next()).await else {
            tasks.abort_all();
            return Err(deadline_failure(api));
        };
        let Some(joined) = next else { break };
        counter.count(api);
        let Ok((i, attr, res)) = joined else {
            first_error.get_or_insert(CollectFailure {
                api: api.into(),
                code: "TaskFailed".into(),
                message: "a DescribeVpcAttribute task did not complete".into(),
            });
            continue;
        };
        match res {
            Ok(o) => {
                let entry = &mut out[i];
                match attr {
                    sdk::VpcAttributeName::EnableDnsHostnames => {
                        entry.enable_dns_hostnames = o
                            .enable_dns_hostnames()
                            .and_then(|b| b.value())
                            .map(|value| BoolValue { value });
                    }
                    _ => {
                        entry.enable_dns_support = o
                            .enable_dns_support()
                            .and_then(|b| b.value())
                            .map(|value| BoolValue { value });
                    }
                }
            }
            Err(e) => {
                first_error.get_or_insert(failure(api, &e));
            }
        }
    }
    match first_error {
        Some(f) => Err(f),
        None => Ok(out),
    }
}

async fn service_permissions(
    client: &Client,
    counter: &CallCounter,
    service_ids: &[String],
    listed: bool,
) -> Collected<BTreeMap<String, ServicePermissions>> {
    let api = Input::EndpointServicePermissions.api();
    if !listed {
        return Err(CollectFailure {
            api: api.into(),
            code: "NotCollected".into(),
            message: "skipped because DescribeVpcEndpointServiceConfigurations failed".into(),
        });
    }
    let mut out = BTreeMap::new();
    let unique: BTreeSet<&String> = service_ids.iter().collect();
    for id in unique {
        let principals: Collected<Vec<AllowedPrincipal>> = paged!(
            counter,
            Input::EndpointServicePermissions,
            client
                .describe_vpc_endpoint_service_permissions()
                .service_id(id),
            allowed_principals,
            |p: &sdk::AllowedPrincipal| AllowedPrincipal {
                principal: t(p.principal()),
                principal_type: p.principal_type().map(|x| Text::from(x.as_str())),
            }
        );
        out.insert(
            id.clone(),
            ServicePermissions {
                allowed_principals: principals?,
            },
        );
    }
    Ok(out)
}

/// The SDK configuration every front end uses: every call times out (20 s an attempt, 90 s in
/// all), and throttling or 5xx answers get at most four attempts (standard retry with backoff)
/// before the input is reported as not collected. Add a profile or endpoint, then `load()`.
pub fn bounded_config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(4))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(std::time::Duration::from_secs(20))
                .operation_timeout(std::time::Duration::from_secs(90))
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
pub type Ec2Client = Client;

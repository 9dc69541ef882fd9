//! The EC2 boundary: one small trait, [`Ec2Api`], that names no SDK type (the mountpoint-s3
//! `ObjectClient` shape). The collector is written against it; the SDK client implements it here
//! (one page per call, the SDK-to-model conversions, the error's code), and the in-memory fake
//! (`plaudit::testing::ec2::FakeEc2`, feature `test-util`) serves a [`Snapshot`] through it.
//!
//! [`Snapshot`]: crate::snapshot::Snapshot

use std::future::Future;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types as sdk;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::model::*;

/// EC2 refuses a filter with more values than this (`FilterLimitExceeded`).
pub const MAX_FILTER_VALUES: usize = 200;

/// The EC2 describe calls the collector makes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Describe {
    Vpcs,
    Subnets,
    RouteTables,
    InternetGateways,
    NatGateways,
    VpcEndpoints,
    SecurityGroups,
    SecurityGroupRules,
    NetworkAcls,
    VpcEndpointServiceConfigurations,
    ManagedPrefixLists,
    VpcEndpointServicePermissions {
        service_id: String,
    },
    VpcAttribute {
        vpc_id: String,
        attribute: VpcAttributeName,
    },
}

/// The two VPC attributes the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VpcAttributeName {
    EnableDnsHostnames,
    EnableDnsSupport,
}

impl Describe {
    /// The EC2 API operation name (`DescribeVpcs`), as IAM and the snapshot's failures spell it.
    pub fn api(&self) -> &'static str {
        match self {
            Describe::Vpcs => "DescribeVpcs",
            Describe::Subnets => "DescribeSubnets",
            Describe::RouteTables => "DescribeRouteTables",
            Describe::InternetGateways => "DescribeInternetGateways",
            Describe::NatGateways => "DescribeNatGateways",
            Describe::VpcEndpoints => "DescribeVpcEndpoints",
            Describe::SecurityGroups => "DescribeSecurityGroups",
            Describe::SecurityGroupRules => "DescribeSecurityGroupRules",
            Describe::NetworkAcls => "DescribeNetworkAcls",
            Describe::VpcEndpointServiceConfigurations => {
                "DescribeVpcEndpointServiceConfigurations"
            }
            Describe::ManagedPrefixLists => "DescribeManagedPrefixLists",
            Describe::VpcEndpointServicePermissions { .. } => {
                "DescribeVpcEndpointServicePermissions"
            }
            Describe::VpcAttribute { .. } => "DescribeVpcAttribute",
        }
    }
}

/// One server-side filter (`Name=vpc-id,Values=...`). EC2 refuses more than
/// [`MAX_FILTER_VALUES`] values; the collector chunks longer lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: &'static str,
    pub values: Vec<String>,
}

/// One page of one describe call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub call: Describe,
    pub filter: Option<Filter>,
    /// The previous page's token; `None` for the first page.
    pub next_token: Option<String>,
}

/// One page of answers, in the model's types.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Items,
    /// Where the next page starts; `None` on the last page.
    pub next_token: Option<String>,
}

/// The items of a page, one variant per call.
#[derive(Debug, Clone, PartialEq)]
pub enum Items {
    Vpcs(Vec<Vpc>),
    Subnets(Vec<Subnet>),
    RouteTables(Vec<RouteTable>),
    InternetGateways(Vec<InternetGateway>),
    NatGateways(Vec<NatGateway>),
    VpcEndpoints(Vec<VpcEndpoint>),
    SecurityGroups(Vec<SecurityGroup>),
    SecurityGroupRules(Vec<SecurityGroupRule>),
    NetworkAcls(Vec<NetworkAcl>),
    ServiceConfigurations(Vec<EndpointServiceConfiguration>),
    PrefixLists(Vec<ManagedPrefixList>),
    AllowedPrincipals(Vec<AllowedPrincipal>),
    /// `DescribeVpcAttribute`: the attribute's value, `None` when the answer leaves it out.
    VpcAttribute(Option<bool>),
}

/// A call that failed: the AWS error code (`UnauthorizedOperation`, `RequestLimitExceeded`,
/// `FilterLimitExceeded`, or `Timeout` / `DispatchFailure` when no answer came) and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CallError {
    pub code: String,
    pub message: String,
}

impl CallError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> CallError {
        CallError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// True for the codes EC2 uses when it throttles (after the SDK's own retries).
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_str(),
            "RequestLimitExceeded"
                | "Throttling"
                | "ThrottlingException"
                | "RequestThrottled"
                | "RequestThrottledException"
                | "TooManyRequestsException"
                | "SlowDown"
        )
    }
}

/// The EC2 boundary: answers one page of one describe call.
pub trait Ec2Api: Sync {
    fn call(&self, req: &PageRequest) -> impl Future<Output = Result<Page, CallError>> + Send;
}

impl<T: Ec2Api> Ec2Api for &T {
    fn call(&self, req: &PageRequest) -> impl Future<Output = Result<Page, CallError>> + Send {
        (**self).call(req)
    }
}

// ---- The SDK client ----------------------------------------------------------------------

impl Ec2Api for aws_sdk_ec2::Client {
    async fn call(&self, req: &PageRequest) -> Result<Page, CallError> {
        let filters = req.filter.as_ref().map(|f| {
            vec![sdk::Filter::builder()
                .name(f.name)
                .set_values(Some(f.values.clone()))
                .build()]
        });
        let token = req.next_token.clone();
        let (items, next) = match &req.call {
            Describe::Vpcs => {
                let o = self
                    .describe_vpcs()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::Vpcs(o.vpcs().iter().map(vpc).collect()),
                    o.next_token,
                )
            }
            Describe::Subnets => {
                let o = self
                    .describe_subnets()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::Subnets(o.subnets().iter().map(subnet).collect()),
                    o.next_token,
                )
            }
            Describe::RouteTables => {
                let o = self
                    .describe_route_tables()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::RouteTables(o.route_tables().iter().map(route_table).collect()),
                    o.next_token,
                )
            }
            Describe::InternetGateways => {
                let o = self
                    .describe_internet_gateways()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::InternetGateways(
                        o.internet_gateways().iter().map(internet_gateway).collect(),
                    ),
                    o.next_token,
                )
            }
            Describe::NatGateways => {
                let o = self
                    .describe_nat_gateways()
                    .set_filter(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::NatGateways(o.nat_gateways().iter().map(nat_gateway).collect()),
                    o.next_token,
                )
            }
            Describe::VpcEndpoints => {
                let o = self
                    .describe_vpc_endpoints()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::VpcEndpoints(o.vpc_endpoints().iter().map(vpc_endpoint).collect()),
                    o.next_token,
                )
            }
            Describe::SecurityGroups => {
                let o = self
                    .describe_security_groups()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::SecurityGroups(o.security_groups().iter().map(security_group).collect()),
                    o.next_token,
                )
            }
            Describe::SecurityGroupRules => {
                let o = self
                    .describe_security_group_rules()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::SecurityGroupRules(
                        o.security_group_rules()
                            .iter()
                            .map(security_group_rule)
                            .collect(),
                    ),
                    o.next_token,
                )
            }
            Describe::NetworkAcls => {
                let o = self
                    .describe_network_acls()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::NetworkAcls(o.network_acls().iter().map(network_acl).collect()),
                    o.next_token,
                )
            }
            Describe::VpcEndpointServiceConfigurations => {
                let o = self
                    .describe_vpc_endpoint_service_configurations()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::ServiceConfigurations(
                        o.service_configurations()
                            .iter()
                            .map(service_configuration)
                            .collect(),
                    ),
                    o.next_token,
                )
            }
            Describe::ManagedPrefixLists => {
                let o = self
                    .describe_managed_prefix_lists()
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::PrefixLists(o.prefix_lists().iter().map(prefix_list).collect()),
                    o.next_token,
                )
            }
            Describe::VpcEndpointServicePermissions { service_id } => {
                let o = self
                    .describe_vpc_endpoint_service_permissions()
                    .service_id(service_id)
                    .set_filters(filters)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                (
                    Items::AllowedPrincipals(
                        o.allowed_principals()
                            .iter()
                            .map(|p| AllowedPrincipal {
                                principal: t(p.principal()),
                                principal_type: p.principal_type().map(|x| Text::from(x.as_str())),
                            })
                            .collect(),
                    ),
                    o.next_token,
                )
            }
            Describe::VpcAttribute { vpc_id, attribute } => {
                let name = match attribute {
                    VpcAttributeName::EnableDnsHostnames => {
                        sdk::VpcAttributeName::EnableDnsHostnames
                    }
                    VpcAttributeName::EnableDnsSupport => sdk::VpcAttributeName::EnableDnsSupport,
                };
                let o = self
                    .describe_vpc_attribute()
                    .vpc_id(vpc_id)
                    .attribute(name)
                    .send()
                    .await
                    .map_err(|e| call_error(&e, self.config().timeout_config()))?;
                let value = match attribute {
                    VpcAttributeName::EnableDnsHostnames => o.enable_dns_hostnames(),
                    VpcAttributeName::EnableDnsSupport => o.enable_dns_support(),
                };
                (Items::VpcAttribute(value.and_then(|b| b.value())), None)
            }
        };
        Ok(Page {
            items,
            // EC2 ends some sequences with an empty token rather than none.
            next_token: next.filter(|s| !s.is_empty()),
        })
    }
}

fn call_error<E, R>(
    e: &SdkError<E, R>,
    limits: Option<&aws_sdk_ec2::config::timeout::TimeoutConfig>,
) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match e {
        SdkError::ServiceError(s) => CallError::new(
            s.err().code().unwrap_or("ServiceError"),
            s.err().message().unwrap_or("the service returned an error"),
        ),
        SdkError::TimeoutError(_) => {
            let secs = |d: Option<std::time::Duration>| {
                d.map_or("no limit".to_string(), |d| format!("{} s", d.as_secs()))
            };
            CallError::new(
                "Timeout",
                format!(
                    "timed out ({}; the limits are {} an attempt and {} a call: raise them with --attempt-timeout / --call-timeout or PLAUDIT_ATTEMPT_TIMEOUT_SECS / PLAUDIT_CALL_TIMEOUT_SECS for a slow endpoint)",
                    chain(e),
                    secs(limits.and_then(|l| l.operation_attempt_timeout())),
                    secs(limits.and_then(|l| l.operation_timeout())),
                ),
            )
        }
        SdkError::DispatchFailure(_) => CallError::new(
            "DispatchFailure",
            format!("the request could not be sent: {}", chain(e)),
        ),
        other => CallError::new("SdkError", chain(other)),
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

// ---- SDK types to model types (enum values kept as the wire strings) ----------------------

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

fn ipv6_associations(list: &[sdk::VpcIpv6CidrBlockAssociation]) -> Vec<Ipv6CidrBlockAssociation> {
    list.iter()
        .map(|a| Ipv6CidrBlockAssociation {
            ipv6_cidr_block: t(a.ipv6_cidr_block()),
            ipv6_cidr_block_state: a.ipv6_cidr_block_state().map(|s| StateValue {
                state: t(s.state().map(|x| x.as_str())),
            }),
        })
        .collect()
}

fn vpc(v: &sdk::Vpc) -> Vpc {
    Vpc {
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
        ipv6_cidr_block_association_set: ipv6_associations(v.ipv6_cidr_block_association_set()),
        state: v.state().map(|s| Text::from(s.as_str())),
        owner_id: v.owner_id().map(Text::from),
        tags: tags(v.tags()),
    }
}

fn subnet(s: &sdk::Subnet) -> Subnet {
    Subnet {
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
}

fn route_table(r: &sdk::RouteTable) -> RouteTable {
    RouteTable {
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
                destination_ipv6_cidr_block: x.destination_ipv6_cidr_block().map(Text::from),
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
}

fn internet_gateway(g: &sdk::InternetGateway) -> InternetGateway {
    InternetGateway {
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
}

fn nat_gateway(n: &sdk::NatGateway) -> NatGateway {
    NatGateway {
        nat_gateway_id: t(n.nat_gateway_id()),
        vpc_id: t(n.vpc_id()),
        subnet_id: t(n.subnet_id()),
        state: t(n.state().map(|s| s.as_str())),
        connectivity_type: n.connectivity_type().map(|c| Text::from(c.as_str())),
        tags: tags(n.tags()),
    }
}

fn vpc_endpoint(e: &sdk::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
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
}

fn security_group(g: &sdk::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        group_id: t(g.group_id()),
        group_name: t(g.group_name()),
        vpc_id: g.vpc_id().map(Text::from),
        ip_permissions: g.ip_permissions().iter().map(permission).collect(),
        ip_permissions_egress: g.ip_permissions_egress().iter().map(permission).collect(),
        tags: tags(g.tags()),
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

fn security_group_rule(r: &sdk::SecurityGroupRule) -> SecurityGroupRule {
    SecurityGroupRule {
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
}

fn network_acl(a: &sdk::NetworkAcl) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: t(a.network_acl_id()),
        vpc_id: t(a.vpc_id()),
        is_default: a.is_default().unwrap_or(false),
        associations: a
            .associations()
            .iter()
            .map(|x| NetworkAclAssociation {
                subnet_id: t(x.subnet_id()),
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
}

fn service_configuration(s: &sdk::ServiceConfiguration) -> EndpointServiceConfiguration {
    EndpointServiceConfiguration {
        service_id: t(s.service_id()),
        service_name: t(s.service_name()),
        service_state: s.service_state().map(|x| Text::from(x.as_str())),
        acceptance_required: s.acceptance_required().unwrap_or(false),
        network_load_balancer_arns: texts(s.network_load_balancer_arns()),
        gateway_load_balancer_arns: texts(s.gateway_load_balancer_arns()),
        tags: tags(s.tags()),
    }
}

fn prefix_list(p: &sdk::ManagedPrefixList) -> ManagedPrefixList {
    ManagedPrefixList {
        prefix_list_id: t(p.prefix_list_id()),
        prefix_list_name: t(p.prefix_list_name()),
        address_family: p.address_family().map(Text::from),
        entries: None,
    }
}

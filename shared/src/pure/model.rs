//! The network state plaudit audits, in the shapes the AWS CLI prints.
//!
//! Field names are the EC2 API's PascalCase names, so a snapshot folder can be written with plain
//! `aws ec2 describe-... > file` commands. Only the fields the rules read are modelled; unknown
//! fields are ignored, and enum-like values (states, protocols, actions) stay strings so that a
//! value AWS adds tomorrow is kept, not rejected.

use serde::{Deserialize, Serialize};

/// Text from the snapshot. Most AWS values are ids of 24 bytes or less, which this keeps inline
/// instead of on the heap: a 10,000-VPC snapshot holds millions of them.
pub type Text = compact_str::CompactString;

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: Text,
    #[serde(default)]
    pub value: Text,
}

/// Looks a tag up by key.
pub fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub vpc_id: Text,
    pub cidr_block: Text,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidr_block_association_set: Vec<CidrBlockAssociation>,
    /// The VPC's IPv6 blocks; those in state `associated` are inside the VPC.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrBlockAssociation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CidrBlockAssociation {
    pub cidr_block: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block_state: Option<StateValue>,
}

/// An IPv6 block of a VPC or subnet (`Ipv6CidrBlockAssociationSet`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6CidrBlockAssociation {
    pub ipv6_cidr_block: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_cidr_block_state: Option<StateValue>,
}

impl Ipv6CidrBlockAssociation {
    /// True when the block is in force: state `associated` (or no state given, as in
    /// hand-written files); `associating`, `disassociating`, `disassociated` and `failed` are not.
    pub fn is_associated(&self) -> bool {
        self.ipv6_cidr_block_state
            .as_ref()
            .is_none_or(|s| s.state.eq_ignore_ascii_case("associated"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateValue {
    #[serde(default)]
    pub state: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_id: Text,
    pub vpc_id: Text,
    /// The IPv4 block; absent for IPv6-only subnets (the AWS CLI then prints no `CidrBlock`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrBlockAssociation>,
    #[serde(default)]
    pub availability_zone: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_ip_address_count: Option<u64>,
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Subnet {
    /// The subnet's own AZ identity: the zone id when it carries one, else the zone name. To
    /// compare subnets, use [`Zones::keys`], which relates names to ids.
    pub fn az_key(&self) -> &str {
        self.availability_zone_id
            .as_deref()
            .unwrap_or(&self.availability_zone)
    }
}

/// Availability zones as one consistent key: the zone id (`use1-az1`), which names the same
/// physical zone in every account. A subnet that only carries its zone name (`us-east-1a`) is
/// related to the id through any other subnet of the snapshot that carries both.
#[derive(Debug, Clone, Default)]
pub struct Zones {
    name_to_id: std::collections::HashMap<String, String>,
}

impl Zones {
    pub fn new<'a>(subnets: impl IntoIterator<Item = &'a Subnet>) -> Zones {
        let mut z = Zones::default();
        for s in subnets {
            if let Some(id) = s.availability_zone_id.as_deref().filter(|i| !i.is_empty()) {
                if !s.availability_zone.is_empty() {
                    z.name_to_id
                        .entry(s.availability_zone.to_string())
                        .or_insert_with(|| id.to_string());
                }
            }
        }
        z
    }

    /// One zone key per subnet (in order), or, for each subnet whose zone cannot be related to
    /// the others', its id and the reason. Zone names are used as keys only when no subnet of
    /// the set has a zone id (then they are consistent among themselves).
    pub fn keys(&self, subnets: &[&Subnet]) -> Result<Vec<String>, Vec<(String, String)>> {
        let resolved: Vec<Option<String>> = subnets
            .iter()
            .map(|s| {
                s.availability_zone_id
                    .as_deref()
                    .filter(|i| !i.is_empty())
                    .map(str::to_string)
                    .or_else(|| self.name_to_id.get(s.availability_zone.as_str()).cloned())
            })
            .collect();
        let any_id = resolved.iter().any(Option::is_some);
        let mut bad = Vec::new();
        let mut keys = Vec::with_capacity(subnets.len());
        for (s, r) in subnets.iter().zip(resolved) {
            match r {
                Some(k) => keys.push(k),
                None if s.availability_zone.is_empty() => bad.push((
                    s.subnet_id.to_string(),
                    format!(
                        "{} has neither AvailabilityZone nor AvailabilityZoneId",
                        s.subnet_id
                    ),
                )),
                None if any_id => bad.push((
                    s.subnet_id.to_string(),
                    format!(
                        "{} has only the zone name {} (no AvailabilityZoneId), and no subnet in the snapshot relates that name to a zone id, while the other subnets are known by zone id",
                        s.subnet_id, s.availability_zone
                    ),
                )),
                None => keys.push(s.availability_zone.to_string()),
            }
        }
        if bad.is_empty() {
            Ok(keys)
        } else {
            Err(bad)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    pub route_table_id: Text,
    pub vpc_id: Text,
    #[serde(default)]
    pub associations: Vec<RouteTableAssociation>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableAssociation {
    #[serde(default)]
    pub main: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<Text>,
    /// `associated`, `associating`, `disassociating`, `disassociated` or `failed`; only the
    /// first two put the table in force for the subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_state: Option<StateValue>,
}

impl RouteTableAssociation {
    /// False for an association on its way out or that failed: the subnet then uses the main
    /// table. An association without a state (hand-written snapshots) counts.
    pub fn in_force(&self) -> bool {
        self.association_state.as_ref().is_none_or(|s| {
            s.state.eq_ignore_ascii_case("associated")
                || s.state.eq_ignore_ascii_case("associating")
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_cidr_block: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_ipv6_cidr_block: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_prefix_list_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit_gateway_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interface_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_only_internet_gateway_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_gateway_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_gateway_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_network_arn: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Text>,
}

impl Route {
    /// The route's target as the id AWS shows (`local`, `igw-…`, `nat-…`, `vpce-…`, …).
    pub fn target(&self) -> &str {
        [
            &self.gateway_id,
            &self.nat_gateway_id,
            &self.transit_gateway_id,
            &self.network_interface_id,
            &self.instance_id,
            &self.vpc_peering_connection_id,
            &self.egress_only_internet_gateway_id,
            &self.local_gateway_id,
            &self.carrier_gateway_id,
            &self.core_network_arn,
        ]
        .into_iter()
        .find_map(|t| t.as_deref())
        .unwrap_or("(no target)")
    }

    /// A route whose target was deleted: AWS keeps it as `blackhole` and drops the traffic.
    pub fn is_blackhole(&self) -> bool {
        self.state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("blackhole"))
    }

    /// The destination as written, for messages.
    pub fn destination(&self) -> &str {
        self.destination_cidr_block
            .as_deref()
            .or(self.destination_ipv6_cidr_block.as_deref())
            .or(self.destination_prefix_list_id.as_deref())
            .unwrap_or("(no destination)")
    }

    /// True for an IPv4 or IPv6 default route.
    pub fn is_default(&self) -> bool {
        self.destination_cidr_block.as_deref() == Some("0.0.0.0/0")
            || self.destination_ipv6_cidr_block.as_deref() == Some("::/0")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InternetGateway {
    pub internet_gateway_id: Text,
    #[serde(default)]
    pub attachments: Vec<GatewayAttachment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GatewayAttachment {
    pub vpc_id: Text,
    #[serde(default)]
    pub state: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatGateway {
    pub nat_gateway_id: Text,
    pub vpc_id: Text,
    pub subnet_id: Text,
    #[serde(default)]
    pub state: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connectivity_type: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcEndpoint {
    pub vpc_endpoint_id: Text,
    pub vpc_id: Text,
    pub service_name: Text,
    #[serde(default)]
    pub vpc_endpoint_type: Text,
    #[serde(default)]
    pub state: Text,
    #[serde(default)]
    pub private_dns_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<Text>,
    #[serde(default)]
    pub subnet_ids: Vec<Text>,
    #[serde(default)]
    pub route_table_ids: Vec<Text>,
    #[serde(default)]
    pub groups: Vec<GroupIdentifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl VpcEndpoint {
    pub fn is_interface(&self) -> bool {
        self.vpc_endpoint_type.eq_ignore_ascii_case("Interface")
    }

    pub fn is_gateway(&self) -> bool {
        self.vpc_endpoint_type.eq_ignore_ascii_case("Gateway")
    }

    /// Where the endpoint is in its life ([`crate::pure::lifecycle::endpoint`]).
    pub fn life(&self) -> crate::pure::lifecycle::Life {
        crate::pure::lifecycle::endpoint(&self.state)
    }

    /// `available` (any case): exists and carries traffic.
    pub fn is_available(&self) -> bool {
        self.life().is_live()
    }

    /// Deleting, deleted or expired: no longer counts as present, as a duplicate or as a failure.
    /// Pending, rejected and failed endpoints still exist (PL-EP-004 reports them).
    pub fn is_gone(&self) -> bool {
        self.life().is_gone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIdentifier {
    pub group_id: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_id: Text,
    #[serde(default)]
    pub group_name: Text,
    #[serde(default)]
    pub vpc_id: Option<Text>,
    #[serde(default)]
    pub ip_permissions: Vec<IpPermission>,
    #[serde(default)]
    pub ip_permissions_egress: Vec<IpPermission>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// A security group without its permissions: what is read when
/// `describe-security-group-rules.json` carries the rules, so their copies are skipped unparsed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupHead {
    pub group_id: Text,
    #[serde(default)]
    pub group_name: Text,
    #[serde(default)]
    pub vpc_id: Option<Text>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl From<SecurityGroupHead> for SecurityGroup {
    fn from(h: SecurityGroupHead) -> SecurityGroup {
        SecurityGroup {
            group_id: h.group_id,
            group_name: h.group_name,
            vpc_id: h.vpc_id,
            ip_permissions: Vec::new(),
            ip_permissions_egress: Vec::new(),
            tags: h.tags,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    pub ip_protocol: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_ranges: Vec<IpRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_ranges: Vec<Ipv6Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_list_ids: Vec<PrefixListId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    pub cidr_ip: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    pub cidr_ipv6: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListId {
    pub prefix_list_id: Text,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserIdGroupPair {
    pub group_id: Text,
    /// The VPC of the referenced group; another VPC than the rule's means a peered VPC's group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<Text>,
    /// Set when the referenced group is reached through a VPC peering connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<Text>,
}

/// One row of `describe-security-group-rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule {
    pub security_group_rule_id: Text,
    pub group_id: Text,
    pub is_egress: bool,
    pub ip_protocol: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv4: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_list_id: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referenced_group_info: Option<ReferencedGroup>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferencedGroup {
    pub group_id: Text,
    /// The VPC of the referenced group; another VPC than the rule's means a peered VPC's group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<Text>,
    /// Set when the referenced group is reached through a VPC peering connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAcl {
    pub network_acl_id: Text,
    pub vpc_id: Text,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub associations: Vec<NetworkAclAssociation>,
    #[serde(default)]
    pub entries: Vec<NetworkAclEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAclAssociation {
    pub subnet_id: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAclEntry {
    pub rule_number: i32,
    pub protocol: Text,
    pub rule_action: Text,
    pub egress: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_cidr_block: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<PortRangeJson>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortRangeJson {
    pub from: i32,
    pub to: i32,
}

/// One entry of `vpc-attributes.json`: the two `describe-vpc-attribute` answers merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcAttributes {
    pub vpc_id: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_dns_hostnames: Option<BoolValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_dns_support: Option<BoolValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BoolValue {
    pub value: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointServiceConfiguration {
    pub service_id: Text,
    #[serde(default)]
    pub service_name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_state: Option<Text>,
    #[serde(default)]
    pub acceptance_required: bool,
    #[serde(default)]
    pub network_load_balancer_arns: Vec<Text>,
    #[serde(default)]
    pub gateway_load_balancer_arns: Vec<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// The answer of `describe-vpc-endpoint-service-permissions` for one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServicePermissions {
    #[serde(default)]
    pub allowed_principals: Vec<AllowedPrincipal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllowedPrincipal {
    pub principal: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPrefixList {
    pub prefix_list_id: Text,
    #[serde(default)]
    pub prefix_list_name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_family: Option<Text>,
    /// The list's CIDRs (`get-managed-prefix-list-entries`), when collected. `None` means not
    /// collected: a rule that references the list can then not be decided, unless the list is
    /// itself the destination of the flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<PrefixListEntry>>,
}

/// One CIDR of a managed prefix list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListEntry {
    pub cidr: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
}

//! What a rule may read: the [`Index`], restricted to the inputs the rule declares.
//!
//! Every accessor names the input its data comes from. Asked for an input the rule did not
//! declare, it answers as if the input held nothing and writes the input down; the engine then
//! reports `error` for every workspace the rule applies to instead of its verdicts (a rule that
//! reads what it does not declare would be blind to that input's failure, so its verdicts cannot
//! be trusted). The reachability and routing code that rules call reads through the same view, so
//! a rule cannot reach an undeclared input by any path.

use std::cell::Cell;

use crate::pure::cidr::Cidr;
use crate::pure::index::{Index, SgRule};
use crate::pure::model::{
    EndpointServiceConfiguration, InternetGateway, ManagedPrefixList, NatGateway, RouteTable,
    SecurityGroup, ServicePermissions, Subnet, Vpc, VpcAttributes, VpcEndpoint,
};
use crate::pure::nacl::AclRules;
use crate::pure::snapshot::{CollectFailure, Input, InputSet};

/// The index as one rule may read it.
#[derive(Clone, Copy)]
pub struct View<'a> {
    ix: &'a Index<'a>,
    declared: InputSet,
    /// Where reads of undeclared inputs are written down; `None` when every input is declared.
    undeclared: Option<&'a Cell<InputSet>>,
}

impl<'a> View<'a> {
    /// The view of a rule that declares `declared`; undeclared reads go to `undeclared`.
    pub fn new(ix: &'a Index<'a>, declared: InputSet, undeclared: &'a Cell<InputSet>) -> View<'a> {
        View {
            ix,
            declared,
            undeclared: Some(undeclared),
        }
    }

    /// Every input (for code that is not a rule: discovery, tests, the reference model).
    pub fn whole(ix: &'a Index<'a>) -> View<'a> {
        View {
            ix,
            declared: InputSet::of(&Input::ALL),
            undeclared: None,
        }
    }

    /// True when the rule declared `input`; otherwise writes the read down.
    fn may(&self, input: Input) -> bool {
        if self.declared.contains(input) {
            return true;
        }
        if let Some(c) = self.undeclared {
            c.set(c.get().with(input));
        }
        false
    }

    /// Whether a declared input was read, and why not (an optional input may be missing).
    pub fn availability(&self, input: Input) -> Result<(), &'a CollectFailure> {
        if !self.may(input) {
            return Ok(());
        }
        self.ix.snap.availability(input)
    }

    // --- describe-vpcs.json

    pub fn vpc(&self, id: &str) -> Option<&'a Vpc> {
        self.may(Input::Vpcs)
            .then(|| self.ix.vpcs.get(id).copied())
            .flatten()
    }

    /// The associated CIDR blocks of a VPC, both families.
    pub fn vpc_cidrs(&self, vpc_id: &str) -> &'a [Cidr] {
        if self.may(Input::Vpcs) {
            self.ix.cidrs_of_vpc(vpc_id)
        } else {
            &[]
        }
    }

    // --- vpc-attributes.json

    pub fn vpc_attributes(&self, vpc_id: &str) -> Option<&'a VpcAttributes> {
        self.may(Input::VpcAttributes)
            .then(|| self.ix.vpc_attrs.get(vpc_id).copied())
            .flatten()
    }

    // --- describe-subnets.json

    pub fn subnet(&self, id: &str) -> Option<&'a Subnet> {
        self.may(Input::Subnets)
            .then(|| self.ix.subnets.get(id).copied())
            .flatten()
    }

    /// A subnet's IPv4 block, when it has one that parses.
    pub fn subnet_cidr(&self, id: &str) -> Option<Cidr> {
        self.may(Input::Subnets)
            .then(|| self.ix.subnet_cidrs.get(id).copied())
            .flatten()
    }

    /// A subnet's associated IPv6 blocks.
    pub fn subnet_v6(&self, id: &str) -> &'a [Cidr] {
        if !self.may(Input::Subnets) {
            return &[];
        }
        self.ix.subnet_v6.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// One zone key per subnet, or the subnets whose zone cannot be related to the others'
    /// ([`crate::pure::model::Zones::keys`]).
    pub fn zone_keys(&self, subnets: &[&Subnet]) -> Result<Vec<String>, Vec<(String, String)>> {
        self.may(Input::Subnets);
        self.ix.zones.keys(subnets)
    }

    // --- describe-route-tables.json

    pub fn route_table(&self, id: &str) -> Option<&'a RouteTable> {
        self.may(Input::RouteTables)
            .then(|| self.ix.route_tables.get(id).copied())
            .flatten()
    }

    /// The route table in force for a subnet.
    pub fn route_table_for(&self, subnet: &Subnet) -> Option<&'a RouteTable> {
        self.may(Input::RouteTables)
            .then(|| self.ix.route_table_for(subnet))
            .flatten()
    }

    /// The route tables of a VPC.
    pub fn route_tables_in(&self, vpc_id: &str) -> &'a [&'a RouteTable] {
        if !self.may(Input::RouteTables) {
            return &[];
        }
        self.ix
            .rts_by_vpc
            .get(vpc_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    // --- describe-network-acls.json

    /// The NACL associated with a subnet.
    pub fn acl_for(&self, subnet_id: &str) -> Option<&'a AclRules<'a>> {
        self.may(Input::NetworkAcls)
            .then(|| self.ix.acl_for(subnet_id))
            .flatten()
    }

    // --- describe-vpc-endpoints.json

    /// The endpoints of a VPC, every type and state.
    pub fn endpoints(&self, vpc_id: &str) -> &'a [&'a VpcEndpoint] {
        if self.may(Input::VpcEndpoints) {
            self.ix.endpoints(vpc_id)
        } else {
            &[]
        }
    }

    // --- describe-security-groups.json

    pub fn security_group(&self, id: &str) -> Option<&'a SecurityGroup> {
        self.may(Input::SecurityGroups)
            .then(|| self.ix.security_groups.get(id).copied())
            .flatten()
    }

    /// The security groups of a VPC.
    pub fn groups_in(&self, vpc_id: &str) -> &'a [&'a SecurityGroup] {
        if self.may(Input::SecurityGroups) {
            self.ix.groups_in(vpc_id)
        } else {
            &[]
        }
    }

    // --- describe-security-group-rules.json (or the groups' permissions)

    /// The rules of a security group.
    pub fn rules_of(&self, group_id: &str) -> &'a [SgRule<'a>] {
        if self.may(Input::SecurityGroupRules) {
            self.ix.rules_of(group_id)
        } else {
            &[]
        }
    }

    /// The VPC a referenced security group belongs to, and whether a rule reaches it through a
    /// peering connection: from the groups and from the rules' references.
    pub fn group_vpc(&self, group_id: &str) -> (Option<&'a str>, bool) {
        let groups = self.may(Input::SecurityGroups);
        let rules = self.may(Input::SecurityGroupRules);
        if groups && rules {
            self.ix.group_vpc(group_id)
        } else {
            (None, false)
        }
    }

    // --- describe-internet-gateways.json

    pub fn internet_gateway(&self, id: &str) -> Option<&'a InternetGateway> {
        self.may(Input::InternetGateways)
            .then(|| self.ix.igws.get(id).copied())
            .flatten()
    }

    /// The internet gateways attached (in any state) to a VPC.
    pub fn internet_gateways_in(&self, vpc_id: &str) -> &'a [&'a InternetGateway] {
        if !self.may(Input::InternetGateways) {
            return &[];
        }
        self.ix
            .igws_by_vpc
            .get(vpc_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    // --- describe-nat-gateways.json

    pub fn nat_gateway(&self, id: &str) -> Option<&'a NatGateway> {
        self.may(Input::NatGateways)
            .then(|| self.ix.nats.get(id).copied())
            .flatten()
    }

    /// The NAT gateways of a VPC, every state.
    pub fn nat_gateways_in(&self, vpc_id: &str) -> &'a [&'a NatGateway] {
        if !self.may(Input::NatGateways) {
            return &[];
        }
        self.ix
            .nats_by_vpc
            .get(vpc_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    // --- describe-managed-prefix-lists.json

    pub fn prefix_list(&self, id: &str) -> Option<&'a ManagedPrefixList> {
        self.may(Input::ManagedPrefixLists)
            .then(|| self.ix.prefix_lists.get(id).copied())
            .flatten()
    }

    /// The CIDRs of a managed prefix list, or why they are unknown.
    pub fn prefix_list_cidrs(&self, id: &str) -> Result<Vec<Cidr>, String> {
        if !self.may(Input::ManagedPrefixLists) {
            return Err(format!("the entries of {id} are not an input of this rule"));
        }
        self.ix.prefix_list_cidrs(id)
    }

    /// True for a prefix list AWS manages for a gateway endpoint: named `com.amazonaws.*`
    /// (describe-managed-prefix-lists.json), or the destination of a route to a gateway endpoint
    /// (describe-route-tables.json).
    pub fn is_aws_managed_prefix_list(&self, id: &str) -> bool {
        let named = self.may(Input::ManagedPrefixLists)
            && self
                .ix
                .prefix_lists
                .get(id)
                .is_some_and(|p| p.prefix_list_name.starts_with("com.amazonaws."));
        named || (self.may(Input::RouteTables) && self.ix.is_gateway_prefix_list(id))
    }

    /// The S3 prefix list of a region, by name.
    pub fn s3_prefix_list(&self, region: &str) -> Option<&'a str> {
        self.may(Input::ManagedPrefixLists)
            .then(|| self.ix.s3_prefix_list(region))
            .flatten()
    }

    // --- the endpoint services of the account

    pub fn endpoint_service_configurations(&self) -> &'a [EndpointServiceConfiguration] {
        if !self.may(Input::EndpointServiceConfigurations) {
            return &[];
        }
        self.ix
            .snap
            .endpoint_service_configurations
            .as_ref()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The permissions of an endpoint service, by service id.
    pub fn endpoint_service_permissions(&self, service_id: &str) -> Option<&'a ServicePermissions> {
        if !self.may(Input::EndpointServicePermissions) {
            return None;
        }
        self.ix
            .snap
            .endpoint_service_permissions
            .as_ref()
            .ok()
            .and_then(|m| m.get(service_id))
    }
}

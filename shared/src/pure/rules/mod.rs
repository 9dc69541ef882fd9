//! The rule catalogue: one file per rule, its metadata beside its logic, and one sorted registry.
//!
//! A rule is a pure, total function from a [`Context`] to [`Outcome`]s. The engine runs it only
//! for the workspaces whose modes it applies to, and only when every input it declares was
//! collected; otherwise the engine reports `Error` for it, never `Pass`.

pub use context::{classify_endpoints, Context, DatabricksEndpoint, FrontEndVpc, Shared, WsNet};
pub use meta::RuleMeta;
pub use outcome::{for_each_ws, names, zone_errors, Outcome};
pub use ports::{PortGroup, PortNeed};

pub(crate) mod common;
mod context;
mod meta;
mod outcome;

mod endpoint_policies_not_full_access;
mod endpoint_service_name;
mod endpoint_sg_admits_clients;
mod endpoint_sg_admits_workspace;
mod endpoint_sg_not_open;
mod endpoints_available;
mod endpoints_multi_az;
mod endpoints_private_dns;
mod front_end_endpoint_present;
mod nacl_front_end;
mod nacl_inbound;
mod nacl_outbound;
mod nacl_s3;
mod no_internet_gateway;
mod no_internet_route_isolated;
mod no_nat_gateway;
mod one_endpoint_per_service;
pub mod ports;
mod relay_endpoint_present;
mod rest_endpoint_present;
mod route_nat_subnet;
mod route_via_nat;
mod s3_gateway_endpoint;
mod serverless_principals;
mod serverless_service_nlb;
mod sg_conditional_ports;
mod sg_count;
mod sg_egress_443;
mod sg_egress_6666;
mod sg_egress_fips;
mod sg_egress_not_wide_open;
mod sg_egress_self;
mod sg_egress_web_ports;
mod sg_ingress_self;
mod sg_no_internet_ingress;
mod sts_kinesis_endpoints;
mod subnet_dedicated_endpoints;
mod subnet_netmask;
mod subnet_one_per_az;
mod subnet_private;
mod subnets_two_azs;
mod vpc_dns_hostnames;
mod vpc_dns_support;

/// A rule: metadata and check.
pub struct Rule {
    pub meta: &'static RuleMeta,
    pub check: fn(&Context<'_>) -> Vec<Outcome>,
}

macro_rules! registry {
    ($($m:ident),* $(,)?) => {
        /// Every rule, sorted by id.
        pub static RULES: &[Rule] = &[$(Rule { meta: &$m::META, check: $m::check }),*];

        /// An estate each rule fails on, in registry order: a rule without one does not build.
        #[cfg(test)]
        pub(crate) static FAILING: &[(&str, fn() -> crate::synth::Estate)] =
            &[$(($m::META.id, $m::tests::failing)),*];
    };
}

registry![
    rest_endpoint_present,             // PL-EP-001
    relay_endpoint_present,            // PL-EP-002
    endpoints_private_dns,             // PL-EP-003
    endpoints_available,               // PL-EP-004
    endpoint_service_name,             // PL-EP-005
    one_endpoint_per_service,          // PL-EP-006
    endpoints_multi_az,                // PL-EP-007
    front_end_endpoint_present,        // PL-EP-008
    sts_kinesis_endpoints,             // PL-EP-009
    endpoint_policies_not_full_access, // PL-EP-010
    endpoint_sg_admits_workspace,      // PL-EPSG-001
    endpoint_sg_admits_clients,        // PL-EPSG-002
    endpoint_sg_not_open,              // PL-EPSG-003
    no_internet_gateway,               // PL-IGW-001
    nacl_inbound,                      // PL-NACL-001
    nacl_outbound,                     // PL-NACL-002
    nacl_s3,                           // PL-NACL-003
    nacl_front_end,                    // PL-NACL-004
    no_nat_gateway,                    // PL-NAT-001
    route_via_nat,                     // PL-RT-001
    route_nat_subnet,                  // PL-RT-002
    no_internet_route_isolated,        // PL-RT-003
    s3_gateway_endpoint,               // PL-RT-004
    sg_count,                          // PL-SG-001
    sg_ingress_self,                   // PL-SG-002
    sg_egress_self,                    // PL-SG-003
    sg_egress_443,                     // PL-SG-004
    sg_egress_web_ports,               // PL-SG-005
    sg_egress_6666,                    // PL-SG-006
    sg_egress_fips,                    // PL-SG-007
    sg_conditional_ports,              // PL-SG-008
    sg_no_internet_ingress,            // PL-SG-009
    sg_egress_not_wide_open,           // PL-SG-010
    serverless_service_nlb,            // PL-SL-001
    serverless_principals,             // PL-SL-002
    subnets_two_azs,                   // PL-SUB-001
    subnet_one_per_az,                 // PL-SUB-002
    subnet_netmask,                    // PL-SUB-003
    subnet_private,                    // PL-SUB-004
    subnet_dedicated_endpoints,        // PL-SUB-005
    vpc_dns_hostnames,                 // PL-VPC-001
    vpc_dns_support,                   // PL-VPC-002
];

/// Looks a rule up by id.
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    // The registry is sorted by id (a registry test checks it).
    RULES
        .binary_search_by(|r| r.meta.id.cmp(id))
        .ok()
        .map(|i| RULES[i].meta)
}

/// Rules selected by ids or id prefixes (`PL-SG`, `PL-EP-006`).
pub fn select(selectors: &[String]) -> Vec<&'static Rule> {
    RULES
        .iter()
        .filter(|r| {
            selectors.is_empty()
                || selectors.iter().any(|s| {
                    r.meta.id == s
                        || (r.meta.id.starts_with(s.as_str())
                            && r.meta.id.as_bytes().get(s.len()) == Some(&b'-'))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
use tests::testkit;

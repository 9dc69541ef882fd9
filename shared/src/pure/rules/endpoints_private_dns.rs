//! PL-EP-003: every Databricks endpoint has private DNS enabled.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-003",
    title: "Databricks endpoints have private DNS enabled",
    severity: Severity::Critical,
    modes: &[Mode::BackEnd, Mode::FrontEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Clusters and users reach Databricks by its public host names; only private DNS on the endpoint makes those names resolve to the endpoint's private addresses inside the VPC.",
    remediation: "aws ec2 modify-vpc-endpoint --vpc-endpoint-id <vpce> --private-dns-enabled  # needs DNS hostnames and resolution on the VPC; only one endpoint per service per VPC can hold it",
    references: &["https://docs.databricks.com/aws/en/security/network/classic/privatelink"],
    inputs: &[Input::VpcEndpoints],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.endpoint_vpcs() {
        let eps = ctx.databricks_endpoints(vpc);
        for e in &eps {
            let id = &e.endpoint.vpc_endpoint_id;
            let ok = e.endpoint.private_dns_enabled;
            // Only one endpoint per service and VPC can hold the private DNS name: when a live one
            // holds it, another endpoint of that service without it changes nothing about where
            // traffic goes (PL-EP-006 and PL-EP-004 report such extras).
            let holder = eps.iter().find(|o| {
                o.kind == e.kind && o.endpoint.is_available() && o.endpoint.private_dns_enabled
            });
            let o = match holder {
                Some(h) if !ok => Outcome::not_applicable(
                    ResourceType::VpcEndpoint,
                    id,
                    format!(
                        "{id} ({}) has no private DNS, but {} holds it for this service in {vpc} (only one endpoint per service can), so Databricks host names resolve there; see PL-EP-006 and PL-EP-004 for {id} itself.",
                        e.kind.label(),
                        h.endpoint.vpc_endpoint_id
                    ),
                ),
                _ => {
                    let msg = if ok {
                        format!("{id} ({}) has private DNS enabled.", e.kind.label())
                    } else {
                        format!("{id} ({}) in {vpc} has private DNS disabled, so Databricks host names do not resolve to it and traffic takes the public path.", e.kind.label())
                    };
                    Outcome::verdict(ok, ResourceType::VpcEndpoint, id, msg)
                }
            };
            out.extend(for_each_ws(
                &ws,
                o.expect("PrivateDnsEnabled=true", format!("PrivateDnsEnabled={ok}")),
            ));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    #[test]
    fn passes_with_private_dns() {
        assert_all(&run("PL-EP-003", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_without_private_dns() {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).private_dns_enabled = false;
        let f = run("PL-EP-003", &e);
        assert_eq!(status_of(&f, &ids().relay), Status::Fail);
        assert_eq!(status_of(&f, &ids().rest), Status::Pass);
    }

    #[test]
    fn error_when_not_collected() {
        let mut e = Estate::backend();
        e.not_collected(crate::pure::snapshot::Input::VpcEndpoints);
        assert_all(&run("PL-EP-003", &e), Status::Error);
    }

    #[test]
    fn an_extra_endpoint_without_dns_beside_the_holder_is_not_a_failure() {
        let mut e = Estate::backend();
        let mut dup = e.endpoint(&ids().relay).clone();
        dup.vpc_endpoint_id = "vpce-0dup".into();
        dup.state = "pendingAcceptance".into();
        dup.private_dns_enabled = false;
        e.endpoints_mut().push(dup);
        let f = run("PL-EP-003", &e);
        assert_eq!(status_of(&f, "vpce-0dup"), Status::NotApplicable);
        assert!(
            on(&f, "vpce-0dup").message.contains(&ids().relay),
            "{}",
            on(&f, "vpce-0dup").message
        );
        assert_eq!(status_of(&f, &ids().relay), Status::Pass);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.endpoint(&ids().relay).private_dns_enabled = false;
        e
    }
}

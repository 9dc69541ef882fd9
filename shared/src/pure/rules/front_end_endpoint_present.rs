//! PL-EP-008: each front-end (transit) VPC has an available endpoint to the workspace or Service
//! Direct service.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::services::ServiceKind;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-008",
    title: "Front-end endpoint present in the transit VPC",
    severity: Severity::High,
    modes: &[Mode::FrontEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Front-end PrivateLink routes users through an interface endpoint to the workspace service in a transit VPC (or in the workspace VPC itself when it serves both roles). Without an available one, users can only reach the workspace publicly, or not at all.",
    remediation: "Create an Interface endpoint to the region's Databricks workspace service in the transit VPC, enable private DNS, register it with Databricks and attach it to the private access settings.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/front-end/front-end-private-connect",
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
    ],
    inputs: &[Input::VpcEndpoints],
    optional_inputs: &[Input::Vpcs],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for fe in ctx.front_end_vpcs() {
        let (vpc, transit, ws) = (fe.vpc_id, fe.transit, fe.serves);
        let role = if transit.is_some() {
            "transit VPC"
        } else {
            "workspace VPC (serving front-end too)"
        };
        if ctx.view().availability(Input::Vpcs).is_ok() && ctx.view().vpc(vpc).is_none() {
            out.extend(for_each_ws(
                &ws,
                Outcome::error(
                    ResourceType::Vpc,
                    vpc,
                    format!("The {role} {vpc} is not in describe-vpcs.json."),
                ),
            ));
            continue;
        }
        let front: Vec<_> = ctx
            .databricks_endpoints(vpc)
            .into_iter()
            .filter(|e| matches!(e.kind, ServiceKind::Workspace | ServiceKind::ServiceDirect))
            .collect();
        let available: Vec<_> = front.iter().filter(|e| e.endpoint.is_available()).collect();
        let unknown: Vec<String> = front
            .iter()
            .filter(|e| e.endpoint.life() == crate::pure::lifecycle::Life::Unknown)
            .map(|e| {
                format!(
                    "{} has state {}",
                    e.endpoint.vpc_endpoint_id,
                    crate::pure::lifecycle::shown(&e.endpoint.state)
                )
            })
            .collect();
        if available.is_empty() && !unknown.is_empty() {
            out.extend(for_each_ws(
                &ws,
                Outcome::error(
                    ResourceType::Vpc,
                    vpc,
                    format!(
                        "Whether the {role} {vpc} has a working front-end endpoint cannot be told: {}, a state plaudit does not know.",
                        unknown.join(", ")
                    ),
                ),
            ));
            continue;
        }
        if available.is_empty() {
            let detail = if front.is_empty() {
                "no interface endpoint to the Databricks workspace or Service Direct service"
                    .to_string()
            } else {
                format!(
                    "no available front-end endpoint ({})",
                    front
                        .iter()
                        .map(|e| format!(
                            "{} is `{}`",
                            e.endpoint.vpc_endpoint_id, e.endpoint.state
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            out.extend(for_each_ws(
                &ws,
                Outcome::fail(
                    ResourceType::Vpc,
                    vpc,
                    format!(
                        "The {role} {vpc} has {detail}, so users of {} have no private path.",
                        super::names(&ws)
                    ),
                )
                .expect(
                    "an available Interface endpoint to the workspace service",
                    detail,
                ),
            ));
        }
        for e in available {
            out.extend(for_each_ws(
                &ws,
                Outcome::pass(
                    ResourceType::VpcEndpoint,
                    &e.endpoint.vpc_endpoint_id,
                    format!(
                        "{} serves front-end traffic in the {role} {vpc}.",
                        e.endpoint.vpc_endpoint_id
                    ),
                )
                .expect(
                    "an available Interface endpoint to the workspace service",
                    e.endpoint.service_name.clone(),
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::deployment::Mode;
    use crate::pure::finding::Status;

    fn front_end() -> Estate {
        let mut e = Estate::backend();
        e.manifest.workspaces[0].modes.push(Mode::FrontEnd);
        e
    }

    #[test]
    fn the_workspace_vpc_serves_both_roles_without_a_transit_vpc() {
        assert_eq!(
            status_of(&run("PL-EP-008", &front_end()), &ids().rest),
            Status::Pass
        );
    }

    #[test]
    fn fails_for_a_transit_vpc_without_endpoint() {
        let mut e = front_end();
        e.add_vpc(1, false);
        e.manifest.workspaces.pop();
        let t1 = Ids::new(1);
        e.endpoints_mut().retain(|x| x.vpc_id != t1.vpc);
        let e = e.with_transit(1, &["10.100.0.0/16"]);
        assert_eq!(status_of(&run("PL-EP-008", &e), &t1.vpc), Status::Fail);
    }

    #[test]
    fn fails_when_the_front_end_endpoint_is_pending() {
        let mut e = front_end();
        e.endpoint(&ids().rest).state = "pendingAcceptance".into();
        let f = run("PL-EP-008", &e);
        assert_eq!(status_of(&f, &ids().vpc), Status::Fail);
        assert!(f[0].message.contains("pendingAcceptance"));
    }

    #[test]
    fn error_for_an_unknown_transit_vpc() {
        let e = front_end().with_transit(7, &[]);
        assert_all(&run("PL-EP-008", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = front_end();
        e.add_vpc(1, false);
        e.manifest.workspaces.pop();
        let t1 = Ids::new(1);
        e.endpoints_mut().retain(|x| x.vpc_id != t1.vpc);
        e.with_transit(1, &["10.100.0.0/16"])
    }
}

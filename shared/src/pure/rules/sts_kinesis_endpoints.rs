//! PL-EP-009: STS and Kinesis interface endpoints with private DNS, available and admitting the
//! workspace on 443.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::{Ports, Proto};
use crate::pure::reachability::{sg_verdict, Verdict};
use crate::pure::services::{kinesis_service, sts_service};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-009",
    title: "STS and Kinesis interface endpoints with private DNS",
    severity: Severity::High,
    severity_when: &[
        (
            Severity::Medium,
            "outside complete isolation, where the workspace can still reach STS and Kinesis another way",
        ),
    ],
    modes: &[Mode::BackEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "Clusters call STS and Kinesis at start-up. Under isolation there is no other path (clusters fail to start); with back-end PrivateLink Databricks recommends the regional endpoints (reported at medium).",
    remediation: "Create Interface endpoints to com.amazonaws.<region>.sts and com.amazonaws.<region>.kinesis-streams with private DNS, in the endpoint subnets, with a security group that admits TCP 443 from the workspace.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
        "https://github.com/databricks/terraform-databricks-sra",
    ],
    inputs: &[Input::VpcEndpoints, Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let Some(region) = ctx.region else {
            out.push(
                Outcome::error(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    "The region is unknown; pass --region.".into(),
                )
                .ws(ws),
            );
            continue;
        };
        let net = match ctx.ws_net(ws) {
            Ok(n) => n,
            Err(o) => {
                out.extend(o);
                continue;
            }
        };
        let severity = if ws.isolated() {
            Severity::High
        } else {
            Severity::Medium
        };
        for (label, service) in [
            ("STS", sts_service(region)),
            ("Kinesis", kinesis_service(region)),
        ] {
            let eps: Vec<_> = ctx
                .view()
                .endpoints(&ws.vpc_id)
                .iter()
                .filter(|e| e.is_interface() && e.service_name == service && !e.is_gone())
                .collect();
            if eps.is_empty() {
                out.push(
                    Outcome::fail(
                        ResourceType::Vpc,
                        &ws.vpc_id,
                        format!(
                            "{} has no {label} interface endpoint ({service}).",
                            ws.vpc_id
                        ),
                    )
                    .ws(ws)
                    .severity(severity)
                    .expect(format!("an Interface endpoint to {service}"), "none"),
                );
                continue;
            }
            for e in eps {
                if e.life() == crate::pure::lifecycle::Life::Unknown {
                    out.push(
                        Outcome::error(
                            ResourceType::VpcEndpoint,
                            &e.vpc_endpoint_id,
                            format!(
                                "{label} endpoint {} has state {}, which plaudit does not know, so whether it serves workspace `{}` cannot be told.",
                                e.vpc_endpoint_id,
                                crate::pure::lifecycle::shown(&e.state),
                                ws.name
                            ),
                        )
                        .ws(ws),
                    );
                    continue;
                }
                let groups: Vec<&str> = e.groups.iter().map(|g| g.group_id.as_str()).collect();
                let mut problems = Vec::new();
                if !e.private_dns_enabled {
                    problems.push("private DNS is disabled".to_string());
                }
                if !e.is_available() {
                    problems.push(format!("it is `{}`", e.state));
                }
                let mut undecided = Vec::new();
                for h in &net.hosts {
                    match sg_verdict(
                        ctx.view(),
                        &groups,
                        false,
                        h,
                        Proto::Tcp,
                        Ports::one(443),
                        crate::pure::cidr::Family::V4,
                    ) {
                        Verdict::Blocked(why) => problems.push(why),
                        Verdict::Unknown(why) => undecided.push(why),
                        Verdict::Allowed | Verdict::NotOnPath => {}
                    }
                }
                let id = &e.vpc_endpoint_id;
                let o = if problems.is_empty() && !undecided.is_empty() {
                    Outcome::error(
                        ResourceType::VpcEndpoint,
                        id,
                        format!(
                            "Whether {label} endpoint {id} serves workspace `{}` cannot be decided: {}.",
                            ws.name,
                            undecided.join("; ")
                        ),
                    )
                } else if problems.is_empty() {
                    Outcome::pass(
                        ResourceType::VpcEndpoint,
                        id,
                        format!("{id} serves {label} privately to workspace `{}`.", ws.name),
                    )
                } else {
                    Outcome::fail(
                        ResourceType::VpcEndpoint,
                        id,
                        format!(
                            "{label} endpoint {id} does not serve workspace `{}`: {}.",
                            ws.name,
                            problems.join("; ")
                        ),
                    )
                    .severity(severity)
                };
                out.push(o.ws(ws).expect(
                    "available, private DNS, 443 from the workspace",
                    if !problems.is_empty() {
                        problems.join("; ")
                    } else if !undecided.is_empty() {
                        undecided.join("; ")
                    } else {
                        "ok".to_string()
                    },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::{Severity, Status};

    #[test]
    fn passes_with_both_endpoints() {
        assert_all(&run("PL-EP-009", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn missing_kinesis_is_high_when_isolated() {
        let mut e = Estate::isolated();
        let k = ids().kinesis;
        e.endpoints_mut().retain(|x| x.vpc_endpoint_id != k);
        let f = run("PL-EP-009", &e);
        assert_eq!(status_of(&f, &ids().vpc), Status::Fail);
        assert_eq!(on(&f, &ids().vpc).severity, Severity::High);
    }

    #[test]
    fn fails_when_its_group_does_not_admit_443() {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(443));
        let f = run("PL-EP-009", &e);
        assert_eq!(status_of(&f, &ids().sts), Status::Fail);
        assert_eq!(on(&f, &ids().sts).severity, Severity::Medium);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(443));
        e
    }
}

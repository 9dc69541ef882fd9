//! PL-IGW-001: no internet gateway is attached to an isolated workspace's VPC.

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::{for_each_ws, Outcome};
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::lifecycle::{self, Life};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-IGW-001",
    title: "No internet gateway attached to the workspace VPC",
    severity: Severity::High,
    modes: &[Mode::Isolated],
    resource_type: ResourceType::InternetGateway,
    rationale: "Complete isolation (Databricks' security reference architecture) creates no internet gateway; an attached one is one route away from an internet path.",
    remediation: "Detach and delete the internet gateway (aws ec2 detach-internet-gateway, delete-internet-gateway) once nothing in the VPC needs it.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
        "https://github.com/databricks/terraform-databricks-sra",
    ],
    inputs: &[Input::InternetGateways],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (vpc, ws) in ctx.vpcs() {
        let igws = ctx.view().internet_gateways_in(vpc);
        // A detached (or detaching) gateway is not a path and not a failure; it is only named.
        let mut gone: Vec<String> = Vec::new();
        let mut bad = 0;
        for igw in igws {
            let id = &igw.internet_gateway_id;
            for a in igw.attachments.iter().filter(|a| a.vpc_id == vpc) {
                let state = lifecycle::shown(&a.state);
                let o = match lifecycle::igw_attachment(&a.state) {
                    Life::Gone => {
                        gone.push(format!("{id} ({state})"));
                        continue;
                    }
                    Life::Unknown => Outcome::error(
                        ResourceType::InternetGateway,
                        id,
                        format!("Internet gateway {id}'s attachment to {vpc} has state {state}, which plaudit does not know, so whether isolated workspace(s) {} have an internet gateway cannot be told.", super::names(&ws)),
                    ),
                    Life::Live | Life::Broken => Outcome::fail(
                        ResourceType::InternetGateway,
                        id,
                        format!("Internet gateway {id} is attached to {vpc} ({state}), the VPC of isolated workspace(s) {}.", super::names(&ws)),
                    )
                    .expect("no internet gateway", format!("{id} ({})", a.state)),
                };
                bad += 1;
                out.extend(for_each_ws(&ws, o));
            }
        }
        if bad == 0 {
            let note = if gone.is_empty() {
                String::new()
            } else {
                format!(" ({} no longer attached)", gone.join(", "))
            };
            out.extend(for_each_ws(
                &ws,
                Outcome::pass(
                    ResourceType::Vpc,
                    vpc,
                    format!("No internet gateway is attached to {vpc}{note}."),
                )
                .expect("no internet gateway", "none"),
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
    fn passes_without_an_igw() {
        assert_all(&run("PL-IGW-001", &Estate::isolated()), Status::Pass);
    }

    #[test]
    fn fails_on_an_attached_igw() {
        let mut e = Estate::isolated();
        e.igws_mut().push(crate::pure::model::InternetGateway {
            internet_gateway_id: "igw-0stray".into(),
            attachments: vec![crate::pure::model::GatewayAttachment {
                vpc_id: ids().vpc.into(),
                state: "available".into(),
            }],
            tags: vec![],
        });
        assert_eq!(
            status_of(&run("PL-IGW-001", &e), "igw-0stray"),
            Status::Fail
        );
    }

    #[test]
    fn does_not_run_without_isolation() {
        assert!(run("PL-IGW-001", &Estate::backend()).is_empty());
    }

    #[test]
    fn error_when_not_collected() {
        let mut e = Estate::isolated();
        e.not_collected(crate::pure::snapshot::Input::InternetGateways);
        assert_all(&run("PL-IGW-001", &e), Status::Error);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::isolated();
        e.igws_mut().push(crate::pure::model::InternetGateway {
            internet_gateway_id: "igw-0stray".into(),
            attachments: vec![crate::pure::model::GatewayAttachment {
                vpc_id: ids().vpc.into(),
                state: "available".into(),
            }],
            tags: vec![],
        });
        e
    }
}

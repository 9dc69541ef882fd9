//! PL-EPSG-001: the security groups of the back-end endpoints admit the workspace on the ports it
//! needs (443 and 8443-8451 on the workspace endpoint; 6666, and 2443 with the compliance profile,
//! on the relay).

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::PortGroup;
use crate::pure::cidr::Family;
use crate::pure::deployment::Mode;
use crate::pure::evidence::FlowKind;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::index::Proto;
use crate::pure::reachability::{sg_verdict, Verdict};
use crate::pure::services::ServiceKind;
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EPSG-001",
    title: "Back-end endpoint SGs admit workspace traffic on the required ports",
    severity: Severity::Critical,
    severity_when: &[
        (
            Severity::High,
            "when only 2443 (compliance security profile) is not admitted",
        ),
        (
            Severity::Medium,
            "when only 8443-8451 are not admitted",
        ),
    ],
    modes: &[Mode::BackEnd],
    resource_type: ResourceType::SecurityGroup,
    rationale: "The endpoint security group must allow inbound TCP from the compute security group (or the workspace subnets) on 443, 6666, 2443 with the compliance profile, and 8443-8451. Missing 443 or 6666 stops clusters (critical); 8443-8451 is medium.",
    remediation: "Add ingress rules to the endpoint security group with the workspace security group as source for TCP 443, 6666, 2443 and 8443-8451.",
    references: &[
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink-concepts",
        "https://docs.databricks.com/aws/en/security/network/classic/privatelink",
    ],
    inputs: &[Input::VpcEndpoints, Input::Subnets, Input::SecurityGroups, Input::SecurityGroupRules],
    optional_inputs: &[Input::ManagedPrefixLists, Input::RouteTables],
    ports: PortGroup::TO_ENDPOINTS,
    flows: &[FlowKind::Endpoint],
    ..RuleMeta::DEFAULT
};

pub fn check(ctx: &Context<'_>) -> Vec<Outcome> {
    let mut out = Vec::new();
    for ws in &ctx.workspaces {
        let eps: Vec<_> = [ServiceKind::Workspace, ServiceKind::Relay]
            .into_iter()
            .flat_map(|k| ctx.serving_endpoints(&ws.vpc_id, k))
            .collect();
        if eps.is_empty() {
            out.push(
                Outcome::not_applicable(
                    ResourceType::Vpc,
                    &ws.vpc_id,
                    format!(
                        "{} has no back-end Databricks endpoint to check.",
                        ws.vpc_id
                    ),
                )
                .ws(ws),
            );
            continue;
        }
        let net = match ctx.ws_net(ws) {
            Ok(n) => n,
            Err(o) => {
                out.extend(o);
                continue;
            }
        };
        for e in eps {
            let groups: Vec<&str> = e
                .endpoint
                .groups
                .iter()
                .map(|g| g.group_id.as_str())
                .collect();
            let id = &e.endpoint.vpc_endpoint_id;
            if groups.is_empty() {
                out.push(
                    // AWS gives every interface endpoint at least one security group (the VPC's
                    // default when none is named), so an empty list is an incomplete record.
                    Outcome::error(
                        ResourceType::VpcEndpoint,
                        id,
                        format!("describe-vpc-endpoints.json lists no security group on {id}, which AWS never does for an interface endpoint (it attaches the VPC's default group), so what it admits cannot be told; collect the file again."),
                    )
                    .ws(ws),
                );
                continue;
            }
            let absent: Vec<&str> = groups
                .iter()
                .copied()
                .filter(|g| ctx.view().security_group(g).is_none())
                .collect();
            if !absent.is_empty() {
                for g in absent {
                    out.push(
                        Outcome::error(
                            ResourceType::SecurityGroup,
                            g,
                            format!("{g} (on {id}) is not in describe-security-groups.json."),
                        )
                        .ws(ws),
                    );
                }
                continue;
            }
            let needs = ctx.port_needs(ws, Some(e.kind));
            let mut blocked: Vec<String> = Vec::new();
            let mut undecided: Vec<String> = Vec::new();
            let mut severity: Option<Severity> = None;
            for h in &net.hosts {
                for n in &needs {
                    match sg_verdict(
                        ctx.view(),
                        &groups,
                        false,
                        h,
                        Proto::Tcp,
                        n.ports,
                        Family::V4,
                    ) {
                        Verdict::Blocked(why) => {
                            let why = format!("{why} ({})", n.purpose);
                            if !blocked.contains(&why) {
                                blocked.push(why);
                            }
                            severity = severity.max(Some(n.endpoint_severity));
                        }
                        Verdict::Unknown(why) => {
                            let why = format!("{why} ({})", n.purpose);
                            if !undecided.contains(&why) {
                                undecided.push(why);
                            }
                        }
                        Verdict::Allowed | Verdict::NotOnPath => {}
                    }
                }
            }
            let ports = needs
                .iter()
                .map(|n| n.ports.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if severity.is_none() && !undecided.is_empty() {
                for g in &groups {
                    out.push(
                        Outcome::error(
                            ResourceType::SecurityGroup,
                            g,
                            format!(
                                "Whether {id} ({}) admits workspace `{}` cannot be decided: {}.",
                                e.kind.label(),
                                ws.name,
                                undecided.join("; ")
                            ),
                        )
                        .ws(ws)
                        .expect(
                            format!("ingress tcp {ports} from the workspace"),
                            undecided.join("; "),
                        ),
                    );
                }
                continue;
            }
            for g in &groups {
                let mut o = match severity {
                    None => Outcome::pass(
                        ResourceType::SecurityGroup,
                        g,
                        format!(
                            "{id} ({}) admits workspace `{}` on tcp {ports}.",
                            e.kind.label(),
                            ws.name
                        ),
                    ),
                    Some(s) => Outcome::fail(
                        ResourceType::SecurityGroup,
                        g,
                        format!(
                            "{id} ({}) does not admit workspace `{}`: {}.",
                            e.kind.label(),
                            ws.name,
                            blocked.join("; ")
                        ),
                    )
                    .severity(s),
                };
                o = o.ws(ws).expect(
                    format!("ingress tcp {ports} from the workspace"),
                    if blocked.is_empty() {
                        "allowed".to_string()
                    } else {
                        blocked.join("; ")
                    },
                );
                out.push(o);
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
    fn passes_with_sg_references() {
        assert_all(&run("PL-EPSG-001", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn passes_with_subnet_cidrs_as_sources() {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.drop_sg_rules(|r| r.group_id == ep);
        for p in [(443, 443), (6666, 6666), (8443, 8451)] {
            e.sg_rules_mut()
                .push(sg_rule("sgr-a", &ep, false, "tcp", p, "10.0.0.0/22"));
            e.sg_rules_mut()
                .push(sg_rule("sgr-b", &ep, false, "tcp", p, "10.0.4.0/22"));
        }
        assert_all(&run("PL-EPSG-001", &e), Status::Pass);
    }

    #[test]
    fn fails_critical_without_6666_and_medium_without_8445() {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(6666));
        let f = run("PL-EPSG-001", &e);
        assert_eq!(on(&f, &ids().ep_sg).status, Status::Fail);
        assert_eq!(on(&f, &ids().ep_sg).severity, Severity::Critical);
        let mut e = Estate::backend();
        e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(8443));
        e.sg_rules_mut().push(sg_rule(
            "sgr-c",
            &ep,
            false,
            "tcp",
            (8443, 8444),
            &ids().ws_sg,
        ));
        let f = run("PL-EPSG-001", &e);
        assert_eq!(on(&f, &ids().ep_sg).severity, Severity::Medium);
        assert!(on(&f, &ids().ep_sg).message.contains("8445-8451"));
    }

    #[test]
    fn not_applicable_without_back_end_endpoints() {
        let mut e = Estate::backend();
        e.endpoints_mut().clear();
        assert_all(&run("PL-EPSG-001", &e), Status::NotApplicable);
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        let ep = ids().ep_sg;
        e.drop_sg_rules(|r| r.group_id == ep && r.from_port == Some(6666));
        e
    }
}

//! Helpers for rule tests: run one rule over a synthetic estate and look at its verdicts.

use crate::pure::deployment::Mode;
use crate::pure::engine::{audit, AuditOptions};
use crate::pure::finding::{Finding, Status};
use crate::pure::model::{AllowedPrincipal, EndpointServiceConfiguration, ServicePermissions};
pub use crate::synth::{acl_entry, sg_rule, Estate, Ids};

/// Runs one rule over an estate with its manifest.
pub fn run(rule: &str, e: &Estate) -> Vec<Finding> {
    let opts = AuditOptions {
        manifest: Some(&e.manifest),
        rules: vec![rule.to_string()],
        ..AuditOptions::default()
    };
    audit(&e.snap, &opts).findings
}

/// The status of the finding on `resource`; panics with the findings when there is none.
pub fn status_of(f: &[Finding], resource: &str) -> Status {
    match f.iter().find(|x| x.resource_id == resource) {
        Some(x) => x.status,
        None => panic!("no finding on {resource}: {f:#?}"),
    }
}

/// The finding on `resource`.
pub fn on<'a>(f: &'a [Finding], resource: &str) -> &'a Finding {
    match f.iter().find(|x| x.resource_id == resource) {
        Some(x) => x,
        None => panic!("no finding on {resource}: {f:#?}"),
    }
}

/// Asserts that there are findings and all have `status`.
pub fn assert_all(f: &[Finding], status: Status) {
    assert!(!f.is_empty(), "no findings");
    for x in f {
        assert_eq!(x.status, status, "{x:#?}");
    }
}

/// The compliant back-end estate's ids.
pub fn ids() -> Ids {
    Ids::new(0)
}

/// The back-end estate with serverless mode and one endpoint service: whether it requires
/// acceptance, has an NLB, and the principal it allows.
pub fn serverless(acceptance: bool, nlb: bool, principal: &str) -> Estate {
    let mut e = Estate::backend();
    e.manifest.workspaces[0].modes.push(Mode::Serverless);
    e.snap.endpoint_service_configurations = Ok(vec![EndpointServiceConfiguration {
        service_id: "vpce-svc-0db".into(),
        service_name: "com.amazonaws.vpce.us-east-1.vpce-svc-0db".into(),
        service_state: Some("Available".into()),
        acceptance_required: acceptance,
        network_load_balancer_arns: if nlb {
            vec!["arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/db/1".into()]
        } else {
            vec![]
        },
        gateway_load_balancer_arns: vec![],
        tags: vec![],
    }]);
    e.snap.endpoint_service_permissions = Ok([(
        "vpce-svc-0db".to_string(),
        ServicePermissions {
            allowed_principals: vec![AllowedPrincipal {
                principal: principal.into(),
                principal_type: Some("Role".into()),
            }],
        },
    )]
    .into_iter()
    .collect());
    e
}

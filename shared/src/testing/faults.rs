//! The fault contract, as one check shared by the fault tests (synthetic estates in this crate,
//! moto in the `tests` crate): compares the findings of a healthy run with those of a run where
//! some inputs could not be read, as a *set* of (rule, resource), not only the statuses of the
//! findings still present.
//!
//! - Every finding of the healthy run is still there: unchanged when its rule does not declare a
//!   failed input; otherwise unchanged or `error`, on the same resource or, when the rule could
//!   not run at all, as an `error` of the rule for every workspace the finding served.
//! - No verdict comes out of nowhere: every pass or fail of the faulty run is the healthy run's.

use std::collections::BTreeMap;

use crate::pure::engine::Report;
use crate::pure::finding::{Finding, Status};
use crate::pure::rules;
use crate::pure::snapshot::{CollectFailure, Input, Snapshot};

/// Makes `input` fail the way a denied describe call does (and nothing else).
pub fn fail(snap: &mut Snapshot, input: Input) {
    let f = CollectFailure {
        api: input.api().into(),
        code: "UnauthorizedOperation".into(),
        message: format!("You are not authorized to perform: ec2:{}", input.api()),
    };
    match input {
        Input::Vpcs => snap.vpcs = Err(f),
        Input::VpcAttributes => snap.vpc_attributes = Err(f),
        Input::Subnets => snap.subnets = Err(f),
        Input::RouteTables => snap.route_tables = Err(f),
        Input::InternetGateways => snap.internet_gateways = Err(f),
        Input::NatGateways => snap.nat_gateways = Err(f),
        Input::VpcEndpoints => snap.vpc_endpoints = Err(f),
        Input::SecurityGroups => snap.security_groups = Err(f),
        Input::SecurityGroupRules => snap.security_group_rules = Err(f),
        Input::NetworkAcls => snap.network_acls = Err(f),
        Input::EndpointServiceConfigurations => snap.endpoint_service_configurations = Err(f),
        Input::EndpointServicePermissions => snap.endpoint_service_permissions = Err(f),
        Input::ManagedPrefixLists => snap.managed_prefix_lists = Err(f),
    }
}

/// What a run with `failed` inputs breaks of the contract, one sentence each; empty when it
/// keeps it.
pub fn broken_promises(healthy: &Report, faulty: &Report, failed: &[Input]) -> Vec<String> {
    let key = |f: &Finding| (f.rule_id.to_string(), f.resource_id.to_string());
    let now: BTreeMap<(String, String), &Finding> =
        faulty.findings.iter().map(|f| (key(f), f)).collect();
    let before: BTreeMap<(String, String), &Finding> =
        healthy.findings.iter().map(|f| (key(f), f)).collect();
    // The workspaces for which a rule reported `error` in the faulty run.
    let errored = |rule: &str, ws: &str| {
        faulty.findings.iter().any(|f| {
            f.rule_id == rule
                && f.status == Status::Error
                && f.workspaces.iter().any(|w| &**w == ws)
        })
    };
    let mut out = Vec::new();
    for h in &healthy.findings {
        let Some(meta) = rules::meta(&h.rule_id) else {
            out.push(format!("{}: not a registered rule", h.rule_id));
            continue;
        };
        let reads = |i: &Input| meta.inputs.contains(i) || meta.optional_inputs.contains(i);
        let needs = failed.iter().any(reads);
        let what = format!("{} on {} ({:?})", h.rule_id, h.resource_id, h.status);
        match now.get(&key(h)) {
            Some(f) if f.status == h.status => {}
            Some(f) if needs && f.status == Status::Error => {}
            Some(f) => out.push(format!(
                "{what} became {:?} although {}: {}",
                f.status,
                if needs {
                    "an unreadable input may only make it an error"
                } else {
                    "the rule does not read the failed input"
                },
                f.message
            )),
            None if !needs => out.push(format!(
                "{what} vanished although the rule does not read the failed input"
            )),
            None => {
                // The rule could not run: it must say so for every workspace the finding served
                // (every workspace of the deployment it applies to, for a finding that names none).
                let served: Vec<String> = if h.workspaces.is_empty() {
                    faulty
                        .deployment
                        .workspaces
                        .iter()
                        .filter(|w| meta.applies_to(w))
                        .map(|w| w.name.to_string())
                        .collect()
                } else {
                    h.workspaces.iter().map(|w| w.to_string()).collect()
                };
                let silent: Vec<&String> =
                    served.iter().filter(|w| !errored(&h.rule_id, w)).collect();
                if served.is_empty() || !silent.is_empty() {
                    out.push(format!(
                        "{what} vanished, and the rule reports no error for workspace(s) {}",
                        if silent.is_empty() {
                            "(none served)".to_string()
                        } else {
                            silent
                                .iter()
                                .map(|w| format!("`{w}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ));
                }
            }
        }
    }
    for f in &faulty.findings {
        if matches!(f.status, Status::Pass | Status::Fail) {
            match before.get(&key(f)) {
                Some(h) if h.status == f.status => {}
                Some(h) => out.push(format!(
                    "{} on {} is {:?} with an input missing but {:?} with every input: {}",
                    f.rule_id, f.resource_id, f.status, h.status, f.message
                )),
                None => out.push(format!(
                    "{} on {} is a new {:?} that only the faulty run reports: {}",
                    f.rule_id, f.resource_id, f.status, f.message
                )),
            }
        }
    }
    out
}

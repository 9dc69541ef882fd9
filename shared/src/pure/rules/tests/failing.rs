//! One failing estate per rule (`failing()` beside each rule's tests, gathered by the registry
//! macro, so a rule cannot be registered without one), with its message and evidence pinned by an
//! insta snapshot: a change in what a rule says is a reviewed change.

use super::testkit::*;
use crate::pure::finding::{Finding, Status};
use crate::pure::rules::{FAILING, RULES};

/// The findings of a rule as a snapshot pins them.
fn render(f: &[Finding]) -> String {
    let mut out = String::new();
    for x in f {
        out.push_str(&format!(
            "{:?} {} {} {} [{}]\n  message:  {}\n  expected: {}\n  actual:   {}\n",
            x.status,
            x.severity.as_str(),
            x.resource_type,
            x.resource_id,
            x.workspaces
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            x.message,
            x.expected,
            x.actual
        ));
    }
    out
}

#[test]
fn every_registered_rule_has_a_failing_estate() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.meta.id).collect();
    let fixtures: Vec<&str> = FAILING.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, fixtures);
}

#[test]
fn every_rule_fails_on_its_estate_and_says_so_as_pinned() {
    for (id, estate) in FAILING {
        let f = run(id, &estate());
        assert!(
            f.iter().any(|x| x.status == Status::Fail),
            "{id} does not fail on its failing estate: {f:#?}"
        );
        insta::assert_snapshot!(id.to_ascii_lowercase().replace('-', "_"), render(&f));
    }
}

#[test]
fn the_failing_estates_keep_the_fault_contract_and_read_only_declared_inputs() {
    // Every input in turn unreadable on every failing estate: the failures survive as failures or
    // errors (compared as a set of findings), and no rule reads what it does not declare.
    use crate::pure::engine::{audit, AuditOptions};
    use crate::pure::snapshot::Input;
    use crate::testing::faults::{broken_promises, fail};
    let mut problems = Vec::new();
    for (id, estate) in FAILING {
        let e = estate();
        let opts = AuditOptions {
            manifest: Some(&e.manifest),
            ..AuditOptions::default()
        };
        let healthy = audit(&e.snap, &opts);
        for input in Input::ALL {
            let mut snap = if input == Input::SecurityGroupRules {
                e.clone().rules_inside_groups().snap
            } else {
                e.snap.clone()
            };
            fail(&mut snap, input);
            let failed: Vec<Input> = Input::ALL
                .into_iter()
                .filter(|i| snap.availability(*i).is_err())
                .collect();
            let faulty = audit(&snap, &opts);
            for f in &faulty.findings {
                if f.message.contains("without declaring") {
                    problems.push(format!(
                        "{id}'s estate, {} failing: {}",
                        input.api(),
                        f.message
                    ));
                }
            }
            for p in broken_promises(&healthy, &faulty, &failed) {
                problems.push(format!("{id}'s estate, {} failing: {p}", input.api()));
            }
        }
        for f in &healthy.findings {
            if f.message.contains("without declaring") {
                problems.push(format!("{id}'s estate: {}", f.message));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

//! Guards the registry: ids unique, well-formed and sorted; every rule exercised; every input
//! failure turns into `Error`, never `Pass`; the docs are generated, not written twice.

use super::testkit::*;
use crate::pure::finding::Status;
use crate::pure::rules::RULES;
use crate::pure::snapshot::Input;

#[test]
fn ids_are_unique_well_formed_and_sorted() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.meta.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        ids, sorted,
        "registry must be sorted and free of duplicates"
    );
    for id in ids {
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert_eq!(parts[0], "PL");
        assert!(parts[1].chars().all(|c| c.is_ascii_uppercase()), "{id}");
        assert!(
            parts[2].len() == 3 && parts[2].chars().all(|c| c.is_ascii_digit()),
            "{id}"
        );
    }
}

#[test]
fn every_rule_declares_what_users_need() {
    for r in RULES {
        let m = r.meta;
        assert!(
            !m.title.is_empty() && !m.rationale.is_empty() && !m.remediation.is_empty(),
            "{}",
            m.id
        );
        assert!(
            !m.modes.is_empty() && !m.inputs.is_empty() && !m.references.is_empty(),
            "{}",
            m.id
        );
        assert!(
            m.permissions()
                .iter()
                .all(|p| p.starts_with("ec2:Describe")),
            "{}",
            m.id
        );
    }
}

/// One estate per mode family, so every rule has someone to apply to.
fn estates() -> Vec<Estate> {
    let mut full = Estate::isolated();
    full.manifest.workspaces[0].compliance_security_profile = true;
    full.manifest.workspaces[0].custom_dns = true;
    let mut b = Estate::backend();
    b.manifest.workspaces[0].legacy_hive_metastore = true;
    vec![full, b]
}

#[test]
fn every_rule_is_exercised_by_a_compliant_estate_and_passes_or_is_not_applicable() {
    for r in RULES {
        let mut seen = false;
        for e in estates() {
            let f = run(r.meta.id, &e);
            seen |= !f.is_empty();
            for x in &f {
                assert!(
                    matches!(x.status, Status::Pass | Status::NotApplicable)
                        || (r.meta.id == "PL-SG-008" && x.status == Status::Fail),
                    "{} on the compliant estate: {x:#?}",
                    r.meta.id
                );
            }
        }
        assert!(seen, "{} produced no finding on any estate", r.meta.id);
    }
}

#[test]
fn a_missing_input_is_an_error_never_a_pass() {
    for r in RULES {
        for input in r.meta.inputs {
            for mut e in estates() {
                let applies = !run(r.meta.id, &e).is_empty();
                e.not_collected(*input);
                if *input == Input::SecurityGroupRules {
                    e.not_collected(Input::SecurityGroups);
                }
                let f = run(r.meta.id, &e);
                for x in &f {
                    assert_ne!(
                        x.status,
                        Status::Pass,
                        "{} without {}: {x:#?}",
                        r.meta.id,
                        input.file()
                    );
                    assert_ne!(
                        x.status,
                        Status::Fail,
                        "{} without {}: {x:#?}",
                        r.meta.id,
                        input.file()
                    );
                }
                if !applies {
                    continue;
                }
                assert!(
                    f.iter().any(|x| x.status == Status::Error),
                    "{} without {} reported no error",
                    r.meta.id,
                    input.file()
                );
                assert!(
                    f.iter().any(
                        |x| x.message.contains(input.file()) || x.message.contains(input.api())
                    ),
                    "{} without {}: {f:#?}",
                    r.meta.id,
                    input.file()
                );
            }
        }
    }
}

#[test]
fn findings_are_the_same_from_either_security_group_source() {
    let key = |f: &[crate::pure::finding::Finding]| {
        f.iter()
            .map(|x| (x.id, x.status, x.severity))
            .collect::<Vec<_>>()
    };
    for e in estates() {
        let mut broken = e.clone();
        broken.drop_sg_rules(|r| r.from_port == Some(6666) || r.ip_protocol == "udp");
        for estate in [e, broken] {
            let a = crate::pure::engine::audit(
                &estate.snap,
                &crate::pure::engine::AuditOptions {
                    manifest: Some(&estate.manifest),
                    ..Default::default()
                },
            );
            let other = estate.clone().rules_inside_groups();
            let b = crate::pure::engine::audit(
                &other.snap,
                &crate::pure::engine::AuditOptions {
                    manifest: Some(&other.manifest),
                    ..Default::default()
                },
            );
            assert_eq!(key(&a.findings), key(&b.findings));
        }
    }
}

#[test]
fn docs_rules_md_is_generated_from_the_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let fresh = crate::pure::render::rules_markdown();
    if committed != fresh {
        if std::env::var_os("PLAUDIT_BLESS").is_some() {
            std::fs::write(path, &fresh).unwrap();
        } else {
            panic!("docs/rules.md is stale: run `PLAUDIT_BLESS=1 cargo test -p plaudit docs_rules_md` (or `plaudit rules --format markdown > docs/rules.md`)");
        }
    }
}

#[test]
fn every_family_of_the_port_table_is_checked_on_the_workspace_egress() {
    // A rule reads only the families it declares; a family no rule declares would be checked by
    // nobody.
    for g in crate::pure::rules::PortGroup::ALL {
        assert!(
            RULES
                .iter()
                .any(|r| r.meta.id.starts_with("PL-SG-") && r.meta.ports.contains(&g)),
            "{g:?} is checked by no PL-SG rule"
        );
    }
}

#[test]
fn no_rule_reads_an_input_it_does_not_declare() {
    // The context hands a rule only the inputs it declares; a read of any other is written down
    // and turns every verdict of the rule into an error that says so. Every estate the tests know
    // runs every rule here, so an undeclared read cannot ship.
    let mut bad = Vec::new();
    for e in estates() {
        for r in RULES {
            for x in run(r.meta.id, &e) {
                if x.message.contains("without declaring") {
                    bad.push(format!("{}: {}", r.meta.id, x.message));
                }
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

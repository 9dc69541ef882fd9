//! The SAM template checked against the code: the IAM actions granted are exactly what the rules
//! and publishers declare, every Config rule family covers the resource types its rules report,
//! and the enumerated fields cfn-lint does not check hold valid values. (`scripts/test.sh` also
//! runs `cfn-lint` and `sam validate --lint` on the same file.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::BTreeSet;

use plaudit::snapshot::Input;
use serde_yaml_ng::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(plaudit_tests::repo_root().join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn resources(t: &Value) -> Vec<(String, &Value)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v))
        .collect()
}

fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(String, &'a Value)> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(ty))
        .collect()
}

/// A string, or every string of a list.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(s) => s.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// `!If [cond, a, b]` → a (the statement as granted when the condition holds); else itself.
fn when_true(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) if t.tag == "If" => &t.value.as_sequence().unwrap()[1],
        other => other,
    }
}

fn statements(function: &Value) -> Vec<&Value> {
    function["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["Statement"].as_sequence().unwrap().iter().map(when_true))
        .collect()
}

fn granted(function: &Value) -> BTreeSet<String> {
    statements(function)
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| strings(&s["Action"]))
        .collect()
}

fn ec2_actions() -> BTreeSet<String> {
    let from_rules: BTreeSet<String> = plaudit::rules::RULES
        .iter()
        .flat_map(|r| r.meta.permissions())
        .collect();
    let collected: BTreeSet<String> = Input::ALL.iter().map(|i| i.iam_action()).collect();
    assert_eq!(
        from_rules, collected,
        "the collector reads exactly what the rules declare"
    );
    collected
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn functions_are_granted_exactly_what_the_code_declares() {
    use plaudit::publish::{ALERT_ACTIONS, MANIFEST_ACTIONS, STATE_ACTIONS};
    let t = template();
    let res = resources(&t);
    let get = |name: &str| res.iter().find(|(n, _)| n == name).unwrap().1;
    let publishers: BTreeSet<String> = [&STATE_ACTIONS[..], &ALERT_ACTIONS, &MANIFEST_ACTIONS]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut scheduled = ec2_actions();
    scheduled.extend(publishers.iter().cloned());
    assert_eq!(granted(get("ScheduledAuditFunction")), scheduled);
    let mut config = scheduled.clone();
    config.extend(set(&plaudit::config_rule::CONFIG_ACTIONS));
    assert_eq!(granted(get("ConfigRuleFunction")), config);
    assert_eq!(
        granted(get("FirstEvaluationFunction")),
        set(&["config:StartConfigRulesEvaluation"])
    );
}

#[test]
fn no_wildcard_actions_and_star_resources_only_where_aws_allows_nothing_narrower() {
    // Actions with no resource-level permissions (IAM service authorization reference).
    let unscoped: BTreeSet<String> = ec2_actions()
        .into_iter()
        .chain(set(&[
            "config:PutEvaluations",
            "config:GetResourceConfigHistory",
        ]))
        .collect();
    let t = template();
    for (name, f) in of_type(&t, "AWS::Serverless::Function") {
        for s in statements(f) {
            let actions = strings(&s["Action"]);
            assert!(
                actions.iter().all(|a| !a.contains('*')),
                "{name}: {actions:?}"
            );
            if s["Resource"] == "*" {
                assert!(
                    actions.iter().all(|a| unscoped.contains(a)),
                    "{name}: Resource \"*\" for {actions:?}"
                );
            }
        }
    }
}

#[test]
fn every_rule_family_covers_its_resource_types_and_every_rule_has_a_family() {
    let t = template();
    let rules = of_type(&t, "AWS::Config::ConfigRule");
    assert_eq!(rules.len(), 6, "one Config rule per family");
    let mut covered: Vec<&str> = Vec::new();
    for (name, r) in &rules {
        let p = &r["Properties"];
        let selectors: Vec<String> = p["InputParameters"]["rules"]
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let selected = plaudit::rules::select(&selectors);
        assert!(!selected.is_empty(), "{name} selects no rule");
        let scope: BTreeSet<String> = strings(&p["Scope"]["ComplianceResourceTypes"])
            .into_iter()
            .collect();
        assert!(scope.contains("AWS::EC2::VPC"), "{name}");
        for rule in &selected {
            covered.push(rule.meta.id);
            assert!(
                scope.contains(rule.meta.resource_type.as_str()),
                "{name}: {} reports {} outside its scope {scope:?}",
                rule.meta.id,
                rule.meta.resource_type
            );
        }
        assert!(
            scope.len() <= 100,
            "Config takes at most 100 resource types"
        );
    }
    covered.sort();
    let all: Vec<&str> = {
        let mut v: Vec<&str> = plaudit::rules::RULES.iter().map(|r| r.meta.id).collect();
        v.sort();
        v
    };
    assert_eq!(
        covered, all,
        "every rule reported by exactly one Config rule"
    );
}

#[test]
fn enumerated_fields_hold_valid_values() {
    let t = template();
    let frequencies = [
        "One_Hour",
        "Three_Hours",
        "Six_Hours",
        "Twelve_Hours",
        "TwentyFour_Hours",
    ];
    let allowed: Vec<String> = strings(&t["Parameters"]["ConfigRuleFrequency"]["AllowedValues"]);
    assert!(!allowed.is_empty());
    assert!(allowed.iter().all(|f| frequencies.contains(&f.as_str())));
    assert!(frequencies.contains(
        &t["Parameters"]["ConfigRuleFrequency"]["Default"]
            .as_str()
            .unwrap()
    ));
    for (name, r) in of_type(&t, "AWS::Config::ConfigRule") {
        let src = &r["Properties"]["Source"];
        assert_eq!(src["Owner"], "CUSTOM_LAMBDA", "{name}");
        assert_eq!(r["DependsOn"], "ConfigInvokePermission", "{name}");
        let kinds: BTreeSet<String> = src["SourceDetails"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|d| {
                assert_eq!(d["EventSource"], "aws.config", "{name}");
                let kind = d["MessageType"].as_str().unwrap().to_string();
                match &d["MaximumExecutionFrequency"] {
                    Value::Tagged(tag) => {
                        assert_eq!(kind, "ScheduledNotification", "{name}");
                        assert_eq!(tag.value, "ConfigRuleFrequency", "{name}");
                    }
                    Value::Null => assert_ne!(kind, "ScheduledNotification", "{name}"),
                    other => panic!("{name}: frequency {other:?}"),
                }
                kind
            })
            .collect();
        assert_eq!(
            kinds,
            set(&[
                "ConfigurationItemChangeNotification",
                "OversizedConfigurationItemChangeNotification",
                "ScheduledNotification",
            ]),
            "{name}: change-triggered and periodic"
        );
    }
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(strings(&globals["Architectures"]), ["arm64"]);
    assert_eq!(globals["Handler"], "bootstrap");
    let env: BTreeSet<String> = globals["Environment"]["Variables"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        env,
        set(&[
            "PLAUDIT_MANIFEST",
            "PLAUDIT_STATE_TABLE",
            "PLAUDIT_TOPIC_ARN",
            plaudit::collect::ATTEMPT_TIMEOUT_ENV,
            plaudit::collect::CALL_TIMEOUT_ENV,
        ])
    );
    for (name, crate_dir) in [
        ("ScheduledAuditFunction", "functions/scheduled-audit"),
        ("ConfigRuleFunction", "functions/config-rule"),
    ] {
        let f = resources(&t)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1;
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda");
        let binary = f["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
        let manifest = std::fs::read_to_string(
            plaudit_tests::repo_root()
                .join(crate_dir)
                .join("Cargo.toml"),
        )
        .unwrap();
        assert!(
            manifest.contains(&format!("name = \"{binary}\"")),
            "{name}: no binary {binary} in {crate_dir}"
        );
        let dest = &f["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
        assert_eq!(dest["Type"], "SQS", "{name}: an on-failure destination");
        let timeout = f["Properties"]["Timeout"].as_u64().unwrap();
        assert!((60..=900).contains(&timeout), "{name}: timeout {timeout}");
    }
    let perm = &of_type(&t, "AWS::Lambda::Permission")[0].1["Properties"];
    assert_eq!(perm["Principal"], "config.amazonaws.com");
    assert!(matches!(&perm["SourceAccount"], Value::Tagged(x) if x.value == "AWS::AccountId"));
    let (pk, sk, ttl) = plaudit::publish::TABLE_KEYS;
    let table = &of_type(&t, "AWS::DynamoDB::Table")[0].1["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(table["KeySchema"][0]["AttributeName"], pk);
    assert_eq!(table["KeySchema"][1]["AttributeName"], sk);
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], ttl);
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["SSESpecification"]["SSEEnabled"], true);
    let topic = &of_type(&t, "AWS::SNS::Topic")[0].1["Properties"];
    assert!(!topic["KmsMasterKeyId"].is_null(), "the topic is encrypted");
}

/// Issue 10, defect 13: a SecureString manifest under a customer-managed key can be decrypted, by
/// both functions, for that key only and only through SSM.
#[test]
fn a_customer_key_manifest_is_decryptable_through_ssm_only() {
    let t = template();
    let res = resources(&t);
    assert!(t["Parameters"]["ManifestKeyArn"].is_mapping());
    for name in ["ScheduledAuditFunction", "ConfigRuleFunction"] {
        let f = res.iter().find(|(n, _)| n == name).unwrap().1;
        let s = statements(f)
            .into_iter()
            .find(|s| s["Sid"] == "ManifestDecrypt")
            .unwrap_or_else(|| panic!("{name}: no ManifestDecrypt statement"));
        assert_eq!(strings(&s["Action"]), vec!["kms:Decrypt".to_string()]);
        assert_ne!(s["Resource"], "*", "{name}");
        let via = &s["Condition"]["StringEquals"]["kms:ViaService"];
        assert!(!via.is_null(), "{name}: decrypt not limited to SSM");
    }
}

/// Issue 10, defect 12: one Config-function container at a time, so the six rules' periodic runs
/// of a cycle share one collection (`plaudit::pipeline::Collector`).
#[test]
fn the_config_function_runs_one_container_at_a_time() {
    let t = template();
    let res = resources(&t);
    let f = res
        .iter()
        .find(|(n, _)| n == "ConfigRuleFunction")
        .unwrap()
        .1;
    let reserved = when_true(&f["Properties"]["ReservedConcurrentExecutions"]);
    assert_eq!(reserved.as_u64(), Some(1), "{reserved:?}");
}

/// Issue 11: `Architectures` is set once, in `Globals`. A function that repeats it is merged by
/// older SAM translators into `[arm64, arm64]`, which Lambda rejects.
#[test]
fn architectures_are_set_once_in_globals() {
    let t = template();
    assert_eq!(
        strings(&t["Globals"]["Function"]["Architectures"]),
        ["arm64"]
    );
    for (name, f) in of_type(&t, "AWS::Serverless::Function") {
        assert!(
            f["Properties"]["Architectures"].is_null(),
            "{name} repeats Architectures"
        );
    }
}

//! The SAM template checked against the code: the IAM actions granted are exactly what the rules
//! and publishers declare (on roles of the stack's own, without AWSLambdaBasicExecutionRole),
//! every Config rule family covers the resource types its rules report, the Config resources
//! follow the `ConfigRules` parameter, the dashboard charts only metrics the code emits, and the
//! enumerated fields cfn-lint does not check hold valid values. (`scripts/test.sh` also runs
//! `cfn-lint` and `sam validate` on the same file, with the Config rules on and off; the alert
//! routing is tested against moto in `alarm_routing.rs`, the recorder check in
//! `tests/python/test_first_evaluation.py`.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::{BTreeMap, BTreeSet};

use plaudit::finding::{Severity, Status};
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

/// The resource a `!Ref X` or `!GetAtt X.Attr` names.
fn target(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "Ref" || t.tag == "GetAtt" => {
            t.value.as_str().map(|s| s.split('.').next().unwrap_or(s))
        }
        _ => None,
    }
}

/// The statements of a policy document, conditional ones as granted when their condition holds.
fn document(doc: &Value) -> Vec<&Value> {
    doc["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(when_true)
        .collect()
}

/// Every statement a role grants: its inline policies and the stack's managed policies it attaches.
fn role_statements<'a>(t: &'a Value, role: &'a Value) -> Vec<&'a Value> {
    let inline: Vec<&Value> = role["Properties"]["Policies"]
        .as_sequence()
        .map(|ps| {
            ps.iter()
                .flat_map(|p| document(&p["PolicyDocument"]))
                .collect()
        })
        .unwrap_or_default();
    let managed: Vec<&Value> = role["Properties"]["ManagedPolicyArns"]
        .as_sequence()
        .map(|arns| {
            arns.iter()
                .filter_map(target)
                .flat_map(|name| document(&t["Resources"][name]["Properties"]["PolicyDocument"]))
                .collect()
        })
        .unwrap_or_default();
    [inline, managed].concat()
}

/// The statements granted to a function, through the role it names.
fn statements<'a>(t: &'a Value, function: &str) -> Vec<&'a Value> {
    let f = &t["Resources"][function];
    assert!(f.is_mapping(), "no function {function}");
    let role = target(&f["Properties"]["Role"])
        .unwrap_or_else(|| panic!("{function} has no role of the stack's own"));
    role_statements(t, &t["Resources"][role])
}

fn granted(t: &Value, function: &str) -> BTreeSet<String> {
    statements(t, function)
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| strings(&s["Action"]))
        .collect()
}

/// What Lambda itself needs of a function's role: its on-failure destination and its log group.
const PLATFORM_ACTIONS: [&str; 3] = [
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sqs:SendMessage",
];

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
    use plaudit::publish::{ALERT_ACTIONS, MANIFEST_ACTIONS, REPORT_ACTIONS, STATE_ACTIONS};
    let t = template();
    let mut shared = ec2_actions();
    shared.extend(
        [
            &STATE_ACTIONS[..],
            &ALERT_ACTIONS,
            &MANIFEST_ACTIONS,
            &PLATFORM_ACTIONS,
        ]
        .concat()
        .iter()
        .map(|s| s.to_string()),
    );
    // Only the scheduled function writes reports (when the stack has a report bucket) and
    // imports into Security Hub (when SecurityHubImport=enabled).
    let mut scheduled = shared.clone();
    scheduled.extend(set(&REPORT_ACTIONS));
    scheduled.extend(set(&plaudit::aws::securityhub::IMPORT_ACTIONS));
    assert_eq!(granted(&t, "ScheduledAuditFunction"), scheduled);
    let mut config = shared.clone();
    config.extend(set(&plaudit::config_rule::CONFIG_ACTIONS));
    assert_eq!(granted(&t, "ConfigRuleFunction"), config);
    assert_eq!(
        granted(&t, "FirstEvaluationFunction"),
        set(&[
            "config:DescribeConfigurationRecorderStatus",
            "config:DescribeConfigurationRecorders",
            "config:StartConfigRulesEvaluation",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ])
    );
}

#[test]
fn no_wildcard_actions_and_star_resources_only_where_aws_allows_nothing_narrower() {
    // Actions with no resource-level permissions (IAM service authorization reference), and the
    // recorder's two read-only calls, whose recorder the stack cannot name (it may predate it).
    let unscoped: BTreeSet<String> = ec2_actions()
        .into_iter()
        .chain(set(&[
            "config:PutEvaluations",
            "config:GetResourceConfigHistory",
            "config:DescribeConfigurationRecorders",
            "config:DescribeConfigurationRecorderStatus",
        ]))
        .collect();
    let t = template();
    let roles = of_type(&t, "AWS::IAM::Role");
    assert!(roles.len() >= 4, "{roles:?}");
    for (name, role) in roles {
        for s in role_statements(&t, role) {
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

/// Issue 11: SAM's generated roles carry AWSLambdaBasicExecutionRole (logs on every group); each
/// function has a role of the stack's own that writes to the function's own log group only.
#[test]
fn functions_write_only_to_their_own_log_group() {
    let t = template();
    let functions = of_type(&t, "AWS::Serverless::Function");
    assert_eq!(functions.len(), 3);
    for (name, f) in functions {
        let p = &f["Properties"];
        assert!(p["Policies"].is_null(), "{name}: SAM would generate a role");
        let group = target(&p["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{name}: no log group of its own"));
        assert_eq!(t["Resources"][group]["Type"], "AWS::Logs::LogGroup");
        let role = &t["Resources"][target(&p["Role"]).unwrap()];
        assert_eq!(
            role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "lambda.amazonaws.com"
        );
        for arn in strings(&role["Properties"]["ManagedPolicyArns"]) {
            assert!(
                !arn.contains("AWSLambdaBasicExecutionRole"),
                "{name}: {arn}"
            );
        }
        let logs: Vec<&Value> = statements(&t, &name)
            .into_iter()
            .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with("logs:")))
            .collect();
        assert_eq!(logs.len(), 1, "{name}");
        assert_eq!(target(&logs[0]["Resource"]), Some(group), "{name}");
        assert!(
            matches!(&logs[0]["Resource"], Value::Tagged(g) if g.tag == "GetAtt" && g.value.as_str() == Some(format!("{group}.Arn").as_str())),
            "{name}: {:?}",
            logs[0]["Resource"]
        );
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
        assert_eq!(
            strings(&r["DependsOn"]),
            ["ConfigInvokePermission", "RecorderReady"],
            "{name}"
        );
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
    assert!(t["Parameters"]["ManifestKeyArn"].is_mapping());
    for name in ["ScheduledAuditFunction", "ConfigRuleFunction"] {
        let s = statements(&t, name)
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

/// Issue 12: `SecurityHubImport` (default `disabled`) turns on the scheduled function's import:
/// the permission (on this account's own product only) exists only when enabled, and the
/// function reads the parameter's value, each of which it understands.
#[test]
fn security_hub_import_follows_its_parameter() {
    let t = template();
    let p = &t["Parameters"]["SecurityHubImport"];
    assert_eq!(p["Default"], "disabled");
    let values = strings(&p["AllowedValues"]);
    assert_eq!(values, ["disabled", "enabled"]);
    for v in &values {
        assert_eq!(
            plaudit_scheduled_audit::security_hub_enabled(Some(v)),
            Ok(v == "enabled"),
            "{v}"
        );
    }
    assert!(plaudit_scheduled_audit::security_hub_enabled(Some("enable")).is_err());
    let cond = &t["Conditions"]["SecurityHubImportOn"];
    let Value::Tagged(eq) = cond else {
        panic!("{cond:?}")
    };
    assert_eq!(eq.tag, "Equals");
    assert_eq!(target(&eq.value[0]), Some("SecurityHubImport"));
    assert_eq!(eq.value[1], "enabled");
    let f = &t["Resources"]["ScheduledAuditFunction"]["Properties"];
    assert_eq!(
        target(&f["Environment"]["Variables"]["PLAUDIT_SECURITY_HUB"]),
        Some("SecurityHubImport")
    );
    // The statement, found in the raw policies (before `!If` is resolved).
    let role = &t["Resources"]["ScheduledAuditFunctionRole"]["Properties"];
    let mut found = 0;
    for policy in role["Policies"].as_sequence().unwrap() {
        for s in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
            let granted = strings(&when_true(s)["Action"]);
            if !granted.iter().any(|a| a.starts_with("securityhub:")) {
                continue;
            }
            found += 1;
            let Value::Tagged(cond) = s else {
                panic!("the Security Hub statement must be conditional: {s:?}")
            };
            assert_eq!(cond.tag, "If");
            assert_eq!(cond.value[0], "SecurityHubImportOn");
            assert_eq!(granted, ["securityhub:BatchImportFindings"]);
            let Value::Tagged(sub) = &when_true(s)["Resource"] else {
                panic!("{s:?}")
            };
            assert_eq!(sub.tag, "Sub");
            assert_eq!(
                sub.value,
                "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"
            );
        }
    }
    assert_eq!(found, 1);
    // No other role may import.
    for name in ["ConfigRuleFunction", "FirstEvaluationFunction"] {
        assert!(
            !granted(&t, name)
                .iter()
                .any(|a| a.starts_with("securityhub:")),
            "{name}"
        );
    }
}

fn condition(r: &Value) -> Option<&str> {
    r["Condition"].as_str()
}

/// Issue 11: the `ConfigRules` parameter switches the Config rules and everything that serves only
/// them, and the stack creates a recorder only when asked.
#[test]
fn config_resources_follow_the_config_rules_parameter() {
    let t = template();
    assert_eq!(
        strings(&t["Parameters"]["ConfigRules"]["AllowedValues"]),
        ["existing-recorder", "create-recorder", "disabled"]
    );
    // Upgrades keep their rules: the default is the behaviour before the parameter existed.
    assert_eq!(
        t["Parameters"]["ConfigRules"]["Default"],
        "existing-recorder"
    );
    let cond = |name: &str| serde_json::to_string(&yaml_to_json(&t["Conditions"][name])).unwrap();
    assert_eq!(
        cond("ConfigRulesOn"),
        r#"{"Not":[{"Equals":[{"Ref":"ConfigRules"},"disabled"]}]}"#
    );
    assert_eq!(
        cond("CreateRecorder"),
        r#"{"Equals":[{"Ref":"ConfigRules"},"create-recorder"]}"#
    );
    let rules = of_type(&t, "AWS::Config::ConfigRule");
    let mut only_with_rules: Vec<String> = rules.iter().map(|(n, _)| n.clone()).collect();
    only_with_rules.extend(
        [
            "ConfigRuleFunction",
            "ConfigRuleFunctionRole",
            "ConfigRuleLogGroup",
            "ConfigRuleErrorsAlarm",
            "ConfigInvokePermission",
            "FirstEvaluationFunction",
            "FirstEvaluationFunctionRole",
            "FirstEvaluationLogGroup",
            "FirstEvaluation",
            "RecorderReady",
            "ComplianceEventsLogGroup",
            "ComplianceEventsLogPolicy",
            "ComplianceEventsRule",
        ]
        .map(String::from),
    );
    let recorder = [
        "ConfigBucket",
        "ConfigBucketPolicy",
        "ConfigRecorderRole",
        "ConfigRecorder",
        "ConfigDeliveryChannel",
    ];
    for (name, r) in resources(&t) {
        let expected = if only_with_rules.contains(&name) {
            Some("ConfigRulesOn")
        } else if recorder.contains(&name.as_str()) {
            Some("CreateRecorder")
        } else if name.starts_with("Config") || r["Type"].as_str().unwrap().contains("Config::") {
            panic!("{name}: a Config resource this test does not know")
        } else {
            condition(r).filter(|c| !c.starts_with("Config") && *c != "CreateRecorder")
        };
        assert_eq!(condition(r), expected, "{name}");
    }
    for name in [
        "ConfigRuleFunctionName",
        "ConfigRuleNames",
        "ConfigRecorderCheck",
    ] {
        assert_eq!(t["Outputs"][name]["Condition"], "ConfigRulesOn", "{name}");
    }
    assert_eq!(
        t["Outputs"]["ConfigBucketName"]["Condition"],
        "CreateRecorder"
    );
    // The rules wait for the stack's recorder (when it makes one) through RecorderReady.
    let ready = yaml_to_json(&t["Resources"]["RecorderReady"]["Metadata"]["Recorder"]);
    assert_eq!(
        ready,
        serde_json::json!({"If": ["CreateRecorder", {"Ref": "ConfigDeliveryChannel"}, "existing"]})
    );
    assert_eq!(
        strings(&t["Resources"]["ConfigDeliveryChannel"]["DependsOn"]),
        ["ConfigRecorder", "ConfigBucketPolicy"]
    );
}

/// The recorder the stack creates records exactly the resource types the rules are scoped to, and
/// the first-evaluation check looks for the same list.
#[test]
fn the_recorder_records_what_the_rules_are_scoped_to() {
    let t = template();
    let scoped: BTreeSet<String> = of_type(&t, "AWS::Config::ConfigRule")
        .iter()
        .flat_map(|(_, r)| strings(&r["Properties"]["Scope"]["ComplianceResourceTypes"]))
        .collect();
    let group = &t["Resources"]["ConfigRecorder"]["Properties"]["RecordingGroup"];
    assert_eq!(group["AllSupported"], false);
    assert_eq!(group["IncludeGlobalResourceTypes"], false);
    assert_eq!(
        group["RecordingStrategy"]["UseOnly"],
        "INCLUSION_BY_RESOURCE_TYPES"
    );
    let recorded: Vec<String> = strings(&group["ResourceTypes"]);
    assert_eq!(recorded.iter().cloned().collect::<BTreeSet<_>>(), scoped);
    assert_eq!(recorded.len(), scoped.len(), "no type listed twice");
    let checked = strings(&t["Resources"]["FirstEvaluation"]["Properties"]["ResourceTypes"]);
    assert_eq!(checked, recorded);
    // Every resource type a plaudit rule reports is recorded.
    for rule in plaudit::rules::RULES {
        assert!(scoped.contains(rule.meta.resource_type.as_str()));
    }
}

/// A bucket of the stack's: kept after it, encrypted (its SSE algorithm returned), public access
/// blocked, expired by a lifecycle rule after the days of `retention` (a parameter), and TLS only
/// by its policy (the statements returned).
fn private_retained_bucket<'a>(
    t: &'a Value,
    bucket: &str,
    policy: &str,
    retention: &str,
) -> (&'a Value, Vec<&'a Value>) {
    let b = &t["Resources"][bucket];
    assert_eq!(b["DeletionPolicy"], "Retain");
    assert_eq!(b["UpdateReplacePolicy"], "Retain");
    let p = &b["Properties"];
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            p["PublicAccessBlockConfiguration"][k], true,
            "{bucket}: {k}"
        );
    }
    let rule = &p["LifecycleConfiguration"]["Rules"][0];
    assert_eq!(rule["Status"], "Enabled");
    assert_eq!(target(&rule["ExpirationInDays"]), Some(retention));
    let policy = &t["Resources"][policy]["Properties"];
    assert_eq!(target(&policy["Bucket"]), Some(bucket));
    let statements = document(&policy["PolicyDocument"]);
    let tls = statements
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a deny statement");
    assert_eq!(tls["Condition"]["Bool"]["aws:SecureTransport"], "false");
    assert_eq!(tls["Principal"], "*");
    let sse = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        ["ServerSideEncryptionByDefault"]["SSEAlgorithm"];
    (sse, statements)
}

/// The recorder's bucket: encrypted, private, TLS only, lifecycle-managed, kept after the stack.
#[test]
fn the_configuration_history_bucket_is_private_encrypted_and_retained() {
    let t = template();
    let (sse, _) = private_retained_bucket(
        &t,
        "ConfigBucket",
        "ConfigBucketPolicy",
        "ConfigHistoryRetentionDays",
    );
    assert!(sse == "AES256" || sse == "aws:kms", "{sse:?}");
}

/// Issue 12: the report bucket exists only with ReportBucketMode=create and is encrypted (SSE-S3:
/// it outlives the stack's KMS key), private, versioned, TLS only, lifecycle-managed and kept after
/// the stack; the scheduled function may only put objects under `reports/`, and learns the bucket
/// from `PLAUDIT_REPORT_BUCKET` (empty without one).
#[test]
fn the_report_bucket_is_optional_private_encrypted_and_write_only_under_reports() {
    use plaudit::pipeline::reports::REPORTS_PREFIX;
    let t = template();
    let param = &t["Parameters"]["ReportBucketMode"];
    assert_eq!(param["Default"], "none");
    assert_eq!(strings(&param["AllowedValues"]), ["none", "create"]);
    assert_eq!(t["Parameters"]["ReportRetentionDays"]["Type"], "Number");
    let on = &t["Conditions"]["CreateReportBucket"];
    assert!(
        format!("{on:?}").contains("ReportBucketMode") && format!("{on:?}").contains("none"),
        "{on:?}"
    );
    let (sse, policy) = private_retained_bucket(
        &t,
        "ReportBucket",
        "ReportBucketPolicy",
        "ReportRetentionDays",
    );
    assert_eq!(
        sse, "AES256",
        "SSE-S3: the stack's KMS key is deleted with the stack"
    );
    assert_eq!(policy.len(), 1, "nothing but the TLS deny: {policy:?}");
    for r in ["ReportBucket", "ReportBucketPolicy"] {
        assert_eq!(t["Resources"][r]["Condition"], "CreateReportBucket", "{r}");
    }
    let p = &t["Resources"]["ReportBucket"]["Properties"];
    assert_eq!(p["VersioningConfiguration"]["Status"], "Enabled");
    let rule = &p["LifecycleConfiguration"]["Rules"][0];
    assert!(rule["NoncurrentVersionExpiration"]["NoncurrentDays"].is_number());
    // The grant: conditional, PutObject, on the reports prefix only.
    let role = &t["Resources"]["ScheduledAuditFunctionRole"]["Properties"]["Policies"];
    let raw: Vec<&Value> = role
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_sequence().unwrap())
        .filter(|s| format!("{s:?}").contains("s3:"))
        .collect();
    assert_eq!(raw.len(), 1, "{raw:?}");
    let Value::Tagged(when) = raw[0] else {
        panic!("the report grant is not conditional: {:?}", raw[0])
    };
    assert_eq!(when.tag, "If");
    assert_eq!(when.value[0], "CreateReportBucket");
    assert_eq!(when.value[2], yaml_ref("AWS::NoValue"));
    let grant = &when.value[1];
    assert_eq!(strings(&grant["Action"]), ["s3:PutObject"]);
    assert_eq!(
        grant["Resource"],
        Value::Tagged(Box::new(serde_yaml_ng::value::TaggedValue {
            tag: serde_yaml_ng::value::Tag::new("Sub"),
            value: Value::String(format!("${{ReportBucket.Arn}}/{REPORTS_PREFIX}*")),
        }))
    );
    // The Config rule function writes no reports.
    assert!(!granted(&t, "ConfigRuleFunction")
        .iter()
        .any(|a| a.starts_with("s3:")));
    // The function learns the bucket (or that there is none).
    let env = &t["Resources"]["ScheduledAuditFunction"]["Properties"]["Environment"]["Variables"]
        ["PLAUDIT_REPORT_BUCKET"];
    let Value::Tagged(env) = env else {
        panic!("{env:?}")
    };
    assert_eq!(env.tag, "If");
    assert_eq!(env.value[0], "CreateReportBucket");
    assert_eq!(target(&env.value[1]), Some("ReportBucket"));
    assert_eq!(env.value[2], "");
    let out = &t["Outputs"]["ReportBucketName"];
    assert_eq!(out["Condition"], "CreateReportBucket");
    assert_eq!(target(&out["Value"]), Some("ReportBucket"));
}

fn yaml_ref(name: &str) -> Value {
    Value::Tagged(Box::new(serde_yaml_ng::value::TaggedValue {
        tag: serde_yaml_ng::value::Tag::new("Ref"),
        value: Value::String(name.to_string()),
    }))
}

/// Issue 11: stateful resources say what happens to them on delete and replacement; what holds
/// evidence (logs, configuration history) is retained.
#[test]
fn stateful_resources_have_explicit_deletion_policies() {
    let t = template();
    let mut seen = 0;
    for (name, r) in resources(&t) {
        let ty = r["Type"].as_str().unwrap();
        let retained = match ty {
            "AWS::Logs::LogGroup" | "AWS::S3::Bucket" => true,
            "AWS::KMS::Key" | "AWS::SQS::Queue" | "AWS::DynamoDB::Table" => false,
            _ => continue,
        };
        seen += 1;
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            let v = r[policy].as_str();
            assert!(
                matches!(v, Some("Retain" | "Delete")),
                "{name}: {policy} {v:?}"
            );
        }
        if retained {
            assert_eq!(r["DeletionPolicy"], "Retain", "{name}");
        }
    }
    assert!(seen >= 8, "{seen}");
    let alias = &of_type(&t, "AWS::KMS::Alias")[0].1["Properties"];
    assert_eq!(target(&alias["TargetKeyId"]), Some("AlertKey"));
}

#[test]
fn outputs_name_the_key_topic_table_and_dashboard() {
    let t = template();
    for (output, resource) in [
        ("AlertKeyArn", "AlertKey"),
        ("AlertKeyAlias", "AlertKeyAlias"),
        ("AlertTopicArn", "AlertTopic"),
        ("StateTableName", "StateTable"),
        ("ConfigRecorderCheck", "FirstEvaluation"),
    ] {
        assert_eq!(
            target(&t["Outputs"][output]["Value"]),
            Some(resource),
            "{output}"
        );
    }
    let url = &t["Outputs"]["DashboardUrl"]["Value"];
    assert!(
        matches!(url, Value::Tagged(s) if s.tag == "Sub" && s.value.as_str().unwrap().contains("#dashboards/dashboard/${Dashboard}")),
        "{url:?}"
    );
}

/// The schedule runs in a time zone, through EventBridge Scheduler, with a payload the handler
/// accepts.
#[test]
fn the_schedule_has_a_time_zone_and_a_valid_payload() {
    let t = template();
    let events = t["Resources"]["ScheduledAuditFunction"]["Properties"]["Events"]
        .as_mapping()
        .unwrap();
    assert_eq!(events.len(), 1);
    let e = events.values().next().unwrap();
    assert_eq!(e["Type"], "ScheduleV2");
    let p = &e["Properties"];
    assert_eq!(target(&p["ScheduleExpression"]), Some("ScheduleExpression"));
    assert_eq!(
        target(&p["ScheduleExpressionTimezone"]),
        Some("ScheduleTimezone")
    );
    assert_eq!(
        target(&p["DeadLetterConfig"]["Arn"]),
        Some("DeadLetterQueue")
    );
    // SAM's default name is fixed: two plaudit stacks in one region would collide.
    assert_eq!(p["OmitName"], true);
    let input: serde_json::Value = serde_json::from_str(p["Input"].as_str().unwrap()).unwrap();
    plaudit_scheduled_audit::check_event(&input).unwrap();
}

/// CloudFormation takes at most 4096 characters of inline code.
#[test]
fn the_inline_function_fits_cloudformation() {
    let t = template();
    let code = t["Resources"]["FirstEvaluationFunction"]["Properties"]["InlineCode"]
        .as_str()
        .unwrap();
    assert!(code.len() <= 4096, "{} characters", code.len());
    assert!(code.contains("def handler(event, context)"));
}

/// A YAML value as JSON, short-form tags as their long form (`!Ref X` -> `{"Ref": "X"}`).
fn yaml_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            serde_json::json!({ tag.trim_start_matches('!'): yaml_to_json(&t.value) })
        }
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), yaml_to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Sequence(s) => s.iter().map(yaml_to_json).collect(),
        Value::String(s) => s.clone().into(),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => serde_json::to_value(n).unwrap(),
        Value::Null => serde_json::Value::Null,
    }
}

/// The dashboard body as CloudFormation would render it with the Config rules on: `!Join`ed,
/// `!If` taken, `${...}` substitutions left as placeholders.
fn dashboard_body(t: &Value) -> serde_json::Value {
    fn render(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Tagged(t) if t.tag == "Sub" => t.value.as_str().unwrap().to_string(),
            Value::Tagged(t) if t.tag == "If" => {
                let [cond, then, _] = &t.value.as_sequence().unwrap()[..] else {
                    panic!("{t:?}")
                };
                assert_eq!(cond, "ConfigRulesOn");
                render(then)
            }
            Value::Tagged(t) if t.tag == "Join" => {
                let [sep, items] = &t.value.as_sequence().unwrap()[..] else {
                    panic!("{t:?}")
                };
                items
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(render)
                    .collect::<Vec<_>>()
                    .join(sep.as_str().unwrap())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let body = render(&t["Resources"]["Dashboard"]["Properties"]["DashboardBody"]);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// One metric a dashboard charts: namespace, name, and its dimensions (name -> value; a `SEARCH`
/// leaves unnamed values empty).
type Charted = (String, String, BTreeMap<String, String>);

/// The metrics of a `SEARCH('{Namespace,Dim,...} MetricName="X" Dim="v"', ...)` expression.
fn searched(expression: &str) -> Charted {
    let schema = &expression[expression.find('{').unwrap() + 1..expression.find('}').unwrap()];
    let mut parts = schema.split(',');
    let namespace = parts.next().unwrap().to_string();
    let mut dims: BTreeMap<String, String> =
        parts.map(|d| (d.to_string(), String::new())).collect();
    let mut name = String::new();
    let rest = &expression[expression.find('}').unwrap() + 1..];
    for term in rest.split(' ') {
        let Some((k, v)) = term.split_once("=\"") else {
            continue;
        };
        let v = v[..v.find('"').unwrap()].to_string();
        if k == "MetricName" {
            name = v;
        } else {
            assert!(
                dims.contains_key(k),
                "{k} is not in the schema: {expression}"
            );
            dims.insert(k.to_string(), v);
        }
    }
    assert!(!name.is_empty(), "{expression}");
    (namespace, name, dims)
}

fn charted(body: &serde_json::Value) -> Vec<Charted> {
    let mut out = Vec::new();
    for w in body["widgets"].as_array().unwrap() {
        if w["type"] != "metric" {
            continue;
        }
        let mut last_namespace = String::new();
        for m in w["properties"]["metrics"].as_array().unwrap() {
            let m = m.as_array().unwrap();
            if let Some(e) = m[0]["expression"].as_str() {
                if e.contains("SEARCH(") {
                    out.push(searched(e));
                }
                continue;
            }
            let words: Vec<&str> = m.iter().filter_map(|x| x.as_str()).collect();
            // "." repeats the previous line's namespace (CloudWatch's shorthand).
            let namespace = if words[0] == "." {
                last_namespace.clone()
            } else {
                words[0].to_string()
            };
            last_namespace = namespace.clone();
            let dims = words[2..]
                .chunks(2)
                .map(|kv| (kv[0].to_string(), kv[1].to_string()))
                .collect();
            out.push((namespace, words[1].to_string(), dims));
        }
    }
    out
}

/// The metrics the scheduled audit emits: (name, dimension names), from its EMF documents for a
/// run that found failures and could not read one API.
fn emitted() -> BTreeSet<(String, Vec<String>)> {
    let e = plaudit::synth::Estate::backend();
    let mut report = plaudit::audit(
        &e.snap,
        &plaudit::AuditOptions {
            manifest: Some(&e.manifest),
            ..plaudit::AuditOptions::default()
        },
    );
    report
        .collection
        .errors
        .push(plaudit::snapshot::CollectFailure {
            api: "DescribeVpcEndpoints".into(),
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
        });
    let out = plaudit_scheduled_audit::Outcome::of(&report, 12);
    let mut metrics = BTreeSet::new();
    for line in plaudit_scheduled_audit::metrics(&report, &out, 0) {
        let doc: serde_json::Value = serde_json::from_str(&line).unwrap();
        let cw = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], plaudit_scheduled_audit::METRIC_NAMESPACE);
        let mut dims: Vec<String> = cw["Dimensions"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        dims.sort();
        for m in cw["Metrics"].as_array().unwrap() {
            metrics.insert((m["Name"].as_str().unwrap().to_string(), dims.clone()));
        }
    }
    metrics
}

/// Issue 11: the dashboard charts only metrics the code emits, with the dimensions it emits them
/// under and values it can take; AWS metrics only from Lambda and Config.
#[test]
fn the_dashboard_charts_only_metrics_the_code_emits() {
    let t = template();
    let body = dashboard_body(&t);
    let emitted = emitted();
    let statuses: BTreeSet<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let severities: BTreeSet<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let charted = charted(&body);
    let mut ours = BTreeSet::new();
    for (namespace, name, dims) in &charted {
        match namespace.as_str() {
            "plaudit" => {
                let names: Vec<String> = dims.keys().cloned().collect();
                assert!(
                    emitted.contains(&(name.clone(), names.clone())),
                    "the dashboard charts {name} by {names:?}, which the code does not emit: {emitted:?}"
                );
                // An empty value: a SEARCH that charts every value the dimension takes.
                for (k, v) in dims.iter().filter(|(_, v)| !v.is_empty()) {
                    match k.as_str() {
                        "Status" => assert!(statuses.contains(v.as_str()), "{v}"),
                        "Severity" => assert!(severities.contains(v.as_str()), "{v}"),
                        other => panic!("dimension {other}"),
                    }
                }
                ours.insert(name.clone());
            }
            "AWS/Lambda" => {
                assert!(["Duration", "Errors", "Invocations"].contains(&name.as_str()));
                assert_eq!(dims.keys().collect::<Vec<_>>(), ["FunctionName"]);
            }
            "AWS/Config" => {
                assert_eq!(name, "ConfigurationItemsRecorded");
                assert_eq!(dims.keys().collect::<Vec<_>>(), ["ResourceType"]);
            }
            other => panic!("namespace {other}"),
        }
    }
    // Everything the issue asks for is on it.
    for name in [
        "Findings",
        "Transitions",
        "AlertsPublished",
        "AlertsFailed",
        "Incomplete",
        "CollectionErrors",
        "ApiCalls",
    ] {
        assert!(ours.contains(name), "{name} is not charted");
    }
    let failing: BTreeSet<&str> = charted
        .iter()
        .filter(|(_, n, d)| n == "Findings" && d.get("Status").map(String::as_str) == Some("fail"))
        .filter_map(|(_, _, d)| d.get("Severity").map(String::as_str))
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(failing, severities, "failures charted by every severity");
    let by_status: BTreeSet<&str> = charted
        .iter()
        .filter(|(_, n, d)| n == "Findings" && d.get("Severity").is_some_and(String::is_empty))
        .map(|(_, _, d)| d["Status"].as_str())
        .collect();
    assert_eq!(by_status, statuses, "findings charted by every status");
    assert!(charted
        .iter()
        .any(|(ns, n, d)| ns == "plaudit" && n == "CollectionErrors" && d.contains_key("Api")));
    // The Config rules' compliance, from the log group the compliance events go to.
    let queries: Vec<&str> = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["type"] == "log")
        .map(|w| w["properties"]["query"].as_str().unwrap())
        .collect();
    assert_eq!(queries.len(), 2);
    for q in queries {
        assert!(
            q.starts_with("SOURCE '${ComplianceEventsLogGroup}' |"),
            "{q}"
        );
        assert!(
            q.contains("detail.newEvaluationResult.complianceType"),
            "{q}"
        );
    }
    let rule = &t["Resources"]["ComplianceEventsRule"]["Properties"];
    assert_eq!(
        strings(&rule["EventPattern"]["detail-type"]),
        ["Config Rules Compliance Change"]
    );
    let kept: BTreeSet<&str> = rule["EventPattern"]["detail"]["configRuleName"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(target)
        .collect();
    let rules = of_type(&t, "AWS::Config::ConfigRule");
    let all: BTreeSet<&str> = rules.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(kept, all, "every rule's compliance events are kept");
}

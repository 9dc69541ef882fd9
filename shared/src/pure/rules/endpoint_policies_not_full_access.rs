//! PL-EP-010: the S3, STS and Kinesis endpoints do not keep the default full-access policy, nor
//! one that is full access in effect (semantics in docs/semantics.md, "Endpoint policies").

use serde_json::Value;

use super::context::Context;
use super::meta::RuleMeta;
use super::outcome::Outcome;
use super::ports::Partition;
use crate::pure::deployment::Mode;
use crate::pure::finding::{ResourceType, Severity};
use crate::pure::services::{kinesis_service, s3_service, sts_service};
use crate::pure::snapshot::Input;

pub const META: RuleMeta = RuleMeta {
    id: "PL-EP-010",
    title: "AWS-service endpoint policies are not full access",
    severity: Severity::Low,
    modes: &[Mode::BackEnd],
    resource_type: ResourceType::VpcEndpoint,
    rationale: "The default endpoint policy allows any principal any action on any resource, so the endpoint is an exfiltration path to any account's buckets and streams; so does any policy that is full access in effect (every principal, `s3:*` / `sts:*` / `kinesis:*` or a NotAction that spares the data actions, every resource, no Condition, no Deny). Databricks' reference architecture restricts them. A policy that cannot be read is an error, never a pass.",
    remediation: "Attach an endpoint policy limited to your accounts and the Databricks buckets, roles and streams (see the SRA's privatelink.tf).",
    references: &["https://github.com/databricks/terraform-databricks-sra"],
    inputs: &[Input::VpcEndpoints],
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
        let partition = Partition::of_region(region);
        let services = [
            (s3_service(region), &S3),
            (sts_service(region), &STS),
            (kinesis_service(region), &KINESIS),
        ];
        for e in ctx
            .view()
            .endpoints(&ws.vpc_id)
            .iter()
            .filter(|e| !e.is_gone())
        {
            let Some((_, svc)) = services.iter().find(|(n, _)| *n == *e.service_name) else {
                continue;
            };
            let id = &e.vpc_endpoint_id;
            let what = format!("{id} ({})", e.service_name);
            let o = match e.policy_document.as_deref() {
                None => Outcome::fail(
                    ResourceType::VpcEndpoint,
                    id,
                    format!(
                        "{what} reports no policy, so the AWS default full-access policy applies."
                    ),
                ),
                Some(text) => match serde_json::from_str::<Value>(text)
                    .map_err(|e| format!("it is not valid JSON ({e})"))
                    .and_then(|doc| assess(&doc, svc, partition))
                {
                    Err(why) => Outcome::error(
                        ResourceType::VpcEndpoint,
                        id,
                        format!("{what}'s PolicyDocument cannot be judged: {why}."),
                    ),
                    Ok(Assessment::Full(why)) => Outcome::fail(
                        ResourceType::VpcEndpoint,
                        id,
                        format!("{what} has a policy that is full access in effect: {why}."),
                    ),
                    Ok(Assessment::Restricted(notes)) => Outcome::pass(
                        ResourceType::VpcEndpoint,
                        id,
                        if notes.is_empty() {
                            format!("{what} has a restricted policy: no statement allows every principal every {} action on every resource.", svc.prefix)
                        } else {
                            format!("{what} has a restricted policy: {}.", notes.join("; "))
                        },
                    ),
                },
            };
            out.push(o.ws(ws).expect(
                "a policy narrower than every principal, every action of the service, every resource",
                "see message",
            ));
        }
    }
    out
}

/// What the rule knows about one AWS service's endpoint.
struct Service {
    /// The IAM action prefix (`s3`).
    prefix: &'static str,
    /// The actions that move data: a `NotAction` that excludes none of them leaves the endpoint
    /// an exfiltration path.
    data_actions: &'static [&'static str],
    /// The ARN prefixes (after `arn:<partition>:`) of the resources those actions act on.
    resources: &'static [&'static str],
    /// Resource ARNs of every shape the service has (`{p}` is the partition), spread over
    /// regions and accounts: a pattern that matches them all (`arn:aws:kinesis:*:*:*`) grants
    /// every resource in effect, although it is not a bare prefix followed by `*`.
    shapes: &'static [&'static str],
}

const S3: Service = Service {
    prefix: "s3",
    data_actions: &["s3:GetObject", "s3:PutObject"],
    resources: &["s3:::"],
    shapes: &[
        "arn:{p}:s3:::amzn-s3-demo-bucket",
        "arn:{p}:s3:::b/k/e:y.txt",
        "arn:{p}:s3:us-west-2:111122223333:accesspoint/ap/object/k",
    ],
};
const STS: Service = Service {
    prefix: "sts",
    data_actions: &["sts:AssumeRole"],
    resources: &["iam::", "sts::"],
    shapes: &[
        "arn:{p}:iam::111122223333:role/r",
        "arn:{p}:iam::999988887777:role/path/x:y",
        "arn:{p}:sts::111122223333:assumed-role/r/s",
    ],
};
const KINESIS: Service = Service {
    prefix: "kinesis",
    data_actions: &[
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:GetRecords",
    ],
    resources: &["kinesis:"],
    shapes: &[
        "arn:{p}:kinesis:us-east-1:111122223333:stream/s",
        "arn:{p}:kinesis:eu-west-3:999988887777:stream/s/consumer/c:1700000000",
    ],
};

enum Assessment {
    /// Some statement grants full access in effect (why).
    Full(String),
    /// No statement does; notes on the statements that came close (conditions, denies).
    Restricted(Vec<String>),
}

/// A statement's label for messages: its Sid, else its position.
fn label(s: &serde_json::Map<String, Value>, i: usize) -> String {
    match s.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("statement `{sid}`"),
        _ => format!("statement {}", i + 1),
    }
}

/// A string-or-list element as strings; `Err` when it has another shape.
fn strings<'v>(v: &'v Value, what: &str, at: &str) -> Result<Vec<&'v str>, String> {
    match v {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .ok_or_else(|| format!("{at} has a {what} entry that is not a string"))
            })
            .collect(),
        _ => Err(format!(
            "{at} has a {what} that is neither a string nor a list"
        )),
    }
}

/// Exactly one of `a` / `b` (e.g. `Action` / `NotAction`): `(is_not, value)`.
fn one_of<'v>(
    s: &'v serde_json::Map<String, Value>,
    a: &str,
    b: &str,
    at: &str,
) -> Result<(bool, &'v Value), String> {
    match (s.get(a), s.get(b)) {
        (Some(v), None) => Ok((false, v)),
        (None, Some(v)) => Ok((true, v)),
        (None, None) => Err(format!("{at} has neither {a} nor {b}")),
        (Some(_), Some(_)) => Err(format!("{at} has both {a} and {b}")),
    }
}

/// IAM wildcard matching (`*` any run, `?` one character), case-insensitive as IAM matches actions.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&s[si])) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// True when pattern `p` matches every string that starts with `prefix`: it ends in `*` and what
/// comes before that star matches some prefix of `prefix` (`*`, `s3:*`, `S3*`, `*:*`).
fn covers_all_with_prefix(p: &str, prefix: &str) -> bool {
    let Some(head) = p.strip_suffix('*') else {
        return false;
    };
    let (h, q) = (head.as_bytes(), prefix.as_bytes());
    (0..=q.len()).any(|k| glob(h, &q[..k]))
}

/// True when action pattern `p` could match some action of the service `prefix` (`s3`).
fn names_service(p: &str, prefix: &str) -> bool {
    match p.split_once(':') {
        Some((svc, _)) => glob(svc.as_bytes(), prefix.as_bytes()),
        None => p.contains('*'),
    }
}

fn is_everyone(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "*",
        Value::Array(a) => a.iter().any(is_everyone),
        Value::Object(o) => o.get("AWS").is_some_and(is_everyone),
        _ => false,
    }
}

/// Judges a policy document for the endpoint of `svc`.
fn assess(doc: &Value, svc: &Service, partition: Partition) -> Result<Assessment, String> {
    let Value::Object(doc) = doc else {
        return Err("it is not a JSON object".into());
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        Some(_) => return Err("its Statement is neither an object nor a non-empty list".into()),
        None => return Err("it has no Statement".into()),
    };
    let action_prefix = format!("{}:", svc.prefix);
    let resource_prefixes: Vec<String> = svc
        .resources
        .iter()
        .map(|r| format!("arn:{}:{r}", partition.as_str()))
        .collect();
    let mut full: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut denies: Vec<String> = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        let Value::Object(st) = st else {
            return Err(format!("statement {} is not an object", i + 1));
        };
        let at = label(st, i);
        let allow = match st.get("Effect").and_then(Value::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            _ => return Err(format!("{at} has no Effect `Allow` or `Deny`")),
        };
        let (not_principal, principal) = one_of(st, "Principal", "NotPrincipal", &at)?;
        let (not_action, actions) = one_of(st, "Action", "NotAction", &at)?;
        let actions = strings(
            actions,
            if not_action { "NotAction" } else { "Action" },
            &at,
        )?;
        let (not_resource, resources) = one_of(st, "Resource", "NotResource", &at)?;
        let resources = strings(
            resources,
            if not_resource {
                "NotResource"
            } else {
                "Resource"
            },
            &at,
        )?;
        let conditional = st.get("Condition").is_some();
        // Every action of the service, or (NotAction) every data action.
        let all_actions = if not_action {
            svc.data_actions
                .iter()
                .all(|a| !actions.iter().any(|p| glob(p.as_bytes(), a.as_bytes())))
        } else {
            actions
                .iter()
                .any(|p| covers_all_with_prefix(p, &action_prefix))
        };
        let all_resources = if not_resource {
            !resources.iter().any(|p| {
                resource_prefixes
                    .iter()
                    .any(|q| covers_all_with_prefix(p, q))
            })
        } else {
            resources.iter().any(|p| {
                resource_prefixes
                    .iter()
                    .all(|q| covers_all_with_prefix(p, q))
                    || svc.shapes.iter().all(|arn| {
                        let arn = arn.replace("{p}", partition.as_str());
                        glob(p.as_bytes(), arn.as_bytes())
                    })
            })
        };
        // Allow + NotPrincipal grants everyone but the listed principals.
        let everyone = not_principal || is_everyone(principal);
        if !allow {
            let touches = if not_action {
                true
            } else {
                actions.iter().any(|p| names_service(p, svc.prefix))
            };
            if touches {
                denies.push(at);
            }
            continue;
        }
        if everyone && all_actions && all_resources {
            let how = format!(
                "{at} allows {} {} on {}",
                if not_principal {
                    "every principal but those in NotPrincipal"
                } else {
                    "every principal"
                },
                if not_action {
                    format!(
                        "every action except {} (which spares {})",
                        actions.join(", "),
                        svc.data_actions.join(", ")
                    )
                } else if actions.contains(&"*") {
                    "every action (Action *)".to_string()
                } else {
                    format!("{} (every {} action)", actions.join(", "), svc.prefix)
                },
                if not_resource {
                    format!("every resource except {}", resources.join(", "))
                } else {
                    "every resource".to_string()
                }
            );
            if conditional {
                notes.push(format!("{how}, but only under its Condition, which plaudit does not evaluate (treated as restricting)"));
            } else {
                full.push(how);
            }
        }
    }
    if !full.is_empty() && !denies.is_empty() {
        notes.push(format!(
            "{}; but {} Deny {} of the service's actions, which plaudit does not evaluate further (treated as restricting)",
            full.join("; "),
            denies.join(", "),
            if denies.len() == 1 { "denies some" } else { "deny some" }
        ));
        return Ok(Assessment::Restricted(notes));
    }
    if !full.is_empty() {
        return Ok(Assessment::Full(full.join("; ")));
    }
    Ok(Assessment::Restricted(notes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testkit::*;
    use crate::pure::finding::Status;

    const DEFAULT: &str =
        r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}"#;

    #[test]
    fn passes_with_restricted_policies() {
        assert_all(&run("PL-EP-010", &Estate::backend()), Status::Pass);
    }

    #[test]
    fn fails_with_the_default_policy() {
        let mut e = Estate::backend();
        e.endpoint(&ids().s3).policy_document = Some(DEFAULT.into());
        assert_eq!(status_of(&run("PL-EP-010", &e), &ids().s3), Status::Fail);
    }

    #[test]
    fn a_condition_makes_it_restricted() {
        let mut e = Estate::backend();
        e.endpoint(&ids().sts).policy_document = Some(r#"{"Statement":{"Action":"*","Effect":"Allow","Principal":{"AWS":"*"},"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}}"#.into());
        assert_eq!(status_of(&run("PL-EP-010", &e), &ids().sts), Status::Pass);
    }

    #[test]
    fn error_on_unreadable_policy() {
        let mut e = Estate::backend();
        e.endpoint(&ids().kinesis).policy_document = Some("{not json".into());
        assert_eq!(
            status_of(&run("PL-EP-010", &e), &ids().kinesis),
            Status::Error
        );
    }

    /// An estate this rule fails on: its message and evidence are pinned by a snapshot
    /// (`rules/tests/failing.rs`).
    pub(crate) fn failing() -> Estate {
        let mut e = Estate::backend();
        e.endpoint(&ids().s3).policy_document = Some(DEFAULT.into());
        e
    }
}

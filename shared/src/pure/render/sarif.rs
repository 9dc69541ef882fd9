//! The `sarif` format: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers
//! (`docs/exports.md` has the mapping).
//!
//! One run; the driver's `rules` are the whole rule catalogue (with help from
//! [`super::explain`]); one result per failing, erroring or waived finding, plus, with a
//! baseline, the failures it resolved (`baselineState: absent`). Each result points at the
//! snapshot file that holds its resource (relative to the `SNAPSHOTROOT` base id) and names the
//! resource (id and ARN) as a logical location. The renderer reads no file itself: the line
//! of a resource in its file comes from an injected [`FileLookup`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};

use serde_json::{json, Map, Value};

use crate::pure::baseline::PastFinding;
use crate::pure::engine::Report;
use crate::pure::finding::{Change, Finding, ResourceType, Severity, Status};
use crate::pure::rules::{RuleMeta, RULES};

use super::Render;

/// The text of a snapshot file, by its name (`describe-security-groups.json`); `None` when
/// there is no such file.
pub type FileLookup = Box<dyn Fn(&str) -> Option<String>>;

/// The `sarif` format.
#[derive(Default)]
pub struct Sarif {
    /// The snapshot folder as the user named it (`--snapshot`): the value of the
    /// `SNAPSHOTROOT` base id. A relative path is taken relative to `%SRCROOT%` (the
    /// repository root in code scanning), an absolute one becomes a `file://` URI. Without
    /// it, `SNAPSHOTROOT` is left for the consumer to resolve.
    pub snapshot: Option<String>,
    /// The snapshot files' text, to point each result at the line that names its resource
    /// (line 1 when the file is not available or does not name it).
    pub files: Option<FileLookup>,
    /// Where the project lives (`informationUri`, and `helpUri` into `docs/rules.md`); empty:
    /// left out.
    pub repository: String,
}

impl Sarif {
    /// A SARIF renderer for a snapshot folder, reading its files through `files`.
    pub fn new(snapshot: Option<String>, files: Option<FileLookup>) -> Sarif {
        Sarif {
            snapshot,
            files,
            repository: env!("CARGO_PKG_REPOSITORY").to_string(),
        }
    }
}

/// The SARIF version written, and its schema.
pub const SARIF_VERSION: &str = "2.1.0";
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base id every result's file location is relative to.
pub const SNAPSHOT_ROOT: &str = "SNAPSHOTROOT";
/// The key of the stable finding id in `partialFingerprints` and `fingerprints`.
pub const FINGERPRINT_KEY: &str = "plauditFindingId/v1";

/// GitHub's `security-severity` score of a severity (a string holding a number, 0.0 to 10.0):
/// critical 9.5, high 8.0, medium 5.5, low 3.0, info 0.5. GitHub shows scores above 9.0 as
/// critical, 7.0 to 8.9 as high, 4.0 to 6.9 as medium, 0.1 to 3.9 as low.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// The SARIF `level` of a failure of this severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The snapshot file that holds resources of a type (`describe-security-groups.json`).
pub fn resource_file(rt: ResourceType) -> &'static str {
    use crate::pure::snapshot::Input;
    let input = match rt {
        ResourceType::Vpc => Input::Vpcs,
        ResourceType::Subnet => Input::Subnets,
        ResourceType::RouteTable => Input::RouteTables,
        ResourceType::InternetGateway => Input::InternetGateways,
        ResourceType::NatGateway => Input::NatGateways,
        ResourceType::SecurityGroup => Input::SecurityGroups,
        ResourceType::NetworkAcl => Input::NetworkAcls,
        ResourceType::VpcEndpoint => Input::VpcEndpoints,
        ResourceType::VpcEndpointService => Input::EndpointServiceConfigurations,
    };
    input.file()
}

/// A rule's `name`: its title in PascalCase ("EndpointsAreAvailable").
fn pascal(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The rule's family, from its id: `PL-EPSG-001` is in `EPSG`.
fn family(id: &str) -> &str {
    id.split('-').nth(1).unwrap_or(id)
}

fn rule_descriptor(m: &RuleMeta, repository: &str) -> Value {
    let md = super::explain(m);
    let text = super::markdown_to_text(
        &md,
        super::Style {
            color: false,
            width: 0,
        },
    );
    let mut tags: Vec<String> = vec![
        "security".to_string(),
        "network".to_string(),
        m.resource_type.as_str().to_string(),
        format!("family:{}", family(m.id)),
    ];
    tags.extend(m.modes.iter().map(|x| format!("mode:{}", x.as_str())));
    let mut r = json!({
        "id": m.id,
        "name": pascal(m.title),
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": m.rationale},
        "help": {"text": text, "markdown": md},
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "problem.severity": match level(m.severity) {
                "note" => "recommendation",
                l => l,
            },
            "security-severity": security_severity(m.severity),
            "severity": m.severity.as_str(),
        },
    });
    if !repository.is_empty() {
        r["helpUri"] = json!(format!(
            "{}/blob/main/docs/rules.md#{}",
            repository.trim_end_matches('/'),
            m.id.to_ascii_lowercase()
        ));
    }
    r
}

/// The value of the `SNAPSHOTROOT` base id for a snapshot folder.
fn snapshot_root(path: &str) -> Value {
    let mut p = path.replace('\\', "/");
    if !p.ends_with('/') {
        p.push('/');
    }
    let p = uri_escape(&p);
    if p.starts_with('/') {
        json!({"uri": format!("file://{p}")})
    } else {
        let rel = p.strip_prefix("./").unwrap_or(&p);
        if rel.is_empty() {
            json!({"uri": "./", "uriBaseId": "%SRCROOT%"})
        } else {
            json!({"uri": rel, "uriBaseId": "%SRCROOT%"})
        }
    }
}

/// Percent-encodes what may not stand raw in a URI path (RFC 3986 `pchar` plus `/`).
fn uri_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// The key that holds a resource's own id in its snapshot file (`GroupId`).
fn id_key(rt: ResourceType) -> &'static str {
    match rt {
        ResourceType::Vpc => "VpcId",
        ResourceType::Subnet => "SubnetId",
        ResourceType::RouteTable => "RouteTableId",
        ResourceType::InternetGateway => "InternetGatewayId",
        ResourceType::NatGateway => "NatGatewayId",
        ResourceType::SecurityGroup => "GroupId",
        ResourceType::NetworkAcl => "NetworkAclId",
        ResourceType::VpcEndpoint => "VpcEndpointId",
        ResourceType::VpcEndpointService => "ServiceId",
    }
}

/// The ids wanted in one file, and the key that holds a resource's own id there.
type Wanted<'a> = BTreeMap<&'static str, (&'static str, BTreeSet<&'a str>)>;

/// The line (1-based) of each file that names each wanted id: the least indented line where the
/// id is the value of the file's id key (the resource's own object, not a reference to it from
/// another), else the first line that names it as a JSON string. One pass per file, whatever
/// the number of ids.
fn find_lines(lookup: &FileLookup, wanted: &Wanted<'_>) -> HashMap<(&'static str, String), usize> {
    let mut best: HashMap<(&'static str, String), (bool, usize, usize)> = HashMap::new();
    for (file, (key, ids)) in wanted {
        let Some(text) = lookup(file) else { continue };
        for (n, line) in text.lines().enumerate() {
            let indent = line.len() - line.trim_start().len();
            // The odd pieces between quotes are the line's strings (ids hold no escapes).
            let strings: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
            for (i, s) in strings.iter().enumerate() {
                if !ids.contains(s) {
                    continue;
                }
                let own = i == 1 && strings[0] == *key;
                let rank = (!own, if own { indent } else { 0 }, n + 1);
                let slot = best.entry((*file, s.to_string())).or_insert(rank);
                if rank < *slot {
                    *slot = rank;
                }
            }
        }
    }
    best.into_iter()
        .map(|(k, (_, _, line))| (k, line))
        .collect()
}

/// The results of a report: the findings that are not a plain pass or not-applicable, then the
/// ones a baseline says were resolved.
fn listed(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Error | Status::Waived)
        || f.change == Some(Change::Resolved)
}

fn baseline_state(c: Change) -> &'static str {
    match c {
        Change::New => "new",
        Change::StillFailing | Change::Unchanged => "unchanged",
        Change::ChangedEvidence => "updated",
        Change::Resolved => "absent",
    }
}

fn location(file: &'static str, line: usize, resource_id: &str, arn: Option<String>) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": file, "uriBaseId": SNAPSHOT_ROOT},
            "region": {"startLine": line},
        },
        "logicalLocations": [{
            "name": resource_id,
            "fullyQualifiedName": arn.unwrap_or_else(|| resource_id.to_string()),
            "kind": "resource",
        }],
    })
}

impl Sarif {
    fn result(
        &self,
        f: &Finding,
        rule_index: &HashMap<&str, usize>,
        lines: &HashMap<(&'static str, String), usize>,
    ) -> Value {
        let file = resource_file(f.resource_type);
        let line = lines
            .get(&(file, f.resource_id.to_string()))
            .copied()
            .unwrap_or(1);
        let id = f.id.to_string();
        let resolved =
            f.status != Status::Fail && f.status != Status::Error && f.status != Status::Waived;
        let mut props = Map::new();
        props.insert("status".into(), json!(f.status.as_str()));
        props.insert("severity".into(), json!(f.severity.as_str()));
        props.insert("resourceType".into(), json!(f.resource_type.as_str()));
        props.insert("resourceId".into(), json!(&*f.resource_id));
        if let Some(a) = f.arn() {
            props.insert("arn".into(), json!(a));
        }
        props.insert("workspaces".into(), json!(f.workspaces));
        props.insert("expected".into(), json!(f.expected));
        props.insert("actual".into(), json!(f.actual));
        props.insert("remediation".into(), json!(f.remediation));
        if let Some(h) = super::csv::blocking_hop(f) {
            props.insert("blockingHop".into(), json!(h));
        }
        if let Some(c) = f.change {
            props.insert("change".into(), json!(c.as_str()));
        }
        let mut r = json!({
            "ruleId": &*f.rule_id,
            "message": {"text": f.message},
            "locations": [location(file, line, &f.resource_id, f.arn())],
            "partialFingerprints": {FINGERPRINT_KEY: id},
            "fingerprints": {FINGERPRINT_KEY: id},
            "properties": props,
        });
        if let Some(i) = rule_index.get(&*f.rule_id) {
            r["ruleIndex"] = json!(i);
        }
        match f.status {
            Status::Error => {
                // "Could not tell": SARIF's `open` (insufficient information to decide pass or
                // fail); a result whose kind is not `fail` must have level `none`.
                r["kind"] = json!("open");
                r["level"] = json!("none");
            }
            _ if resolved => {
                r["kind"] = json!("pass");
                r["level"] = json!("none");
            }
            _ => {
                r["kind"] = json!("fail");
                r["level"] = json!(level(f.severity));
            }
        }
        if let Some(w) = &f.waiver {
            if f.status == Status::Waived {
                let mut j = w.reason.clone();
                if !w.owner.is_empty() {
                    j.push_str(&format!(" (owner {})", w.owner));
                }
                if let Some(e) = &w.expires {
                    j.push_str(&format!(" (expires {e})"));
                }
                r["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": j,
                }]);
            }
        }
        if let Some(c) = f.change {
            r["baselineState"] = json!(baseline_state(c));
        }
        r
    }

    fn gone(&self, p: &PastFinding, rule_index: &HashMap<&str, usize>) -> Value {
        let rt: Option<ResourceType> =
            serde_json::from_value(Value::String(p.resource_type.clone())).ok();
        let file = rt.map_or("snapshot.json", resource_file);
        let id = p.id.to_string();
        let mut r = json!({
            "ruleId": p.rule_id,
            "kind": "pass",
            "level": "none",
            "baselineState": "absent",
            "message": {"text": format!(
                "Resolved: {} is gone from the snapshot. The baseline said: {}",
                p.resource_id, p.message
            )},
            "locations": [location(file, 1, &p.resource_id, None)],
            "partialFingerprints": {FINGERPRINT_KEY: id},
            "fingerprints": {FINGERPRINT_KEY: id},
            "properties": {
                "status": "gone",
                "severity": p.severity.as_str(),
                "resourceType": p.resource_type,
                "resourceId": p.resource_id,
                "workspaces": p.workspaces,
                "change": Change::Resolved.as_str(),
            },
        });
        if let Some(i) = rule_index.get(p.rule_id.as_str()) {
            r["ruleIndex"] = json!(i);
        }
        r
    }

    /// The SARIF log of a report, as a JSON value.
    pub fn log(&self, report: &Report) -> Value {
        let rule_index: HashMap<&str, usize> = RULES
            .iter()
            .enumerate()
            .map(|(i, r)| (r.meta.id, i))
            .collect();
        let findings: Vec<&Finding> = report.findings.iter().filter(|f| listed(f)).collect();
        let lines = match &self.files {
            Some(lookup) => {
                let mut wanted: Wanted<'_> = BTreeMap::new();
                for f in &findings {
                    wanted
                        .entry(resource_file(f.resource_type))
                        .or_insert_with(|| (id_key(f.resource_type), BTreeSet::new()))
                        .1
                        .insert(&f.resource_id);
                }
                find_lines(lookup, &wanted)
            }
            None => HashMap::new(),
        };
        let mut results: Vec<Value> = findings
            .iter()
            .map(|f| self.result(f, &rule_index, &lines))
            .collect();
        if let Some(b) = &report.baseline {
            results.extend(b.gone.iter().map(|p| self.gone(p, &rule_index)));
        }
        let mut driver = json!({
            "name": "plaudit",
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "rules": RULES.iter().map(|r| rule_descriptor(r.meta, &self.repository)).collect::<Vec<_>>(),
        });
        if !self.repository.is_empty() {
            driver["informationUri"] = json!(self.repository);
        }
        let mut props = Map::new();
        for (k, v) in [
            ("accountId", &report.account_id),
            ("region", &report.region),
            ("collectedAt", &report.collected_at),
        ] {
            if let Some(v) = v {
                props.insert(k.into(), json!(v));
            }
        }
        props.insert("complete".into(), json!(report.summary.complete));
        let mut run = json!({
            "tool": {"driver": driver},
            "automationDetails": {"id": format!(
                "plaudit/{}/{}/",
                report.account_id.as_deref().unwrap_or("unknown"),
                report.region.as_deref().unwrap_or("unknown")
            )},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": props,
        });
        if let Some(s) = &self.snapshot {
            run["originalUriBaseIds"] = json!({ SNAPSHOT_ROOT: snapshot_root(s) });
        }
        json!({
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [run],
        })
    }
}

impl Render for Sarif {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        super::write_json(&self.log(report), out)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_pascal_case_and_families_come_from_ids() {
        assert_eq!(
            pascal("Databricks endpoints are available"),
            "DatabricksEndpointsAreAvailable"
        );
        assert_eq!(
            pascal("At most one endpoint (per VPC)"),
            "AtMostOneEndpointPerVPC"
        );
        assert_eq!(family("PL-EPSG-001"), "EPSG");
    }

    #[test]
    fn snapshot_roots_are_relative_to_the_source_root_or_absolute_file_uris() {
        assert_eq!(
            snapshot_root("examples/backend drifted"),
            json!({"uri": "examples/backend%20drifted/", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            snapshot_root("/srv/snap/"),
            json!({"uri": "file:///srv/snap/"})
        );
        assert_eq!(
            snapshot_root("."),
            json!({"uri": "./", "uriBaseId": "%SRCROOT%"})
        );
    }

    #[test]
    fn lines_are_the_resources_own_id_else_the_first_mention() {
        let text = [
            r#"{"SecurityGroups": ["#,
            r#"  {"IpPermissions": ["#,
            r#"        {"GroupId": "sg-1"}, "sg-2""#,
            r#"    ],"#,
            r#"    "GroupId": "sg-1"},"#,
            r#"  {"Description": "sg-3"}"#,
            r#"]}"#,
        ]
        .join("\n");
        let lookup: FileLookup =
            Box::new(move |f: &str| (f == "describe-security-groups.json").then(|| text.clone()));
        let mut wanted: Wanted<'_> = BTreeMap::new();
        wanted.insert(
            "describe-security-groups.json",
            (
                "GroupId",
                ["sg-1", "sg-2", "sg-3", "sg-9"].into_iter().collect(),
            ),
        );
        wanted.insert(
            "describe-subnets.json",
            ("SubnetId", ["subnet-1"].into_iter().collect()),
        );
        let found = find_lines(&lookup, &wanted);
        let line = |id: &str| found.get(&("describe-security-groups.json", id.to_string()));
        // sg-1's own object, not the reference to it in a rule two lines up.
        assert_eq!(line("sg-1"), Some(&5));
        assert_eq!(line("sg-2"), Some(&3));
        assert_eq!(line("sg-3"), Some(&6));
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn scores_rise_with_severity() {
        let scores: Vec<f64> = Severity::ALL
            .iter()
            .map(|s| security_severity(*s).parse().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] > w[1]), "{scores:?}");
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Low), "note");
    }
}

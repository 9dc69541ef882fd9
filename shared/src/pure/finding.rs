//! Findings: one rule's verdict on one resource, with the evidence behind it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How bad a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// The rule does not apply to this resource.
    NotApplicable,
    /// Could not tell: the data was not collected or is inconsistent. Never a pass.
    Error,
    /// A failure covered by an unexpired waiver.
    Waived,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Fail,
        Status::Error,
        Status::Waived,
        Status::Pass,
        Status::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
            Status::Waived => "waived",
        }
    }

    /// When two verdicts land on one resource, the worse one wins.
    pub fn rank(self) -> u8 {
        match self {
            Status::Fail => 4,
            Status::Error => 3,
            Status::Waived => 2,
            Status::Pass => 1,
            Status::NotApplicable => 0,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// AWS resource types, as CloudFormation and AWS Config name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResourceType {
    #[serde(rename = "AWS::EC2::VPC")]
    Vpc,
    #[serde(rename = "AWS::EC2::Subnet")]
    Subnet,
    #[serde(rename = "AWS::EC2::RouteTable")]
    RouteTable,
    #[serde(rename = "AWS::EC2::InternetGateway")]
    InternetGateway,
    #[serde(rename = "AWS::EC2::NatGateway")]
    NatGateway,
    #[serde(rename = "AWS::EC2::SecurityGroup")]
    SecurityGroup,
    #[serde(rename = "AWS::EC2::NetworkAcl")]
    NetworkAcl,
    #[serde(rename = "AWS::EC2::VPCEndpoint")]
    VpcEndpoint,
    #[serde(rename = "AWS::EC2::VPCEndpointService")]
    VpcEndpointService,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Vpc => "AWS::EC2::VPC",
            ResourceType::Subnet => "AWS::EC2::Subnet",
            ResourceType::RouteTable => "AWS::EC2::RouteTable",
            ResourceType::InternetGateway => "AWS::EC2::InternetGateway",
            ResourceType::NatGateway => "AWS::EC2::NatGateway",
            ResourceType::SecurityGroup => "AWS::EC2::SecurityGroup",
            ResourceType::NetworkAcl => "AWS::EC2::NetworkAcl",
            ResourceType::VpcEndpoint => "AWS::EC2::VPCEndpoint",
            ResourceType::VpcEndpointService => "AWS::EC2::VPCEndpointService",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a waiver did to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverNote {
    pub reason: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// True when the waiver matched but had expired, so the failure stands.
    pub expired: bool,
}

/// One verdict of one rule on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across runs: derived from (account, region, rule, resource).
    pub id: FindingId,
    pub rule_id: Cow<'static, str>,
    pub title: Cow<'static, str>,
    pub severity: Severity,
    pub status: Status,
    pub resource_type: ResourceType,
    pub resource_id: crate::pure::model::Text,
    /// The workspaces the resource serves (more than one when shared).
    pub workspaces: Vec<Arc<str>>,
    pub account_id: Option<Arc<str>>,
    pub region: Option<Arc<str>>,
    /// A full sentence saying what was found.
    pub message: String,
    pub expected: Cow<'static, str>,
    pub actual: Cow<'static, str>,
    pub remediation: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<WaiverNote>>,
    /// When the state judged was collected (the snapshot's `collected_at`); since schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<Arc<str>>,
    /// The required flows this finding judged, hop by hop (reachability rules only); since
    /// schema 2. Shared with `Report::flows`; the JSON report writes their ids (the paths
    /// themselves are in its `flows`, once), see [`serialize_findings`].
    #[serde(skip)]
    pub paths: Vec<Arc<crate::pure::evidence::FlowPath>>,
    /// How the finding compares with the baseline report (`--baseline`); since schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// How a finding compares with the same finding (same id) in a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Failing now, and not failing (or absent) in the baseline.
    New,
    /// Failing in both, with the same evidence.
    StillFailing,
    /// Failing in both, but what was found differs (message, actual state or path).
    ChangedEvidence,
    /// Failing in the baseline, not failing now (pass, not applicable or waived).
    Resolved,
    /// Not failing in either.
    Unchanged,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::StillFailing => "still_failing",
            Change::ChangedEvidence => "changed_evidence",
            Change::Resolved => "resolved",
            Change::Unchanged => "unchanged",
        }
    }
}

impl Finding {
    /// The resource's ARN, when the account and region are known.
    pub fn arn(&self) -> Option<String> {
        resource_arn(
            self.resource_type,
            &self.resource_id,
            self.account_id.as_deref()?,
            self.region.as_deref()?,
        )
    }

    /// The rule's references (documentation links), from the rule registry.
    pub fn references(&self) -> &'static [&'static str] {
        crate::pure::rules::meta(&self.rule_id).map_or(&[], |m| m.references)
    }
}

/// The ARN of an EC2 resource: `arn:<partition>:ec2:<region>:<account>:<type>/<id>`. `None`
/// for an id that is not a resource id (an error reported on a missing object).
pub fn resource_arn(rt: ResourceType, id: &str, account: &str, region: &str) -> Option<String> {
    if id.is_empty() || account.is_empty() || region.is_empty() || id.contains([' ', '/']) {
        return None;
    }
    let partition = if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    };
    let kind = match rt {
        ResourceType::Vpc => "vpc",
        ResourceType::Subnet => "subnet",
        ResourceType::RouteTable => "route-table",
        ResourceType::InternetGateway => "internet-gateway",
        ResourceType::NatGateway => "natgateway",
        ResourceType::SecurityGroup => "security-group",
        ResourceType::NetworkAcl => "network-acl",
        ResourceType::VpcEndpoint => "vpc-endpoint",
        ResourceType::VpcEndpointService => "vpc-endpoint-service",
    };
    Some(format!(
        "arn:{partition}:ec2:{region}:{account}:{kind}/{id}"
    ))
}

/// Serializes findings with what each can derive: `arn` and `references`, and `paths` as the
/// ids of the report's `flows` the finding judged (since schema 2): a path is written once
/// however many findings judged it.
pub fn serialize_findings<S: serde::Serializer>(
    findings: &[Finding],
    s: S,
) -> Result<S::Ok, S::Error> {
    /// A finding with what it derives. Written field by field: `#[serde(flatten)]` would
    /// serialize every finding through a map and cost twice the time at 500,000 findings.
    struct Out<'a>(&'a Finding);
    impl Serialize for Out<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let f = self.0;
            let arn = f.arn();
            let references = f.references();
            let mut st = s.serialize_struct("Finding", 21)?;
            st.serialize_field("id", &f.id)?;
            st.serialize_field("rule_id", &f.rule_id)?;
            st.serialize_field("title", &f.title)?;
            st.serialize_field("severity", &f.severity)?;
            st.serialize_field("status", &f.status)?;
            st.serialize_field("resource_type", &f.resource_type)?;
            st.serialize_field("resource_id", &f.resource_id)?;
            st.serialize_field("workspaces", &f.workspaces)?;
            st.serialize_field("account_id", &f.account_id)?;
            st.serialize_field("region", &f.region)?;
            st.serialize_field("message", &f.message)?;
            st.serialize_field("expected", &f.expected)?;
            st.serialize_field("actual", &f.actual)?;
            st.serialize_field("remediation", &f.remediation)?;
            if let Some(w) = &f.waiver {
                st.serialize_field("waiver", w)?;
            }
            if let Some(c) = &f.collected_at {
                st.serialize_field("collected_at", c)?;
            }
            if let Some(c) = &f.change {
                st.serialize_field("change", c)?;
            }
            if let Some(a) = &arn {
                st.serialize_field("arn", a)?;
            }
            if !references.is_empty() {
                st.serialize_field("references", references)?;
            }
            if !f.paths.is_empty() {
                st.serialize_field("paths", &PathIds(&f.paths))?;
            }
            st.end()
        }
    }
    struct PathIds<'a>(&'a [Arc<crate::pure::evidence::FlowPath>]);
    impl Serialize for PathIds<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(|p| p.id.as_str()))
        }
    }
    s.collect_seq(findings.iter().map(Out))
}

/// The stable finding id: the 64-bit FNV-1a hash of `account|region|rule|resource` (empty
/// strings for an unknown account or region), written as 16 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(pub u64);

impl FindingId {
    pub fn new(
        account: Option<&str>,
        region: Option<&str>,
        rule: &str,
        resource: &str,
    ) -> FindingId {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let parts = [
            account.unwrap_or(""),
            "|",
            region.unwrap_or(""),
            "|",
            rule,
            "|",
            resource,
        ];
        for b in parts.iter().flat_map(|p| p.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        FindingId(h)
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FindingId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FindingId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        u64::from_str_radix(&s, 16).map(FindingId).map_err(|_| {
            serde::de::Error::custom(format!("`{s}` is not a 16-hex-digit finding id"))
        })
    }
}

/// The stable finding id as text (see [`FindingId`]).
pub fn finding_id(
    account: Option<&str>,
    region: Option<&str>,
    rule: &str,
    resource: &str,
) -> String {
    FindingId::new(account, region, rule, resource).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_are_stable_and_distinct() {
        let a = finding_id(
            Some("123456789012"),
            Some("us-east-1"),
            "PL-EP-006",
            "vpce-1",
        );
        assert_eq!(
            a,
            finding_id(
                Some("123456789012"),
                Some("us-east-1"),
                "PL-EP-006",
                "vpce-1"
            )
        );
        assert_eq!(a.len(), 16);
        assert_ne!(
            a,
            finding_id(
                Some("123456789012"),
                Some("us-east-1"),
                "PL-EP-006",
                "vpce-2"
            )
        );
        assert_ne!(
            a,
            finding_id(
                Some("123456789012"),
                Some("us-west-2"),
                "PL-EP-006",
                "vpce-1"
            )
        );
        // The published algorithm: FNV-1a 64 of the joined key (value computed independently).
        assert_eq!(finding_id(None, None, "", ""), "9be30a196b51e8bb");
    }

    #[test]
    fn arns_follow_the_partition_and_resource_kind() {
        assert_eq!(
            resource_arn(
                ResourceType::SecurityGroup,
                "sg-1",
                "123456789012",
                "us-gov-west-1"
            )
            .as_deref(),
            Some("arn:aws-us-gov:ec2:us-gov-west-1:123456789012:security-group/sg-1")
        );
        assert_eq!(
            resource_arn(
                ResourceType::VpcEndpoint,
                "vpce-1",
                "123456789012",
                "eu-west-1"
            )
            .as_deref(),
            Some("arn:aws:ec2:eu-west-1:123456789012:vpc-endpoint/vpce-1")
        );
        assert_eq!(
            resource_arn(ResourceType::Vpc, "vpc-1", "", "eu-west-1"),
            None
        );
    }

    #[test]
    fn severities_parse_and_order() {
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!(Severity::parse("urgent"), None);
    }
}

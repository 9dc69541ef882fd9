//! Evidence as data: the path a required flow takes through a VPC, hop by hop, with the entry
//! that admitted or blocked it at each hop. The engine traces each workspace's required flows
//! once; the report lists them (`Report::flows`) and every reachability finding carries the
//! paths it judged (`Finding::paths`). Every output format (JSON, HTML diagrams, SARIF, ASFF,
//! OCSF) reads these, never the sentences.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What a required flow is for; rules declare the kinds whose hops they judge
/// ([`crate::pure::rules::RuleMeta::flows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowKind {
    /// Between the workspace's subnets: all TCP, all UDP.
    IntraCluster,
    /// From a workspace subnet to a back-end Databricks endpoint (REST API, SCC relay).
    Endpoint,
    /// From a workspace subnet to the internet (the control plane without back-end
    /// PrivateLink, and 443 for data sources), outside isolation.
    Internet,
    /// From a workspace subnet to S3 through the gateway endpoint's prefix list (isolation).
    S3,
    /// From the declared client ranges to the front-end endpoint, on 443.
    FrontEnd,
}

/// The overall verdict of one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathVerdict {
    /// Every hop admits the flow.
    Pass,
    /// Some hop blocks it for certain.
    Fail,
    /// Some hop cannot be decided from the snapshot (and none blocks for certain).
    Error,
}

impl PathVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            PathVerdict::Pass => "pass",
            PathVerdict::Fail => "fail",
            PathVerdict::Error => "error",
        }
    }
}

/// The hops a packet meets, in order; the last two carry the return traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HopName {
    /// The source's security groups, egress.
    SrcSgEgress,
    /// The source subnet's network ACL, outbound.
    SrcNaclOut,
    /// The source subnet's route table.
    Route,
    /// The destination subnet's network ACL, inbound.
    DstNaclIn,
    /// The destination's security groups, ingress.
    DstSgIngress,
    /// The destination subnet's network ACL, outbound, for the return traffic.
    DstNaclReturnOut,
    /// The source subnet's network ACL, inbound, for the return traffic.
    SrcNaclReturnIn,
}

impl HopName {
    pub const ALL: [HopName; 7] = [
        HopName::SrcSgEgress,
        HopName::SrcNaclOut,
        HopName::Route,
        HopName::DstNaclIn,
        HopName::DstSgIngress,
        HopName::DstNaclReturnOut,
        HopName::SrcNaclReturnIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HopName::SrcSgEgress => "src_sg_egress",
            HopName::SrcNaclOut => "src_nacl_out",
            HopName::Route => "route",
            HopName::DstNaclIn => "dst_nacl_in",
            HopName::DstSgIngress => "dst_sg_ingress",
            HopName::DstNaclReturnOut => "dst_nacl_return_out",
            HopName::SrcNaclReturnIn => "src_nacl_return_in",
        }
    }

    /// For people: "source security groups (egress)".
    pub fn label(self) -> &'static str {
        match self {
            HopName::SrcSgEgress => "source security groups (egress)",
            HopName::SrcNaclOut => "source network ACL (outbound)",
            HopName::Route => "source route table",
            HopName::DstNaclIn => "destination network ACL (inbound)",
            HopName::DstSgIngress => "destination security groups (ingress)",
            HopName::DstNaclReturnOut => "destination network ACL (return, outbound)",
            HopName::SrcNaclReturnIn => "source network ACL (return, inbound)",
        }
    }
}

/// The verdict of one hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HopVerdict {
    Allowed,
    Blocked,
    /// Cannot be decided from the snapshot (an unreadable or missing object).
    Unknown,
    /// The hop is not on this path (no NACL on the internet side, no SG on a prefix list).
    NotOnPath,
}

impl HopVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            HopVerdict::Allowed => "allowed",
            HopVerdict::Blocked => "blocked",
            HopVerdict::Unknown => "unknown",
            HopVerdict::NotOnPath => "not_on_path",
        }
    }
}

/// One hop of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub hop: HopName,
    pub verdict: HopVerdict,
    /// The objects judged at this hop: security group ids, the NACL id, the route table id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// The entries that matched (admitted, or blocked) the flow: `sgr-…` security group rule
    /// ids (or `sg-…: tcp 443 to pl-…` where AWS gave no rule id), `rule 100` / `rule *` of a
    /// NACL, the route's target (`local`, `nat-…`, `vpce-…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
    /// Where coverage is partial: the port ranges and addresses no entry covers
    /// ("tcp 8444-8451 to 10.0.2.0/24").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncovered: Vec<String>,
    /// A sentence: what blocks the flow, or why the hop cannot be decided. Empty when allowed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One required flow of a workspace and the path it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowPath {
    /// Stable across runs: FNV-1a 64 of `workspace|source|destination|protocol|ports`, 16 hex
    /// digits.
    pub id: String,
    pub workspace: Arc<str>,
    /// What the flow is for: "REST API and web application to the workspace endpoint".
    pub purpose: String,
    /// The source: a subnet id (its security groups are named in the first hop).
    pub source: String,
    /// The destination: an endpoint id, a subnet id, a prefix list id, or `0.0.0.0/0`.
    pub destination: String,
    /// `tcp`, `udp`, `icmp` or `all`.
    pub protocol: String,
    /// The port set, as the port table writes it: `443, 6666, 8443-8451`.
    pub ports: String,
    pub verdict: PathVerdict,
    pub hops: Vec<Hop>,
}

impl FlowPath {
    /// The first hop that blocks the flow, or cannot decide it.
    pub fn blocking_hop(&self) -> Option<&Hop> {
        self.hops
            .iter()
            .find(|h| h.verdict == HopVerdict::Blocked)
            .or_else(|| self.hops.iter().find(|h| h.verdict == HopVerdict::Unknown))
    }

    /// The stable id of a flow (see [`FlowPath::id`]).
    pub fn make_id(
        workspace: &str,
        source: &str,
        destination: &str,
        protocol: &str,
        ports: &str,
    ) -> String {
        let key = [workspace, source, destination, protocol, ports].join("|");
        crate::pure::finding::FindingId::new(None, None, "", &key).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(hop: HopName, verdict: HopVerdict) -> Hop {
        Hop {
            hop,
            verdict,
            resources: vec![],
            entries: vec![],
            uncovered: vec![],
            detail: String::new(),
        }
    }

    #[test]
    fn the_blocking_hop_is_the_first_certain_block_before_any_unknown() {
        let p = FlowPath {
            id: FlowPath::make_id("ws", "subnet-a", "vpce-1", "tcp", "443"),
            workspace: "ws".into(),
            purpose: "REST API".into(),
            source: "subnet-a".into(),
            destination: "vpce-1".into(),
            protocol: "tcp".into(),
            ports: "443".into(),
            verdict: PathVerdict::Fail,
            hops: vec![
                hop(HopName::SrcSgEgress, HopVerdict::Unknown),
                hop(HopName::SrcNaclOut, HopVerdict::Blocked),
            ],
        };
        assert_eq!(p.blocking_hop().map(|h| h.hop), Some(HopName::SrcNaclOut));
        assert_ne!(
            p.id,
            FlowPath::make_id("ws", "subnet-a", "vpce-1", "tcp", "6666")
        );
        let json = serde_json::to_string(&p.hops[0]).unwrap();
        assert_eq!(json, r#"{"hop":"src_sg_egress","verdict":"unknown"}"#);
    }
}

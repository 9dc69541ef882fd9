//! The Databricks regional endpoint-service table, shipped as versioned data
//! (`data/databricks-services.json`), and the AWS service names the rules look for.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const BUILTIN: &str = include_str!("../../data/databricks-services.json");

/// Which Databricks endpoint service a service name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    /// The workspace (REST API / web app) service: back-end REST and front-end.
    Workspace,
    /// The secure cluster connectivity relay.
    Relay,
    /// Service Direct, the optional front-end service for performance-intensive services.
    ServiceDirect,
}

impl ServiceKind {
    pub fn label(self) -> &'static str {
        match self {
            ServiceKind::Workspace => "workspace (REST API)",
            ServiceKind::Relay => "SCC relay",
            ServiceKind::ServiceDirect => "Service Direct",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegionServices {
    #[serde(default)]
    pub workspace: Vec<String>,
    #[serde(default)]
    pub relay: Vec<String>,
    #[serde(default)]
    pub service_direct: Vec<String>,
}

impl RegionServices {
    pub fn names(&self, kind: ServiceKind) -> &[String] {
        match kind {
            ServiceKind::Workspace => &self.workspace,
            ServiceKind::Relay => &self.relay,
            ServiceKind::ServiceDirect => &self.service_direct,
        }
    }
}

/// The table: region to service names, with its version.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceTable {
    pub table_version: String,
    #[serde(default)]
    pub source: String,
    pub regions: BTreeMap<String, RegionServices>,
    /// Set when the embedded table failed to parse; every lookup then fails closed.
    #[serde(skip)]
    pub load_error: Option<String>,
}

impl ServiceTable {
    /// The table compiled into this build.
    pub fn builtin() -> &'static ServiceTable {
        static TABLE: OnceLock<ServiceTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            serde_json::from_str(BUILTIN).unwrap_or_else(|e| ServiceTable {
                load_error: Some(format!("embedded service table is invalid: {e}")),
                ..ServiceTable::default()
            })
        })
    }

    pub fn region(&self, region: &str) -> Option<&RegionServices> {
        self.regions.get(region)
    }

    /// Classifies a service name against one region's entry.
    pub fn kind_in_region(&self, region: &str, service_name: &str) -> Option<ServiceKind> {
        let r = self.region(region)?;
        [
            ServiceKind::Workspace,
            ServiceKind::Relay,
            ServiceKind::ServiceDirect,
        ]
        .into_iter()
        .find(|k| r.names(*k).iter().any(|n| n == service_name))
    }

    /// Classifies a service name against every region: `(region, kind)`.
    pub fn lookup_any(&self, service_name: &str) -> Option<(&str, ServiceKind)> {
        self.regions.keys().find_map(|region| {
            self.kind_in_region(region, service_name)
                .map(|k| (region.as_str(), k))
        })
    }
}

/// The region segment of an endpoint service name (`com.amazonaws.vpce.<region>.vpce-svc-…` or
/// `com.amazonaws.<region>.<service>`).
pub fn service_region(service_name: &str) -> Option<&str> {
    let rest = service_name.strip_prefix("com.amazonaws.")?;
    let rest = rest.strip_prefix("vpce.").unwrap_or(rest);
    rest.split('.').next().filter(|r| !r.is_empty())
}

pub fn s3_service(region: &str) -> String {
    format!("com.amazonaws.{region}.s3")
}

pub fn sts_service(region: &str) -> String {
    format!("com.amazonaws.{region}.sts")
}

pub fn kinesis_service(region: &str) -> String {
    format!("com.amazonaws.{region}.kinesis-streams")
}

/// The IAM principals Databricks serverless compute connects from, by region.
pub fn serverless_principals(region: &str) -> Vec<String> {
    if region.starts_with("us-gov-") {
        vec![
            format!("arn:aws-us-gov:iam::347038500609:role/private-connectivity-role-{region}"),
            format!("arn:aws-us-gov:iam::347034940029:role/private-connectivity-role-{region}"),
        ]
    } else {
        vec![format!(
            "arn:aws:iam::565502421330:role/private-connectivity-role-{region}"
        )]
    }
}

/// Classifies a service name: in the audited region's table when the region is known, else in any
/// region's.
pub fn databricks_kind(
    table: &ServiceTable,
    region: Option<&str>,
    service_name: &str,
) -> Option<ServiceKind> {
    match region {
        Some(r) => table.kind_in_region(r, service_name),
        None => table.lookup_any(service_name).map(|(_, k)| k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_and_covers_the_documented_regions() {
        let t = ServiceTable::builtin();
        assert_eq!(t.load_error, None);
        assert!(t.regions.len() >= 18);
        assert_eq!(
            t.kind_in_region(
                "us-east-1",
                "com.amazonaws.vpce.us-east-1.vpce-svc-00018a8c3ff62ffdf"
            ),
            Some(ServiceKind::Relay)
        );
        assert_eq!(
            t.lookup_any("com.amazonaws.vpce.eu-central-1.vpce-svc-081f78503812597f7"),
            Some(("eu-central-1", ServiceKind::Workspace))
        );
        // Every name sits in the region it is listed under.
        for (region, r) in &t.regions {
            for n in r.workspace.iter().chain(&r.relay).chain(&r.service_direct) {
                assert_eq!(service_region(n), Some(region.as_str()), "{n}");
            }
        }
    }

    #[test]
    fn service_region_reads_both_name_shapes() {
        assert_eq!(
            service_region("com.amazonaws.vpce.eu-west-1.vpce-svc-0da6ebf1461278016"),
            Some("eu-west-1")
        );
        assert_eq!(
            service_region("com.amazonaws.us-east-1.s3"),
            Some("us-east-1")
        );
        assert_eq!(service_region("s3"), None);
    }
}

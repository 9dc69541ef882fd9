//! The one table of the ports Databricks needs, per partition, with the source of each entry.
//!
//! Every rule that asks "which ports" (workspace SG egress, endpoint SG ingress, endpoint-subnet
//! NACLs, NACL outbound) reads it through [`super::Context::port_needs`] or
//! [`super::Context::nacl_outbound_ports`], so the region's partition is always known. The table is
//! code, not data read at run time; `plaudit explain <RULE> [--region R]` prints it.

use crate::pure::deployment::Workspace;
use crate::pure::finding::Severity;
use crate::pure::index::Ports;
use crate::pure::services::ServiceKind;

/// An AWS partition Databricks runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Partition {
    /// The commercial partition (`aws`).
    Aws,
    /// AWS GovCloud (US) (`aws-us-gov`), both Databricks shards (civilian and DoD).
    AwsUsGov,
}

impl Partition {
    pub const ALL: [Partition; 2] = [Partition::Aws, Partition::AwsUsGov];

    /// The partition of a region name.
    pub fn of_region(region: &str) -> Partition {
        if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }
}

/// Where a flow on the ports goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// The workspace (REST API) endpoint, back-end.
    Workspace,
    /// The SCC relay endpoint.
    Relay,
    /// The Service Direct endpoint.
    ServiceDirect,
    /// The control plane over the internet (no back-end PrivateLink for the flow), and the
    /// NACL outbound list to 0.0.0.0/0.
    Internet,
}

impl Dest {
    fn of(kind: Option<ServiceKind>) -> Dest {
        match kind {
            Some(ServiceKind::Workspace) => Dest::Workspace,
            Some(ServiceKind::Relay) => Dest::Relay,
            Some(ServiceKind::ServiceDirect) => Dest::ServiceDirect,
            None => Dest::Internet,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Dest::Workspace => "workspace endpoint",
            Dest::Relay => "relay endpoint",
            Dest::ServiceDirect => "Service Direct endpoint",
            Dest::Internet => "internet",
        }
    }
}

/// When an entry applies to a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Only with the compliance security profile (FIPS).
    ComplianceProfile,
    /// Only outside complete isolation (the legacy metastore never goes through PrivateLink).
    NotIsolated,
}

impl When {
    fn holds(self, ws: &Workspace) -> bool {
        match self {
            When::Always => true,
            When::ComplianceProfile => ws.compliance_security_profile,
            When::NotIsolated => !ws.isolated(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            When::Always => "always",
            When::ComplianceProfile => "compliance security profile on",
            When::NotIsolated => "not isolated",
        }
    }
}

/// The families of the table: each is checked on the workspace's egress by one rule, and a rule
/// declares the families it reads ([`super::RuleMeta::ports`]); the context hands it only those
/// rows ([`super::Context::port_needs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PortGroup {
    /// 443: the REST API and web application.
    Https,
    /// 8443-8451: compute-to-control-plane calls, Unity Catalog, reserved.
    ControlPlane,
    /// 6666: secure cluster connectivity to the relay over PrivateLink.
    Relay,
    /// 2443: FIPS-encrypted connections (compliance profile; GovCloud's relay).
    Fips,
    /// 3306: the legacy Hive metastore.
    Metastore,
}

impl PortGroup {
    pub const ALL: [PortGroup; 5] = [
        PortGroup::Https,
        PortGroup::ControlPlane,
        PortGroup::Relay,
        PortGroup::Fips,
        PortGroup::Metastore,
    ];

    /// The families that flow to the Databricks endpoints (everything but the metastore).
    pub const TO_ENDPOINTS: &'static [PortGroup] = &[
        PortGroup::Https,
        PortGroup::ControlPlane,
        PortGroup::Relay,
        PortGroup::Fips,
    ];
}

/// One entry of the port table.
#[derive(Debug, Clone, Copy)]
pub struct PortRow {
    pub ports: Ports,
    pub purpose: &'static str,
    /// Where the flow goes (SG egress / endpoint ingress); empty for NACL-only entries.
    pub dests: &'static [Dest],
    pub partitions: &'static [Partition],
    pub when: When,
    /// Listed in the NACL outbound requirement (TCP to 0.0.0.0/0).
    pub nacl_outbound: bool,
    /// The family of the entry: the rules that declare it check it.
    pub group: PortGroup,
    pub egress_severity: Severity,
    /// The severity of PL-EPSG-001 (and endpoint NACLs) when the endpoint does not admit them.
    pub endpoint_severity: Severity,
    /// Where the requirement comes from.
    pub source: &'static str,
}

const REST: &[Dest] = &[Dest::Workspace, Dest::ServiceDirect, Dest::Internet];
const BOTH: &[Partition] = &Partition::ALL;

/// The table, in the order `explain` prints it.
pub static PORT_TABLE: &[PortRow] = &[
    PortRow {
        ports: Ports::one(443),
        purpose: "the REST API and web application",
        dests: REST,
        partitions: BOTH,
        when: When::Always,
        nacl_outbound: true,
        group: PortGroup::Https,
        egress_severity: Severity::Critical,
        endpoint_severity: Severity::Critical,
        source: "Databricks customer-managed VPC: security groups (443); SRA network.tf, privatelink.tf",
    },
    PortRow {
        ports: Ports::one(8443),
        purpose: "compute-to-control-plane API calls",
        dests: REST,
        partitions: BOTH,
        when: When::Always,
        nacl_outbound: true,
        group: PortGroup::ControlPlane,
        egress_severity: Severity::Critical,
        endpoint_severity: Severity::Medium,
        source: "Databricks customer-managed VPC: security groups (8443); SRA privatelink.tf",
    },
    PortRow {
        ports: Ports::one(8444),
        purpose: "Unity Catalog logging and lineage",
        dests: REST,
        partitions: BOTH,
        when: When::Always,
        nacl_outbound: true,
        group: PortGroup::ControlPlane,
        egress_severity: Severity::High,
        endpoint_severity: Severity::Medium,
        source: "Databricks customer-managed VPC: security groups (8444); SRA privatelink.tf",
    },
    PortRow {
        ports: Ports::range(8445, 8451),
        purpose: "ports reserved for future use",
        dests: REST,
        partitions: BOTH,
        when: When::Always,
        nacl_outbound: true,
        group: PortGroup::ControlPlane,
        egress_severity: Severity::Medium,
        endpoint_severity: Severity::Medium,
        source: "Databricks customer-managed VPC: security groups (8445-8451); SRA privatelink.tf",
    },
    PortRow {
        ports: Ports::one(6666),
        purpose: "secure cluster connectivity over PrivateLink",
        dests: &[Dest::Relay],
        partitions: &[Partition::Aws],
        when: When::Always,
        nacl_outbound: true,
        group: PortGroup::Relay,
        egress_severity: Severity::Critical,
        endpoint_severity: Severity::Critical,
        source: "Databricks customer-managed VPC: security groups (6666, PrivateLink only); SRA network.tf, privatelink.tf (6666 dropped for the GovCloud shards)",
    },
    PortRow {
        ports: Ports::one(2443),
        purpose: "FIPS-encrypted connections (compliance security profile)",
        dests: &[Dest::Relay, Dest::ServiceDirect, Dest::Internet],
        partitions: &[Partition::Aws],
        when: When::ComplianceProfile,
        nacl_outbound: true,
        group: PortGroup::Fips,
        egress_severity: Severity::High,
        endpoint_severity: Severity::High,
        source: "Databricks customer-managed VPC: security groups (2443, compliance security profile); Databricks Terraform provider aws-private-link-workspace guide",
    },
    PortRow {
        ports: Ports::one(2443),
        purpose: "secure cluster connectivity, FIPS-encrypted (GovCloud)",
        dests: &[Dest::Relay, Dest::Internet],
        partitions: &[Partition::AwsUsGov],
        when: When::Always,
        nacl_outbound: true,
        group: PortGroup::Fips,
        egress_severity: Severity::Critical,
        endpoint_severity: Severity::Critical,
        source: "SRA network.tf, privatelink.tf (GovCloud shards: 2443 instead of 6666)",
    },
    PortRow {
        ports: Ports::one(3306),
        purpose: "the legacy Hive metastore (never through PrivateLink)",
        dests: &[],
        partitions: BOTH,
        when: When::NotIsolated,
        nacl_outbound: true,
        group: PortGroup::Metastore,
        egress_severity: Severity::Info,
        endpoint_severity: Severity::Info,
        source: "Databricks customer-managed VPC: network ACLs (3306); Databricks PrivateLink concepts (3306 does not use PrivateLink)",
    },
];

/// One port (range) a Databricks flow needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortNeed {
    pub ports: Ports,
    pub purpose: &'static str,
    /// The family of the entry.
    pub group: PortGroup,
    pub egress_severity: Severity,
    /// The severity of PL-EPSG-001 when the endpoint does not admit these ports.
    pub endpoint_severity: Severity,
}

/// The rows of the table that apply in a partition.
pub fn rows(partition: Partition) -> impl Iterator<Item = &'static PortRow> {
    PORT_TABLE
        .iter()
        .filter(move |r| r.partitions.contains(&partition))
}

/// The ports of `groups` the workspace needs towards a Databricks service (towards the internet
/// when `kind` is `None`, i.e. no back-end PrivateLink), in `partition`.
pub fn port_needs(
    partition: Partition,
    groups: &[PortGroup],
    ws: &Workspace,
    kind: Option<ServiceKind>,
) -> Vec<PortNeed> {
    let dest = Dest::of(kind);
    rows(partition)
        .filter(|r| groups.contains(&r.group) && r.dests.contains(&dest) && r.when.holds(ws))
        .map(|r| PortNeed {
            ports: r.ports,
            purpose: r.purpose,
            group: r.group,
            egress_severity: r.egress_severity,
            endpoint_severity: r.endpoint_severity,
        })
        .collect()
}

/// The TCP ports of `groups` a workspace subnet's NACL must allow out to 0.0.0.0/0, sorted,
/// adjacent ranges merged.
pub fn nacl_outbound_ports(
    partition: Partition,
    groups: &[PortGroup],
    ws: &Workspace,
) -> Vec<Ports> {
    let mut v: Vec<Ports> = rows(partition)
        .filter(|r| groups.contains(&r.group) && r.nacl_outbound && r.when.holds(ws))
        .map(|r| r.ports)
        .collect();
    v.sort();
    // Adjacent entries read as one range (8443, 8444, 8445-8451 are "8443-8451").
    let mut out: Vec<Ports> = Vec::with_capacity(v.len());
    for p in v {
        match out.last_mut() {
            Some(last) if u32::from(p.from) <= u32::from(last.to) + 1 => {
                last.to = last.to.max(p.to)
            }
            _ => out.push(p),
        }
    }
    out
}

/// The table as Markdown for `plaudit explain`: the rows of `groups` (the ones a rule declares), in
/// `partition` or in every partition.
pub fn table_markdown(groups: &[PortGroup], partition: Option<Partition>) -> String {
    let mut s = match partition {
        Some(p) => format!(
            "Ports ({} partition; the table is built into plaudit):\n\n",
            p.as_str()
        ),
        None => "Ports (every partition; `--region R` shows one region's):\n\n".to_string(),
    };
    s.push_str(
        "| Ports | Purpose | To | NACL out to 0.0.0.0/0 | Partitions | When | Source |\n|---|---|---|---|---|---|---|\n",
    );
    for r in PORT_TABLE
        .iter()
        .filter(|r| groups.contains(&r.group))
        .filter(|r| partition.is_none_or(|p| r.partitions.contains(&p)))
    {
        let to = if r.dests.is_empty() {
            "the internet (NACL only)".to_string()
        } else {
            r.dests
                .iter()
                .map(|d| d.label())
                .collect::<Vec<_>>()
                .join(", ")
        };
        s.push_str(&format!(
            "| tcp {} | {} | {} | {} | {} | {} | {} |\n",
            r.ports,
            r.purpose,
            to,
            if r.nacl_outbound { "yes" } else { "no" },
            r.partitions
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            r.when.label(),
            r.source
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pure::deployment::Origin;
    use std::collections::BTreeSet;

    fn ws(csp: bool, isolated: bool) -> Workspace {
        Workspace {
            name: "w".into(),
            vpc_id: "vpc-1".into(),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            modes: if isolated {
                BTreeSet::from([crate::pure::deployment::Mode::Isolated])
            } else {
                BTreeSet::new()
            },
            compliance_security_profile: csp,
            legacy_hive_metastore: false,
            custom_dns: false,
            origin: Origin::Manifest,
            problems: Vec::new(),
        }
    }

    fn ports(v: &[PortNeed]) -> Vec<String> {
        v.iter().map(|n| n.ports.to_string()).collect()
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(Partition::of_region("us-gov-west-1"), Partition::AwsUsGov);
        assert_eq!(Partition::of_region("us-gov-east-1"), Partition::AwsUsGov);
        assert_eq!(Partition::of_region("eu-west-1"), Partition::Aws);
    }

    #[test]
    fn commercial_relay_needs_6666_and_2443_only_with_the_profile() {
        let relay = Some(ServiceKind::Relay);
        assert_eq!(
            ports(&port_needs(
                Partition::Aws,
                &PortGroup::ALL,
                &ws(false, false),
                relay
            )),
            ["6666"]
        );
        assert_eq!(
            ports(&port_needs(
                Partition::Aws,
                &PortGroup::ALL,
                &ws(true, false),
                relay
            )),
            ["6666", "2443"]
        );
        assert_eq!(
            ports(&port_needs(
                Partition::Aws,
                &PortGroup::ALL,
                &ws(false, false),
                Some(ServiceKind::Workspace)
            )),
            ["443", "8443", "8444", "8445-8451"]
        );
    }

    #[test]
    fn govcloud_drops_6666_and_always_needs_2443() {
        for csp in [false, true] {
            assert_eq!(
                ports(&port_needs(
                    Partition::AwsUsGov,
                    &PortGroup::ALL,
                    &ws(csp, false),
                    Some(ServiceKind::Relay)
                )),
                ["2443"]
            );
        }
        let n = nacl_outbound_ports(Partition::AwsUsGov, &PortGroup::ALL, &ws(false, false));
        assert!(
            n.contains(&Ports::one(2443)) && !n.contains(&Ports::one(6666)),
            "{n:?}"
        );
    }

    #[test]
    fn nacl_outbound_ports_match_the_documented_list() {
        let s = |v: Vec<Ports>| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s(nacl_outbound_ports(
                Partition::Aws,
                &PortGroup::ALL,
                &ws(false, false)
            )),
            ["443", "3306", "6666", "8443-8451"]
        );
        assert_eq!(
            s(nacl_outbound_ports(
                Partition::Aws,
                &PortGroup::ALL,
                &ws(true, true)
            )),
            ["443", "2443", "6666", "8443-8451"]
        );
    }

    #[test]
    fn every_row_names_its_source() {
        for r in PORT_TABLE {
            assert!(!r.source.is_empty() && !r.partitions.is_empty(), "{r:?}");
        }
    }

    #[test]
    fn a_group_hands_out_only_its_own_rows() {
        let w = ws(true, false);
        let relay = Some(ServiceKind::Relay);
        assert_eq!(
            ports(&port_needs(Partition::Aws, &[PortGroup::Relay], &w, relay)),
            ["6666"]
        );
        assert_eq!(
            ports(&port_needs(Partition::Aws, &[PortGroup::Fips], &w, relay)),
            ["2443"]
        );
        assert!(port_needs(Partition::Aws, &[], &w, relay).is_empty());
    }
}

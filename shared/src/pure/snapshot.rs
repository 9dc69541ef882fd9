//! The snapshot folder: one JSON file per AWS CLI call, loaded into [`Snapshot`].
//!
//! A missing file is data, not an error: it becomes a [`CollectFailure`] ("not collected"), and the
//! rules that need it report `Error`. Bad files are errors that name the file and the JSON path.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::pure::model::*;

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The version of the snapshot layout this build reads and writes.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// One input of the audit: a describe call and the snapshot file that holds its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    Vpcs,
    VpcAttributes,
    Subnets,
    RouteTables,
    InternetGateways,
    NatGateways,
    VpcEndpoints,
    /// Security-group rules: from `describe-security-group-rules.json`, else from the
    /// permissions inside `describe-security-groups.json`.
    SecurityGroupRules,
    SecurityGroups,
    NetworkAcls,
    EndpointServiceConfigurations,
    EndpointServicePermissions,
    ManagedPrefixLists,
}

impl Input {
    pub const ALL: [Input; 13] = [
        Input::Vpcs,
        Input::VpcAttributes,
        Input::Subnets,
        Input::RouteTables,
        Input::InternetGateways,
        Input::NatGateways,
        Input::VpcEndpoints,
        Input::SecurityGroups,
        Input::SecurityGroupRules,
        Input::NetworkAcls,
        Input::EndpointServiceConfigurations,
        Input::EndpointServicePermissions,
        Input::ManagedPrefixLists,
    ];

    /// The snapshot file name.
    pub fn file(self) -> &'static str {
        match self {
            Input::Vpcs => "describe-vpcs.json",
            Input::VpcAttributes => "vpc-attributes.json",
            Input::Subnets => "describe-subnets.json",
            Input::RouteTables => "describe-route-tables.json",
            Input::InternetGateways => "describe-internet-gateways.json",
            Input::NatGateways => "describe-nat-gateways.json",
            Input::VpcEndpoints => "describe-vpc-endpoints.json",
            Input::SecurityGroups => "describe-security-groups.json",
            Input::SecurityGroupRules => "describe-security-group-rules.json",
            Input::NetworkAcls => "describe-network-acls.json",
            Input::EndpointServiceConfigurations => {
                "describe-vpc-endpoint-service-configurations.json"
            }
            Input::EndpointServicePermissions => "describe-vpc-endpoint-service-permissions.json",
            Input::ManagedPrefixLists => "describe-managed-prefix-lists.json",
        }
    }

    /// The EC2 API operation that produces it.
    pub fn api(self) -> &'static str {
        match self {
            Input::Vpcs => "DescribeVpcs",
            Input::VpcAttributes => "DescribeVpcAttribute",
            Input::Subnets => "DescribeSubnets",
            Input::RouteTables => "DescribeRouteTables",
            Input::InternetGateways => "DescribeInternetGateways",
            Input::NatGateways => "DescribeNatGateways",
            Input::VpcEndpoints => "DescribeVpcEndpoints",
            Input::SecurityGroups => "DescribeSecurityGroups",
            Input::SecurityGroupRules => "DescribeSecurityGroupRules",
            Input::NetworkAcls => "DescribeNetworkAcls",
            Input::EndpointServiceConfigurations => "DescribeVpcEndpointServiceConfigurations",
            Input::EndpointServicePermissions => "DescribeVpcEndpointServicePermissions",
            Input::ManagedPrefixLists => "DescribeManagedPrefixLists",
        }
    }

    /// The IAM action needed to read it.
    pub fn iam_action(self) -> String {
        format!("ec2:{}", self.api())
    }

    /// True for the files a snapshot may leave out without anything being "not collected" in the
    /// sense of a failure: the rules that need them still report `Error`, but a folder is a
    /// snapshot as long as it holds at least one required file.
    pub fn is_optional(self) -> bool {
        matches!(
            self,
            Input::VpcAttributes
                | Input::EndpointServiceConfigurations
                | Input::EndpointServicePermissions
                | Input::ManagedPrefixLists
        )
    }
}

/// A set of inputs (the ones a rule declares, the ones it read without declaring).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct InputSet(u16);

impl InputSet {
    pub const EMPTY: InputSet = InputSet(0);

    fn bit(input: Input) -> u16 {
        1 << (input as u16)
    }

    pub fn of(inputs: &[Input]) -> InputSet {
        inputs.iter().fold(InputSet::EMPTY, |s, i| s.with(*i))
    }

    #[must_use]
    pub fn with(self, input: Input) -> InputSet {
        InputSet(self.0 | InputSet::bit(input))
    }

    #[must_use]
    pub fn union(self, other: InputSet) -> InputSet {
        InputSet(self.0 | other.0)
    }

    pub fn contains(self, input: Input) -> bool {
        self.0 & InputSet::bit(input) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The inputs of the set, in [`Input::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Input> {
        Input::ALL.into_iter().filter(move |i| self.contains(*i))
    }
}

/// The code of an input left out by design (a file the snapshot does not have, a call the scope
/// skips): the rules that need it report error, but the collection is not partial.
pub const NOT_COLLECTED: &str = "NotCollected";

/// Why an input is not available: not collected, or the call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectFailure {
    pub api: String,
    pub code: String,
    pub message: String,
}

impl fmt::Display for CollectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed ({}): {}", self.api, self.code, self.message)
    }
}

/// The answer of one call, or why there is none.
pub type Collected<T> = Result<T, CollectFailure>;

/// `snapshot.json`: where and when the snapshot was taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// RFC 3339 time of collection; rules read "now" from here, never from the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    /// Calls that failed during collection; their files are absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collection_errors: Vec<CollectFailure>,
}

/// The whole saved state of one account and region.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub meta: SnapshotMeta,
    pub vpcs: Collected<Vec<Vpc>>,
    pub vpc_attributes: Collected<Vec<VpcAttributes>>,
    pub subnets: Collected<Vec<Subnet>>,
    pub route_tables: Collected<Vec<RouteTable>>,
    pub internet_gateways: Collected<Vec<InternetGateway>>,
    pub nat_gateways: Collected<Vec<NatGateway>>,
    pub vpc_endpoints: Collected<Vec<VpcEndpoint>>,
    pub security_groups: Collected<Vec<SecurityGroup>>,
    pub security_group_rules: Collected<Vec<SecurityGroupRule>>,
    pub network_acls: Collected<Vec<NetworkAcl>>,
    pub endpoint_service_configurations: Collected<Vec<EndpointServiceConfiguration>>,
    pub endpoint_service_permissions: Collected<BTreeMap<String, ServicePermissions>>,
    pub managed_prefix_lists: Collected<Vec<ManagedPrefixList>>,
}

/// Why a snapshot folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: not a snapshot folder (no such directory)")]
    NotADirectory { path: PathBuf },
    #[error("{path}: holds none of the snapshot files (expected describe-vpcs.json, describe-subnets.json, ...)")]
    NoSnapshotFiles { path: PathBuf },
    #[error("{file}: cannot be read")]
    Read {
        file: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{file}: is {size} bytes, larger than the {limit}-byte limit")]
    TooLarge {
        file: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{file}: is empty (expected the JSON the AWS CLI prints)")]
    Empty { file: PathBuf },
    #[error("{file}: at JSON path `{json_path}`: {message}")]
    Parse {
        file: PathBuf,
        json_path: String,
        message: String,
    },
    /// The same id twice in one file (pages concatenated by hand) with different contents.
    #[error("{file}: {id} appears more than once with different `{field}`; which record is current cannot be told (collect the file again, or keep one copy)")]
    Duplicate {
        file: PathBuf,
        id: String,
        field: String,
    },
    #[error("{file}: cannot be written")]
    Write {
        file: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A file's answer: `truncated` when the AWS CLI printed only one page of several (its output
/// then carries a `NextToken`, e.g. with `--max-items`), so the list is not the whole state.
trait Page {
    fn truncated(&self) -> bool {
        false
    }
}

impl<T> Page for Vec<T> {}
impl<K, V> Page for BTreeMap<K, V> {}

macro_rules! wrapper {
    ($name:ident, $key:literal, $ty:ty) => {
        #[derive(Serialize, Deserialize)]
        struct $name {
            #[serde(rename = $key)]
            items: $ty,
            #[serde(rename = "NextToken", default, skip_serializing)]
            next_token: Option<String>,
        }

        impl Page for $name {
            fn truncated(&self) -> bool {
                self.next_token.is_some()
            }
        }
    };
}

wrapper!(VpcsFile, "Vpcs", Vec<Vpc>);
wrapper!(SubnetsFile, "Subnets", Vec<Subnet>);
wrapper!(RouteTablesFile, "RouteTables", Vec<RouteTable>);
wrapper!(IgwFile, "InternetGateways", Vec<InternetGateway>);
wrapper!(NatFile, "NatGateways", Vec<NatGateway>);
wrapper!(EndpointsFile, "VpcEndpoints", Vec<VpcEndpoint>);
wrapper!(SgFile, "SecurityGroups", Vec<SecurityGroup>);
#[derive(Deserialize)]
struct SgHeadFile {
    #[serde(rename = "SecurityGroups")]
    items: Vec<SecurityGroupHead>,
    #[serde(rename = "NextToken", default)]
    next_token: Option<String>,
}

impl Page for SgHeadFile {
    fn truncated(&self) -> bool {
        self.next_token.is_some()
    }
}
wrapper!(SgRulesFile, "SecurityGroupRules", Vec<SecurityGroupRule>);
wrapper!(AclFile, "NetworkAcls", Vec<NetworkAcl>);
wrapper!(
    ServiceConfigFile,
    "ServiceConfigurations",
    Vec<EndpointServiceConfiguration>
);
wrapper!(PrefixListFile, "PrefixLists", Vec<ManagedPrefixList>);

/// Parses JSON bytes, reporting the JSON path of the first problem.
pub fn parse_json<T: DeserializeOwned>(file: &Path, bytes: &[u8]) -> Result<T, SnapshotError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SnapshotError::Empty {
            file: file.to_path_buf(),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| parse_error(file, e))?;
    de.end().map_err(|e| SnapshotError::Parse {
        file: file.to_path_buf(),
        json_path: ".".into(),
        message: e.to_string(),
    })?;
    Ok(value)
}

fn parse_error(file: &Path, e: serde_path_to_error::Error<serde_json::Error>) -> SnapshotError {
    let path = e.path().to_string();
    SnapshotError::Parse {
        file: file.to_path_buf(),
        json_path: if path.is_empty() { ".".into() } else { path },
        message: e.into_inner().to_string(),
    }
}

/// Reads a file with the size limit applied; `Ok(None)` when it does not exist.
pub fn read_limited(file: &Path) -> Result<Option<Vec<u8>>, SnapshotError> {
    let meta = match fs::metadata(file) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SnapshotError::Read {
                file: file.to_path_buf(),
                source,
            })
        }
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(SnapshotError::TooLarge {
            file: file.to_path_buf(),
            size: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    fs::read(file)
        .map(Some)
        .map_err(|source| SnapshotError::Read {
            file: file.to_path_buf(),
            source,
        })
}

/// A record with an id that is unique within its file.
trait Keyed {
    fn key(&self) -> &str;
}

macro_rules! keyed {
    ($($ty:ty => $field:ident),* $(,)?) => {
        $(impl Keyed for $ty {
            fn key(&self) -> &str {
                &self.$field
            }
        })*
    };
}

keyed!(
    Vpc => vpc_id,
    VpcAttributes => vpc_id,
    Subnet => subnet_id,
    RouteTable => route_table_id,
    InternetGateway => internet_gateway_id,
    NatGateway => nat_gateway_id,
    VpcEndpoint => vpc_endpoint_id,
    SecurityGroup => group_id,
    SecurityGroupRule => security_group_rule_id,
    NetworkAcl => network_acl_id,
    EndpointServiceConfiguration => service_id,
    ManagedPrefixList => prefix_list_id,
);

/// Merges records that appear more than once with the same id (the first copy stays, in place);
/// a second copy that differs is an error naming the id and the first field that differs.
fn dedup<T: Keyed + PartialEq + Serialize>(
    file: &Path,
    items: Vec<T>,
) -> Result<Vec<T>, SnapshotError> {
    let mut drop: Vec<usize> = Vec::new();
    {
        let mut seen: crate::pure::fastmap::FastMap<&str, usize> =
            crate::pure::fastmap::FastMap::default();
        seen.reserve(items.len());
        for (i, it) in items.iter().enumerate() {
            match seen.get(it.key()) {
                None => {
                    seen.insert(it.key(), i);
                }
                Some(&first) if items[first] == *it => drop.push(i),
                Some(&first) => {
                    return Err(SnapshotError::Duplicate {
                        file: file.to_path_buf(),
                        id: it.key().to_string(),
                        field: differing_field(&items[first], it),
                    })
                }
            }
        }
    }
    if drop.is_empty() {
        return Ok(items);
    }
    let mut next = drop.into_iter().peekable();
    Ok(items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| {
            if next.peek() == Some(i) {
                next.next();
                false
            } else {
                true
            }
        })
        .map(|(_, it)| it)
        .collect())
}

/// The first top-level field (in the file's PascalCase) whose value differs between two records.
fn differing_field<T: Serialize>(a: &T, b: &T) -> String {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return "(record)".to_string();
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .find(|k| a.get(*k) != b.get(*k))
        .cloned()
        .unwrap_or_else(|| "(record)".to_string())
}

struct Loader<'a> {
    dir: &'a Path,
    meta: &'a SnapshotMeta,
    found: usize,
}

impl Loader<'_> {
    fn load<W: DeserializeOwned + Page, T>(
        &mut self,
        input: Input,
        unwrap: impl FnOnce(W) -> T,
    ) -> Result<Collected<T>, SnapshotError> {
        let file = self.dir.join(input.file());
        match read_limited(&file)? {
            // snapshot.json says the call failed: whatever the file holds (often `[]` written by a
            // script that ignored the error) is not the account's state.
            Some(_) if self.failed(input).is_some() => {
                self.found += 1;
                Ok(Err(self.missing(input)))
            }
            Some(bytes) => {
                self.found += 1;
                let parsed: W = parse_json(&file, &bytes)?;
                if parsed.truncated() {
                    return Ok(Err(CollectFailure {
                        api: input.api().into(),
                        code: "Truncated".into(),
                        message: format!(
                            "{} carries a NextToken: it is one page of the answer, not all of it (collect it again without --max-items)",
                            input.file()
                        ),
                    }));
                }
                Ok(Ok(unwrap(parsed)))
            }
            None => Ok(Err(self.missing(input))),
        }
    }

    /// [`Loader::load`] for a list of records with ids, duplicates merged or refused.
    fn load_list<W: DeserializeOwned + Page, T: Keyed + PartialEq + Serialize>(
        &mut self,
        input: Input,
        unwrap: impl FnOnce(W) -> Vec<T>,
    ) -> Result<Collected<Vec<T>>, SnapshotError> {
        match self.load(input, unwrap)? {
            Ok(items) => Ok(Ok(dedup(&self.dir.join(input.file()), items)?)),
            Err(f) => Ok(Err(f)),
        }
    }

    /// The collection error `snapshot.json` records for the input's call, if any.
    fn failed(&self, input: Input) -> Option<&CollectFailure> {
        self.meta
            .collection_errors
            .iter()
            .find(|f| f.api == input.api())
    }

    fn missing(&self, input: Input) -> CollectFailure {
        self.failed(input)
            .cloned()
            .unwrap_or_else(|| CollectFailure {
                api: input.api().into(),
                code: NOT_COLLECTED.into(),
                message: format!("{} not collected", input.file()),
            })
    }
}

impl Snapshot {
    /// Loads a snapshot folder.
    pub fn load(dir: &Path) -> Result<Snapshot, SnapshotError> {
        if !dir.is_dir() {
            return Err(SnapshotError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        let meta_file = dir.join("snapshot.json");
        let meta: SnapshotMeta = match read_limited(&meta_file)? {
            Some(bytes) => parse_json(&meta_file, &bytes)?,
            None => SnapshotMeta::default(),
        };
        // "Now" for the rules (waiver expiry): an RFC 3339 time, or the snapshot is refused.
        if let Some(t) = &meta.collected_at {
            crate::pure::time::parse_timestamp(t).map_err(|e| SnapshotError::Parse {
                file: meta_file.clone(),
                json_path: "collected_at".into(),
                message: e.to_string(),
            })?;
        }
        // The security groups and their rules are the bulk of a snapshot: parse them on a second
        // thread while this one reads the rest.
        let (groups_side, rest) = std::thread::scope(|scope| {
            let side = scope.spawn(|| {
                let mut l = Loader {
                    dir,
                    meta: &meta,
                    found: 0,
                };
                let rules = l.load_list(Input::SecurityGroupRules, |w: SgRulesFile| w.items)?;
                let groups = if rules.is_ok() {
                    // The rules file carries every rule, with ids; skip the copies in the groups.
                    l.load_list(Input::SecurityGroups, |w: SgHeadFile| {
                        w.items.into_iter().map(SecurityGroup::from).collect()
                    })?
                } else {
                    l.load_list(Input::SecurityGroups, |w: SgFile| w.items)?
                };
                Ok::<_, SnapshotError>((rules, groups, l.found))
            });
            let mut l = Loader {
                dir,
                meta: &meta,
                found: 0,
            };
            let rest = (|| {
                Ok::<_, SnapshotError>((
                    l.load_list(Input::Vpcs, |w: VpcsFile| w.items)?,
                    l.load_list(Input::VpcAttributes, |w: Vec<VpcAttributes>| w)?,
                    l.load_list(Input::Subnets, |w: SubnetsFile| w.items)?,
                    l.load_list(Input::RouteTables, |w: RouteTablesFile| w.items)?,
                    l.load_list(Input::InternetGateways, |w: IgwFile| w.items)?,
                    l.load_list(Input::NatGateways, |w: NatFile| w.items)?,
                    l.load_list(Input::VpcEndpoints, |w: EndpointsFile| w.items)?,
                    l.load_list(Input::NetworkAcls, |w: AclFile| w.items)?,
                    l.load_list(
                        Input::EndpointServiceConfigurations,
                        |w: ServiceConfigFile| w.items,
                    )?,
                    l.load(
                        Input::EndpointServicePermissions,
                        |w: BTreeMap<String, ServicePermissions>| w,
                    )?,
                    l.load_list(Input::ManagedPrefixLists, |w: PrefixListFile| w.items)?,
                ))
            })()
            .map(|r| (r, l.found));
            let side = match side.join() {
                Ok(r) => r,
                Err(p) => std::panic::resume_unwind(p),
            };
            (side, rest)
        });
        // Errors in file order: the main thread's files first.
        let (
            (vpcs, attrs, subnets, rts, igws, nats, eps, acls, svc_cfg, svc_perm, pls),
            found_rest,
        ) = rest?;
        let (rules, groups, found_side) = groups_side?;
        let snapshot = Snapshot {
            vpcs,
            vpc_attributes: attrs,
            subnets,
            route_tables: rts,
            internet_gateways: igws,
            nat_gateways: nats,
            vpc_endpoints: eps,
            security_groups: groups,
            security_group_rules: rules,
            network_acls: acls,
            endpoint_service_configurations: svc_cfg,
            endpoint_service_permissions: svc_perm,
            managed_prefix_lists: pls,
            meta: meta.clone(),
        };
        if found_rest + found_side == 0 {
            return Err(SnapshotError::NoSnapshotFiles {
                path: dir.to_path_buf(),
            });
        }
        Ok(snapshot)
    }

    /// Whether the data of `input` is there, and why not when it is not. Security-group rules
    /// count as there when either of their two sources is.
    pub fn availability(&self, input: Input) -> Result<(), &CollectFailure> {
        fn ok<T>(c: &Collected<T>) -> Result<(), &CollectFailure> {
            c.as_ref().map(|_| ())
        }
        match input {
            Input::Vpcs => ok(&self.vpcs),
            Input::VpcAttributes => ok(&self.vpc_attributes),
            Input::Subnets => ok(&self.subnets),
            Input::RouteTables => ok(&self.route_tables),
            Input::InternetGateways => ok(&self.internet_gateways),
            Input::NatGateways => ok(&self.nat_gateways),
            Input::VpcEndpoints => ok(&self.vpc_endpoints),
            Input::SecurityGroups => ok(&self.security_groups),
            Input::SecurityGroupRules => {
                ok(&self.security_group_rules).or_else(|e| ok(&self.security_groups).map_err(|_| e))
            }
            Input::NetworkAcls => ok(&self.network_acls),
            Input::EndpointServiceConfigurations => ok(&self.endpoint_service_configurations),
            Input::EndpointServicePermissions => ok(&self.endpoint_service_permissions),
            Input::ManagedPrefixLists => ok(&self.managed_prefix_lists),
        }
    }

    /// Writes the snapshot in the same layout [`Snapshot::load`] reads. Inputs that were not
    /// collected are left out (a file of theirs from an earlier run is removed, so it is never
    /// read as current) and failures are recorded in `snapshot.json`'s `collection_errors`.
    pub fn write(&self, dir: &Path) -> Result<(), SnapshotError> {
        fs::create_dir_all(dir).map_err(|source| SnapshotError::Write {
            file: dir.to_path_buf(),
            source,
        })?;
        let mut meta = self.meta.clone();
        meta.format_version = Some(SNAPSHOT_FORMAT_VERSION);
        meta.collection_errors.clear();
        let mut w = Writer {
            dir,
            errors: &mut meta.collection_errors,
        };
        w.put(Input::Vpcs, &self.vpcs, |v| VpcsFile {
            items: v,
            next_token: None,
        })?;
        w.put(Input::VpcAttributes, &self.vpc_attributes, |v| v)?;
        w.put(Input::Subnets, &self.subnets, |v| SubnetsFile {
            items: v,
            next_token: None,
        })?;
        w.put(Input::RouteTables, &self.route_tables, |v| {
            RouteTablesFile {
                items: v,
                next_token: None,
            }
        })?;
        w.put(Input::InternetGateways, &self.internet_gateways, |v| {
            IgwFile {
                items: v,
                next_token: None,
            }
        })?;
        w.put(Input::NatGateways, &self.nat_gateways, |v| NatFile {
            items: v,
            next_token: None,
        })?;
        w.put(Input::VpcEndpoints, &self.vpc_endpoints, |v| {
            EndpointsFile {
                items: v,
                next_token: None,
            }
        })?;
        w.put(Input::SecurityGroups, &self.security_groups, |v| SgFile {
            items: v,
            next_token: None,
        })?;
        w.put(Input::SecurityGroupRules, &self.security_group_rules, |v| {
            SgRulesFile {
                items: v,
                next_token: None,
            }
        })?;
        w.put(Input::NetworkAcls, &self.network_acls, |v| AclFile {
            items: v,
            next_token: None,
        })?;
        w.put(
            Input::EndpointServiceConfigurations,
            &self.endpoint_service_configurations,
            |v| ServiceConfigFile {
                items: v,
                next_token: None,
            },
        )?;
        w.put(
            Input::EndpointServicePermissions,
            &self.endpoint_service_permissions,
            |v| v,
        )?;
        w.put(Input::ManagedPrefixLists, &self.managed_prefix_lists, |v| {
            PrefixListFile {
                items: v,
                next_token: None,
            }
        })?;
        write_json(&dir.join("snapshot.json"), &meta)
    }
}

struct Writer<'a> {
    dir: &'a Path,
    errors: &'a mut Vec<CollectFailure>,
}

impl Writer<'_> {
    fn put<T: Clone, W: Serialize>(
        &mut self,
        input: Input,
        data: &Collected<T>,
        wrap: impl FnOnce(T) -> W,
    ) -> Result<(), SnapshotError> {
        let file = self.dir.join(input.file());
        match data {
            Ok(v) => write_json(&file, &wrap(v.clone())),
            Err(f) => {
                if f.code != NOT_COLLECTED {
                    self.errors.push(f.clone());
                }
                // A file an earlier run left here would be read as this run's state.
                match fs::remove_file(&file) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        Err(SnapshotError::Write { file, source: e })
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

fn write_json<T: Serialize>(file: &Path, value: &T) -> Result<(), SnapshotError> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| SnapshotError::Write {
        file: file.to_path_buf(),
        source: io::Error::other(e),
    })?;
    fs::write(file, text).map_err(|source| SnapshotError::Write {
        file: file.to_path_buf(),
        source,
    })
}

//! The manifest: which workspaces to audit, in which connectivity modes, and the waivers.
//!
//! JSON or YAML (chosen by extension, `.yaml`/`.yml` for YAML). Unknown keys are rejected so a
//! typo (`subnet_id` for `subnet_ids`) is reported instead of silently auditing less.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::pure::snapshot::read_limited;

/// The manifest versions this build understands.
pub const MANIFEST_VERSION: u32 = 1;

pub use crate::pure::deployment::Mode;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(default)]
    pub workspaces: Vec<WorkspaceSpec>,
    #[serde(default)]
    pub transit_vpcs: Vec<TransitVpcSpec>,
    /// Customer endpoint services that Databricks serverless compute connects to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serverless_endpoint_services: Vec<String>,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSpec {
    pub name: String,
    pub vpc_id: String,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default)]
    pub modes: Vec<Mode>,
    /// The compliance security profile (FIPS): requires port 2443.
    #[serde(default)]
    pub compliance_security_profile: bool,
    /// The legacy Hive metastore is still in use (port 3306).
    #[serde(default)]
    pub legacy_hive_metastore: bool,
    /// Custom DNS servers are in use (port 53).
    #[serde(default)]
    pub custom_dns: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitVpcSpec {
    pub vpc_id: String,
    #[serde(default)]
    pub client_cidrs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub rule: String,
    pub resource: String,
    pub reason: String,
    #[serde(default)]
    pub owner: String,
    /// `YYYY-MM-DD` (the waiver applies up to and including that day, in UTC) or an RFC 3339
    /// time with an offset (it applies until then). See `docs/contracts-dates.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(transparent)]
    Read(#[from] crate::pure::snapshot::SnapshotError),
    #[error("{file}: not found")]
    NotFound { file: PathBuf },
    /// A remote source (an SSM parameter) could not be read.
    #[error("{source_name}: could not be read: {message}")]
    Source {
        source_name: String,
        message: String,
    },
    #[error("{file}: at `{path}`: {message}")]
    Parse {
        file: PathBuf,
        path: String,
        message: String,
    },
    #[error("{file}: at `{path}`: {message}")]
    Invalid {
        file: PathBuf,
        path: String,
        message: String,
    },
}

impl Manifest {
    /// Every VPC the manifest names (workspaces and transit VPCs), sorted, once each: the scope
    /// of a live collection.
    pub fn vpc_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .workspaces
            .iter()
            .map(|w| w.vpc_id.clone())
            .chain(self.transit_vpcs.iter().map(|t| t.vpc_id.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Reads and validates a manifest file.
    pub fn load(file: &Path) -> Result<Manifest, ManifestError> {
        let bytes = read_limited(file)?.ok_or_else(|| ManifestError::NotFound {
            file: file.to_path_buf(),
        })?;
        let yaml = matches!(
            file.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        let manifest = if yaml {
            Self::parse_yaml(file, &bytes)?
        } else {
            crate::pure::snapshot::parse_json::<Manifest>(file, &bytes).map_err(|e| match e {
                crate::pure::snapshot::SnapshotError::Parse {
                    file,
                    json_path,
                    message,
                } => ManifestError::Parse {
                    file,
                    path: json_path,
                    message,
                },
                other => ManifestError::Read(other),
            })?
        };
        manifest.validate(file)?;
        Ok(manifest)
    }

    /// Parses a manifest given as a JSON string (the form the Lambda functions receive).
    pub fn from_json_str(origin: &str, text: &str) -> Result<Manifest, ManifestError> {
        let file = PathBuf::from(origin);
        let m: Manifest =
            crate::pure::snapshot::parse_json(&file, text.as_bytes()).map_err(|e| {
                ManifestError::Parse {
                    file: file.clone(),
                    path: String::new(),
                    message: e.to_string(),
                }
            })?;
        m.validate(&file)?;
        Ok(m)
    }

    fn parse_yaml(file: &Path, bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let de = serde_yaml_ng::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map_err(|e| ManifestError::Parse {
            file: file.to_path_buf(),
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        })
    }

    /// Checks what serde cannot: ids have the right prefix, CIDRs and dates parse, names are unique.
    pub fn validate(&self, file: &Path) -> Result<(), ManifestError> {
        let bad = |path: String, message: String| ManifestError::Invalid {
            file: file.to_path_buf(),
            path,
            message,
        };
        if let Some(v) = self.version {
            if v > MANIFEST_VERSION {
                return Err(bad(
                    "version".into(),
                    format!("manifest version {v} is newer than this plaudit understands ({MANIFEST_VERSION})"),
                ));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, w) in self.workspaces.iter().enumerate() {
            let at = |f: &str| format!("workspaces[{i}].{f}");
            if w.name.trim().is_empty() {
                return Err(bad(at("name"), "must not be empty".into()));
            }
            if !names.insert(w.name.as_str()) {
                return Err(bad(
                    at("name"),
                    format!("duplicate workspace name `{}`", w.name),
                ));
            }
            check_id(&w.vpc_id, "vpc-").map_err(|m| bad(at("vpc_id"), m))?;
            for (j, s) in w.subnet_ids.iter().enumerate() {
                check_id(s, "subnet-").map_err(|m| bad(at(&format!("subnet_ids[{j}]")), m))?;
            }
            for (j, s) in w.security_group_ids.iter().enumerate() {
                check_id(s, "sg-").map_err(|m| bad(at(&format!("security_group_ids[{j}]")), m))?;
            }
        }
        for (i, t) in self.transit_vpcs.iter().enumerate() {
            check_id(&t.vpc_id, "vpc-").map_err(|m| bad(format!("transit_vpcs[{i}].vpc_id"), m))?;
            for (j, c) in t.client_cidrs.iter().enumerate() {
                if crate::pure::cidr::Cidr::parse(c).is_none() {
                    return Err(bad(
                        format!("transit_vpcs[{i}].client_cidrs[{j}]"),
                        format!("`{c}` is not a CIDR block"),
                    ));
                }
            }
        }
        for (i, w) in self.waivers.iter().enumerate() {
            if crate::pure::rules::meta(&w.rule).is_none() {
                return Err(bad(
                    format!("waivers[{i}].rule"),
                    format!(
                        "`{}` is not a plaudit rule id (see `plaudit rules`)",
                        w.rule
                    ),
                ));
            }
            if w.reason.trim().is_empty() {
                return Err(bad(
                    format!("waivers[{i}].reason"),
                    "a waiver needs a reason".into(),
                ));
            }
            if let Some(e) = &w.expires {
                if let Err(err) = crate::pure::time::parse_expiry(e) {
                    return Err(bad(format!("waivers[{i}].expires"), err.to_string()));
                }
            }
        }
        Ok(())
    }
}

fn check_id(id: &str, prefix: &str) -> Result<(), String> {
    let ok = id.len() > prefix.len()
        && id.starts_with(prefix)
        && id[prefix.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!("`{id}` is not a valid id (expected {prefix}…)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("plaudit-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_yaml_and_json_alike() {
        let y = write(
            "m.yaml",
            "workspaces:\n  - name: prod\n    vpc_id: vpc-1\n    modes: [back-end, isolated]\n",
        );
        let j = write(
            "m.json",
            r#"{"workspaces":[{"name":"prod","vpc_id":"vpc-1","modes":["back-end","isolated"]}]}"#,
        );
        assert_eq!(Manifest::load(&y).unwrap(), Manifest::load(&j).unwrap());
    }

    #[test]
    fn names_the_field_of_a_typo() {
        let j = write(
            "typo.json",
            r#"{"workspaces":[{"name":"prod","vpc_id":"vpc-1","subnet_id":["subnet-1"]}]}"#,
        );
        let e = Manifest::load(&j).unwrap_err().to_string();
        assert!(
            e.contains("workspaces[0]") && e.contains("subnet_id"),
            "{e}"
        );
    }

    #[test]
    fn rejects_bad_ids_modes_dates_and_rules() {
        for (name, text, needle) in [
            (
                "a.json",
                r#"{"workspaces":[{"name":"p","vpc_id":"subnet-1"}]}"#,
                "workspaces[0].vpc_id",
            ),
            (
                "b.json",
                r#"{"workspaces":[{"name":"p","vpc_id":"vpc-1","modes":["hybrid"]}]}"#,
                "modes",
            ),
            (
                "c.json",
                r#"{"waivers":[{"rule":"PL-EP-006","resource":"vpce-1","reason":"x","expires":"soon"}]}"#,
                "waivers[0].expires",
            ),
            (
                "d.json",
                r#"{"waivers":[{"rule":"PL-XX-1","resource":"vpce-1","reason":"x"}]}"#,
                "waivers[0].rule",
            ),
            (
                "e.json",
                r#"{"transit_vpcs":[{"vpc_id":"vpc-1","client_cidrs":["10.0.0.0/99"]}]}"#,
                "client_cidrs[0]",
            ),
        ] {
            let e = Manifest::load(&write(name, text)).unwrap_err().to_string();
            assert!(e.contains(needle), "{name}: {e}");
        }
    }

    #[test]
    fn waiver_expiries_are_dates_or_times_with_offsets() {
        let waiver = |expires: &str| {
            format!(
                "waivers:\n  - rule: PL-EP-006\n    resource: vpce-1\n    reason: x\n  - rule: PL-EP-006\n    resource: vpce-2\n    reason: y\n    expires: \"{expires}\"\n"
            )
        };
        for good in [
            "2027-01-31",
            "2027-01-31T18:00:00Z",
            "2027-01-31T18:00:00.5+02:00",
        ] {
            let m = Manifest::load(&write("good.yaml", &waiver(good))).unwrap();
            assert_eq!(m.waivers[1].expires.as_deref(), Some(good));
        }
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2027-01-31T18:00:00",
            "2027-01-31garbage",
        ] {
            let e = Manifest::load(&write("bad.yaml", &waiver(bad)))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("bad.yaml: at `waivers[1].expires`: "),
                "{bad}: {e}"
            );
            assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
        }
    }

    #[test]
    fn missing_file_is_named() {
        let e = Manifest::load(Path::new("/nonexistent/plaudit.json")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/plaudit.json"));
    }
}

//! End-to-end test helpers: where the bundled examples are and how to run the `plaudit` binary.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A bundled example estate.
pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

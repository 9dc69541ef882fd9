#!/usr/bin/env bash
# The whole test suite, as the README documents it and .ci/run calls it.
# Incremental: it never cleans target/, so a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== format"
cargo fmt --all -- --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== pure core without optional features (no AWS SDK)"
cargo test -p plaudit --no-default-features --locked --lib

echo "== all tests"
cargo test --workspace --locked

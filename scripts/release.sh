#!/usr/bin/env bash
# Release build: everything a user needs to deploy and run plaudit without a Rust toolchain.
#
#   bash scripts/release.sh
#
# Writes dist/ (gitignored; replaced on each run):
#   functions/<binary>.zip       one arm64 (Graviton) `bootstrap` zip per Lambda function
#   template.yaml                template.yaml with each function's CodeUri set to its zip and the
#                                SAM build metadata removed, plus Serverless Application Repository
#                                metadata: `sam deploy --template-file dist/template.yaml` needs no build
#   README.md                    the SAR ReadmeUrl (`sam package` uploads it)
#   plaudit-<target>             the CLI for Linux x86_64 and aarch64 (static musl; gnu fallback)
#   SHA256SUMS                   sha256 of every file above (`cd dist && sha256sum -c SHA256SUMS`)
#
# Needs: rustup + cargo (the workspace's rust-version), python3 with venv, and the package registries
# (crates.io, PyPI) plus rustup's own download server for the cross targets. It installs its tools
# (cargo-lambda, cargo-zigbuild, zig, PyYAML; pinned) into .venv-release, which it owns, and the
# template checkers (cfn-lint, SAM CLI; the pins of scripts/test.sh) into .venv-tools.
# Idempotent and incremental: it never cleans the cargo target directory (CARGO_TARGET_DIR is honoured).
# Slow: three release builds of the AWS SDK (aarch64 gnu for Lambda, x86_64 and aarch64 musl for the
# CLI). Not part of scripts/test.sh, which only checks the template transform. See docs/release.md.
set -euo pipefail
# The braces make bash read the whole script before it runs: editing it mid-run is then safe.
{
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION=1.9.2
CARGO_ZIGBUILD_VERSION=0.24.0
ZIGLANG_VERSION=0.17.1
PYYAML_VERSION=6.0.3
CFN_LINT_VERSION=1.58.0 # keep in step with scripts/test.sh
SAM_VERSION=1.170.0     # keep in step with scripts/test.sh
VENV=.venv-release
TOOLS=.venv-tools
DIST=dist
LAMBDA_TARGET=aarch64-unknown-linux-gnu
CLI_TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
CLI_PACKAGE=plaudit-cli
CLI_BINARY=plaudit

START=$(date +%s)
elapsed() { local s=$(($(date +%s) - START)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
step() { printf '\n== [%s] %s\n' "$(elapsed)" "$*"; }
note() { printf '   %s\n' "$*"; }
die() { printf '\nrelease: %s\n' "$*" >&2; exit 1; }

TARGET_DIR=${CARGO_TARGET_DIR:-target}
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')
step "plaudit $VERSION release build (cargo target dir: $TARGET_DIR)"

# ------------------------------------------------------------------------------------------ tools
step "build tools in $VENV (cargo-lambda $CARGO_LAMBDA_VERSION, cargo-zigbuild $CARGO_ZIGBUILD_VERSION, zig $ZIGLANG_VERSION, PyYAML $PYYAML_VERSION)"
PINS="cargo-lambda==$CARGO_LAMBDA_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION ziglang==$ZIGLANG_VERSION PyYAML==$PYYAML_VERSION"
if [[ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ]]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # PINS is a list of requirements
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
  echo "$PINS" > "$VENV/.pins"
  note "installed"
else
  note "already installed"
fi
export PATH="$PWD/$VENV/bin:$PATH"
note "$(cargo lambda --version)"

step "template checkers in $TOOLS (cfn-lint $CFN_LINT_VERSION, SAM CLI $SAM_VERSION)"
if ! "$TOOLS/bin/cfn-lint" --version 2>/dev/null | grep -q "$CFN_LINT_VERSION" \
   || ! "$TOOLS/bin/sam" --version 2>/dev/null | grep -q "$SAM_VERSION"; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_VERSION"
  note "installed"
else
  note "already installed"
fi

# ---------------------------------------------------------------------------------- rust targets
step "rustup targets"
command -v rustup > /dev/null || die "rustup is not on PATH: the cross targets are added with rustup"
installed_targets=$(rustup target list --installed)
# add_target TRIPLE: 0 when the standard library for TRIPLE is (now) installed.
add_target() {
  if grep -qx "$1" <<< "$installed_targets"; then
    note "$1: installed"
    return 0
  fi
  note "$1: rustup target add $1"
  if rustup target add "$1"; then
    return 0
  fi
  printf '\n   rustup could not fetch the Rust standard library for %s.\n' "$1" >&2
  printf '   It comes from rustup'\''s download server, not from crates.io: allow that host, or run\n' >&2
  printf "   \`rustup target add %s\` where it is reachable (same toolchain: %s).\n\n" "$1" "$(rustc --version)" >&2
  return 1
}
add_target "$LAMBDA_TARGET" || die "the Lambda functions need $LAMBDA_TARGET (Graviton, arm64)"
CLI_BUILD_TARGETS=()
for musl in "${CLI_TARGETS[@]}"; do
  gnu=${musl/-musl/-gnu}
  if add_target "$musl"; then
    CLI_BUILD_TARGETS+=("$musl")
  elif add_target "$gnu"; then
    note "$musl unavailable: the CLI for ${musl%%-*} will be a glibc build ($gnu)"
    CLI_BUILD_TARGETS+=("$gnu")
  else
    die "neither $musl nor $gnu could be installed"
  fi
done

# ------------------------------------------------------------------------------ lambda functions
mapfile -t FUNCTION_BINARIES < <("$VENV/bin/python" scripts/package-template.py --list-binaries --template template.yaml)
# The package of each binary (cargo metadata), so one cargo invocation builds all the functions
# and the AWS SDK compiles once for them.
mapfile -t FUNCTION_PACKAGES < <(cargo metadata --format-version 1 --no-deps --locked | "$VENV/bin/python" -c '
import json, sys
wanted = sys.argv[1:]
owner = {t["name"]: p["name"] for p in json.load(sys.stdin)["packages"] for t in p["targets"] if "bin" in t["kind"]}
missing = [b for b in wanted if b not in owner]
if missing:
    sys.exit("release: template.yaml names binaries no workspace package has: " + ", ".join(missing))
print("\n".join(sorted({owner[b] for b in wanted})))
' "${FUNCTION_BINARIES[@]}")
step "Lambda functions ${FUNCTION_BINARIES[*]}: cargo lambda build --release --arm64 --output-format zip"
package_args=()
for p in "${FUNCTION_PACKAGES[@]}"; do package_args+=(-p "$p"); done
t0=$(date +%s)
cargo lambda build --release --locked --arm64 --output-format zip "${package_args[@]}"
note "built in $(($(date +%s) - t0)) s"

# ----------------------------------------------------------------------------------------- CLI
BUILT_CLI=()
for triple in "${CLI_BUILD_TARGETS[@]}"; do
  step "CLI $CLI_BINARY for $triple: cargo zigbuild --release"
  t0=$(date +%s)
  if cargo zigbuild --release --locked -p "$CLI_PACKAGE" --target "$triple"; then
    BUILT_CLI+=("$triple")
  elif [[ "$triple" == *-musl ]]; then
    gnu=${triple/-musl/-gnu}
    note "the musl build failed (see above): falling back to a glibc build ($gnu) with zig"
    add_target "$gnu" || die "no $gnu target either"
    cargo zigbuild --release --locked -p "$CLI_PACKAGE" --target "$gnu"
    BUILT_CLI+=("$gnu")
  else
    die "the CLI build for $triple failed"
  fi
  note "built in $(($(date +%s) - t0)) s"
done

# ----------------------------------------------------------------------------------------- dist
step "assembling $DIST/"
# Rebuilt from scratch, except the answers `sam deploy --guided` saved there (docs/release.md).
saved_config=$(mktemp)
if [[ -f "$DIST/samconfig.toml" ]]; then cp "$DIST/samconfig.toml" "$saved_config"; fi
rm -rf "$DIST"
mkdir -p "$DIST/functions"
for binary in "${FUNCTION_BINARIES[@]}"; do
  zip="$TARGET_DIR/lambda/$binary/bootstrap.zip"
  [[ -f "$zip" ]] || die "cargo lambda wrote no $zip"
  cp "$zip" "$DIST/functions/$binary.zip"
done
for triple in "${BUILT_CLI[@]}"; do
  cp "$TARGET_DIR/$triple/release/$CLI_BINARY" "$DIST/$CLI_BINARY-$triple"
done
cp README.md "$DIST/README.md"
if [[ -f LICENSE ]]; then
  cp LICENSE "$DIST/LICENSE"
  export PLAUDIT_SAR_LICENSE=${PLAUDIT_SAR_LICENSE:-LICENSE}
fi
"$VENV/bin/python" scripts/package-template.py --template template.yaml --output "$DIST/template.yaml" \
  --zip-dir functions --sar-version "$VERSION" | sed 's/^/   /'

step "checking $DIST/template.yaml (shape, zips, cfn-lint, sam validate --lint)"
"$VENV/bin/python" scripts/check-packaged-template.py --template template.yaml \
  --packaged "$DIST/template.yaml" --sar-version "$VERSION" --require-zips
"$TOOLS/bin/cfn-lint" "$DIST/template.yaml"
SAM_HOME=$(mktemp -d)
SAM_CLI_TELEMETRY=0 HOME="$SAM_HOME" "$TOOLS/bin/sam" validate --lint --template "$DIST/template.yaml" | sed 's/^/   /'
rm -rf "$SAM_HOME"

sums=$(cd "$DIST" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)
echo "$sums" > "$DIST/SHA256SUMS"
if [[ -s "$saved_config" ]]; then
  cp "$saved_config" "$DIST/samconfig.toml"
  note "kept $DIST/samconfig.toml (not in SHA256SUMS)"
fi
rm -f "$saved_config"

# -------------------------------------------------------------------------------------- summary
step "artifacts in $DIST/"
(
  cd "$DIST"
  printf '   %-45s %12s %9s  %s\n' file bytes MiB sha256
  while read -r sum file; do
    bytes=$(stat -c %s "$file")
    printf '   %-45s %12s %9s  %s\n' "$file" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" "$sum"
  done < SHA256SUMS
)
for triple in "${BUILT_CLI[@]}"; do
  note "$CLI_BINARY-$triple: $(file -b "$DIST/$CLI_BINARY-$triple" | cut -d, -f1-2,4-5)"
done
step "done in $(elapsed) ($(($(date +%s) - START)) s)"
exit 0
}

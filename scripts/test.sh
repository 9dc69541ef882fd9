#!/usr/bin/env bash
# The whole test suite, as the README documents it and .ci/run calls it.
# Incremental: it never cleans target/, so a second run only rebuilds what changed.
# It installs moto (the AWS API emulator) from PyPI into .venv-test on first use, starts it on a
# free loopback port for the live-collection tests, and stops it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
VENV=.venv-test
CFN_LINT_VERSION=1.58.0
SAM_VERSION=1.170.0
TOOLS=.venv-tools

echo "== format"
cargo fmt --all -- --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== pure core and offline CLI without optional features (no AWS SDK)"
cargo test -p plaudit --no-default-features --locked --lib
cargo clippy -p plaudit-cli --no-default-features --all-targets --locked -- -D warnings

echo "== deployment template (cfn-lint $CFN_LINT_VERSION, sam validate with SAM CLI $SAM_VERSION), Config rules on and off"
# A venv of their own: aws-sam-cli pins boto3/botocore versions that moto's venv should not get.
if ! "$TOOLS/bin/cfn-lint" --version 2>/dev/null | grep -q "$CFN_LINT_VERSION" \
   || ! "$TOOLS/bin/sam" --version 2>/dev/null | grep -q "$SAM_VERSION"; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_VERSION"
fi
# cfn-lint checks every combination of the template's conditions (a reference that breaks only
# with ConfigRules=disabled is reported even without parameters), informational checks included;
# then once per ConfigRules value with the parameter resolved.
"$TOOLS/bin/cfn-lint" --include-checks I -- template.yaml
CONFIG_RULES="existing-recorder create-recorder disabled"
for rules in $CONFIG_RULES; do
  "$TOOLS/bin/cfn-lint" --include-checks I --parameters "ConfigRules=$rules" -- template.yaml
done
for reports in none create; do
  "$TOOLS/bin/cfn-lint" --include-checks I --parameters "ReportBucketMode=$reports" -- template.yaml
done
# `sam validate` takes no parameters: it runs on copies whose ConfigRules is pinned to one value
# (Default and AllowedValues), with cfn-lint (--lint) and with the SAM translator (needs a region,
# no credentials).
SAM_HOME=$(mktemp -d)
# sam validate on a copy of the template whose parameter $1 is pinned to the value $2.
sam_validate_pinned() {
  local variant="$SAM_HOME/template-$1-$2.yaml"
  sed "/^  $1:\$/,/^  [A-Za-z]*:\$/{s/^    Default: .*/    Default: $2/;s/^    AllowedValues: .*/    AllowedValues: [$2]/}" \
    template.yaml > "$variant"
  grep -q "^    AllowedValues: \[$2\]\$" "$variant" || { echo "could not pin $1=$2"; exit 1; }
  echo "-- sam validate, $1=$2"
  SAM_CLI_TELEMETRY=0 HOME="$SAM_HOME" "$TOOLS/bin/sam" validate --lint --template "$variant"
  SAM_CLI_TELEMETRY=0 HOME="$SAM_HOME" "$TOOLS/bin/sam" validate --region us-east-1 --template "$variant"
}
for rules in $CONFIG_RULES; do
  sam_validate_pinned ConfigRules "$rules"
done
# The report bucket (ReportBucketMode=create; the default, none, is in every copy above).
sam_validate_pinned ReportBucketMode create
rm -rf "$SAM_HOME"

echo "== release template transform (scripts/package-template.py; the slow release build itself is scripts/release.sh)"
# The packaged template that deploys the prebuilt zips: each cargo-lambda function's CodeUri a zip,
# no build metadata, everything else (short-form tags included) unchanged, and it validates.
PACKAGED=$(mktemp -d)
"$TOOLS/bin/python" scripts/package-template.py --template template.yaml --output "$PACKAGED/template.yaml" --sar-version 0.0.0-test
"$TOOLS/bin/python" scripts/check-packaged-template.py --template template.yaml --packaged "$PACKAGED/template.yaml" --sar-version 0.0.0-test
"$TOOLS/bin/cfn-lint" "$PACKAGED/template.yaml"
SAM_HOME=$(mktemp -d)
SAM_CLI_TELEMETRY=0 HOME="$SAM_HOME" "$TOOLS/bin/sam" validate --lint --template "$PACKAGED/template.yaml"
rm -rf "$SAM_HOME" "$PACKAGED"

echo "== moto $MOTO_VERSION"
if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_LOG=$(mktemp)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" > "$MOTO_LOG" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -f "$MOTO_LOG"' EXIT
for _ in $(seq 1 150); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$MOTO_PID" 2>/dev/null; then
    echo "moto did not start:"; cat "$MOTO_LOG"; exit 1
  fi
  sleep 0.2
done
export PLAUDIT_MOTO_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE

echo "== the template's first-evaluation custom resource against moto (tests/python)"
"$VENV/bin/python" -m unittest discover -s tests/python -v

echo "== all tests (including the ones against moto at $PLAUDIT_MOTO_URL)"
cargo test --workspace --locked -- --include-ignored

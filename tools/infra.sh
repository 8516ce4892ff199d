#!/usr/bin/env bash
# Local infrastructure (Redis, PostgreSQL, Kafka, Jaeger; with `up --cluster` also a Redis Cluster
# and HAProxy) as plain processes: `tools/infra.sh up|down|status|logs|reset|env`, `--help` for all.
# The program is TypeScript in tools/infra/; this only finds Node 24 and the dependencies first
# (installing them the way `npm test` does when they are missing, e.g. on a fresh clone).
set -euo pipefail
REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
[[ -x $REPO/.tools/node/bin/node ]] && PATH=$REPO/.tools/node/bin:$PATH
if [[ $(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) == 24 && -f $REPO/node_modules/tsx/package.json ]]; then
  exec node --import "$REPO/node_modules/tsx/dist/loader.mjs" "$REPO/tools/infra/main.ts" "$@"
fi
exec bash "$REPO/tools/bootstrap.sh" tool "$REPO/tools/infra/main.ts" "$@"

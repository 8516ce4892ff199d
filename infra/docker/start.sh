#!/bin/sh
# Entry point of the app images (infra/docker/app.Dockerfile): starts $APP with the tracing preload.
set -eu
cd "$(dirname "$0")/.."   # /app (this file is /app/docker/start.sh)
# One WAL writer per directory: docker-compose.yml names each user-command replica's WAL (WAL_NAME);
# without one, the log is named after the container (its hostname). wal-relay relays every
# directory under WAL_DIR, so a container that was replaced leaves nothing unsent behind.
# (The gateway's audit WAL already defaults to a per-host name.)
if [ "$APP" = user-command ] && [ -z "${WAL_NAME:-}" ]; then
  WAL_NAME="user-command-$(hostname)"
  export WAL_NAME
fi
exec node --enable-source-maps --import "./dist/apps/$APP/register.js" "./dist/apps/$APP/main.js"

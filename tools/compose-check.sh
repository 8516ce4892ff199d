#!/usr/bin/env bash
# Validates docker-compose.yml with compose-go, the loader of Docker Compose itself, plus the rules
# of tools/compose-check/main.go (no Docker engine needed):
#
#   bash tools/compose-check.sh          (CI: .ci/run)
#
# Like Jaeger in tools/infra.sh, the checker is built from the Go module proxy once per version of
# its source into ${USERSYS_CACHE:-~/.cache/usersys}/compose-check-<hash>/; later runs need no
# network. Its Go tests (each bug issue 14 listed, put back into a copy of the file, is reported)
# run again whenever the checker, docker-compose.yml, the app Dockerfile or .env.example change.
# Errors end in one line: "compose-check: ... failed: ...; see <log>".
set -Eeuo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  cat <<'EOF'
usage: bash tools/compose-check.sh   (no options)
Validates docker-compose.yml with compose-go and the rules of tools/compose-check (no Docker engine);
builds the checker once from the Go module proxy into ${USERSYS_CACHE:-~/.cache/usersys}; log: .data/logs/compose-check.log.
EOF
  exit 0
fi

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
SRC=$REPO/tools/compose-check
CACHE=${USERSYS_CACHE:-$HOME/.cache/usersys}
LOG=$REPO/.data/logs/compose-check.log
mkdir -p "$(dirname "$LOG")"

digest() { cat "$@" | sha256sum | cut -c1-16; }
source_hash=$(digest "$SRC"/go.mod "$SRC"/go.sum "$SRC"/*.go)
inputs_hash=$(digest "$SRC"/go.mod "$SRC"/go.sum "$SRC"/*.go "$REPO"/docker-compose.yml "$REPO"/infra/docker/app.Dockerfile "$REPO"/.env.example)
OUT=$CACHE/compose-check-$source_hash
BIN=$OUT/compose-check

need_go() {
  command -v go >/dev/null || [[ ! -x /usr/local/go/bin/go ]] || PATH=$PATH:/usr/local/go/bin   # Go's default install place
  command -v go >/dev/null || {
    echo "compose-check: build missing: Go toolchain not found (needed once to build the checker into $CACHE); install Go >= 1.24" >&2
    exit 1
  }
}

if [[ ! -x $BIN ]]; then
  need_go
  echo "compose-check: building the checker with $(go env GOVERSION) (compose-go from the Go module proxy; once per version; log: $LOG)"
  mkdir -p "$OUT"
  if ! (cd "$SRC" && go build -buildvcs=false -trimpath -o "$BIN.tmp" .) >>"$LOG" 2>&1; then
    rm -f "$BIN.tmp"
    echo "compose-check: build failed: go build of tools/compose-check failed; see $LOG" >&2
    exit 1
  fi
  mv "$BIN.tmp" "$BIN"
fi

# The check itself first (one line per problem), then the checker's own tests when an input changed.
status=0
(cd "$REPO" && "$BIN" -file docker-compose.yml -env-example .env.example -scale auth-gateway,user-consumer) || status=$?

if [[ ! -e $OUT/tested-$inputs_hash ]]; then
  need_go
  if (cd "$SRC" && go test -buildvcs=false -count=1 ./...) >"$LOG.test" 2>&1; then
    touch "$OUT/tested-$inputs_hash"
    echo "compose-check: go test ./... in tools/compose-check passed"
  else
    cat "$LOG.test" >>"$LOG"
    grep -E -e '--- FAIL|main_test.go' "$LOG.test" | head -n 20 >&2 || true
    echo "compose-check: tests failed: go test in tools/compose-check failed (a rule's test edits a copy of docker-compose.yml or the Dockerfile: when that text changed, update tools/compose-check/main_test.go); see $LOG.test" >&2
    status=1
  fi
fi
exit "$status"

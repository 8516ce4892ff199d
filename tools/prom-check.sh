#!/usr/bin/env bash
# Checks the Prometheus alert rules (infra/prometheus/rules/*.yml) with the promtool of every
# Prometheus version the project ships (run by .ci/run):
#   - Debian's prometheus package (2.42 on bookworm): what tools/infra.sh runs on the host;
#   - the prom/prometheus image of docker-compose.yml (v3.x): built once from the Go module proxy
#     (Prometheus v3.M.P is the Go module version v0.3MM.P) into ${USERSYS_CACHE:-~/.cache/usersys},
#     like Jaeger and helm; later runs need no network. Built with the service-discovery plugins our
#     configurations use only (dns; file and http are always in): the cloud ones (AWS, Azure, GCE,
#     Kubernetes, ...) took most of the build (5.2 vs 3.3 CPU-minutes, cold cache); rule parsing,
#     evaluation and `test rules` are the version's own code, unchanged.
# With each: `promtool check rules`, `promtool test rules` (infra/prometheus/tests/*.test.yml: every
# alert fires when it should and not before) and `promtool check config` of compose's prometheus.yml.
# Then: the Helm chart's copy (infra/helm/usersys/files/prometheus-rules/) equals the rules.
#
#   bash tools/prom-check.sh          check
#   bash tools/prom-check.sh --fix    copy the rules into the Helm chart first
#   bash tools/prom-check.sh --help
# Errors end in one line: "prom-check: <what> failed: <why>".
set -Eeuo pipefail

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${USERSYS_CACHE:-$HOME/.cache/usersys}
LOGS=${INFRA_DATA_DIR:-$REPO/.data}/logs
RULES=$REPO/infra/prometheus/rules
TESTS=$REPO/infra/prometheus/tests
HELM_COPY=$REPO/infra/helm/usersys/files/prometheus-rules
MODULE=github.com/prometheus/prometheus

say() { printf 'prom-check: %s\n' "$*"; }
die() { printf 'prom-check: %s\n' "$*" >&2; exit 1; }

case ${1:-} in
  -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --fix) rm -rf "$HELM_COPY" && mkdir -p "$HELM_COPY" && cp "$RULES"/*.yml "$HELM_COPY"/ && say "copied the rules into $HELM_COPY" ;;
  '') ;;
  *) die "arguments failed: unknown option '$1' (--fix, --help)" ;;
esac
mkdir -p "$LOGS" "$CACHE"

debian_promtool() {
  if ! command -v promtool >/dev/null; then
    [[ $(id -u) == 0 ]] || die "promtool missing: install Debian's prometheus package (sudo apt-get install prometheus)"
    say "installing Debian's prometheus package for promtool (log: $LOGS/apt.log)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends --no-upgrade prometheus >>"$LOGS/apt.log" 2>&1 ||
      { apt-get update >>"$LOGS/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends --no-upgrade prometheus >>"$LOGS/apt.log" 2>&1; } ||
      die "promtool install failed: apt-get install prometheus; see $LOGS/apt.log"
  fi
  command -v promtool
}

# promtool of Prometheus $1 (vMAJOR.MINOR.PATCH), built from the Go module proxy once.
built_promtool() {
  local version=$1 major minor patch module out dir src log=$LOGS/promtool-build.log
  IFS=. read -r major minor patch <<<"${version#v}"
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ && $patch =~ ^[0-9]+$ ]] || die "version failed: cannot read Prometheus version '$version'"
  if ((major >= 3)); then module=$(printf 'v0.%d%02d.%d' "$major" "$minor" "$patch"); else module="v0.$minor.$patch"; fi
  out=$CACHE/promtool-$version
  [[ -x $out/promtool ]] && { echo "$out/promtool"; return 0; }
  command -v go >/dev/null || [[ ! -x /usr/local/go/bin/go ]] || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || die "promtool $version build failed: Go toolchain not found (needed once to build it into $CACHE; install Go >= 1.24)"
  say "building promtool $version ($MODULE@$module) with $(go env GOVERSION); takes minutes, once (log: $log)" >&2
  # `go install` refuses the module (its go.mod has replace directives): build in a writable copy.
  dir=$(cd / && GOFLAGS='' go mod download -json "$MODULE@$module" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || true
  [[ -n $dir && -f $dir/go.mod ]] || die "promtool $version build failed: the Go module proxy does not serve $MODULE@$module; see $log"
  src=$(mktemp -d "${TMPDIR:-/tmp}/promtool-src.XXXXXX")
  cp -r "$dir"/. "$src" && chmod -R u+w "$src"
  printf '%s\n' '// Trimmed by tools/prom-check.sh: the discovery plugins our configurations use.' 'package plugins' '' \
    'import _ "github.com/prometheus/prometheus/discovery/dns" // Register dns plugin.' >"$src/plugins/plugins.go"
  mkdir -p "$out"
  if ! (cd "$src" && GOFLAGS='' go build -trimpath -ldflags "-X github.com/prometheus/common/version.Version=${version#v}" -o "$out/promtool.tmp" ./cmd/promtool) >>"$log" 2>&1; then
    rm -rf "$src" "$out/promtool.tmp"
    die "promtool $version build failed: go build of $MODULE@$module; see $log"
  fi
  rm -rf "$src"
  mv "$out/promtool.tmp" "$out/promtool"
  echo "$out/promtool"
}

check_with() {
  local promtool=$1 label=$2
  say "$label: $("$promtool" --version 2>&1 | head -n1)"
  "$promtool" check rules "$RULES"/*.yml || die "check rules failed with $label"
  (cd "$TESTS" && "$promtool" test rules ./*.test.yml) || die "test rules failed with $label"
  "$promtool" check config "$REPO/infra/prometheus/prometheus.yml" || die "check config failed with $label (infra/prometheus/prometheus.yml)"
}

# Every Prometheus the project ships: Debian's (the host path) and docker-compose's image.
check_with "$(debian_promtool)" "Debian prometheus"
compose_version=$(sed -n 's/^[[:space:]]*image:[[:space:]]*prom\/prometheus:\(v[0-9.]*\)[[:space:]]*$/\1/p' "$REPO/docker-compose.yml")
[[ -n $compose_version ]] || die "versions failed: no prom/prometheus:vX.Y.Z image in docker-compose.yml"
check_with "$(built_promtool "$compose_version")" "docker-compose prom/prometheus:$compose_version"

diff -r "$RULES" "$HELM_COPY" >/dev/null 2>&1 || die "helm copy failed: $HELM_COPY differs from infra/prometheus/rules (run bash tools/prom-check.sh --fix)"
say "ok"

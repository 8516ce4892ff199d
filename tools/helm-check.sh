#!/usr/bin/env bash
# Checks the Helm chart infra/helm/usersys with the real tools (run by .ci/run):
#   1. helm lint --strict, with the default values and with ci/custom-values.yaml;
#   2. helm template;
#   3. tools/helm-check (go test): every rendered manifest decoded strictly into its k8s.io/api type,
#      and the chart's rules (StatefulSet + WAL sidecar, the user-command replica list, HPA/PDB, probes, resources, securityContext,
#      secrets, endpoints, topics) checked over the rendered objects.
# helm is built once from the Go module proxy (helm.sh/helm/v3) into ${USERSYS_CACHE:-~/.cache/usersys},
# like Jaeger in tools/infra.sh; later runs need no network (the Go module and build caches keep the rest).
# Errors end in one line: "helm-check: <what> failed: <why>".
set -Eeuo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  cat <<'EOF'
usage: bash tools/helm-check.sh   (no options; HELM_VERSION picks helm versions to try)
Lints and renders infra/helm/usersys with helm (built once from the Go module proxy into
${USERSYS_CACHE:-~/.cache/usersys}) and checks the manifests against the Kubernetes API types.
EOF
  exit 0
fi

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${USERSYS_CACHE:-$HOME/.cache/usersys}
LOGS=${INFRA_DATA_DIR:-$REPO/.data}/logs
CHART=$REPO/infra/helm/usersys
# First version the module proxy serves wins (then it is cached).
HELM_MODULE=helm.sh/helm/v3
HELM_VERSIONS=${HELM_VERSION:-"v3.22.0 v3.21.4"}

say() { printf 'helm-check: %s\n' "$*"; }
die() { printf 'helm-check: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "helm build missing: Go toolchain not found (needed to build helm and run the manifest test; install Go >= 1.26)"
mkdir -p "$LOGS" "$CACHE"

helm_bin() {
  local v out dir minor log=$LOGS/helm-build.log
  for v in $HELM_VERSIONS; do   # a binary built earlier: no network at all
    [[ -x $CACHE/helm-$v/helm ]] && { echo "$CACHE/helm-$v/helm"; return 0; }
  done
  for v in $HELM_VERSIONS; do
    out=$CACHE/helm-$v
    say "building helm $v from the Go module proxy with $(go env GOVERSION); takes minutes, once (log: $log)" >&2
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    # Like helm's Makefile: the Kubernetes version that `helm template` and `lint` assume is the one
    # of its client-go (v0.37 -> 1.37); without it, 1.20. Run outside any module so the argument
    # is read as module@version.
    dir=$(cd / && GOFLAGS='' go mod download -json "$HELM_MODULE@$v" 2>>"$log" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || true
    minor=$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "${dir:-/nonexistent}/go.mod" 2>/dev/null || true)
    if [[ -n $minor ]] && (cd / && GOFLAGS='' GOBIN=$out.tmp go install -trimpath -ldflags "-X $HELM_MODULE/internal/version.version=$v \
      -X $HELM_MODULE/pkg/lint/rules.k8sVersionMajor=1 -X $HELM_MODULE/pkg/lint/rules.k8sVersionMinor=$minor \
      -X $HELM_MODULE/pkg/chartutil.k8sVersionMajor=1 -X $HELM_MODULE/pkg/chartutil.k8sVersionMinor=$minor" \
      "$HELM_MODULE/cmd/helm@$v") >>"$log" 2>&1; then
      rm -rf "$out" && mv "$out.tmp" "$out"
      echo "$out/helm"
      return 0
    fi
    rm -rf "$out.tmp"
    say "helm $v could not be built, trying the next version (log: $log)" >&2
  done
  die "helm build failed: no version of $HELM_MODULE built ($HELM_VERSIONS); see $log"
}

HELM=$(helm_bin)
say "$("$HELM" version --short) at $HELM"
"$HELM" lint --strict "$CHART" || die "helm lint failed (default values)"
"$HELM" lint --strict "$CHART" --values "$CHART/ci/custom-values.yaml" || die "helm lint failed (ci/custom-values.yaml)"
"$HELM" template usersys "$CHART" >/dev/null || die "helm template failed"
[[ -z $(gofmt -l "$REPO/tools/helm-check") ]] || die "gofmt failed: run gofmt -w tools/helm-check"
(cd "$REPO/tools/helm-check" && go vet ./... && HELM_BIN=$HELM go test -count=1 ./...) || die "manifest test failed (tools/helm-check)"
say "ok"

#!/usr/bin/env bash
# Builds a Kubernetes API server binary from the Go module proxy, because Debian packages no
# Kubernetes and the test machines have no Docker engine. k8s.io/kubernetes cannot be built
# with `go install module@version`: its go.mod replaces the k8s.io/* libraries (api,
# apimachinery, apiserver, client-go, ...) with directories under ./staging that exist only in
# its own checkout. Each of those libraries is also published as its own module, k8s.io/<name>,
# at v0.<minor>.<patch> for Kubernetes v1.<minor>.<patch>. So this makes a throwaway module that
# requires k8s.io/kubernetes at a pinned version, replaces every ./staging module by its
# published twin, keeps the other replace/exclude lines, and builds cmd/kube-apiserver.
# The result is cached outside the repository; a second run with the binary present does nothing.
set -euo pipefail

source "$(dirname "$0")/go-wrapper-module.sh"

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.37.2}"
BIN="$CACHE_DIR/bin/kube-apiserver-$KUBERNETES_VERSION"

if [ -x "$BIN" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "build-kube-apiserver: Go toolchain not found" >&2; exit 1; }

if ! [[ "$KUBERNETES_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build-kube-apiserver: KUBERNETES_VERSION must look like v1.37.2, not $KUBERNETES_VERSION" >&2
  exit 1
fi
# Kubernetes v1.37.2 publishes its staging libraries as v0.37.2.
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

echo "build-kube-apiserver: building kube-apiserver $KUBERNETES_VERSION from its Go module (takes minutes the first time)"
started=$(date +%s)
enter_wrapper_module kube-apiserver k8s.io/kubernetes "$KUBERNETES_VERSION"

go_line=$(grep -m1 '^go ' upstream.mod)
# The same GODEBUG defaults as Kubernetes' own build, which come from its main module.
godebug_line=$(grep -m1 '^godebug ' upstream.mod || true)
{
  echo "module baton.local/kubeapiserverbuild"
  echo
  echo "$go_line"
  [ -z "$godebug_line" ] || echo "$godebug_line"
  echo
  echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
  echo
  # A local ./staging/src/k8s.io/<name> becomes the published k8s.io/<name> at the matching
  # v0 version; other replace/exclude directives are kept as they are.
  awk -v staging="$staging_version" '
    function rewrite(line) {
      if (line ~ /=> *\.\/staging\//) {
        sub(/=>.*$/, "", line)
        name = line
        gsub(/^[ \t]*(replace[ \t]+)?|[ \t]+$/, "", name)
        return "\t" name " => " name " " staging
      }
      if (line ~ /=> *\.\.?\//) return ""
      return line
    }
    /^(replace|exclude) \($/ { block=$1; print; next }
    block && /^\)$/ { print; block=""; next }
    block { out = rewrite($0); if (out != "") print out; next }
    /^(replace|exclude) / { out = rewrite($0); if (out != "") { sub(/^\t/, "replace ", out); print out } }
  ' upstream.mod
} > go.mod

replaced=$(grep -c "=> k8s.io/.* $staging_version\$" go.mod || true)
staged=$(grep -c '=> *\./staging/' upstream.mod || true)
if [ "$replaced" -ne "$staged" ] || [ "$staged" -eq 0 ]; then
  echo "build-kube-apiserver: rewrote $replaced of $staged ./staging replace lines; go.mod layout changed?" >&2
  exit 1
fi

export GOFLAGS="${GOFLAGS:-} -mod=mod"
nice -n 19 go get "k8s.io/kubernetes@$KUBERNETES_VERSION"
# Kubernetes' own build stamps the version through these variables; without them the server
# reports v0.0.0-master, and clients that check the version see nonsense.
version_pkg=k8s.io/component-base/version
minor="${KUBERNETES_VERSION#v1.}"
minor="${minor%%.*}"
ldflags="-s -w -X $version_pkg.gitVersion=$KUBERNETES_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor"
ldflags="$ldflags -X $version_pkg.gitTreeState=clean"
CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "$ldflags" -o "$BIN.tmp" k8s.io/kubernetes/cmd/kube-apiserver
leave_wrapper_module "$BIN"
echo "build-kube-apiserver: built $BIN in $(($(date +%s) - started)) s"

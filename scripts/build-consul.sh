#!/usr/bin/env bash
# Builds a Consul server binary from its Go module, because Debian does not package
# Consul and the test machines have no Docker engine. `go install module@version`
# refuses Consul (its go.mod has replace directives), so this makes a throwaway module
# that requires Consul at a pinned version, copies that version's non-local
# replace/exclude lines, and builds the main package. The result is cached outside
# the repository; a second run with the binary present does nothing.
set -euo pipefail

source "$(dirname "$0")/go-wrapper-module.sh"

CONSUL_VERSION="${CONSUL_VERSION:-v1.22.2}"
BIN="$CACHE_DIR/bin/consul-$CONSUL_VERSION"

if [ -x "$BIN" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "build-consul: Go toolchain not found" >&2; exit 1; }

echo "build-consul: building Consul $CONSUL_VERSION from its Go module (takes minutes the first time)"
enter_wrapper_module consul github.com/hashicorp/consul "$CONSUL_VERSION"

go_line=$(grep -m1 '^go ' upstream.mod)
{
  echo "module baton.local/consulbuild"
  echo
  echo "$go_line"
  echo
  echo "require github.com/hashicorp/consul $CONSUL_VERSION"
  echo
  # Keep replace/exclude directives except the ones pointing at local directories,
  # which exist only in Consul's own checkout.
  awk '
    /^(replace|exclude) \($/ { block=$1; print; next }
    block && /^\)$/ { print; block=""; next }
    block { if ($0 ~ /=> *\.\.?\//) next; print; next }
    /^(replace|exclude) / { if ($0 ~ /=> *\.\.?\//) next; print }
  ' upstream.mod
} > go.mod
# Consul's own submodules are served by the module proxy but some are missing from the
# checksum database at the versions Consul pins; every other module is verified.
submodules=github.com/hashicorp/consul/api,github.com/hashicorp/consul/sdk,github.com/hashicorp/consul/proto-public
submodules=$submodules,github.com/hashicorp/consul/envoyextensions,github.com/hashicorp/consul/troubleshoot
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$submodules"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
go get github.com/hashicorp/consul@"$CONSUL_VERSION"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN.tmp" github.com/hashicorp/consul
leave_wrapper_module "$BIN"
echo "build-consul: built $BIN"

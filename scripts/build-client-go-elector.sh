#!/usr/bin/env bash
# Builds test/interop/client-go-elector, a small Go program that campaigns with client-go's
# leaderelection on a Lease, into the cache outside the repository. The binary's name carries
# a hash of its sources, so an edited program is rebuilt and an unchanged one is not: a second
# run with the binary present does nothing.
#
#   bash scripts/build-client-go-elector.sh               build if needed; prints the binary's path
#   bash scripts/build-client-go-elector.sh --print-path  only print where the binary is (or would be)
set -euo pipefail

cd "$(dirname "$0")/../test/interop/client-go-elector"
CACHE_DIR="${BATON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}"
export LC_ALL=C
hash=$(cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)
BIN="$CACHE_DIR/bin/client-go-elector-$hash"

if [ "${1:-}" = "--print-path" ]; then
  echo "$BIN"
  exit 0
fi
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
command -v go >/dev/null || { echo "build-client-go-elector: Go toolchain not found" >&2; exit 1; }

echo "build-client-go-elector: building $BIN" >&2
started=$(date +%s)
mkdir -p "$CACHE_DIR/bin"
# go.sum is committed: -mod=readonly builds exactly the modules it lists, and fails rather than
# change anything.
CGO_ENABLED=0 nice -n 19 go build -mod=readonly -trimpath -ldflags "-s -w" -o "$BIN.tmp.$$" .
mv "$BIN.tmp.$$" "$BIN"
echo "build-client-go-elector: built in $(($(date +%s) - started)) s" >&2
echo "$BIN"

#!/usr/bin/env bash
# Usage: scripts/node.sh MAJOR. Prints the path of a Node MAJOR binary, installing the
# `node@MAJOR` npm package (which ships the official binary) into a cache outside the
# repository on first use.
set -euo pipefail
major="${1:?usage: node.sh MAJOR}"
CACHE_DIR="${BATON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}/node$major"
bin="$CACHE_DIR/node_modules/node/bin/node"
if ! [ -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "^v$major\."; then
  echo "node.sh: installing node@$major into $CACHE_DIR" >&2
  mkdir -p "$CACHE_DIR"
  npm install --prefix "$CACHE_DIR" --no-save --no-package-lock --loglevel=error "node@$major" >&2
fi
echo "$bin"

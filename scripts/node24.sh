#!/usr/bin/env bash
# Prints the path of a Node 24 binary, installing the `node@24` npm package (which ships
# the official binary) into a cache outside the repository on first use.
set -euo pipefail
CACHE_DIR="${BATON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}/node24"
bin="$CACHE_DIR/node_modules/node/bin/node"
if ! [ -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q '^v24\.'; then
  echo "node24: installing node@24 into $CACHE_DIR" >&2
  mkdir -p "$CACHE_DIR"
  npm install --prefix "$CACHE_DIR" --no-save --no-package-lock --loglevel=error node@24 >&2
fi
echo "$bin"

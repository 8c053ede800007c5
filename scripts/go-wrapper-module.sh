# Sourced by the scripts that build a server from its Go module when `go install module@version`
# refuses it because its go.mod has replace directives into its own checkout (build-consul.sh,
# build-kube-apiserver.sh). They build from a throwaway "wrapper" module that requires the
# server's module at a pinned version; this holds the steps they share.

CACHE_DIR="${BATON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}"

# enter_wrapper_module NAME MODULE VERSION: makes an empty work directory for NAME in the cache,
# enters it, and fetches MODULE's go.mod at VERSION from the module proxy as upstream.mod. Sets $work.
enter_wrapper_module() {
  local name=$1 module=$2 version=$3
  work="$CACHE_DIR/$name-build-$version"
  rm -rf "$work"
  mkdir -p "$work" "$CACHE_DIR/bin"
  cd "$work"
  local proxy="${GOPROXY:-https://proxy.golang.org}"
  proxy="${proxy%%,*}"
  curl -fsSL "$proxy/$module/@v/$version.mod" -o upstream.mod
}

# leave_wrapper_module BIN: puts the binary built as BIN.tmp in place and removes the work directory.
leave_wrapper_module() {
  mv "$1.tmp" "$1"
  cd "$CACHE_DIR"
  rm -rf "$work"
}

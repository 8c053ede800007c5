#!/usr/bin/env bash
# Installs the servers the backend tests start on their own (test/backends): etcd, Redis,
# ZooKeeper and PostgreSQL from Debian/Ubuntu packages; Consul and the Kubernetes API server
# built from their Go modules by build-consul.sh and build-kube-apiserver.sh, because no
# distribution packages them; and the client-go election program the Kubernetes interop tests
# run beside Baton. The tests run PostgreSQL from /usr/lib/postgresql/MAJOR/bin in temporary
# directories of their own, as the postgres user the package creates; the cluster the package
# may set up and start on port 5432 is not used. openssl makes the certificates of the TLS
# tests. Safe to run again: it prints one line per thing it does, and nothing when everything
# is already there. Works unattended (CI, no stdin).
set -euo pipefail

cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

say() { echo "install-backends: $*"; }
die() { echo "install-backends: $*" >&2; exit 1; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo; run as root"
  # Without a terminal a password prompt would hang or fail obscurely; -n fails at once instead.
  if [ -t 0 ]; then sudo_cmd=(sudo); else sudo_cmd=(sudo -n); fi
fi

# Runs apt-get quietly, showing its output only if it fails.
apt_get() {
  local log
  log=$(mktemp)
  if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "apt-get $* failed"
  fi
  rm -f "$log"
}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

packages=(etcd-server redis-server zookeeper default-jre-headless postgresql openssl curl ca-certificates)
missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get; install them with your package manager"
  say "apt-get update"
  apt_get update
  say "apt-get install ${missing[*]}"
  apt_get install --no-install-recommends "${missing[@]}"
fi

cache_dir="${BATON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}"

# Go from go.dev often lives outside a non-login shell's PATH.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
go_hint="a recent Go toolchain (https://go.dev/dl/; distribution packages are usually too old)"

# Runs SCRIPT, which builds NAME from its Go module into CACHED unless it is there already,
# unless the variable OVERRIDE names a binary of the user's own.
build_from_source() {
  local name=$1 override=$2 cached=$3 script=$4
  if [ -n "${!override:-}" ]; then
    [ -x "${!override}" ] || die "$override=${!override} is not an executable"
    return 0
  fi
  if [ ! -x "$cached" ]; then
    command -v go >/dev/null || die "building $name needs $go_hint, or set $override to a binary"
    say "building $name into $cached"
  fi
  bash "$script" || die "building $name failed ($script; its output is above)"
  [ -x "$cached" ] || die "$script succeeded but left no executable $cached"
}

# The versions and paths the build scripts use; checked here only to say what is about to happen.
consul_version="${CONSUL_VERSION:-v1.22.2}"
build_from_source "consul $consul_version" BATON_CONSUL_BIN "$cache_dir/bin/consul-$consul_version" \
  scripts/build-consul.sh
kubernetes_version="${KUBERNETES_VERSION:-v1.37.2}"
build_from_source "kube-apiserver $kubernetes_version" BATON_KUBE_APISERVER_BIN \
  "$cache_dir/bin/kube-apiserver-$kubernetes_version" scripts/build-kube-apiserver.sh

elector_bin=$(bash scripts/build-client-go-elector.sh --print-path)
if [ ! -x "$elector_bin" ]; then
  command -v go >/dev/null || die "building the client-go election program needs $go_hint"
  say "building the client-go election program into $elector_bin"
fi
bash scripts/build-client-go-elector.sh >/dev/null || die "building the client-go election program failed (its output is above)"

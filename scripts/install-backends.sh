#!/usr/bin/env bash
# Installs the servers the backend tests start on their own (test/backends): etcd, Redis,
# ZooKeeper and PostgreSQL from Debian/Ubuntu packages, Consul built from source by
# build-consul.sh because no distribution packages it. The tests run PostgreSQL from
# /usr/lib/postgresql/MAJOR/bin in temporary directories of their own, as the postgres user the
# package creates; the cluster the package may set up and start on port 5432 is not used.
# openssl makes the certificates of the TLS tests. Safe to run again: it prints one line per thing it does, and
# nothing when everything is already there. Works unattended (CI, no stdin).
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

if [ -n "${BATON_CONSUL_BIN:-}" ]; then
  [ -x "$BATON_CONSUL_BIN" ] || die "BATON_CONSUL_BIN=$BATON_CONSUL_BIN is not an executable"
  exit 0
fi

# The same path build-consul.sh writes; checked here only to say what is about to happen.
consul_version="${CONSUL_VERSION:-v1.22.2}"
consul_bin="${BATON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}/bin/consul-$consul_version"
if [ ! -x "$consul_bin" ]; then
  # Go from go.dev often lives outside a non-login shell's PATH.
  if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
    export PATH="$PATH:/usr/local/go/bin"
  fi
  command -v go >/dev/null ||
    die "building Consul needs a recent Go toolchain (https://go.dev/dl/; distribution packages are usually too old), or set BATON_CONSUL_BIN to a consul binary"
  say "building consul $consul_version into $consul_bin"
fi
bash scripts/build-consul.sh

#!/usr/bin/env bash
# The README's two commands on a clean machine: debootstraps a minimal Debian (minbase: not even
# python3, pip or sudo) into a folder, copies the committed repo in, and in a chroot runs
#   1. bash deploy/bootstrap.sh uv run kakehashi demo   (then waits for /healthz to answer)
#   2. bash .ci/test <pytest args>                      (only with --tests)
# timing each step. Needs root and debootstrap (apt-get install debootstrap). The chroot shares
# this machine's network: the demo listens on a free loopback port, and the registries are
# reached as the host reaches them (its CA settings are passed in when it has them).
#
#   bash bench/fresh/run.sh                         # Debian 12, the demo only
#   bash bench/fresh/run.sh --tests tests/e2e -x    # and a part of the suite (or all: --tests)
#   bash bench/fresh/run.sh --suite trixie          # Debian 13
#   bash bench/fresh/run.sh --keep                  # leave the root for a look (unmounted)
#
# Everything is bounded: the whole run by KK_FRESH_TIMEOUT (default 1500 s), the demo's start by
# 600 s. Mounts are undone and processes left in the chroot are ended on every exit.
set -euo pipefail

suite=bookworm
keep=0
tests=0
pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --tests) tests=1; shift; pytest_args=("$@"); break ;;
    *) echo "usage: $0 [--suite NAME] [--keep] [--tests [PYTEST ARGS...]]" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "fresh: run as root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh: apt-get install debootstrap" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/../.." && pwd)
base=${KK_FRESH_DIR:-/var/tmp/kakehashi-fresh}
mkdir -p "$base"
root=$(mktemp -d "$base/$suite.XXXXXX")
chmod 0755 "$root" # mktemp's 0700 would lock every user but root (postgres) out of "/"
deadline=$((SECONDS + ${KK_FRESH_TIMEOUT:-1500}))
log="$base/$(basename "$root").log"
mounts=()

say() { printf '[fresh %4ds] %s\n' "$SECONDS" "$*"; }

# The Debian mirror apt uses here (deb822 or one-line sources), else deb.debian.org.
mirror() {
  grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ \
    2>/dev/null | grep -v security | head -n1 | tr -d ' ' || true
}

left() { echo $((deadline - SECONDS)); }

in_root() { timeout "$(left)" chroot "$root" /usr/bin/env -i "${chroot_env[@]}" "$@"; }

# Processes whose root directory is the chroot: the ones this script started there.
chroot_pids() {
  local link pid
  for link in /proc/[0-9]*/root; do
    pid=${link#/proc/}
    pid=${pid%/root}
    [ "$(readlink "$link" 2>/dev/null)" = "$root" ] && echo "$pid"
  done
  return 0
}

cleanup() {
  local status=$? pid i
  for pid in $(chroot_pids); do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 2
  for pid in $(chroot_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
  if grep -q " $root/" /proc/mounts; then
    say "still mounted under $root; not removing it"
  elif [ "$keep" -eq 1 ]; then
    say "kept $root"
  else
    rm -rf --one-file-system "$root"
  fi
  say "log: $log"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_in() { # type source target [options]
  mkdir -p "$root$3"
  mount -t "$1" "$2" "$root$3" ${4:+-o "$4"}
  mounts+=("$root$3")
}

url=$(mirror)
url=${url:-http://deb.debian.org/debian}
say "debootstrap --variant=minbase $suite from $url into $root"
t0=$SECONDS
timeout "$(left)" debootstrap --variant=minbase "$suite" "$root" "$url" >>"$log" 2>&1 ||
  { say "debootstrap failed (see $log)"; exit 1; }
say "debootstrap: $((SECONDS - t0)) s"

# A chroot gets no service starts from package installs (postgresql, redis): the tests start
# their own servers, and nothing may keep running after this script.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# debootstrap made the device nodes; the host's /dev is not bound in (a bind of a shared /dev
# would carry mounts made under it back to the host).
mount_in proc proc /proc
mount_in sysfs sys /sys ro
mount_in tmpfs tmpfs /dev/shm mode=1777,size=1g

chroot_env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
# This machine reaches the registries through a CA of its own: hand the chroot that bundle.
for var in SSL_CERT_FILE PIP_CERT REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS CURL_CA_BUNDLE; do
  file=${!var:-}
  if [ -n "$file" ] && [ -f "$file" ]; then
    mkdir -p "$root/etc/kakehashi-fresh"
    cp "$file" "$root/etc/kakehashi-fresh/ca.pem"
    chroot_env+=("$var=/etc/kakehashi-fresh/ca.pem")
  fi
done

mkdir -p "$root/src/kakehashi"
git -C "$repo" archive HEAD | tar -x -C "$root/src/kakehashi"
say "copied $(git -C "$repo" rev-parse --short HEAD) (committed files only)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "1. bash deploy/bootstrap.sh uv run kakehashi demo --port $port"
t0=$SECONDS
in_root bash -c "cd /src/kakehashi && exec bash deploy/bootstrap.sh uv run kakehashi demo --port $port" \
  >>"$log" 2>&1 &
demo=$!
start_deadline=$((SECONDS + 600))
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  if ! kill -0 "$demo" 2>/dev/null || [ "$SECONDS" -ge "$start_deadline" ]; then
    say "the demo did not answer /healthz after $((SECONDS - t0)) s; last lines of $log:"
    tail -n 30 "$log"
    exit 1
  fi
  sleep 2
done
say "demo: /healthz answered after $((SECONDS - t0)) s: $(curl -fsS "http://127.0.0.1:$port/healthz")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
say "demo: GET / -> HTTP $code"
for pid in $(chroot_pids); do kill -TERM "$pid" 2>/dev/null || true; done
wait "$demo" 2>/dev/null || true

if [ "$tests" -eq 1 ]; then
  say "2. bash .ci/test ${pytest_args[*]}"
  t0=$SECONDS
  status=0
  in_root bash -c 'cd /src/kakehashi && exec bash .ci/test "$@"' _ "${pytest_args[@]}" \
    >>"$log" 2>&1 || status=$?
  say "tests: exit $status after $((SECONDS - t0)) s; summary:"
  grep -E '^(=+ .*(passed|failed|error).* =+|FAILED|ERROR|bootstrap:)' "$log" | tail -n 20 || true
  exit "$status"
fi

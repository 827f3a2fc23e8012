#!/usr/bin/env bash
# Installs what LivePreview needs on a fresh Debian machine: bubblewrap (sandbox isolation),
# iproute2 (one network namespace per sandbox), Chromium (end-to-end tests), Node.js and npm
# (snapshots install their dependencies from the npm registry). Idempotent and quick when done.
set -euo pipefail

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
if [[ "${LIVEPREVIEW_SETUP_BROWSER:-1}" == "1" ]]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
command -v node >/dev/null 2>&1 || need+=(nodejs npm)

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

command -v dotnet >/dev/null 2>&1 || { echo "The .NET 10 SDK is required (dotnet on PATH)." >&2; exit 1; }

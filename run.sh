#!/usr/bin/env bash
# Runs LivePreview on its embedded defaults (SQLite, local sandboxes, in-process events) and
# prints the URL to open. Settings: ASPNETCORE_URLS / --urls, LivePreview__* environment variables.
set -euo pipefail
cd "$(dirname "$0")"
LIVEPREVIEW_SETUP_BROWSER=0 LIVEPREVIEW_SETUP_REDIS=0 LIVEPREVIEW_SETUP_POSTGRES=0 bash scripts/setup.sh
exec dotnet run --project src/LivePreview.Server -c Release -- "$@"

#!/usr/bin/env bash
# Runs the test suite with every service host on PostgreSQL 15 instead of SQLite (LIVEPREVIEW_TEST_DATABASE=postgresql):
# the tests start one PostgreSQL server on 127.0.0.1 (a free port, a temporary folder, run as the postgres user when
# root) and give every host a fresh database on it; the server and its folder go when the test process ends.
#   scripts/test-postgres.sh                                   # both test projects
#   scripts/test-postgres.sh --filter "FullyQualifiedName~Tasks"  # any dotnet test arguments, passed to each project
# LIVEPREVIEW_TEST_CONFIGURATION=Debug tests a Debug build (default Release, as test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
LIVEPREVIEW_SETUP_BROWSER="${LIVEPREVIEW_SETUP_BROWSER:-1}" LIVEPREVIEW_SETUP_POSTGRES=1 bash scripts/setup.sh
config="${LIVEPREVIEW_TEST_CONFIGURATION:-Release}"
dotnet build LivePreview.slnx -c "$config" -nologo -v q 2>&1 | tail -n 3
export LIVEPREVIEW_TEST_DATABASE=postgresql
export LIVEPREVIEW_TEST_SNAPSHOTS="${LIVEPREVIEW_TEST_SNAPSHOTS:-${TMPDIR:-/tmp}/livepreview-test-snapshots}"
status=0
for project in tests/LivePreview.Tests tests/LivePreview.EndToEnd; do
  dotnet test "$project" -c "$config" --no-build -nologo "$@" || status=1
done
exit "$status"

#!/usr/bin/env bash
# Runs every test (unit, functional on real Kestrel with real dev servers, end-to-end in Chromium)
# and ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

export LIVEPREVIEW_TEST_SNAPSHOTS="${LIVEPREVIEW_TEST_SNAPSHOTS:-${TMPDIR:-/tmp}/livepreview-test-snapshots}"
mkdir -p artifacts
dotnet build LivePreview.slnx -c Release -nologo -v q 2>&1 | tail -n 3
build=${PIPESTATUS[0]}
if (( build != 0 )); then
  echo "0 passed, 1 failed"
  exit 1
fi

# Snapshots are built once up front (with progress), so the tests measure sandboxes, not npm.
LivePreview__Snapshots__Root="$LIVEPREVIEW_TEST_SNAPSHOTS" LivePreview__DataDirectory="$(mktemp -d)" \
  LivePreview__TemplatesDirectory="$PWD/templates" \
  dotnet run --project src/LivePreview.Server -c Release --no-build -- snapshots build \
  || echo "snapshot pre-build failed; the tests will build them"

# Prints "passed failed skipped" for one project's output. "dotnet test" summaries look like
# "Passed!  - Failed: 0, Passed: 9, ..." (minimal) or, at normal verbosity, "Total tests: 9"
# followed by "Passed: 9" / "Failed: 1" / "Skipped: 1" lines. A project that printed no summary,
# or exited non-zero with no failure counted (a crashed test host), adds one failure.
summarize() {
  awk -v code="$2" '
    /^(Passed|Failed)!/ {
      for (i = 1; i <= NF; i++) {
        v = $(i + 1); gsub(",", "", v)
        if ($i == "Failed:") f += v; else if ($i == "Passed:") p += v; else if ($i == "Skipped:") s += v
      }
      seen = 1; next
    }
    /^Total tests: [0-9]+$/ { inblock = 1; seen = 1; next }
    inblock && /^ +Passed: [0-9]+$/  { p += $2; next }
    inblock && /^ +Failed: [0-9]+$/  { f += $2; next }
    inblock && /^ +Skipped: [0-9]+$/ { s += $2; next }
    { inblock = 0 }
    END { if (!seen || (code != 0 && f == 0)) f += 1; printf "%d %d %d\n", p, f, s }
  ' "$1"
}

# One test project at a time: the functional tests create sandboxes (each adds a host network
# address), and Chromium aborts in-flight page loads when host addresses change.
status=0
summaries=()
failures=artifacts/failed-tests.txt
: > "$failures"
reasons=artifacts/failure-messages.txt
: > "$reasons"
for project in tests/LivePreview.Tests tests/LivePreview.EndToEnd; do
  project_log=$(mktemp)
  dotnet test "$project" -c Release --no-build --blame-hang-timeout 10m \
    --logger "console;verbosity=normal" --results-directory artifacts/test-results 2>&1 | tee "$project_log"
  code=${PIPESTATUS[0]}
  (( code != 0 )) && status=$code
  summaries+=("$(summarize "$project_log" "$code")")
  # The names of failed tests, repeated just above the summary line so a long log's tail says which.
  grep -E '^ +Failed [A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_.]+' "$project_log" | sed 's/^ *//' >> "$failures" || true
  # And why: each failure's error message (up to 12 lines, up to its stack trace), so the tail of a long log says it.
  awk '
    /^ +Failed [A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_.]+/ { keep = 1; n = 0; print; next }
    keep && /^ +Stack Trace:/ { keep = 0; next }
    keep && n < 12 { print; n++ }
  ' "$project_log" >> "$reasons" || true
  rm -f "$project_log"
done

# The deployment files' lint (scripts/lint-deploy.sh: yamllint, dockerfilelint, nginx -t, the chart check, ShellCheck;
# about a second) counts as one more test.
if bash scripts/lint-deploy.sh; then
  summaries+=("1 0 0")
else
  summaries+=("0 1 0")
  echo "Failed scripts/lint-deploy.sh (deploy/: its output above says which linter)" >> "$failures"
  status=1
fi

if [[ -s "$reasons" ]]; then
  echo "Why they failed (first lines of each error message; the whole log is above):"
  head -n 150 "$reasons" | sed 's/^/  /'
fi
if [[ -s "$failures" ]]; then
  echo "Failed tests:"
  sed 's/^/  /' "$failures"
fi
printf '%s\n' "${summaries[@]}" \
  | awk '{ p += $1; f += $2; s += $3 } END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' \
  | tee artifacts/test-summary.txt
exit "$status"

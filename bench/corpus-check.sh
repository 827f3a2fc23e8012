#!/usr/bin/env bash
# Proves every app of the corpus (tests/corpus, listed in tests/corpus/corpus.json) installs from its lock file and its
# dev server serves: for each app, a temporary copy on the host, the install of its package manager (npm ci, or the
# pinned pnpm / Yarn of the package-manager tools layer, frozen lock, no install scripts but the ones npm ci runs by
# default), then its dev script on 127.0.0.1 with a free port, and GET / must answer 200. Prints a table of install
# times and first-response times, and exits non-zero if any app failed. Slow (minutes: every install downloads from the
# npm registry), hence a script and not a test.
# Usage: bench/corpus-check.sh [app name ...]   (default: every app)
# Env: LIVEPREVIEW_PM_TOOLS_ROOT (as scripts/setup.sh), CORPUS_CHECK_KEEP=1 keeps the temporary copies.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="$repo/tests/corpus"
hash="$(sha256sum "$repo/tools/package-managers/package-lock.json" | cut -c1-16)"
tools="${LIVEPREVIEW_PM_TOOLS_ROOT:-/opt/livepreview/tools/package-managers}/$hash"
if [[ ! -f "$tools/.complete" ]]; then
  echo "The package-manager tools layer is not installed in $tools: run scripts/setup.sh first." >&2
  exit 2
fi
pnpm=(node "$tools/node_modules/pnpm/bin/pnpm.cjs")
yarn1=(node "$tools/node_modules/yarn/bin/yarn.js")

mapfile -t apps < <(if (( $# )); then printf '%s\n' "$@"; else jq -r '.apps[].name' "$corpus/corpus.json"; fi)
work="$(mktemp -d -t lp-corpus-check-XXXXXX)"
cleanup() {
  [[ -n "${server:-}" ]] && kill -- "-$server" 2>/dev/null
  [[ "${CORPUS_CHECK_KEEP:-0}" == "1" ]] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

results=()
failed=0
for app in "${apps[@]}"; do
  entry="$(jq -c --arg n "$app" '.apps[] | select(.name == $n)' "$corpus/corpus.json")"
  if [[ -z "$entry" ]]; then
    echo "No app $app in corpus.json." >&2
    exit 2
  fi
  pm="$(jq -r .packageManager <<<"$entry")"
  tool="$(jq -r .devTool <<<"$entry")"
  dir="$work/$app"
  cp -a "$corpus/$app" "$dir"
  log="$work/$app.log"
  echo "== $app ($pm, $tool)"
  start=$(date +%s.%N)
  case "$pm" in
    npm) (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1 ;;
    pnpm) (cd "$dir" && "${pnpm[@]}" install --frozen-lockfile --reporter=append-only) >"$log" 2>&1 ;;
    yarn) (cd "$dir" && "${yarn1[@]}" install --frozen-lockfile --non-interactive --no-progress) >"$log" 2>&1 ;;
    *) echo "unknown package manager $pm" >"$log"; false ;;
  esac
  install_rc=$?
  install_time=$(echo "$(date +%s.%N) - $start" | bc)
  if (( install_rc != 0 )); then
    echo "   install failed ($install_rc):"; tail -n 15 "$log" | sed 's/^/   | /'
    results+=("$app|$pm|$tool|install failed|${install_time%.*}|-")
    failed=$((failed + 1))
    continue
  fi
  port=$(free_port)
  # The dev script with host and port flags: vite takes --host/--port/--strictPort, next takes --hostname/--port.
  if [[ "$tool" == next ]]; then flags=(--hostname 127.0.0.1 --port "$port"); else flags=(--host 127.0.0.1 --port "$port" --strictPort); fi
  case "$pm" in
    npm) run=(npm run dev -- "${flags[@]}") ;;
    pnpm) run=("${pnpm[@]}" run dev "${flags[@]}") ;;
    yarn) run=("${yarn1[@]}" run dev "${flags[@]}") ;;
  esac
  start=$(date +%s.%N)
  (cd "$dir" && exec setsid "${run[@]}") >"$log.dev" 2>&1 &
  server=$!
  code=000
  for _ in $(seq 1 240); do
    code=$(curl -s -o "$work/$app.body" -w '%{http_code}' --max-time 60 "http://127.0.0.1:$port/" || true)
    [[ "$code" == 200 ]] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
  done
  serve_time=$(echo "$(date +%s.%N) - $start" | bc)
  kill -- "-$server" 2>/dev/null
  wait "$server" 2>/dev/null
  server=
  if [[ "$code" == 200 ]]; then
    printf '   installed in %.1f s, GET / 200 after %.1f s (%s bytes)\n' "$install_time" "$serve_time" "$(stat -c %s "$work/$app.body")"
    results+=("$app|$pm|$tool|ok|$(printf '%.1f' "$install_time")|$(printf '%.1f' "$serve_time")")
  else
    echo "   dev server did not answer 200 (last: $code):"; tail -n 15 "$log.dev" | sed 's/^/   | /'
    results+=("$app|$pm|$tool|dev server failed ($code)|$(printf '%.1f' "$install_time")|-")
    failed=$((failed + 1))
  fi
done

echo
echo "| app | package manager | dev tool | result | install (s) | first GET / 200 (s) |"
echo "| --- | --- | --- | --- | --- | --- |"
for row in "${results[@]}"; do
  echo "| ${row//|/ | } |"
done
exit $(( failed > 0 ))

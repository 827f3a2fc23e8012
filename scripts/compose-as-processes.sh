#!/usr/bin/env bash
# The topology of deploy/compose.yaml as plain processes on this machine, where no container engine runs: PostgreSQL 15,
# Redis, two instances of the published build (each its own data directory, port, sandbox address range and firewall
# table; shared database, Redis, instance secret and bootstrap key) and nginx with deploy/nginx/livepreview.conf.template
# rendered to 127.0.0.1 ports. Then, through the balancer: health from both instances, an authenticated sandbox, its
# ready preview fetched with the preview's Host header, and its deletion. Everything it starts is stopped at exit,
# failure included; it prints a pass/fail summary and exits non-zero on any failure. Run as root (sandboxes need it).
#
#   scripts/compose-as-processes.sh [--published DIR] [--keep]
#     --published DIR  use this `dotnet publish` output instead of publishing (LP_CONFIGURATION, default Release)
#     --keep           keep the work folder (logs, data directories) after the run
#   LP_SNAPSHOTS_ROOT  a folder of built snapshots both instances use (else each builds its own on first use: minutes)
#   LP_PREFIX_1/2, LP_TABLE_1/2  sandbox address ranges and firewall tables (default 10.176/10.177, lp_compose1/2)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
published=""
keep=0
while (( $# )); do
  case "$1" in
    --published) published="$(cd "$2" && pwd)"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown argument: $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "Run as root: each instance creates sandboxes (namespaces, mounts, cgroups, nftables)." >&2
  exit 2
fi

# What the compose file's images bring: PostgreSQL 15, Redis (setup.sh), nginx, jq and curl for the checks.
LIVEPREVIEW_SETUP_BROWSER=0 LIVEPREVIEW_SETUP_AGENTS="${LIVEPREVIEW_SETUP_AGENTS:-0}" \
  LIVEPREVIEW_SETUP_PACKAGE_MANAGERS="${LIVEPREVIEW_SETUP_PACKAGE_MANAGERS:-0}" bash "$repo/scripts/setup.sh"
need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v curl >/dev/null 2>&1 || need+=(curl)
if (( ${#need[@]} )); then
  echo "Installing ${need[*]} ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work="$(mktemp -d /tmp/lp-compose-XXXXXX)"
# The sandbox user (an unprivileged host uid) must be able to reach the sandboxes' folders below the data directories.
chmod 711 "$work"
declare -A pids=()
declare -A lp_port=()
prefixes=("" "${LP_PREFIX_1:-10.176}" "${LP_PREFIX_2:-10.177}")
tables=("" "${LP_TABLE_1:-lp_compose1}" "${LP_TABLE_2:-lp_compose2}")
key=""
results=()
failed=0
sandbox=""

pass() { results+=("PASS  $1"); echo "PASS  $1"; }
fail() { results+=("FAIL  $1"); echo "FAIL  $1" >&2; failed=1; }

# stop <name> [signal]: SIGTERM (or the signal), then up to 60 s for a clean exit, then SIGKILL.
stop() {
  local name="$1" signal="${2:-TERM}" pid="${pids[$1]:-}"
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$name did not stop within 60 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  unset "pids[$name]"
}

summary() {
  (( ${#results[@]} )) || return 0
  echo
  echo "compose-as-processes summary:"
  printf '  %s\n' "${results[@]}"
  echo "$(printf '%s\n' "${results[@]}" | grep -c '^PASS') passed, $(printf '%s\n' "${results[@]}" | grep -c '^FAIL') failed"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # A sandbox left by a failed check is deleted on whichever instance owns it before the instances stop.
  if [[ -n "$sandbox" ]]; then
    for port in "${lp_port[1]:-}" "${lp_port[2]:-}"; do
      [[ -n "$port" ]] && curl -s -o /dev/null -X DELETE "http://127.0.0.1:$port/api/v1/sandboxes/$sandbox" -H "Authorization: Bearer $key" || true
    done
  fi
  stop balancer
  stop livepreview-2
  stop livepreview-1
  stop redis
  # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
  stop postgres INT
  # An instance keeps its sandboxes (mounts, network namespaces) across restarts, as it should; only deleting them
  # removes them, so anything still mounted here is a sandbox this run failed to delete.
  # Reported as a failure, then removed here so the machine is left as it was.
  if grep -qF " $work/" /proc/mounts; then
    fail "no mount outlives the run: a sandbox the service did not remove: $(grep -F " $work/" /proc/mounts | awk '{print $2}' | tr '\n' ' ')"
    rc=1
    grep -F " $work/" /proc/mounts | awk '{print $2}' | sort -r | while read -r mount; do umount "$mount" || true; done
  fi
  # A sandbox's workspace is mounted under /run/livepreview/<root>/<id> (and <id>.home), not under the work folder.
  if [[ -n "$sandbox" ]] && grep -qE " /run/livepreview/[^ /]+/$sandbox(\.home)? " /proc/mounts; then
    fail "no workspace mount outlives the run: $sandbox's did"
    rc=1
    grep -E " /run/livepreview/[^ /]+/$sandbox(\.home)? " /proc/mounts | awk '{print $2}' | sort -r | while read -r mount; do umount "$mount" || true; done
  fi
  if [[ -n "$sandbox" ]] && ip netns list 2>/dev/null | grep -q "lp-$sandbox"; then
    fail "no network namespace outlives the run: lp-$sandbox did"
    rc=1
    ip netns del "lp-$sandbox" || true
  fi
  if [[ -n "$sandbox" ]]; then
    for group in /sys/fs/cgroup/*/livepreview/"$sandbox" /sys/fs/cgroup/livepreview/"$sandbox"; do
      [[ -d "$group" ]] && { rmdir "$group" 2>/dev/null || true; }
    done
  fi
  # The firewall tables are this run's own (an instance leaves its table loaded when it stops).
  for table in "${tables[@]:1}"; do nft delete table inet "$table" 2>/dev/null || true; done
  summary
  if (( keep )); then echo "Work folder kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port: a port nothing on this machine listens on, from a range the kernel does not hand out on its own.
free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 12000 ))
    ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}

# wait_for <what> <seconds> <command...>: polls the command until it succeeds or the deadline passes.
wait_for() {
  local what="$1" seconds="$2"
  shift 2
  local deadline=$(( SECONDS + seconds ))
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then echo "timed out after ${seconds}s waiting for $what" >&2; return 1; fi
    sleep 0.5
  done
}

alive() { kill -0 "${pids[$1]}" 2>/dev/null; }
show_log() { echo "--- last lines of $1 ---" >&2; tail -n 30 "$1" >&2 || true; }

if [[ -z "$published" ]]; then
  echo "Publishing the service (${LP_CONFIGURATION:-Release}) ..."
  dotnet publish "$repo/src/LivePreview.Server" -c "${LP_CONFIGURATION:-Release}" -nologo -v q -o "$work/app" >"$work/publish.log" 2>&1 \
    || { show_log "$work/publish.log"; exit 1; }
  published="$work/app"
fi
[[ -x "$published/livepreview" ]] || { echo "$published/livepreview is not a published build" >&2; exit 1; }

secret() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
# The lpk_ prefix of generated keys: preview hosts take only a LivePreview-looking Bearer as a credential (any other
# is the app's own token and passes through), so a bootstrap key without it signs in to the API but not to previews.
key="lpk_$(secret | tr -d '/+=')"
instance_secret="$(secret)"
gateway_secret="$(secret)"
pg_password="$(secret | tr -d '/+=')"
redis_password="$(secret | tr -d '/+=')"

# --- postgres (compose: postgres:15) ---
pg_port="$(free_port)"
mkdir -p "$work/postgres"
printf '%s\n' "$pg_password" > "$work/postgres/pwfile"
chown -R postgres:postgres "$work/postgres"
as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
"${as_postgres[@]}" /usr/lib/postgresql/15/bin/initdb -D "$work/postgres/data" -U livepreview --pwfile="$work/postgres/pwfile" \
  -A scram-sha-256 -E UTF8 --locale=C >"$work/initdb.log" 2>&1 || { show_log "$work/initdb.log"; exit 1; }
# setpriv execs: $! is the postmaster itself.
"${as_postgres[@]}" /usr/lib/postgresql/15/bin/postgres -D "$work/postgres/data" -h 127.0.0.1 -p "$pg_port" -k "$work/postgres" \
  >"$work/postgres.log" 2>&1 &
pids[postgres]=$!
pg_ready() { PGPASSWORD="$pg_password" psql -h 127.0.0.1 -p "$pg_port" -U livepreview -d postgres -tAc 'SELECT 1'; }
wait_for "PostgreSQL" 60 pg_ready || { show_log "$work/postgres.log"; exit 1; }
PGPASSWORD="$pg_password" psql -h 127.0.0.1 -p "$pg_port" -U livepreview -d postgres -qc 'CREATE DATABASE livepreview' >/dev/null

# --- redis (compose: redis:7 with requirepass) ---
redis_port="$(free_port)"
mkdir -p "$work/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --requirepass "$redis_password" --save '' --appendonly no \
  --dir "$work/redis" >"$work/redis.log" 2>&1 &
pids[redis]=$!
redis_ready() { redis-cli -h 127.0.0.1 -p "$redis_port" -a "$redis_password" --no-auth-warning ping | grep -q PONG; }
wait_for "Redis" 30 redis_ready || { show_log "$work/redis.log"; exit 1; }

# --- the two instances (compose: livepreview-1, livepreview-2) ---
lb_port="$(free_port)"
lp_port[1]="$(free_port)"
lp_port[2]="$(free_port)"
start_instance() {
  local n="$1"
  mkdir -p "$work/livepreview-$n"
  env_args=(
    "ASPNETCORE_URLS=http://127.0.0.1:${lp_port[$n]}"
    "ASPNETCORE_FORWARDEDHEADERS_ENABLED=true"
    "ConnectionStrings__LivePreview=Host=127.0.0.1;Port=$pg_port;Database=livepreview;Username=livepreview;Password=$pg_password"
    "ConnectionStrings__Redis=127.0.0.1:$redis_port,password=$redis_password"
    "LivePreview__Database__Provider=PostgreSQL"
    "LivePreview__DataDirectory=$work/livepreview-$n/data"
    "LivePreview__Auth__BootstrapKey=$key"
    "LivePreview__Instances__Id=livepreview-$n"
    "LivePreview__Instances__InternalUrl=http://127.0.0.1:${lp_port[$n]}"
    "LivePreview__Instances__Secret=$instance_secret"
    "LivePreview__Gateway__TokenSecret=$gateway_secret"
    "LivePreview__Previews__Domain=preview.localhost"
    "LivePreview__Previews__Scheme=http"
    "LivePreview__Previews__PublicPort=$lb_port"
    "LivePreview__Sandboxes__Local__SubnetPrefix=${prefixes[$n]}"
    "LivePreview__Sandboxes__Local__FirewallTable=${tables[$n]}"
    # No warm pool: its sandboxes would outlive this run (an instance keeps sandboxes across restarts).
    "LivePreview__WarmPool__Size=0"
  )
  [[ -n "${LP_SNAPSHOTS_ROOT:-}" ]] && env_args+=("LivePreview__Snapshots__Root=$LP_SNAPSHOTS_ROOT")
  (cd "$work/livepreview-$n" && exec env "${env_args[@]}" "$published/livepreview") >"$work/livepreview-$n.log" 2>&1 &
  pids[livepreview-$n]=$!
}

# --- the balancer (compose: nginx with the same template) ---
mkdir -p "$work/nginx/tmp"
chown nobody:nogroup "$work/nginx/tmp"
LP_LISTEN="127.0.0.1:$lb_port" LP_INSTANCE_1="127.0.0.1:${lp_port[1]}" LP_INSTANCE_2="127.0.0.1:${lp_port[2]}" \
  LP_ACCESS_LOG="$work/nginx/access.log" \
  envsubst '${LP_LISTEN} ${LP_INSTANCE_1} ${LP_INSTANCE_2} ${LP_ACCESS_LOG}' \
  <"$repo/deploy/nginx/livepreview.conf.template" >"$work/nginx/livepreview.conf"
# The official image's nginx.conf around it, reduced to what a process in a folder needs.
cat >"$work/nginx/nginx.conf" <<EOF
user nobody nogroup;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log notice;
events { worker_connections 1024; }
http {
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    include $work/nginx/livepreview.conf;
}
EOF
nginx -t -q -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" || { show_log "$work/nginx/error.log"; exit 1; }
nginx -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids[balancer]=$!

lb="http://127.0.0.1:$lb_port"
auth=(-H "Authorization: Bearer $key")
health_ok() { curl -fsS "http://127.0.0.1:$1/api/v1/health" | jq -e '.status == "ok" or .status == "degraded"'; }
# One after the other, as compose.yaml orders them: two first starts at once on an empty database race to insert the
# bootstrap key and the loser stops (a start-up race of the service, see docs/DEPLOYMENT.md).
for n in 1 2; do
  start_instance "$n"
  if wait_for "livepreview-$n" 120 health_ok "${lp_port[$n]}"; then
    pass "livepreview-$n answers /api/v1/health on its own port ($(curl -s "http://127.0.0.1:${lp_port[$n]}/api/v1/health" | jq -r .status))"
  else
    fail "livepreview-$n never answered /api/v1/health"
    alive "livepreview-$n" || echo "livepreview-$n exited" >&2
    show_log "$work/livepreview-$n.log"
  fi
done
(( failed == 0 )) || exit 1
wait_for "the balancer" 30 health_ok "$lb_port" || { fail "the balancer never answered"; show_log "$work/nginx/error.log"; exit 1; }

# Which instance answered is in the balancer's access log (upstream=…); the health response does not name one.
upstreams_of() { grep -F "\"$1" "$work/nginx/access.log" | grep -o 'upstream=[0-9.:]*' | sort -u | tr '\n' ' '; }
for _ in 1 2 3 4; do curl -fsS -o /dev/null "$lb/api/v1/health"; done
seen="$(upstreams_of 'GET /api/v1/health')"
if [[ "$seen" == *"127.0.0.1:${lp_port[1]}"* && "$seen" == *"127.0.0.1:${lp_port[2]}"* ]]; then
  pass "the balancer sends /api/v1/health to both instances ($seen)"
else
  fail "the balancer sent /api/v1/health only to: $seen"
fi

status="$(curl -s -o /dev/null -w '%{http_code}' "$lb/api/v1/sandboxes")"
[[ "$status" == 401 ]] && pass "an anonymous request through the balancer is refused (401)" || fail "anonymous GET /api/v1/sandboxes: $status, not 401"

created="$(curl -sS "${auth[@]}" -H 'content-type: application/json' -d '{"framework":"react-vite"}' -w '\n%{http_code}' "$lb/api/v1/sandboxes")"
code="$(tail -n1 <<<"$created")"
sandbox="$(head -n -1 <<<"$created" | jq -r '.id // empty')"
if [[ "$code" == 201 || "$code" == 200 || "$code" == 202 ]] && [[ -n "$sandbox" ]]; then
  pass "POST /api/v1/sandboxes through the balancer: $code, sandbox $sandbox"
else
  fail "POST /api/v1/sandboxes through the balancer: $code $(head -n -1 <<<"$created" | head -c 400)"
  exit 1
fi

# Polled through the balancer: every answer must come from the database-backed state, whichever instance gives it.
preview_ready() { curl -fsS "${auth[@]}" "$lb/api/v1/preview/sandbox/$sandbox" -o "$work/preview.json" && jq -e '.status == "ready"' "$work/preview.json"; }
if wait_for "the preview" 180 preview_ready; then
  preview_url="$(jq -r .preview_url "$work/preview.json")"
  pass "the preview is ready: $preview_url"
else
  fail "the preview never became ready: $(curl -s "${auth[@]}" "$lb/api/v1/preview/sandbox/$sandbox" | head -c 400)"
  exit 1
fi

# The preview URL names the balancer (PublicPort); its Host header is what routes it, on every instance.
preview_host="$(sed -E 's#^https?://([^/]+)/.*#\1#' <<<"$preview_url")"
# Four requests: round robin sends two to each instance, so the one that does not run the sandbox is tried too.
codes=()
for _ in 1 2 3 4; do
  codes+=("$(curl -s -o "$work/preview.html" -w '%{http_code}' "${auth[@]}" -H "Host: $preview_host" "$lb/")")
done
served="$(grep -F "\"$preview_host" "$work/nginx/access.log" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^upstream=/) u = substr($i, 10); print $(NF - 3) "<-" u}' | tr '\n' ' ')"
if [[ "${codes[*]}" == "200 200 200 200" ]] && grep -qi '<div id="root"' "$work/preview.html"; then
  pass "GET / with Host: $preview_host through the balancer: ${codes[*]} (status<-instance: $served)"
else
  fail "GET / with Host: $preview_host through the balancer: ${codes[*]} (status<-instance: $served)"
fi

code="$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X DELETE "$lb/api/v1/sandboxes/$sandbox")"
if [[ "$code" == 204 || "$code" == 200 || "$code" == 202 ]]; then
  pass "DELETE /api/v1/sandboxes/$sandbox through the balancer: $code"
  gone() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$lb/api/v1/sandboxes/$sandbox")" == 404 ]]; }
  if wait_for "the sandbox to be gone" 60 gone; then pass "the sandbox is gone (404)"; sandbox_gone=1; else fail "the sandbox still answers after DELETE"; fi
else
  fail "DELETE /api/v1/sandboxes/$sandbox through the balancer: $code"
fi

if (( failed )); then
  for n in 1 2; do show_log "$work/livepreview-$n.log"; done
  exit 1
fi
[[ "${sandbox_gone:-0}" == 1 ]] && sandbox=""
exit 0

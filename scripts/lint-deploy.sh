#!/usr/bin/env bash
# Lints deploy/ with what installs on this machine (Debian and npm; no container engine, no helm):
#   yamllint     compose.yaml, the chart's Chart.yaml and values.yaml (deploy/.yamllint)
#   dockerfilelint  deploy/Dockerfile (npm, pinned by tools/lint/package-lock.json)
#   nginx -t     the load balancer template, rendered as compose-as-processes.sh renders it
#   check-chart  the Helm chart without helm: actions closed, includes defined, every .Values path in values.yaml
#   ShellCheck   the deployment scripts (warnings and errors)
# Installs what is missing, like setup.sh (as root). Exits non-zero when any linter finds a problem.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need=()
command -v yamllint >/dev/null 2>&1 || need+=(yamllint)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v envsubst >/dev/null 2>&1 || need+=(gettext-base)
/usr/bin/python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
if (( ${#need[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "The deployment lint needs these Debian packages: ${need[*]}; run as root or install them." >&2
    exit 1
  fi
  echo "Installing ${need[*]} ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
lint_tools="$repo/tools/lint"
if [[ ! -x "$lint_tools/node_modules/.bin/dockerfilelint" ]]; then
  (cd "$lint_tools" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

failed=()
run() {
  local name="$1"
  shift
  if "$@"; then echo "ok    $name"; else echo "FAIL  $name" >&2; failed+=("$name"); fi
}

run yamllint yamllint -s -c "$repo/deploy/.yamllint" "$repo/deploy/compose.yaml" \
  "$repo/deploy/helm/livepreview/Chart.yaml" "$repo/deploy/helm/livepreview/values.yaml"

run dockerfilelint "$lint_tools/node_modules/.bin/dockerfilelint" "$repo/deploy/Dockerfile"

nginx_check() {
  local dir
  dir="$(mktemp -d)"
  LP_LISTEN=127.0.0.1:8080 LP_INSTANCE_1=127.0.0.1:8081 LP_INSTANCE_2=127.0.0.1:8082 LP_ACCESS_LOG="$dir/access.log" \
    envsubst '${LP_LISTEN} ${LP_INSTANCE_1} ${LP_INSTANCE_2} ${LP_ACCESS_LOG}' \
    <"$repo/deploy/nginx/livepreview.conf.template" >"$dir/livepreview.conf"
  printf 'pid %s/nginx.pid;\nevents {}\nhttp { include %s/livepreview.conf; }\n' "$dir" "$dir" >"$dir/nginx.conf"
  local rc=0
  nginx -t -q -e "$dir/error.log" -c "$dir/nginx.conf" || rc=$?
  rm -rf "$dir"
  return "$rc"
}
run "nginx -t" nginx_check

run check-chart /usr/bin/python3 "$repo/scripts/lint/check-chart.py" "$repo/deploy/helm/livepreview"

run shellcheck shellcheck -S warning "$repo/scripts/lint-deploy.sh" "$repo/scripts/compose-as-processes.sh" "$repo/scripts/setup.sh"

if (( ${#failed[@]} )); then
  echo "deployment lint: ${#failed[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "deployment lint: all passed"

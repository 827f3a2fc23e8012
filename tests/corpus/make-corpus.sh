#!/usr/bin/env bash
# Regenerates the corpus of real apps (tests/corpus/README.md) with the official scaffolders from the npm registry,
# pinned, non-interactive, then writes each app's lock file without installing anything (no install scripts run).
# Usage: tests/corpus/make-corpus.sh <empty output folder> <package-managers layer (an installed tools/package-managers)>
# The apps are kept exactly as the scaffolders made them; only a lock file is added. Review the diff before committing.
set -euo pipefail
out="$(realpath "$1")"
pm="$(realpath "$2")"
pnpm=(node "$pm/node_modules/pnpm/bin/pnpm.cjs")
yarn1=(node "$pm/node_modules/yarn/bin/yarn.js")
mkdir -p "$out"
cd "$out"
export CI=1 npm_config_yes=true

for template in react-ts vue svelte-ts solid preact lit vanilla; do
  npm create -y vite@9.3.0 "vite-$template" -- --template "$template" --no-interactive --no-immediate
done
npm create -y vite@5.5.5 vite5-react -- --template react
npx -y sv@0.17.1 create --template minimal --types ts --no-add-ons --no-install --no-dir-check sveltekit-minimal
npx -y create-next-app@16.4.3 next-app --ts --app --no-tailwind --no-eslint --no-src-dir --no-react-compiler \
  --import-alias '@/*' --use-npm --skip-install --disable-git --no-agent-feedback --yes

# Lock files. npm: resolved without installing. pnpm (the pinned one): --lockfile-only resolves without installing.
# Yarn 1 has no lock-only mode: it installs with scripts off, and the node_modules it made is removed.
for app in vite-react-ts vite-svelte-ts vite-solid vite-lit vite-vanilla vite5-react sveltekit-minimal next-app; do
  (cd "$app" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund)
done
(cd vite-vue && "${pnpm[@]}" install --lockfile-only --ignore-scripts)
(cd vite-preact && "${yarn1[@]}" install --ignore-scripts --non-interactive --no-progress --registry https://registry.npmjs.org/ && rm -rf node_modules)

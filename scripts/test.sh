#!/usr/bin/env bash
# Runs every check and test, installing what is missing first (the README's second command; CI runs it).
#   provisioning (nats-server, ferretdb, chromium) -> npm ci when node_modules is missing or stale ->
#   contracts up to date -> typecheck -> lint -> format check -> vitest (unit, integration, end-to-end).
# Extra arguments go to vitest (e.g. `npm test -- apps/identity`).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "provision"
bash scripts/provision.sh --browser

step "dependencies"
bash scripts/install-deps.sh

step "contracts"
bash scripts/generate.sh --check

step "typecheck"
npx tsc -p tsconfig.json --noEmit

step "lint"
npx eslint --max-warnings=0 .

step "format"
npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }

step "tests"
mkdir -p .test-output
status=0
npx vitest run "$@" || status=$?
node scripts/test-summary.mjs .test-output/vitest.json || status=1
exit $status

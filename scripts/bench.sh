#!/usr/bin/env bash
# Runs every benchmark in bench/ (figures, not pass/fail; bench/lib holds their shared helpers), or the ones named: `npm run bench -- identity`.
# Benchmarks that need servers start their own through the test kit's server helpers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
bash scripts/install-deps.sh
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  mapfile -t names < <(ls bench/*.ts | xargs -n1 basename | sed 's/\.ts$//')
fi
for name in "${names[@]}"; do
  printf '\n==> bench/%s.ts\n' "$name"
  npx tsx "bench/$name.ts"
done

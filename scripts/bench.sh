#!/usr/bin/env bash
# Runs every benchmark in bench/ (figures, not pass/fail; bench/lib holds their shared helpers), or the ones named: `npm run bench -- identity`; arguments after the names go to them.
# Benchmarks that need servers start their own through the test kit's server helpers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
bash scripts/install-deps.sh
# Leading arguments that name benchmarks select them; the rest go to each (`npm run bench -- lfw DIR`).
names=()
while [[ $# -gt 0 && -f "bench/$1.ts" ]]; do names+=("$1"); shift; done
if [[ ${#names[@]} -eq 0 ]]; then
  mapfile -t names < <(ls bench/*.ts | xargs -n1 basename | sed 's/\.ts$//')
fi
for name in "${names[@]}"; do
  printf '\n==> bench/%s.ts\n' "$name"
  npx tsx "bench/$name.ts" "$@"
done

#!/usr/bin/env bash
# Generates the TypeScript contracts from proto/ (offline: buf and ts-proto come from node_modules).
# With --check, generates into a temp dir and fails when the committed code differs (stale).
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
out=libs/proto/src/gen
"$buf" lint proto
if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$buf" generate proto --template proto/buf.gen.yaml -o "$tmp"
  if ! diff -r "$tmp/$out" "$out"; then
    echo "generated contracts are stale: run 'npm run generate' and commit $out" >&2
    exit 1
  fi
  echo "generated contracts are up to date"
  exit 0
fi
rm -rf "$out"
"$buf" generate proto --template proto/buf.gen.yaml
echo "generated $(find "$out" -name '*.ts' | wc -l) files into $out"

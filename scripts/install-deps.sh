#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or older than package-lock.json.
# `npm install` rather than `npm ci`: npm 11.19 writes lock files without some optional platform
# packages (@bufbuild/buf-*) and then refuses its own lock in `npm ci`; `npm install` resolves from
# the same lock and fills those in.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "installing npm dependencies ..."
  npm install --no-audit --no-fund
else
  echo "npm dependencies up to date"
fi

#!/usr/bin/env bash
# Installs what Guardian's embedded mode and tests need, when missing. Idempotent: safe to run always.
#   nats-server  Debian package (apt) or `go install github.com/nats-io/nats-server/v2@$NATS_VERSION`
#   ferretdb     FerretDB 1.x (MongoDB wire protocol on SQLite), built with Go from the module proxy
#   chromium     Debian package, for the dashboard's browser tests (only with --browser)
#   ffmpeg       Debian package: liveness clips (WebM/MP4) are decoded with it, and tests make clips with it
# Binaries built with Go land in $(go env GOPATH)/bin, where the test kit and scripts/start.sh look.
set -euo pipefail

NATS_VERSION=v2.10.29
FERRETDB_VERSION=v1.24.2
# The build carries two upstream fixes (see below); the suffix tells a fixed binary from a plain one.
FERRETDB_BUILD="${FERRETDB_VERSION}-guardian.2"
want_browser=false
[[ "${1:-}" == "--browser" ]] && want_browser=true

say() { printf 'provision: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
gobin() { echo "$(go env GOPATH)/bin"; }
on_path_or_gobin() { have "$1" || { have go && [[ -x "$(gobin)/$1" ]]; }; }
ferretdb_at() { if [[ -x "$(gobin)/ferretdb" ]]; then "$(gobin)/ferretdb" "$@"; else ferretdb "$@"; fi; }

apt_install() {
  if have apt-get && [[ $(id -u) -eq 0 ]]; then
    if [[ ! -f /tmp/.guardian-apt-updated ]]; then apt-get update -qq && touch /tmp/.guardian-apt-updated; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    return 0
  fi
  return 1
}

# --- nats-server -------------------------------------------------------------------------------
if on_path_or_gobin nats-server || [[ -x /usr/sbin/nats-server ]]; then
  say "nats-server present"
elif apt_install nats-server 2>/dev/null && [[ -x /usr/sbin/nats-server ]]; then
  say "installed nats-server from Debian packages"
elif have go; then
  say "installing nats-server $NATS_VERSION with go install ..."
  go install "github.com/nats-io/nats-server/v2@${NATS_VERSION}"
  say "installed $(gobin)/nats-server"
else
  say "nats-server is missing and neither apt (as root) nor Go is available."
  say "Install it from your OS packages (e.g. 'brew install nats-server') or https://nats.io, then re-run."
  exit 1
fi

# --- ferretdb ----------------------------------------------------------------------------------
if have mongod; then
  say "mongod found on PATH: the test kit and start script use it instead of FerretDB"
elif on_path_or_gobin ferretdb && [[ "$(ferretdb_at --version 2>/dev/null)" == *"$FERRETDB_BUILD"* ]]; then
  say "ferretdb present ($FERRETDB_BUILD)"
elif have go; then
  say "building ferretdb $FERRETDB_BUILD with Go (about 2 minutes the first time) ..."
  # `go install …@version` fails here because the module proxy refuses FerretDB's version list,
  # and FerretDB's embedded build/version/version.txt is absent from the module zip (the binary
  # panics at start without it). So: a throwaway module pins the version, a writable copy of the
  # module gets its version file, and a replace directive builds from that copy.
  # The fixes, both in the SQLite backend's `_id` lookups:
  # 1. 1.24.2 filters with `_ferretdb_sjson->'$._id'` but creates the unique `_id` index on
  #    `_ferretdb_sjson->"_id"`; SQLite only uses an expression index for the identical expression,
  #    so every find/update/delete by `_id` scanned the whole table (40 ms at 20,000 small
  #    documents instead of 0.3 ms). The copy's lookups use the index's expression.
  # 2. The `_id` lookup was used only when `_id` was the filter's only field, so `{_id, status}`
  #    scanned too. Every caller re-applies the whole filter to what the backend returns, so the
  #    copy narrows by `_id` whenever the filter has a top-level `_id` string or ObjectId.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    cat > go.mod <<GOMOD
module guardian.local/ferretdb-build

go 1.24

require github.com/FerretDB/FerretDB ${FERRETDB_VERSION}
GOMOD
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/FerretDB/FerretDB/cmd/ferretdb"\n' > tools.go
    go mod tidy >/dev/null 2>&1 || go mod download github.com/FerretDB/FerretDB
    src=$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
    cp -r "$src" ferretdb-src && chmod -R u+w ferretdb-src
    echo "$FERRETDB_BUILD" > ferretdb-src/build/version/version.txt
    meta=ferretdb-src/internal/backends/sqlite/metadata/metadata.go
    sed -i "s|IDColumn = DefaultColumn + \"->'\\$._id'\"|IDColumn = DefaultColumn + \`->\"_id\"\`|" "$meta"
    grep -q 'IDColumn = DefaultColumn + `->"_id"`' "$meta" || { say "ferretdb: the _id index fix did not apply"; exit 1; }
    coll=ferretdb-src/internal/backends/sqlite/collection.go
    sed -i 's|if params.Filter.Len() == 1 {|if params.Filter.Len() > 0 {|' "$coll"
    [[ $(grep -c 'if params.Filter.Len() > 0 {' "$coll") == 2 ]] || { say "ferretdb: the _id filter fix did not apply"; exit 1; }
    go mod edit -replace "github.com/FerretDB/FerretDB=./ferretdb-src"
    go mod tidy >/dev/null
    mkdir -p "$(gobin)"
    go build -o "$(gobin)/ferretdb" github.com/FerretDB/FerretDB/cmd/ferretdb
  )
  say "installed $(gobin)/ferretdb ($("$(gobin)/ferretdb" --version 2>/dev/null | head -1))"
else
  say "No MongoDB-compatible server: install Go (then re-run) or MongoDB 7 ('mongod' on PATH),"
  say "or set MONGO_URL to a running server."
  exit 1
fi

# --- ffmpeg ------------------------------------------------------------------------------------
if have ffmpeg; then
  say "ffmpeg present"
elif apt_install ffmpeg && have ffmpeg; then
  say "installed ffmpeg from Debian packages"
else
  say "ffmpeg is missing: install your OS package 'ffmpeg' (liveness clips and their tests need it)."
  exit 1
fi

# --- chromium (browser tests) ------------------------------------------------------------------
if $want_browser; then
  if have chromium || [[ -x /usr/bin/chromium ]]; then
    say "chromium present"
  elif apt_install chromium; then
    say "installed chromium from Debian packages"
  else
    say "chromium is missing: install Debian's 'chromium' package (browser tests need /usr/bin/chromium)."
    exit 1
  fi
fi

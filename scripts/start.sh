#!/usr/bin/env bash
# Starts the whole Guardian mesh on embedded defaults (the README's first command):
#   provisions nats-server and ferretdb if needed, installs npm dependencies if needed, starts NATS
#   (JetStream) and a MongoDB-wire server with their data under .data/, then identity, biometrics,
#   notifier and web. Ctrl-C stops everything cleanly; the data stays in .data/.
# MONGO_URL / NATS_URL point at real servers instead of the embedded ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data="$root/.data"
mkdir -p "$data/logs"

bash scripts/provision.sh
bash scripts/install-deps.sh
# The dashboard the BFF serves: built when missing or older than its sources.
if [[ ! -f apps/web/dist/index.html ]] || [[ -n $(find apps/web/src/dashboard -newer apps/web/dist/index.html -print -quit) ]]; then
  echo "building the dashboard ..."
  npm run build -w @guardian/web >"$data/logs/dashboard-build.log" 2>&1 || { echo "dashboard build failed: .data/logs/dashboard-build.log" >&2; exit 1; }
fi

find_bin() { command -v "$1" 2>/dev/null || { [[ -x "$(go env GOPATH 2>/dev/null)/bin/$1" ]] && echo "$(go env GOPATH)/bin/$1"; } || { [[ -x "/usr/sbin/$1" ]] && echo "/usr/sbin/$1"; }; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
first_free_port() { local p=$1; while port_busy "$p"; do p=$((p + 1)); done; echo "$p"; }
wait_port() { for _ in $(seq 1 200); do port_busy "$1" && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; return 1; }

pids=()
stopping=false
stop_all() {
  trap - INT TERM EXIT
  stopping=true
  echo
  echo "stopping Guardian ..."
  # Apps first (they drain gRPC and NATS, close MongoDB), then the servers.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped; data kept in .data/"
}
trap stop_all INT TERM EXIT

# --- infrastructure --------------------------------------------------------------------------
if [[ -z "${NATS_URL:-}" ]]; then
  nats_port=$(first_free_port "${GUARDIAN_NATS_PORT:-4222}")
  mkdir -p "$data/nats"
  "$(find_bin nats-server)" -js -a 127.0.0.1 -p "$nats_port" -sd "$data/nats" >"$data/logs/nats.log" 2>&1 &
  infra_nats=$!
  wait_port "$nats_port"
  export NATS_URL="nats://127.0.0.1:$nats_port"
fi
if [[ -z "${MONGO_URL:-}" ]]; then
  mongo_port=$(first_free_port "${GUARDIAN_MONGO_PORT:-27017}")
  mkdir -p "$data/mongo"
  if mongod_bin=$(command -v mongod); then
    "$mongod_bin" --dbpath "$data/mongo" --port "$mongo_port" --bind_ip 127.0.0.1 --quiet >"$data/logs/mongo.log" 2>&1 &
  else
    "$(find_bin ferretdb)" --handler=sqlite "--sqlite-url=file:$data/mongo/?_pragma=synchronous(normal)" "--listen-addr=127.0.0.1:$mongo_port" \
      --debug-addr=- --telemetry=disable "--state-dir=$data/mongo" --log-level=warn >"$data/logs/mongo.log" 2>&1 &
  fi
  infra_mongo=$!
  wait_port "$mongo_port"
  export MONGO_URL="mongodb://127.0.0.1:$mongo_port/"
  # FerretDB loses concurrent updates of one document across pooled connections (docs/conventions.md).
  [[ -n "${mongod_bin:-}" ]] || MONGO_URL="${MONGO_URL}?maxPoolSize=1"
fi

# --- the four apps ---------------------------------------------------------------------------
identity_port=$(first_free_port 50051)
biometrics_port=$(first_free_port 50052)
notifier_port=$(first_free_port 50053)
web_port=$(first_free_port "${WEB_HTTP_PORT:-8080}")

start_app() {
  local name=$1; shift
  env "$@" node --import tsx "apps/$name/src/main.ts" >"$data/logs/$name.log" 2>&1 &
  pids=("$!" "${pids[@]}")
}
# identity's credential toward biometrics (face sign-in decisions, end-user IPs): fresh on every start.
service_token=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")
start_app identity GRPC_PORT="$identity_port" METRICS_PORT="$(first_free_port 9451)" \
  IDENTITY_BIOMETRICS_SERVICE_TOKEN="$service_token" \
  IDENTITY_BIOMETRICS_ADDRESS="127.0.0.1:$biometrics_port"
start_app biometrics GRPC_PORT="$biometrics_port" METRICS_PORT="$(first_free_port 9452)" \
  BIOMETRICS_SIGN_IN_CALLERS="identity=$service_token" \
  BIOMETRICS_IDENTITY_ADDRESS="127.0.0.1:$identity_port"
start_app notifier GRPC_PORT="$notifier_port" METRICS_PORT="$(first_free_port 9453)" \
  NOTIFIER_IDENTITY_ADDRESS="127.0.0.1:$identity_port"
start_app web WEB_HTTP_PORT="$web_port" METRICS_PORT="$(first_free_port 9454)" WEB_IDENTITY_ADDRESS="127.0.0.1:$identity_port" \
  WEB_BIOMETRICS_ADDRESS="127.0.0.1:$biometrics_port" WEB_NOTIFIER_ADDRESS="127.0.0.1:$notifier_port"
# Infrastructure stops last: it is at the end of the list.
pids+=(${infra_nats:-} ${infra_mongo:-})

for name in identity biometrics notifier web; do
  for _ in $(seq 1 600); do
    grep -q "\"msg\":\"$name ready\"" "$data/logs/$name.log" 2>/dev/null && break
    if grep -q '"level":"fatal"' "$data/logs/$name.log" 2>/dev/null; then
      echo "$name failed to start; see .data/logs/$name.log:" >&2
      tail -5 "$data/logs/$name.log" >&2
      exit 1
    fi
    sleep 0.2
  done
done

cat <<INFO

Guardian is running (logs in .data/logs/, data in .data/):
  dashboard + API   http://localhost:$web_port
  identity gRPC     127.0.0.1:$identity_port
  biometrics gRPC   127.0.0.1:$biometrics_port
  notifier gRPC     127.0.0.1:$notifier_port
  NATS              $NATS_URL
  MongoDB           $MONGO_URL
First start: the master account's one-time password is in .data/identity/master-one-time-password.txt
(mode 0600; or set IDENTITY_BOOTSTRAP_MASTER_* before starting); the first sign-in replaces it. Press Ctrl-C to stop.
INFO
wait -n "${pids[@]}" || true
$stopping || echo "a process exited unexpectedly; see .data/logs/" >&2

#!/usr/bin/env bash
# The soak of make bench: boxoffice under mixed reads and bookings over many
# events for minutes, with a line every interval (throughput, p99, errors,
# the server's RSS, heap, goroutines and open files, from its metrics) and
# a summary of how they moved. A leak shows as a climb, not as a high value.
#
#   BENCH_SOAK=5m make bench                  # or: bash bench/run.sh soak
#   BENCH_SOAK=30m BENCH_SOAK_EVERY=1m bash bench/soak.sh
#   BENCH_SOAK_DB=sqlite BENCH_SOAK=3m bash bench/soak.sh   # the embedded database
#
# Settings: BENCH_SOAK (default 5m), BENCH_SOAK_EVERY (10s), BENCH_CONNS
# (64), BENCH_SOAK_EVENTS (1000), BENCH_SOAK_READS (share of reads, 0.8),
# BENCH_SOAK_DB (postgres, the default, at PGHOST:PGPORT as for make bench;
# or sqlite). Everything it starts or creates is removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="-c client_min_messages=warning"
SOAK=${BENCH_SOAK:-5m}
EVERY=${BENCH_SOAK_EVERY:-10s}
CONNS=${BENCH_CONNS:-64}
EVENTS=${BENCH_SOAK_EVENTS:-1000}
READS=${BENCH_SOAK_READS:-0.8}
ENGINE=${BENCH_SOAK_DB:-postgres}
db=boxoffice_soak_$$

for tool in curl go awk; do
  command -v "$tool" >/dev/null || { echo "soak: $tool is needed" >&2; exit 1; }
done
case "$ENGINE" in
  postgres)
    command -v psql >/dev/null || { echo "soak: psql is needed (or BENCH_SOAK_DB=sqlite)" >&2; exit 1; }
    psql -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1 ||
      { echo "soak: PostgreSQL is not reachable at $PGHOST:$PGPORT as $PGUSER (or BENCH_SOAK_DB=sqlite)" >&2; exit 1; } ;;
  sqlite) ;;
  *) echo "soak: BENCH_SOAK_DB=$ENGINE: want postgres or sqlite" >&2; exit 1 ;;
esac

tmp=$(mktemp -d)
server_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  [ "$ENGINE" = postgres ] && { psql -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; }
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "soak: no free port" >&2
  exit 1
}

go build -o bin/boxoffice ./cmd/boxoffice
bin=$root/bin/boxoffice
# A throwaway signing secret, and no per-user budget for changes: the load
# books as one admin on behalf of the demo users.
export JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') RATE_LIMIT_MUTATIONS_PER_MINUTE=0
if [ "$ENGINE" = postgres ]; then
  psql -q -d postgres -c "CREATE DATABASE $db" >/dev/null
  export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"
  (cd "$tmp" && "$bin" migrate >/dev/null && "$bin" seed >/dev/null)
else
  export DATABASE_URL="sqlite:$tmp/boxoffice.db"
fi

port=$(free_port)
mport=$(free_port)
(cd "$tmp" && HOST=127.0.0.1 PORT=$port METRICS_ADDR=127.0.0.1:$mport LOG_LEVEL=warn exec "$bin" serve) >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 200); do
  curl -sf --max-time 1 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "soak: the server exited:" >&2; cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf --max-time 1 "http://127.0.0.1:$port/readyz" >/dev/null || { echo "soak: the server is not ready" >&2; cat "$tmp/server.log" >&2; exit 1; }
token=$(cd "$tmp" && "$bin" token --email alice@example.com) # the demo admin

echo "== soak: boxoffice on $ENGINE, $(nproc) CPU(s), pid $server_pid, metrics at http://127.0.0.1:$mport/metrics"
rc=0
"$bin" bench -url "http://127.0.0.1:$port/graphql" -token "$token" -c "$CONNS" -events "$EVENTS" -reads "$READS" \
  -soak "$SOAK" -every "$EVERY" -metrics "http://127.0.0.1:$mport/metrics" -q mixed || rc=$?
echo "server peak RSS (VmHWM): $(awk '/^VmHWM:/ { printf "%d MB", $2 / 1024 }' "/proc/$server_pid/status" 2>/dev/null || echo unknown)"
if grep -q 'level=ERROR' "$tmp/server.log"; then
  echo "the server logged errors:" >&2
  grep 'level=ERROR' "$tmp/server.log" | head -n 5 >&2
  rc=1
fi
exit "$rc"

#!/usr/bin/env bash
# make bench: the raw PostgreSQL baseline and boxoffice, on this machine, in
# one run, and the ratios between them (see docs/benchmarks.md).
#
#   bash bench/run.sh
#   BENCH_SECONDS=5 bash bench/run.sh        # shorter runs
#   BENCH_STRICT=1 bash bench/run.sh         # exit 1 when a target is missed
#   BENCH_SOAK=5m make bench                 # a soak instead (bench/soak.sh); also: bash bench/run.sh soak
#   BENCH_BUYERS=20000 bash bench/run.sh     # buyers of the booking runs (default 5000)
#   bash bench/run.sh onsale                 # only the raw hot baseline, onsale and expiry
#   BENCH_ONSALE_BUYERS=2000 BENCH_EXPIRY_HOLDS=10000 bash bench/run.sh onsale   # smaller
#
# onsale and expiry run against a server started with PAYMENT_PROVIDER=test
# (the other scenarios against one without payments, whose bookings are
# confirmed at once): onsale's buyers each hold 1 ticket of one priced
# event, then pay it; expiry lets BENCH_EXPIRY_HOLDS holds (default
# 100,000) run out at once and times their tickets' return.
#
# Needs PostgreSQL at PGHOST:PGPORT (default 127.0.0.1:5432, user postgres),
# psql, pgbench, curl, Go, and ../shared/bench/baseline.sh beside the repo.
# Takes about 5 minutes on the 2-core reference machine, most of it
# onsale's payments. Everything it starts or creates is removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${1:-}" = soak ] || [ -n "${BENCH_SOAK:-}" ]; then exec bash bench/soak.sh; fi
only=${1:-}
case "$only" in
  "" | onsale) ;;
  *) echo "bench: unknown selector $only: want none (everything), onsale or soak" >&2; exit 2 ;;
esac

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="-c client_min_messages=warning"
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
# Buyers of the booking runs: at 120 changes a minute each (the default
# RATE_LIMIT_MUTATIONS_PER_MINUTE), 5000 buyers pass 600,000 a minute.
BUYERS=${BENCH_BUYERS:-5000}
BASELINE_CLIENTS=${BENCH_BASELINE_CLIENTS:-"8 $CONNS"}
BASELINE_SCRIPTS="hot spread hot-batch10"
if [ "$only" = onsale ]; then BASELINE_CLIENTS=$CONNS BASELINE_SCRIPTS=hot; fi
ONSALE_BUYERS=${BENCH_ONSALE_BUYERS:-20000}
EXPIRY_HOLDS=${BENCH_EXPIRY_HOLDS:-100000}
# onsale ends once every buyer has held and paid; this only bounds it.
ONSALE_LIMIT=${BENCH_ONSALE_LIMIT:-10m}
baseline=../shared/bench/baseline.sh
db=boxoffice_bench_$$
rawdb=boxoffice_bench_raw_$$

for tool in psql pgbench curl go awk; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done
if [ ! -f "$baseline" ]; then
  echo "bench: $root/$baseline not found: the raw PostgreSQL baseline lives in ../shared/bench beside this repository" >&2
  exit 1
fi
if ! pg_isready -q 2>/dev/null && ! psql -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
  echo "bench: PostgreSQL is not reachable at $PGHOST:$PGPORT as $PGUSER" >&2
  exit 1
fi

tmp=$(mktemp -d)
server_pid=
sampler_pid=
floor_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$floor_pid" ] && kill "$floor_pid" 2>/dev/null
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  psql -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $rawdb WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
failed=
say() { printf '\n== %s\n' "$*"; }

# ---- (a) raw PostgreSQL: booking transactions, no application ------------
say "raw PostgreSQL baseline: pgbench, ${SECS} s per run, clients $BASELINE_CLIENTS"
BASELINE_DB=$rawdb SECONDS_PER_RUN=$SECS CLIENTS=$BASELINE_CLIENTS SCRIPTS=$BASELINE_SCRIPTS bash "$baseline" | tee "$tmp/baseline.txt"
raw() { # raw SCRIPT CLIENTS FIELD: a number from baseline.sh's output
  local v
  v=$(awk -v s="$1" -v c="clients=$2" -v f="$3" '$1 == s && $2 == c {
    for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$tmp/baseline.txt" | head -n 1)
  echo "${v:-0}"
}

# ---- (c) boxoffice on a fresh PostgreSQL database -------------------------
say "boxoffice: build, fresh database $db, migrate, seed, serve"
go build -o bin/boxoffice ./cmd/boxoffice
bin=$root/bin/boxoffice
psql -q -d postgres -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"
# A throwaway signing secret. The server keeps its default rate limits:
# boxoffice bench books as BUYERS buyers of its own, each with a token
# (made in this database and signed with this secret), each within its own
# budget of changes, as in a real on-sale.
export JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# From an empty directory, so that no .env changes the settings.
(cd "$tmp" && "$bin" migrate >/dev/null && "$bin" seed)

# Every measured run starts right after a checkpoint, as the raw baseline's
# runs do (each of its databases is new, and CREATE DATABASE forces one).
# Otherwise the WAL one scenario wrote sets off a checkpoint in the middle
# of the next: its full-page writes and flushes then share the disk with
# that scenario's commits (PostgreSQL's log shows them: log_checkpoints).
checkpoint() {
  psql -q -d postgres -c CHECKPOINT >/dev/null 2>&1 ||
    echo "bench: CHECKPOINT failed (it needs a superuser or pg_checkpoint): runs may overlap checkpoints" >&2
}

# ---- (b) raw PostgreSQL: the SQL of the read scenario ---------------------
# On boxoffice's own database and data, while the server is not running
# (PostgreSQL's connections are few: max_connections is often 100).
read_baseline() { # read_baseline NAME: pgbench with boxoffice's read SQL on its database
  local out
  checkpoint
  out=$(pgbench -n -M prepared -f bench/read-events.sql -f bench/read-bookings.sql \
    -c "$CONNS" -j 2 -T "$SECS" "$db" 2>&1) || { echo "$out" >&2; failed="$failed $1-raw"; return 0; }
  echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1 >"$tmp/$1.raw"
  printf '%-12s %9.0f pages/s  raw PostgreSQL, %s clients, the same SQL (bench/read-*.sql)\n' "$1" "$(cat "$tmp/$1.raw")" "$CONNS"
}
rows() { psql -d "$db" -Atc "SELECT (SELECT count(*) FROM events) || ' events, ' || (SELECT count(*) FROM bookings) || ' bookings'"; }

if [ -z "$only" ]; then
  say "read on the demo data ($(rows)): its SQL in pgbench"
  read_baseline read-seed
fi

port=
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 30000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "bench: no free port" >&2; exit 1; }
url=http://127.0.0.1:$port/graphql

# ---- (c') the floor: the same SQL over HTTP, without GraphQL -------------
if [ -z "$only" ]; then
  say "read on the demo data: bench/floor, the same SQL over HTTP with no GraphQL and no token check"
  go build -o bin/floor ./bench/floor
  bin/floor -addr "127.0.0.1:$port" >"$tmp/floor.log" 2>&1 &
  floor_pid=$!
  for _ in $(seq 100); do
    curl -s --max-time 1 -H 'Content-Type: application/json' -d '{"query":"{ events(pagination: {limit: 1}) { total } }"}' \
      "$url" 2>/dev/null | grep -q '"data"' && break
    kill -0 "$floor_pid" 2>/dev/null || { echo "bench: bench/floor exited:" >&2; cat "$tmp/floor.log" >&2; exit 1; }
    sleep 0.1
  done
fi

# Fields of `boxoffice bench -json`: top-level ones are indented by 2
# spaces, those of the overall latency and the verification by 4.
jtop() { local v; v=$(sed -n "s/^  \"$2\": \\([-0-9.e+]*\\),\\{0,1\\}\$/\\1/p" "$1" 2>/dev/null | head -n 1); echo "${v:-0}"; }
jsub() { local v; v=$(sed -n "s/^    \"$2\": \\([-0-9.e+]*\\),\\{0,1\\}\$/\\1/p" "$1" 2>/dev/null | head -n 1); echo "${v:-0}"; }
jsummary() { sed -n 's/^    "summary": "\(.*\)",\{0,1\}$/\1/p' "$1" 2>/dev/null | head -n 1; }
jerrors() {
  awk '/^  "(errors|transport_errors)": \{$/ { f = 1; next } f && /^  \}/ { f = 0 }
    f { gsub(/[ ",]/, ""); sub(/:/, " "); printf "%s%s", sep, $0; sep = ", " }' "$1" 2>/dev/null || true
}

run_json() { # run_json NAME SCENARIO [flags]: boxoffice bench -json into $tmp/NAME.json
  local name=$1 scenario=$2; shift 2
  checkpoint
  # In $tmp, with DATABASE_URL and JWT_SECRET: the server's configuration,
  # which bench needs to make its buyers and its admin in the database.
  if ! (cd "$tmp" && "$bin" bench -url "$url" -c "$CONNS" -d "${SECS}s" -json -q "$@" "$scenario") >"$tmp/$name.json" 2>"$tmp/$name.err"; then
    failed="$failed $name"
    echo "boxoffice bench $scenario FAILED:" >&2
    cat "$tmp/$name.err" >&2
  fi
}
bench() { # bench NAME SCENARIO [flags]: runs boxoffice bench, prints one line
  local name=$1 scenario=$2
  local out=$tmp/$name.json
  run_json "$@"
  local errs what=bookings_per_sec
  errs=$(jerrors "$out")
  [ "$scenario" = read ] && what=reads_per_sec
  printf '%-12s %9.0f req/s  %9.0f %s  p50 %.1f ms  p99 %.1f ms  errors: %s\n' "$name" \
    "$(jtop "$out" requests_per_sec)" "$(jtop "$out" $what)" "${what%_per_sec}/s" \
    "$(jsub "$out" p50_ms)" "$(jsub "$out" p99_ms)" "${errs:-none}"
  local summary
  summary=$(jsummary "$out")
  [ -n "$summary" ] && echo "             $summary"
  return 0
}

start_server() { # start_server [VAR=value...]: boxoffice serve on $port, with these settings
  (cd "$tmp" && env HOST=127.0.0.1 PORT=$port LOG_LEVEL=warn "$@" "$bin" serve) >"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    curl -sf --max-time 1 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "bench: the server exited:" >&2; cat "$tmp/server.log" >&2; exit 1; }
    sleep 0.1
  done
  curl -sf --max-time 1 "http://127.0.0.1:$port/readyz" >/dev/null || { echo "bench: the server is not ready" >&2; cat "$tmp/server.log" >&2; exit 1; }
  echo "serving on $url (pid $server_pid, LOG_LEVEL=warn${*:+, $*})"
}
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
hwm_kb() { local v; v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null); echo "${v:-0}"; }

if [ -z "$only" ]; then
bench read-floor read -buyers 0 # the floor checks no token
kill "$floor_pid" 2>/dev/null || true
wait "$floor_pid" 2>/dev/null || true
floor_pid=

start_server

say "read on the demo data: boxoffice"
bench read-seed read

say "hot: boxoffice, sampling its memory"
(
  max=0
  while kill -0 "$server_pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$max" ] && max=$rss && echo "$max" >"$tmp/rss.max"
    sleep 0.2
  done
) &
sampler_pid=$!
bench hot hot -buyers "$BUYERS"
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=
hot_rss_kb=$(cat "$tmp/rss.max" 2>/dev/null || echo 0)
hot_hwm_kb=$(hwm_kb)

say "spread: boxoffice"
bench spread spread -buyers "$BUYERS"

say "read with data ($(rows)): boxoffice"
bench read-data read
end_hwm_kb=$(hwm_kb)
stop_server

say "read with data: its SQL in pgbench, on the same database"
read_baseline read-data
fi

# ---- (e) onsale and expiry: a server that takes payments ------------------
start_server PAYMENT_PROVIDER=test
say "onsale: $ONSALE_BUYERS buyers, each with its own token, hold 1 ticket of one priced event each, then pay it with the test card"
run_json onsale onsale -buyers "$ONSALE_BUYERS" -d "$ONSALE_LIMIT"
onsale_errs=$(jerrors "$tmp/onsale.json")
printf '%-12s %9.0f holds/s  p99 %.1f ms   then %9.0f paid/s  p99 %.1f ms   errors: %s\n' onsale \
  "$(jsub "$tmp/onsale.json" holds_per_sec)" "$(jsub "$tmp/onsale.json" hold_p99_ms)" \
  "$(jsub "$tmp/onsale.json" paid_per_sec)" "$(jsub "$tmp/onsale.json" pay_p99_ms)" "${onsale_errs:-none}"
summary=$(jsummary "$tmp/onsale.json")
[ -n "$summary" ] && echo "             $summary"

say "expiry: $EXPIRY_HOLDS holds made in the database, all running out at once; the time until their tickets are back"
run_json expiry expiry -holds "$EXPIRY_HOLDS" -buyers 1000
sed -n 's/^    "summary": "\(.*\)",\{0,1\}$/             \1/p' "$tmp/expiry.json" | head -n 1
stop_server
psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null

# ---- (d) the table ---------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
check() { # check VALUE OP LIMIT: ok or MISS
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "n/a" || v == "") { print "MISS"; exit }
    ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0); print ok ? "ok" : "MISS" }'
}
misses=0
row() { # row SCENARIO RAW BOXOFFICE P99 TARGET-TEXT RATIO-TARGET [P99-TARGET]
  local r status
  r=$(ratio "$3" "$2")
  status=$(check "$r" ">=" "$6")
  if [ -n "${7:-}" ] && [ "$(check "$4" "<=" "$7")" = MISS ]; then status=MISS; fi
  [ "$status" = MISS ] && misses=$((misses + 1))
  printf '%-18s %14.0f %10.0f %7s %8.1f   %-26s %s\n' "$1" "$2" "$3" "${r}x" "$4" "$5" "$status"
}
raw_hot=$(raw hot "$CONNS" tx/s)
raw_spread=$(raw spread "$CONNS" tx/s)
hot_ratio=$(ratio "$(jtop "$tmp/hot.json" bookings_per_sec)" "$raw_hot")

say "results: ${CONNS} connections, ${SECS} s each, $(nproc) CPU(s); rates per second"
printf '%-18s %14s %10s %7s %8s   %-26s %s\n' scenario "raw PostgreSQL" boxoffice ratio "p99 ms" target ""
if [ -z "$only" ]; then
row "hot (bookings)" "$raw_hot" "$(jtop "$tmp/hot.json" bookings_per_sec)" "$(jsub "$tmp/hot.json" p99_ms)" \
  ">= 5x (10x), p99 <= 50 ms" 5 50
row "spread (bookings)" "$raw_spread" "$(jtop "$tmp/spread.json" bookings_per_sec)" "$(jsub "$tmp/spread.json" p99_ms)" \
  ">= 1x" 1
row "read, demo data" "$(cat "$tmp/read-seed.raw" 2>/dev/null || echo 0)" "$(jtop "$tmp/read-seed.json" reads_per_sec)" \
  "$(jsub "$tmp/read-seed.json" p99_ms)" ">= 0.5x" 0.5
floor_ratio=$(ratio "$(jtop "$tmp/read-floor.json" reads_per_sec)" "$(cat "$tmp/read-seed.raw" 2>/dev/null || echo 0)")
printf '%-18s %14.0f %10.0f %7s %8.1f   %s\n' "  floor, demo data" "$(cat "$tmp/read-seed.raw" 2>/dev/null || echo 0)" \
  "$(jtop "$tmp/read-floor.json" reads_per_sec)" "${floor_ratio}x" "$(jsub "$tmp/read-floor.json" p99_ms)" "bench/floor: no GraphQL, no token check"
row "read, with data" "$(cat "$tmp/read-data.raw" 2>/dev/null || echo 0)" "$(jtop "$tmp/read-data.json" reads_per_sec)" \
  "$(jsub "$tmp/read-data.json" p99_ms)" ">= 0.5x" 0.5
rss_status=$(check "$((end_hwm_kb / 1024))" "<=" 150)
[ "$rss_status" = MISS ] && misses=$((misses + 1))
printf '%-18s peak %d MB by the end of hot (max sampled VmRSS %d MB), %d MB by the end   %s %s\n' "server RSS" \
  "$((hot_hwm_kb / 1024))" "$((hot_rss_kb / 1024))" "$((end_hwm_kb / 1024))" "<= 150 MB" "$rss_status"
fi
row "onsale (holds)" "$raw_hot" "$(jsub "$tmp/onsale.json" holds_per_sec)" "$(jsub "$tmp/onsale.json" hold_p99_ms)" \
  ">= 10x, p99 <= 50 ms" 10 50
printf '%-18s %14s %10.0f %7s %8.1f   %s\n' "  then pay" "" "$(jsub "$tmp/onsale.json" paid_per_sec)" "" \
  "$(jsub "$tmp/onsale.json" pay_p99_ms)" "payBooking, test card: reported, no target"
expiry_sec=$(jsub "$tmp/expiry.json" all_back_sec)
expiry_status=$(check "$expiry_sec" "<=" 10)
awk -v s="$expiry_sec" 'BEGIN { exit !(s + 0 < 0) }' && expiry_status=MISS
[ "$expiry_status" = MISS ] && misses=$((misses + 1))
printf '%-18s %s holds running out at once: all their tickets back in %.2f s   %-10s %s\n' "expiry" "$EXPIRY_HOLDS" \
  "$expiry_sec" "<= 10 s" "$expiry_status"
echo
echo "raw: pgbench tx/s at $CONNS clients (hot, spread: one booking a transaction; read: one page a transaction)."
if [ -z "$only" ]; then
  echo "raw hot-batch10: $(raw hot-batch10 "$CONNS" bookings/s) bookings/s at $CONNS clients, 10 bookings a transaction (what group commit can reach)."
  awk -v r="$hot_ratio" 'BEGIN { if (r + 0 >= 10) print "hot: the 10x stretch target is met." }'
fi
echo "onsale: $ONSALE_BUYERS buyers, each holding 1 ticket (all of them first), then each paying (PAYMENT_PROVIDER=test); its hold rate against raw hot."
echo "took $(($(date +%s) - started)) s"

if [ -n "$failed" ]; then
  echo "FAILED:$failed" >&2
  exit 1
fi
if [ "$misses" -gt 0 ]; then
  echo "$misses target(s) missed"
  [ "${BENCH_STRICT:-0}" = 1 ] && exit 1
fi
exit 0

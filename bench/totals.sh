#!/usr/bin/env bash
# bench/totals.sh: what a bookings page costs at 1,000,000 bookings
# (docs/benchmarks.md, "Bookings pages at a million bookings").
#
#   bash bench/totals.sh                  # this checkout's server
#   bash bench/totals.sh path/to/boxoffice  # another build (say, before a change)
#   TOTALS_BOOKINGS=200000 bash bench/totals.sh
#
# Makes a fresh PostgreSQL database (PGHOST:PGPORT, default 127.0.0.1:5432,
# user postgres), migrates and seeds it, adds 1,000 events and the bookings
# with INSERT ... SELECT generate_series (a tenth of them on one hot event),
# serves it, and times 20 requests of each page as the admin through
# GraphQL: all bookings, the hot event's, one user's. Prints the median and
# the slowest. Everything it creates is removed on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="-c client_min_messages=warning"
N=${TOTALS_BOOKINGS:-1000000}
RUNS=${TOTALS_RUNS:-20}
if [ -n "${1:-}" ]; then
  bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  go build -o bin/boxoffice ./cmd/boxoffice
  bin=$root/bin/boxoffice
fi
db=boxoffice_totals_$$
tmp=$(mktemp -d)
server_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  psql -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql -q -d postgres -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"
export JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
(cd "$tmp" && "$bin" migrate >/dev/null && "$bin" seed >/dev/null)

started=$(date +%s)
psql -q -d "$db" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO events (id, title, date, location, total_tickets, available_tickets, price_cents, created_at, updated_at)
SELECT gen_random_uuid(), 'Event ' || g, now() + interval '30 days', 'Hall', 1000000, 1000000, 0, now(), now()
FROM generate_series(1, 1000) g;
CREATE TEMP TABLE ev AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM events WHERE total_tickets = 1000000;
CREATE TEMP TABLE us AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users;
INSERT INTO bookings (id, user_id, event_id, number_of_tickets, status, created_at, updated_at)
SELECT gen_random_uuid(), us.id, ev.id, 1, 'CONFIRMED', now() - g * interval '1 second', now() - g * interval '1 second'
FROM generate_series(1, $N) g
JOIN ev ON ev.n = CASE WHEN g % 10 = 0 THEN 1 ELSE 1 + g % (SELECT count(*) FROM ev) END
JOIN us ON us.n = 1 + g % (SELECT count(*) FROM us);
UPDATE events SET available_tickets = total_tickets - c.n FROM (SELECT event_id, count(*) AS n FROM bookings GROUP BY event_id) c
WHERE events.id = c.event_id AND events.total_tickets = 1000000;
SQL
# The counts of migration 00008, where the build has them (as its Up fills them).
if psql -d "$db" -Atc "SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'booking_count'" | grep -q 1; then
  psql -q -d "$db" -c "UPDATE events SET booking_count = c.n FROM (SELECT event_id, count(*) AS n FROM bookings GROUP BY event_id) c WHERE events.id = c.event_id"
fi
psql -q -d "$db" -c "VACUUM ANALYZE"
echo "$(psql -d "$db" -Atc "SELECT count(*) FROM bookings") bookings over $(psql -d "$db" -Atc "SELECT count(*) FROM events") events, made in $(( $(date +%s) - started )) s"

port=$((20000 + RANDOM % 30000))
(cd "$tmp" && HOST=127.0.0.1 PORT=$port LOG_LEVEL=warn RATE_LIMIT_MUTATIONS_PER_MINUTE=0 exec "$bin" serve) >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -sf --max-time 1 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.1
done
token=$(cd "$tmp" && "$bin" token --email alice@example.com)
hot=$(psql -d "$db" -Atc "SELECT id FROM events WHERE total_tickets = 1000000 ORDER BY id LIMIT 1")
user=$(psql -d "$db" -Atc "SELECT id FROM users ORDER BY id LIMIT 1")

page() { # page NAME FILTER: times RUNS requests of a page of 10 with its total
  local body times
  body=$(printf '{"query":"{ bookings(filter: %s, pagination: {page: 1, limit: 10}) { total items { id user { id } event { id } } } }"}' "$2")
  curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/graphql" >"$tmp/out.json"
  grep -q '"total"' "$tmp/out.json" || { echo "$1: $(cat "$tmp/out.json")" >&2; exit 1; }
  times=$(for _ in $(seq "$RUNS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/graphql"
  done | sort -n)
  printf '%-22s total %8s  median %7.1f ms  slowest %7.1f ms  (%s requests)\n' "$1" \
    "$(sed -n 's/.*"total":\([0-9]*\).*/\1/p' "$tmp/out.json")" \
    "$(echo "$times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] * 1000 }')" \
    "$(echo "$times" | tail -n 1 | awk '{ print $1 * 1000 }')" "$RUNS"
}
page "all bookings" '{}'
page "the hot event's" "{eventId: \\\"$hot\\\"}"
page "one user's" "{userId: \\\"$user\\\"}"

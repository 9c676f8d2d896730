#!/usr/bin/env bash
# Resident memory of `og-host serve` over an inventory of 10,000 endpoints,
# each bound to its own named certificate (10,000 lineages in the renewal
# schedule when that table exists): the daemon starts, runs its duties,
# answers a /metrics scrape (which reads every certificate's expiry) and
# `og-host status`, and its peak RSS (VmHWM) and current RSS are printed.
# Goal: <= 64 MB. Needs sqlite3 and curl.
#
# The rows are copies made inside SQLite of one real `tls add pem` and one
# real `cert import`, so the tables are what 10,000 adds leave.
# OG_BENCH_BIN=DIR measures an existing build instead of the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in sqlite3 curl openssl; do command -v $tool >/dev/null || { echo "$tool is missing" >&2; exit 1; }; done
if [ -n "${OG_BENCH_BIN:-}" ]; then
  bin=$OG_BENCH_BIN
  work=$(mktemp -d /tmp/og-bench-XXXXXX)
  trap 'rm -rf "$work"' EXIT
else
  export OG_BENCH_CALLGRIND=0
  command -v hyperfine >/dev/null || { echo "hyperfine is missing" >&2; exit 1; }
  source bench/release-build.sh
fi
count=${OG_BENCH_ENDPOINTS:-10000}
install -d -m 0755 "$work/plugins.d"
install -m 0755 "$bin/libog-plugin-keystore.so" "$work/plugins.d/"
"$bin/og-host" plugins manifest "$work/plugins.d/libog-plugin-keystore.so" >/dev/null
export OG_DATA_DIR="$work/data" OG_PLUGIN_PATH="$work/plugins.d"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k.pem" -out "$work/site.pem" \
  -days 30 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null
"$bin/og-host" tls add pem --name endpoint-00000 --connection_type local --path "$work/site.pem" >/dev/null
"$bin/og-host" ca add "$work/site.pem" --name bench-root >/dev/null
"$bin/og-host" cert import --name cert-00000 --cert "$work/site.pem" --key "$work/k.pem" >/dev/null
db="$OG_DATA_DIR/inventory.sqlite"
uuid="lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
copy() {  # copy TABLE KEY-COLUMN-EXPRESSIONS: copies row 0 of TABLE count-1 times with the given column values
  local table=$1 where=$2 overrides=$3
  local columns
  columns=$(sqlite3 "$db" "SELECT group_concat(name, ',') FROM pragma_table_info('$table')")
  local select
  select=$(python3 - "$columns" "$overrides" <<'PY'
import sys
cols = sys.argv[1].split(',')
over = dict(x.split('=', 1) for x in sys.argv[2].split(';') if x)
print(', '.join(over.get(c, c) for c in cols))
PY
)
  sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count - 1)
                 INSERT INTO $table ($columns) SELECT $select FROM $table, n WHERE $where;"
}
copy endpoint "endpoint.name = 'endpoint-00000'" "id=$uuid;name=printf('endpoint-%05d', i)"
copy managedCertificate "managedCertificate.name = 'cert-00000'" \
  "id=$uuid;name=printf('cert-%05d', i);lineage=printf('cert-%05d', i);fingerprint=lower(hex(randomblob(32)))"
if sqlite3 "$db" "SELECT 1 FROM sqlite_master WHERE name = 'certificateBinding'" | grep -q 1; then
  sqlite3 "$db" "INSERT INTO certificateBinding (lineage, endpointID, node, alias, createdAt)
                 SELECT 'cert-' || substr(e.name, 10), e.id, '', NULL, e.createdAt FROM endpoint e"
fi
echo "endpoints: $(sqlite3 "$db" 'SELECT count(*) FROM endpoint'), named certificates: $(sqlite3 "$db" 'SELECT count(*) FROM managedCertificate WHERE name IS NOT NULL')" \
  "bindings: $(sqlite3 "$db" 'SELECT count(*) FROM certificateBinding' 2>/dev/null || echo n/a)" \
  "renewal schedules: $(sqlite3 "$db" 'SELECT count(*) FROM renewalSchedule' 2>/dev/null || echo n/a)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/og-host" serve --listen "127.0.0.1:$port" --workers 8 > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep "${OG_BENCH_SETTLE:-10}"   # let the duties run (renewal planning, recovery, events)
series=$(curl -fsS "http://127.0.0.1:$port/metrics" | grep -c '^og_host_certificate_expiry_days{')
"$bin/og-host" status >/dev/null
sleep 1
rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
kill -TERM $pid
wait $pid || true
echo "expiry series scraped: $series"
echo "og-host serve RSS: now $((rss / 1024)) MB, peak (VmHWM) $((hwm / 1024)) MB ($hwm kB); goal <= 64 MB"

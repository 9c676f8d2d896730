#!/usr/bin/env bash
# `og-host tls list` over an inventory of 10,000 endpoints (text and JSON),
# against sqlite3 reading the same rows from the same database file: the floor
# for "print what the inventory holds".
#
# The endpoints are one real `tls add pem` copied 9,999 times inside SQLite
# (each with its own ID and name), so the table is what 10,000 adds leave.
# Needs the Debian package sqlite3. OG_BENCH_CALLGRIND=1 counts instructions.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install sqlite3" >&2; exit 1; }
source bench/release-build.sh
count=${OG_BENCH_ENDPOINTS:-10000}
install -d -m 0755 "$work/plugins.d"
install -m 0755 "$bin/libog-plugin-keystore.so" "$work/plugins.d/"
"$bin/og-host" plugins manifest "$work/plugins.d/libog-plugin-keystore.so" >/dev/null
export OG_DATA_DIR="$work/data" OG_PLUGIN_PATH="$work/plugins.d"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k.pem" -out "$work/site.pem" \
  -days 2 -subj /CN=bench.test 2>/dev/null
"$bin/og-host" tls add pem --name endpoint-00000 --connection_type local --path "$work/site.pem" >/dev/null
db="$OG_DATA_DIR/inventory.sqlite"
sqlite3 "$db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count - 1)
INSERT INTO endpoint
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a'
             || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       printf('endpoint-%05d', i), type, pluginName, connectionType, host, port, user, credentialStore,
       credentialID, secretOptions, options, createdAt, updatedAt
FROM endpoint, n WHERE endpoint.name = 'endpoint-00000';
SQL
echo "endpoints: $(sqlite3 "$db" 'SELECT count(*) FROM endpoint')"
[ "$("$bin/og-host" tls list | grep -c endpoint-)" = "$count" ] || { echo "tls list does not show every endpoint" >&2; exit 1; }
runs=${OG_BENCH_RUNS:-10}
compare "$runs" \
  "og-host tls list" "$bin/og-host tls list >/dev/null" \
  "og-host tls list --output json" "$bin/og-host tls list --output json >/dev/null" \
  "sqlite3 (same rows)" "sqlite3 $db 'SELECT id, name, type, connectionType, host FROM endpoint ORDER BY name' >/dev/null" \
  "sqlite3 -json (every column)" "sqlite3 -json $db 'SELECT * FROM endpoint ORDER BY name' >/dev/null"

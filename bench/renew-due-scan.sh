#!/usr/bin/env bash
# The renewal scheduler's due scan over 100,000 certificates: `og-host renew
# --dry-run` (a whole pass: open the inventory, the indexed due query, the
# waiting query, the not-due count and the next due times) and `og-host renew`
# when nothing is due, against sqlite3 running the same due query on the same
# file (the floor for "ask SQLite what is due"). Goal: the pass ≤ 50 ms.
#
# The certificates are one real `cert import` copied 99,999 times inside SQLite
# (each its own ID, name and fingerprint; the renewal-schedule triggers create
# their schedule rows), then planned like a pass plans them: due times spread
# over the next 60 days, so none is due now. Needs sqlite3 and hyperfine.
# OG_BENCH_CALLGRIND=1 counts instructions instead.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install sqlite3" >&2; exit 1; }
source bench/release-build.sh
count=${OG_BENCH_CERTIFICATES:-100000}
export OG_DATA_DIR="$work/data" OG_PLUGIN_PATH="$work/plugins.d"
mkdir -p "$work/plugins.d"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k.pem" -out "$work/site.pem" \
  -days 90 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null
"$bin/og-host" ca add "$work/site.pem" --name bench-root >/dev/null
"$bin/og-host" cert import --name c-000000 --cert "$work/site.pem" --key "$work/k.pem" >/dev/null
db="$OG_DATA_DIR/inventory.sqlite"
sqlite3 "$db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count - 1)
INSERT INTO managedCertificate (id, name, keySpec, subject, commonName, subjectAlternativeNames, csrPEM, status, origin,
                                certificatePEM, chainPEM, serial, notAfter, fingerprint, createdAt, updatedAt,
                                lineage, version, notBefore)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a'
             || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       printf('c-%06d', i), keySpec, subject, commonName, subjectAlternativeNames, csrPEM, status, origin,
       certificatePEM, chainPEM, serial, notAfter, lower(hex(randomblob(32))), createdAt, updatedAt,
       printf('c-%06d', i), 1, notBefore
FROM managedCertificate, n WHERE managedCertificate.name = 'c-000000';
-- What a pass leaves for a planned lineage: due between 1 hour and 60 days from now, none due.
UPDATE renewalSchedule SET
  certificateID = (SELECT id FROM managedCertificate WHERE name = renewalSchedule.lineage),
  dueAt = strftime('%Y-%m-%d %H:%M:%f', 'now', printf('+%d seconds', 3600 + abs(random() % 5180000))),
  dueReason = 'lifetime';
UPDATE renewalSchedule SET nextAttemptAt = dueAt;
SQL
echo "certificates: $(sqlite3 "$db" 'SELECT count(*) FROM managedCertificate'), schedule rows: $(sqlite3 "$db" 'SELECT count(*) FROM renewalSchedule')"
out=$("$bin/og-host" renew --dry-run)
echo "$out" | grep -q "Nothing is due (dry run)" || { echo "renew --dry-run: $out" >&2; exit 1; }
echo "$out" | grep -q "^$count certificate(s) not due" || { echo "renew --dry-run does not count every certificate: $out" >&2; exit 1; }
now=$(date -u '+%Y-%m-%d %H:%M:%S')
query="SELECT * FROM renewalSchedule WHERE nextAttemptAt <= '$now' AND (claimExpiresAt IS NULL OR claimExpiresAt <= '$now') ORDER BY nextAttemptAt LIMIT 100"
sqlite3 "$db" "EXPLAIN QUERY PLAN $query"
runs=${OG_BENCH_RUNS:-20}
compare "$runs" \
  "og-host renew --dry-run" "$bin/og-host renew --dry-run >/dev/null" \
  "og-host renew (nothing due)" "$bin/og-host renew >/dev/null" \
  "sqlite3 (due query)" "sqlite3 $db \"$query\" >/dev/null" \
  "sqlite3 (due query + not-due count)" "sqlite3 $db \"$query; SELECT COUNT(*) FROM renewalSchedule WHERE nextAttemptAt > '$now'\" >/dev/null"

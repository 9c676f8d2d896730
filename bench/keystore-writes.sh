#!/usr/bin/env bash
# Installing one key entry into an existing keystore three ways, same run:
#   og-host tls install (validate material, back up, write atomically, read back, audit)
#   openssl pkcs12 -export  (PKCS#12 from PEM files: the write alone)
#   keytool -importkeystore (merge a PKCS#12 entry into a JKS: the write alone)
# Prints hyperfine's tables (or, with OG_BENCH_CALLGRIND=1, instruction counts)
# and the ratios CLI / og-host.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/release-build.sh
source bench/keystore-site.sh
keytool -importkeystore -srckeystore store.p12 -srcstoretype PKCS12 -srcstorepass:env BENCH_PASS \
  -destkeystore store.jks -deststoretype JKS -deststorepass:env BENCH_PASS -noprompt 2>/dev/null
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem -name entry -out entry.p12 -passout env:BENCH_PASS
"$bin/og-host" ca add ca.pem --name bench >/dev/null
"$bin/og-host" tls add p12 --name p12 --connection_type local --path "$work/store.p12" --store_password env:BENCH_PASS >/dev/null
"$bin/og-host" tls add jks --name jks --connection_type local --path "$work/store.jks" --store_password env:BENCH_PASS >/dev/null
# keytool and openssl write their own files, never the stores the og-host endpoints own.
cp store.jks keytool.jks
cp store.p12 openssl.p12
runs=${OG_BENCH_RUNS:-15}
echo "## PKCS#12: one key entry into a store holding one other entry"
compare "$runs" \
  "og-host tls install (p12)" "$bin/og-host tls install p12 --cert leaf.pem --key leaf.key --chain ca.pem --alias entry" \
  "openssl pkcs12 -export (2048 iterations)" "openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem -name entry -out out.p12 -passout env:BENCH_PASS" \
  "openssl decode + export (10000 iterations)" "openssl pkcs12 -in openssl.p12 -passin env:BENCH_PASS -nodes -out all.pem && openssl pkcs12 -export -in all.pem -name entry -iter 10000 -out out.p12 -passout env:BENCH_PASS"
echo "## JKS: one key entry into a store holding one other entry"
compare "$runs" \
  "og-host tls install (jks)" "$bin/og-host tls install jks --cert leaf.pem --key leaf.key --chain ca.pem --alias entry" \
  "keytool -importkeystore" "keytool -importkeystore -srckeystore entry.p12 -srcstoretype PKCS12 -srcstorepass:env BENCH_PASS -destkeystore keytool.jks -deststoretype JKS -deststorepass:env BENCH_PASS -noprompt"

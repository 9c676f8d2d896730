#!/usr/bin/env bash
# What running `tls install`'s job in a child og-host costs (issue 17). The same
# install — one key entry into a local PKCS#12 store, a managed certificate —
# timed in one hyperfine run two ways:
#   og-host tls install   the CLI: endpoint and material checked, then the job
#                         in a child `og-host job run` (crash isolation)
#   og-host job run       the same job spec run directly in one process: what
#                         tls install did in its own process before
# plus `og-host --version` (one og-host start doing nothing) for scale. A PKCS#12
# install is among the fastest installs there are, so the ratio is an upper
# bound; a web server's install (config test, reload, handshakes) dwarfs it.
# OG_BENCH_BUILD=debug uses the debug build in .build; OG_BENCH_CALLGRIND=1
# counts instructions instead (see bench/release-build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/release-build.sh
source bench/keystore-site.sh
"$bin/og-host" ca add ca.pem --name bench >/dev/null
"$bin/og-host" cert import --name site --cert leaf.pem --key leaf.key --chain ca.pem >/dev/null
"$bin/og-host" tls add p12 --name p12 --connection_type local --path "$work/store.p12" --store_password env:BENCH_PASS >/dev/null
printf '{"kind":"install","endpoint":"p12","certificateID":"site","targets":[{"alias":"entry"}]}\n' > spec.json
# One install first, so every measured run (callgrind runs each command once) replaces the entry in a two-entry store.
"$bin/og-host" tls install p12 --cert-id site --alias entry >/dev/null
runs=${OG_BENCH_RUNS:-20}
echo "## one PKCS#12 key-entry install: the job in a child vs in the same process"
compare "$runs" \
  "og-host tls install (job in a child)" "$bin/og-host tls install p12 --cert-id site --alias entry" \
  "og-host job run (the job alone)" "$bin/og-host job run < spec.json" \
  "og-host --version (one start)" "$bin/og-host --version"

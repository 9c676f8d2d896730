#!/usr/bin/env bash
# Counts the SSH round trips of endpoint jobs: `og-host cert deploy site
# --parallel 1 --force` to N PEM endpoints (certificate + key file) over one
# private sshd on 127.0.0.1, run under strace; every switch from writing to
# reading on a socket to the sshd is one round trip (the client waits for an
# answer). With N > 1 the jobs run in one job worker that keeps its SSH
# connection, so the first job pays the login and the later ones do not.
# Round trips are what a fan-out waits for on a busy machine (each one waits
# for sshd to be scheduled); they do not depend on the load, unlike wall time.
#
# Needs root (sshd), openssh-server/-client and strace (in .ci/packages).
# Usage: bench/ssh-roundtrips.sh [endpoints]   (OG_BENCH_BUILD=debug or
# OG_BENCH_BIN=DIR to count with products already built)
set -euo pipefail
cd "$(dirname "$0")/.."
endpoints=${1:-1}
for tool in /usr/sbin/sshd ssh-keygen openssl strace python3; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (Debian packages openssh-server, strace, python3)" >&2; exit 1; }
done
source bench/release-build.sh
og="$bin/og-host"
chmod 0755 "$work"
install -d -m 0755 "$work/plugins.d"
install -m 0755 "$bin/libog-plugin-keystore.so" "$work/plugins.d/"
"$og" plugins manifest "$work/plugins.d/libog-plugin-keystore.so" >/dev/null
export OG_DATA_DIR="$work/og-data" OG_PLUGIN_PATH="$work/plugins.d"
source bench/loopback-sshd.sh
trap 'stop_loopback_sshd; rm -rf "$work"' EXIT
start_loopback_sshd "$work"

cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=og-bench CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout site.key -out site.csr -subj "/CN=site.example.test" 2>/dev/null
printf 'subjectAltName=DNS:site.example.test\n' > site.ext
openssl x509 -req -in site.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out site.pem -days 10 -extfile site.ext 2>/dev/null
"$og" ca add ca.pem --name bench-ca >/dev/null
"$og" cert import --cert site.pem --key site.key --name site >/dev/null
for i in $(seq "$endpoints"); do
    mkdir -p "$work/og/e$i"
    : > "$work/og/e$i/cert.pem"
    "$og" tls add pem --name "e$i" --connection_type ssh --host 127.0.0.1 --port "$sshd_port" --user root \
        --ssh_key_path "$work/client_key" --host_key_fingerprint "$sshd_fingerprint" \
        --path "$work/og/e$i/cert.pem" --key_path "$work/og/e$i/key.pem" >/dev/null
done
"$og" tls install $(seq -f 'e%g' "$endpoints") --cert-id site >/dev/null

logins_before=$(grep -c 'Accepted publickey' sshd.log || true)
strace -f -yy -qq -o strace.out -e trace=sendto,recvfrom,read,write,sendmsg,recvmsg \
    "$og" cert deploy site --parallel 1 --force | tail -1
logins=$(( $(grep -c 'Accepted publickey' sshd.log || true) - logins_before ))
python3 - strace.out "$sshd_port" "$endpoints" "$logins" <<'PY'
import re, sys
path, port, jobs, logins = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
call = re.compile(r'^(\d+)\s+(\w+)\((\d+)<TCP:\[[^\]]*->127\.0\.0\.1:' + port + r'\]>.*=\s*(-?\d+)')
last, trips = {}, 0
for line in open(path):
    m = call.match(line)
    if not m or int(m.group(4)) <= 0:
        continue
    key = (m.group(1), m.group(3))  # thread, socket
    if m.group(2) in ('sendto', 'write', 'sendmsg'):
        last[key] = 'w'
    else:
        if last.get(key) == 'w':
            trips += 1
        last[key] = 'r'
print(f"{jobs} PEM endpoint job(s) over SSH: {trips} round trips in all, {trips / jobs:.1f} per job; {logins} login(s)")
PY

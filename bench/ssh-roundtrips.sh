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
source bench/pem-ssh-site.sh

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

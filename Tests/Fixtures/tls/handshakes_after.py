#!/usr/bin/env python3
"""Runs a command and, the moment it writes a line containing TRIGGER on its
standard error (or, without one, the moment it exits), opens COUNT new TLS
connections to HOST:PORT back to back (SNI SERVER_NAME), recording the SHA-256
fingerprint of the leaf each one got. It tells whether every new connection
right after a step reported success (an install's "serves the new
certificate") gets the new certificate: the TLS context is made and the
interpreter warm before the command runs, so the first handshake starts within
a millisecond or two of the line. It proves nothing about connections opened
before the trigger.

usage: handshakes_after.py HOST PORT SERVER_NAME COUNT TRIGGER COMMAND [ARGUMENT...]
       (TRIGGER "" = when the command exits)
prints one JSON object: status, stdout, stderr, served (fingerprints, in order),
elapsed_ms (from the trigger to the last handshake), triggered (whether TRIGGER was seen).
"""
import hashlib
import json
import socket
import ssl
import subprocess
import sys
import time

host, port, server_name, count, trigger = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
command = sys.argv[6:]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE


def served():
    with socket.create_connection((host, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_name or None) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def burst():
    fingerprints = []
    for _ in range(count):
        try:
            fingerprints.append(served())
        except (OSError, ssl.SSLError) as error:
            fingerprints.append(f"error: {error}")
    return fingerprints


process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
lines = []
fingerprints = None
start = elapsed = None
triggered = False
for raw in process.stderr:
    lines.append(raw)
    if trigger and fingerprints is None and trigger.encode() in raw:
        triggered = True
        start = time.monotonic()
        fingerprints = burst()
        elapsed = (time.monotonic() - start) * 1000
output = process.stdout.read()
status = process.wait()
if fingerprints is None:
    start = time.monotonic()
    fingerprints = burst()
    elapsed = (time.monotonic() - start) * 1000
print(json.dumps({"status": status, "stdout": output.decode(errors="replace"),
                  "stderr": b"".join(lines).decode(errors="replace"), "served": fingerprints,
                  "elapsed_ms": elapsed, "triggered": triggered}))

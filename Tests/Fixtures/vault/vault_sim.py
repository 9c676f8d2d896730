#!/usr/bin/env python3
"""A HashiCorp Vault test server for og-host's credential store tests.

Implements, from Vault's published HTTP API, the calls og-host makes:
  POST /v1/auth/approle/login           role_id + secret_id -> auth.client_token
  POST /v1/sys/wrapping/unwrap          X-Vault-Token (or body token) = wrapping token, single use
  POST /v1/auth/token/renew-self        extends a renewable token's TTL
  GET  /v1/auth/token/lookup-self       ttl, creation_ttl, renewable, expire_time
  GET  /v1/sys/internal/ui/mounts/PATH  which mount holds PATH and its KV version
  GET  /v1/MOUNT/data/PATH              KV version 2 read
  GET  /v1/MOUNT/PATH                   KV version 1 read
and the X-Vault-Namespace header: when the configuration names a namespace,
requests under any other namespace find no route (404), as in Vault.
Token expiry is real time (TTL seconds); /sim/expire ends a token at once.

Simulator-only controls (not Vault API), under /sim/:
  POST /sim/wrap    {"secret_id": S}  -> {"token": W}, a fresh wrapping token for S
  POST /sim/expire  {"token": T}      expires T (or every client token when T is absent)
  GET  /sim/stats                     counts of logins, unwraps, renewals, lookups and reads

What it cannot prove: policies and ACL paths (every valid token reads every
secret), leases other than token TTLs, response wrapping of anything but
secret IDs, batch tokens, max_ttl caps, CIDR-bound AppRoles, secret ID use
limits other than single-use wrapping, real TLS configuration of a Vault
listener (it serves HTTP or a given certificate), Vault's exact error texts,
and Enterprise namespace nesting.

Usage: vault_sim.py PORT CONFIG.json [CERT.pem KEY.pem]
CONFIG: {"namespace": null, "mounts": {"secret/": 2, "kv/": 1},
         "secrets": {"secret/og/web": {"username": "u", "password": "p"}},
         "tokens": [{"token": "t", "ttl": 0, "renewable": false}],
         "approles": [{"role_id": "r", "secret_ids": ["s"], "token_ttl": 60, "renewable": true}]}
"""
import json
import os
import signal
import secrets as random_tokens
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
CONFIG = {}
TOKENS = {}      # token -> {"expires": float or None, "ttl": int, "creation_ttl": int, "renewable": bool, "role": str}
WRAPPED = {}     # wrapping token -> secret_id
STATS = {"logins": 0, "unwraps": 0, "renewals": 0, "lookups": 0, "reads": 0, "denied": 0}


def now():
    return time.time()


def iso(timestamp):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def new_token(ttl, renewable, role=""):
    token = "hvs." + random_tokens.token_urlsafe(24)
    TOKENS[token] = {"expires": now() + ttl if ttl > 0 else None, "ttl": ttl, "creation_ttl": ttl,
                     "renewable": renewable, "role": role, "issued": now()}
    return token


def valid(token):
    entry = TOKENS.get(token or "")
    if entry is None:
        return None
    if entry["expires"] is not None and entry["expires"] <= now():
        return None
    return entry


def auth_block(token, entry):
    remaining = 0 if entry["expires"] is None else max(0, int(round(entry["expires"] - now())))
    return {"client_token": token, "accessor": str(uuid.uuid4()), "policies": ["default", "og-read"],
            "token_policies": ["default", "og-read"], "metadata": {"role_name": entry["role"]} if entry["role"] else None,
            "lease_duration": remaining, "renewable": entry["renewable"], "entity_id": "", "token_type": "service",
            "orphan": True, "mfa_requirement": None, "num_uses": 0}


def envelope(data=None, auth=None, lease_duration=0):
    return {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": False, "lease_duration": lease_duration,
            "data": data, "wrap_info": None, "warnings": None, "auth": auth}


def mount_of(path):
    best = None
    for mount in CONFIG.get("mounts", {}):
        if path.startswith(mount) or path + "/" == mount:
            if best is None or len(mount) > len(best):
                best = mount
    return best


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        # The request line only: tokens travel in headers and bodies, which are never logged.
        sys.stderr.write("%s %s\n" % (self.command, self.path.split("?")[0]))

    def reply(self, status, body):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def errors(self, status, *messages):
        self.reply(status, {"errors": list(messages)})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("POST")

    def route(self, method):
        path = self.path.split("?")[0]
        with LOCK:
            if path.startswith("/sim/"):
                return self.simulator(method, path)
            if not path.startswith("/v1/"):
                return self.errors(404, "no handler for route")
            path = path[len("/v1/"):]
            wanted = CONFIG.get("namespace")
            given = (self.headers.get("X-Vault-Namespace") or "").strip("/") or None
            if wanted != given:
                return self.errors(404, "no handler for route \"%s\". route entry not found." % path)
            body = self.body() if method == "POST" else {}
            if body is None:
                return self.errors(400, "failed to parse JSON input")
            token = self.headers.get("X-Vault-Token")
            if path == "auth/approle/login" and method == "POST":
                return self.login(body)
            if path == "sys/wrapping/unwrap" and method == "POST":
                return self.unwrap(body.get("token") or token)
            entry = valid(token)
            if entry is None:
                STATS["denied"] += 1
                return self.errors(403, "permission denied")
            if path == "auth/token/lookup-self":
                STATS["lookups"] += 1
                remaining = 0 if entry["expires"] is None else max(0, int(round(entry["expires"] - now())))
                return self.reply(200, envelope(data={
                    "id": token, "accessor": "", "ttl": remaining, "creation_ttl": entry["creation_ttl"],
                    "renewable": entry["renewable"], "expire_time": iso(entry["expires"]) if entry["expires"] else None,
                    "issue_time": iso(entry["issued"]), "policies": ["default", "og-read"], "type": "service",
                    "display_name": "approle" if entry["role"] else "token", "num_uses": 0, "orphan": True}))
            if path == "auth/token/renew-self" and method == "POST":
                if not entry["renewable"]:
                    return self.errors(400, "lease is not renewable")
                STATS["renewals"] += 1
                increment = int(body.get("increment") or 0) if isinstance(body, dict) else 0
                entry["ttl"] = increment or entry["creation_ttl"]
                entry["expires"] = now() + entry["ttl"]
                return self.reply(200, envelope(auth=auth_block(token, entry)))
            if path.startswith("sys/internal/ui/mounts/"):
                target = path[len("sys/internal/ui/mounts/"):]
                mount = mount_of(target)
                if mount is None:
                    return self.errors(400, "Preflight capability check returned 403, please ensure client's policies grant access to path \"%s/\"" % target)
                version = CONFIG["mounts"][mount]
                return self.reply(200, envelope(data={"path": mount, "type": "kv", "description": "",
                                                      "options": {"version": str(version)} if version == 2 else None,
                                                      "accessor": "kv_" + mount.strip("/"), "local": False, "seal_wrap": False,
                                                      "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}}))
            if method == "GET":
                return self.read(path)
            return self.errors(405, "unsupported operation")

    def login(self, body):
        role_id, secret_id = body.get("role_id"), body.get("secret_id")
        for role in CONFIG.get("approles", []):
            if role["role_id"] == role_id:
                if secret_id not in role["secret_ids"]:
                    return self.errors(400, "invalid secret id")
                STATS["logins"] += 1
                token = new_token(role.get("token_ttl", 0), role.get("renewable", False), role.get("name", "og"))
                return self.reply(200, envelope(auth=auth_block(token, TOKENS[token])))
        return self.errors(400, "invalid role ID")

    def unwrap(self, wrapping_token):
        secret_id = WRAPPED.pop(wrapping_token or "", None)
        if secret_id is None:
            return self.errors(400, "wrapping token is not valid or does not exist")
        STATS["unwraps"] += 1
        return self.reply(200, envelope(data={"secret_id": secret_id, "secret_id_accessor": str(uuid.uuid4()),
                                              "secret_id_ttl": 0, "secret_id_num_uses": 0}))

    def read(self, path):
        mount = mount_of(path)
        if mount is None:
            return self.errors(404, "no handler for route \"%s\". route entry not found." % path)
        version = CONFIG["mounts"][mount]
        secrets = CONFIG.get("secrets", {})
        if version == 2:
            if not path.startswith(mount + "data/"):
                return self.errors(404)
            key = mount + path[len(mount + "data/"):]
            if key not in secrets:
                return self.errors(404)
            STATS["reads"] += 1
            return self.reply(200, envelope(data={"data": secrets[key], "metadata": {
                "created_time": "2026-01-01T00:00:00.000000Z", "custom_metadata": None, "deletion_time": "",
                "destroyed": False, "version": 1}}))
        if path not in secrets:
            return self.errors(404)
        STATS["reads"] += 1
        return self.reply(200, envelope(data=secrets[path], lease_duration=2764800))

    def simulator(self, method, path):
        body = self.body() if method == "POST" else {}
        if path == "/sim/wrap":
            token = "hvs.wrap." + random_tokens.token_urlsafe(16)
            WRAPPED[token] = body["secret_id"]
            return self.reply(200, {"token": token})
        if path == "/sim/expire":
            for token, entry in TOKENS.items():
                if body.get("token") in (None, token):
                    entry["expires"] = now() - 1
            return self.reply(200, {})
        if path == "/sim/stats":
            return self.reply(200, STATS)
        return self.errors(404, "unknown simulator call")


def stop_on_sigterm():
    # The test runner may spawn us with SIGTERM blocked or ignored (both are
    # inherited); tests stop servers with SIGTERM and must not wait for SIGKILL.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    signal.signal(signal.SIGTERM, lambda number, frame: os._exit(0))


def main():
    stop_on_sigterm()
    port, config_path = int(sys.argv[1]), sys.argv[2]
    with open(config_path) as handle:
        CONFIG.update(json.load(handle))
    for entry in CONFIG.get("tokens", []):
        ttl = entry.get("ttl", 0)
        TOKENS[entry["token"]] = {"expires": now() + ttl if ttl > 0 else None, "ttl": ttl, "creation_ttl": ttl,
                                  "renewable": entry.get("renewable", False), "role": "", "issued": now()}
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if len(sys.argv) > 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

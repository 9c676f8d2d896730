#!/usr/bin/env python3
"""A small, stateful ACME (RFC 8555) server that misbehaves on request.

Pebble is the real CA in og-host's tests; this simulator exists for what
Pebble cannot be made to do: answer with malformed JSON or a missing field,
keep an order pending forever, refuse with a rateLimited problem, and serve
ACME Renewal Information (RFC 9773), which Pebble 2.4.0 does not implement.

What it cannot prove: it does NOT verify JWS signatures, nonces or EAB (it
only decodes the payload), and it issues with a throwaway CA through the
openssl command line. Tests that need a faithful CA use Pebble.

Usage: acme_simulator.py PORT STATE_DIR
Control (plain HTTP): POST /control with JSON {"mode": ..., "window": {...}}
modes: normal, malformed-order, missing-finalize, never-ready, rate-limited,
       bad-certificate, validation-failed (the authorization is invalid: unauthorized), busy-once (one 503 with Retry-After: 1 on newOrder); GET /control returns the last newOrder payload seen.
"""
import base64, http.server, json, os, subprocess, sys, threading, time, uuid

PORT = int(sys.argv[1])
STATE = sys.argv[2]
BASE = f"http://127.0.0.1:{PORT}"
lock = threading.Lock()
state = {"mode": "normal", "orders": {}, "last_new_order": None, "window": None, "new_orders": 0}


def b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def run_openssl(args):
    subprocess.run(["openssl"] + args, check=True, capture_output=True)


# A throwaway CA for issuing.
if not os.path.exists(f"{STATE}/ca.pem"):
    run_openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                 "-keyout", f"{STATE}/ca.key", "-out", f"{STATE}/ca.pem", "-subj", "/CN=simulator root",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    def reply(self, status, body, content_type="application/json", headers=None):
        data = body if isinstance(body, bytes) else (json.dumps(body) if not isinstance(body, str) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Replay-Nonce", uuid.uuid4().hex)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def problem(self, status, kind, detail, headers=None):
        self.reply(status, {"type": "urn:ietf:params:acme:error:" + kind, "detail": detail, "status": status},
                   "application/problem+json", headers)

    def payload(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        text = b64decode(body.get("payload", "")) if body.get("payload") else b""
        return json.loads(text) if text else None

    def do_HEAD(self):
        self.reply(200, b"")

    def do_GET(self):
        if self.path == "/dir":
            directory = {"newNonce": BASE + "/nonce", "newAccount": BASE + "/account", "newOrder": BASE + "/order",
                         "revokeCert": BASE + "/revoke", "renewalInfo": BASE + "/renewal-info"}
            return self.reply(200, directory)
        if self.path == "/control":
            with lock:
                return self.reply(200, {"last_new_order": state["last_new_order"], "new_orders": state["new_orders"]})
        if self.path.startswith("/renewal-info/"):
            with lock:
                window = state["window"]
            if window is None:
                return self.problem(404, "malformed", "no such certificate")
            return self.reply(200, {"suggestedWindow": window, "explanationURL": BASE + "/why"},
                              headers={"Retry-After": "21600"})
        return self.problem(404, "malformed", "not found")

    def do_POST(self):
        path = self.path
        if path == "/control":
            length = int(self.headers.get("Content-Length", "0"))
            change = json.loads(self.rfile.read(length))
            with lock:
                state.update(change)
            return self.reply(200, {"ok": True})
        payload = self.payload()
        with lock:
            mode = state["mode"]
        if path == "/account":
            return self.reply(201, {"status": "valid", "contact": []}, headers={"Location": BASE + "/acct/1"})
        if path == "/order":
            with lock:
                state["last_new_order"] = payload
                state["new_orders"] += 1
            if mode == "busy-once":
                with lock:
                    state["mode"] = "normal"
                return self.problem(503, "serverInternal", "down for maintenance", {"Retry-After": "1"})
            if mode == "rate-limited":
                return self.problem(429, "rateLimited", "too many new orders recently: 5 per 3 hours",
                                    {"Retry-After": "3600"})
            order_id = uuid.uuid4().hex
            with lock:
                state["orders"][order_id] = {"status": "pending", "identifiers": payload["identifiers"], "cert": None}
            return self.order(order_id, 201, mode)
        if path.startswith("/order/"):
            return self.order(path.split("/")[2], 200, mode)
        if path.startswith("/authz/"):
            order_id = path.split("/")[2]
            with lock:
                order = state["orders"][order_id]
            if mode == "validation-failed":
                error = {"type": "urn:ietf:params:acme:error:unauthorized", "status": 403,
                         "detail": "Invalid response from http://web.example.test/.well-known/acme-challenge/tok: 404"}
                return self.reply(200, {"status": "invalid", "identifier": order["identifiers"][0],
                                        "challenges": [{"type": "http-01", "url": BASE + "/chall/" + order_id,
                                                        "status": "invalid", "token": "tok", "error": error}]})
            return self.reply(200, {"status": "valid", "identifier": order["identifiers"][0],
                                    "challenges": [{"type": "http-01", "url": BASE + "/chall/" + order_id,
                                                    "status": "valid", "token": "tok"}]})
        if path.startswith("/finalize/"):
            order_id = path.split("/")[2]
            csr = b64decode(payload["csr"])
            with open(f"{STATE}/{order_id}.csr", "wb") as f:
                f.write(csr)
            run_openssl(["x509", "-req", "-inform", "DER", "-in", f"{STATE}/{order_id}.csr", "-CA", f"{STATE}/ca.pem",
                         "-CAkey", f"{STATE}/ca.key", "-days", "1", "-copy_extensions", "copy",
                         "-set_serial", str(int(time.time() * 1000)), "-out", f"{STATE}/{order_id}.pem"])
            with lock:
                state["orders"][order_id]["status"] = "valid"
            return self.order(order_id, 200, mode)
        if path.startswith("/cert/"):
            order_id = path.split("/")[2]
            if mode == "bad-certificate":
                return self.reply(200, b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
                                  "application/pem-certificate-chain")
            with open(f"{STATE}/{order_id}.pem", "rb") as leaf, open(f"{STATE}/ca.pem", "rb") as root:
                return self.reply(200, leaf.read() + root.read(), "application/pem-certificate-chain")
        if path == "/revoke":
            return self.reply(200, b"")
        return self.problem(404, "malformed", "not found")

    def order(self, order_id, status, mode):
        with lock:
            order = state["orders"].get(order_id)
        if order is None:
            return self.problem(404, "malformed", "no such order")
        if mode == "malformed-order":
            return self.reply(status, "{\"status\": \"pending\", \"identifiers\": [", headers={"Location": BASE + "/order/" + order_id})
        current = order["status"]
        if current == "pending" and mode not in ("never-ready", "validation-failed"):
            current = "ready"
        body = {"status": current, "identifiers": order["identifiers"], "authorizations": [BASE + "/authz/" + order_id],
                "finalize": BASE + "/finalize/" + order_id}
        if current == "valid":
            body["certificate"] = BASE + "/cert/" + order_id
        if mode == "missing-finalize":
            del body["finalize"]
        return self.reply(status, body, headers={"Location": BASE + "/order/" + order_id, "Retry-After": "1"})


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

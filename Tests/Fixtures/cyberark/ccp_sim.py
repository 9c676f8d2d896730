#!/usr/bin/env python3
"""A CyberArk Central Credential Provider test server for og-host's tests.

Implements, from CyberArk's published CCP REST API, the one call og-host makes:
  GET /AIMWebService/api/Accounts?AppID=A&Safe=S&Object=O[&Folder=..&UserName=..&Address=..]
answering 200 with the account ({"Content", "UserName", "Address", "Safe", "Name", ...}),
404 APPAP004E when no account matches, 403 when the application is unknown,
calls from a machine it does not allow, or lacks the client certificate its
definition requires; 400 when the query is malformed or matches several accounts.
Served over TLS with a given certificate; with a client CA the TLS layer asks
for a client certificate: "required" refuses handshakes without one
(ssl.CERT_REQUIRED), "optional" lets the application definition decide.

What it cannot prove: the Vault behind a real CCP (safes, permissions, dual
control, password changes in progress), the CCP's caching, OS-user and path
authentication, allowed-machine checks behind proxies or NAT, exact error
texts and codes beyond the common ones, and CCP web-server TLS policies.

Usage: ccp_sim.py PORT CONFIG.json CERT.pem KEY.pem [CLIENT_CA.pem required|optional]
CONFIG: {"applications": {"og-app": {"allowed_machines": ["127.0.0.1"], "client_certificate_cn": null}},
         "accounts": [{"Safe": "Linux", "Name": "web", "UserName": "u", "Content": "p", "Address": "host"}]}
"""
import json
import os
import signal
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

CONFIG = {}
LOCK = threading.Lock()
QUERY_KEYS = {"safe": "Safe", "folder": "Folder", "object": "Name", "username": "UserName", "address": "Address",
              "database": "Database", "policyid": "PolicyID"}
IGNORED_KEYS = {"reason", "connectiontimeout", "failrequestonpasswordchange", "queryformat"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, urlsplit(self.path).path))

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.reply(status, {"ErrorCode": code, "ErrorMsg": message})

    def client_cn(self):
        certificate = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        for rdn in (certificate or {}).get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return None

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path.rstrip("/").lower() != "/aimwebservice/api/accounts":
            return self.error(404, "APPAP001E", "Unknown resource")
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        app_id = next((value for key, value in pairs if key.lower() == "appid"), None)
        if not app_id:
            return self.error(400, "APPAP227E", "Invalid query: AppID is missing")
        application = CONFIG.get("applications", {}).get(app_id)
        if application is None:
            return self.error(403, "APPAP227E", "Application [%s] is not defined" % app_id)
        if self.client_address[0] not in application.get("allowed_machines", ["127.0.0.1"]):
            return self.error(403, "APPAP282E", "Application [%s] is not allowed to run from this machine" % app_id)
        wanted_cn = application.get("client_certificate_cn")
        if wanted_cn is not None and self.client_cn() != wanted_cn:
            return self.error(403, "APPAP282E", "Authentication failed: application [%s] needs its client certificate" % app_id)
        criteria = {}
        for key, value in pairs:
            lower = key.lower()
            if lower == "appid" or lower in IGNORED_KEYS:
                continue
            if lower not in QUERY_KEYS:
                return self.error(400, "APPAP228E", "Invalid query: unknown parameter [%s]" % key)
            criteria[QUERY_KEYS[lower]] = value
        matches = [account for account in CONFIG.get("accounts", [])
                   if all(str(account.get(field, "")).lower() == value.lower() for field, value in criteria.items())]
        query = ";".join("%s=%s" % (key, value) for key, value in pairs if key.lower() != "appid")
        if not matches:
            return self.error(404, "APPAP004E", "Password object matching query [%s] was not found (Diagnostic Info: 5)" % query)
        if len(matches) > 1:
            return self.error(400, "APPAP229E", "Too many password objects matching query [%s] were found" % query)
        account = dict(matches[0])
        account.setdefault("Folder", "Root")
        account.setdefault("PasswordChangeInProcess", "False")
        self.reply(200, account)


def stop_on_sigterm():
    # The test runner may spawn us with SIGTERM blocked or ignored (both are
    # inherited); tests stop servers with SIGTERM and must not wait for SIGKILL.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    signal.signal(signal.SIGTERM, lambda number, frame: os._exit(0))


def main():
    stop_on_sigterm()
    port, config_path, certificate, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    with open(config_path) as handle:
        CONFIG.update(json.load(handle))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    if len(sys.argv) > 5:
        context.load_verify_locations(sys.argv[5])
        context.verify_mode = ssl.CERT_REQUIRED if (sys.argv[6] if len(sys.argv) > 6 else "required") == "required" else ssl.CERT_OPTIONAL
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

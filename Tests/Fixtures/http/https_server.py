#!/usr/bin/env python3
"""A small HTTPS server for og-host's HTTP client tests.

GET  /echo            -> 200, JSON: method, path, headers, client port, body length
GET  /slow?seconds=N  -> waits N seconds, then 200
POST|PUT /upload/NAME -> writes the body at the offset its Content-Range names
                         into UPLOAD_DIR/NAME; 200 with the range as JSON
POST /record/NAME     -> appends the body and a newline to UPLOAD_DIR/NAME (a webhook receiver)
anything else         -> 404
"""
import argparse
import json
import os
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print("%s %s" % (self.client_address[1], fmt % args), flush=True)

    def reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Og-Test", "fixture")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        url = urlsplit(self.path)
        data = self.body()
        if url.path == "/echo":
            self.reply(200, {"method": self.command, "path": url.path, "clientPort": self.client_address[1],
                             "headers": {k.lower(): v for k, v in self.headers.items()}, "bodyLength": len(data)})
        elif url.path == "/slow":
            time.sleep(float(parse_qs(url.query).get("seconds", ["5"])[0]))
            self.reply(200, {"slept": True})
        elif url.path.startswith("/record/") and self.command == "POST":
            with open(os.path.join(self.server.upload_dir, os.path.basename(url.path)), "ab") as f:
                f.write(data.rstrip(b"\n") + b"\n")
            self.reply(200, {"recorded": len(data)})
        elif url.path.startswith("/upload/") and self.command in ("POST", "PUT"):
            name = os.path.basename(url.path)
            span, total = self.headers["Content-Range"].split("/")
            start, end = (int(x) for x in span.split("-"))
            if end - start + 1 != len(data):
                self.reply(400, {"error": "Content-Range %s does not match %d body bytes" % (span, len(data))})
                return
            path = os.path.join(self.server.upload_dir, name)
            with open(path, "r+b" if os.path.exists(path) else "wb") as f:
                f.seek(start)
                f.write(data)
            self.reply(200, {"start": start, "end": end, "total": int(total)})
        else:
            self.reply(404, {"error": "no such path " + url.path})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-ca", help="require client certificates issued by this CA")
    parser.add_argument("--upload-dir", default=".")
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args.client_ca)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.upload_dir = args.upload_dir
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening on %d" % args.port, flush=True)
    server.serve_forever()


main()

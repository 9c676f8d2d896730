#!/usr/bin/env python3
"""A WS-Management (WinRM) test server for og-host's WinRM connection tests.

It speaks the remote-shell subset of WS-Man that og-host and pywinrm use
(Create shell, Command, Send, Receive, Signal, Delete shell) over HTTP or
HTTPS, authenticates with NTLM (pyspnego as the acceptor) or Basic, and seals
and signs every message after NTLM authentication in the
multipart/encrypted "application/HTTP-SPNEGO-session-encrypted" envelope,
exactly as pyspnego's NTLM implementation does for Windows.

What it proves: the client's HTTP handling, NTLMv2 (including the session keys
and the RC4 sealing and HMAC-MD5 signatures with sequence numbers, since
pyspnego checks every one), the SOAP messages and their sequencing, exit
codes, stdin and the output streams.

What it cannot prove:
  * It is not Windows. No real WinRM service, no IIS/HTTP.sys behaviour, no
    quotas (MaxEnvelopeSizekb is only checked as a size limit below).
  * No Kerberos, no CredSSP, no channel binding tokens.
  * PowerShell is emulated. A POSIX machine cannot run Windows PowerShell, so:
      - scripts whose first line is `# og-host winrm <operation>` (the file
        operations og-host's WinRMConnection emits) are recognised by that
        marker; their `$name = '...'` assignments are read and the operation
        is performed natively in Python with the semantics the script has on
        Windows;
      - any other `powershell -EncodedCommand` script runs under `pwsh` when it
        is installed; otherwise only the form og-host's PowerShellCommand
        produces (`& 'program' 'arg' ...`, optionally fed `$input`) is
        understood, and runs that program directly;
      - a plain (cmd.exe) command line runs under /bin/sh.
    Whether the real PowerShell scripts behave the same on Windows is not
    tested here.

Every request is logged as one JSON line to --log: its action, whether the
body was sealed, whether the authentication was NTLM or Basic, and whether a
SOAP envelope appeared in clear text on the wire.
"""

import argparse
import base64
import http.server
import json
import os
import re
import shutil
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET

import spnego

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
ACTION_PREFIX = {
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create": "Create",
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete": "Delete",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command": "Command",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send": "Send",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive": "Receive",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal": "Signal",
}
BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
MAX_ENVELOPE = 512 * 1024
TIMED_OUT_CODE = 2150858793

LOG_LOCK = threading.Lock()
SHELLS = {}
SHELLS_LOCK = threading.Lock()


def log(path, record):
    with LOG_LOCK, open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


# ---- command emulation -------------------------------------------------------

def powershell_literal(text, start):
    """Reads a single-quoted PowerShell string at text[start] ('' is a quote)."""
    assert text[start] in "'\u2018\u2019\u201a\u201b"
    out, index = [], start + 1
    quotes = "'\u2018\u2019\u201a\u201b"
    while index < len(text):
        char = text[index]
        if char in quotes:
            if index + 1 < len(text) and text[index + 1] in quotes:
                out.append(char)
                index += 2
                continue
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise ValueError("unterminated string")


def marker_variables(script):
    variables = {}
    for match in re.finditer(r"^\$(\w+) = (?=')", script, re.M):
        value, _ = powershell_literal(script, match.end())
        variables[match.group(1)] = value
    return variables


DRIVE_ROOT = []  # set from --drive-root


def local_path(path):
    """`C:\\dir\\file` → <drive root>/dir/file when --drive-root is given; POSIX paths pass through."""
    if DRIVE_ROOT and re.match(r"^[A-Za-z]:[\\/]", path):
        return os.path.join(DRIVE_ROOT[0], path[3:].replace("\\", "/"))
    return path


def native_file_operation(operation, variables, stdin):
    """The Windows semantics of og-host's file scripts, performed here. Returns (exit, out, err)."""
    variables = {name: local_path(value) for name, value in variables.items()}
    path = variables.get("path", "")
    try:
        if operation == "read":
            if not os.path.isfile(path):
                return 3, b"", b"og-host: not found\r\n"
            with open(path, "rb") as handle:
                return 0, base64.b64encode(handle.read()), b""
        if operation == "append":
            data = base64.b64decode(stdin.strip() or b"")
            with open(path, "ab" if variables.get("mode") == "append" else "wb") as handle:
                handle.write(data)
            return 0, b"", b""
        if operation == "commit":
            os.replace(variables["temporary"], path)
            return 0, b"", b""
        if operation == "stat":
            if not os.path.lexists(path):
                return 0, b"missing\r\n", b""
            info = os.lstat(path)
            kind = "symlink" if os.path.islink(path) else "directory" if os.path.isdir(path) else "file"
            size = 0 if kind != "file" else info.st_size
            return 0, f"{kind} {size} {int(info.st_mtime)}\r\n".encode(), b""
        if operation == "list":
            if not os.path.isdir(path):
                return 3, b"", b"og-host: not found\r\n"
            names = sorted(os.listdir(path))
            return 0, b"".join(base64.b64encode(n.encode()) + b"\r\n" for n in names), b""
        if operation == "mkdir":
            os.makedirs(path, exist_ok=True)
            return 0, b"", b""
        if operation == "remove":
            if not os.path.lexists(path):
                return 3, b"", b"og-host: not found\r\n"
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            else:
                os.remove(path)
            return 0, b"", b""
    except OSError as error:
        return 1, b"", f"{error.strerror}: {path}\r\n".encode()
    return 1, b"", f"unknown og-host operation {operation}\r\n".encode()


def parse_call(script):
    """argv of `[$input | ]& 'prog' 'arg' -Name ...` as PowerShellCommand emits it."""
    match = re.search(r"(\$input \| )?& ", script)
    if not match:
        return None
    index, argv = match.end(), []
    while index < len(script) and script[index] != ";":
        if script[index] == " ":
            index += 1
        elif script[index] in "'\u2018\u2019\u201a\u201b":
            value, index = powershell_literal(script, index)
            argv.append(value)
        else:
            end = index
            while end < len(script) and script[end] not in " ;":
                end += 1
            argv.append(script[index:end])
            index = end
    return argv


class Job:
    """One command in a shell: a real process, or a native file operation run once stdin is complete."""

    def __init__(self, command_line):
        self.stdin = b""
        self.stdin_closed = False
        self.native = None
        self.process = None
        self.result = None
        self.out = b""
        self.err = b""
        self.exit_code = None
        self.lock = threading.Lock()
        script = decode_powershell(command_line)
        if script is not None:
            first = script.split("\n", 1)[0].strip()
            marker = re.match(r"# og-host winrm (\w+)$", first)
            if marker:
                self.native = (marker.group(1), marker_variables(script))
                return
            if shutil.which("pwsh"):
                argv = ["pwsh", "-NoProfile", "-NonInteractive", "-Command", script]
            else:
                argv = parse_call(script)
                if argv is None:
                    self.exit_code, self.err = 1, b"winrm_server: cannot emulate this PowerShell without pwsh\r\n"
                    return
            self.start(argv)
        else:
            self.start(["/bin/sh", "-c", command_line])

    def start(self, argv):
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as error:
            self.exit_code, self.err = 1, f"{argv[0]}: {error.strerror}\r\n".encode()
            return
        threading.Thread(target=self.pump, args=(self.process.stdout, "out"), daemon=True).start()
        threading.Thread(target=self.pump, args=(self.process.stderr, "err"), daemon=True).start()

    def pump(self, stream, name):
        while True:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            with self.lock:
                setattr(self, name, getattr(self, name) + chunk)

    def send(self, data, end):
        if self.process and self.process.poll() is None:
            try:
                self.process.stdin.write(data)
                self.process.stdin.flush()
                if end:
                    self.process.stdin.close()
            except BrokenPipeError:
                pass
        else:
            self.stdin += data
        self.stdin_closed = self.stdin_closed or end

    def receive(self, wait):
        """(stdout, stderr, exit code or None) produced since the last call."""
        if self.native and self.exit_code is None:
            self.exit_code, self.out, self.err = native_file_operation(*self.native, self.stdin)
        if self.process:
            if not self.stdin_closed:
                self.process.stdin.close()
                self.stdin_closed = True
            deadline = time.monotonic() + wait
            while self.process.poll() is None and time.monotonic() < deadline and not self.out and not self.err:
                time.sleep(0.02)
            if self.process.poll() is not None:
                time.sleep(0.05)  # lets the pump threads drain the pipes
                self.exit_code = self.process.returncode
        with self.lock:
            out, err, self.out, self.err = self.out, self.err, b"", b""
        return out, err, self.exit_code

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def decode_powershell(command_line):
    match = re.match(r"powershell(?:\.exe)?\s.*-encodedcommand\s+(\S+)", command_line, re.I)
    if not match:
        return None
    return base64.b64decode(match.group(1)).decode("utf-16-le")


# ---- SOAP --------------------------------------------------------------------

def envelope(action, relates_to, body, shell_id=None):
    selector = (f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>' if shell_id else "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}">'
        f"<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:RelatesTo>{relates_to}</a:RelatesTo>{selector}</s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def fault(relates_to, code, reason, subcode="w:InternalError"):
    body = (
        f"<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}">'
        f"<f:Message>{reason}</f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, body)


def handle_soap(xml):
    root = ET.fromstring(xml)
    action = root.findtext("s:Header/a:Action", namespaces=NS) or ""
    message_id = root.findtext("s:Header/a:MessageID", namespaces=NS) or ""
    shell_id = root.findtext("s:Header/w:SelectorSet/w:Selector[@Name='ShellId']", namespaces=NS)
    timeout_text = root.findtext("s:Header/w:OperationTimeout", namespaces=NS) or "PT20S"
    seconds = float(re.sub(r"[^0-9.]", "", timeout_text) or 20)
    body = root.find("s:Body", NS)
    name = ACTION_PREFIX.get(action, action)

    if name == "Create":
        shell_id = str(uuid.uuid4()).upper()
        with SHELLS_LOCK:
            SHELLS[shell_id] = {}
        created = (f"<w:ResourceCreated><a:Address>http://localhost/wsman</a:Address><a:ReferenceParameters>"
                   f"<w:SelectorSet><w:Selector Name=\"ShellId\">{shell_id}</w:Selector></w:SelectorSet>"
                   f"</a:ReferenceParameters></w:ResourceCreated><rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId></rsp:Shell>")
        return name, envelope(action + "Response", message_id, created)
    with SHELLS_LOCK:
        shell = SHELLS.get(shell_id)
    if shell is None:
        return name, fault(message_id, 2150858843, "The request for the Windows Remote Shell with ShellId "
                                                   f"{shell_id} failed because the shell was not found on the server.")
    if name == "Delete":
        with SHELLS_LOCK:
            SHELLS.pop(shell_id, None)
        for job in shell.values():
            job.kill()
        return name, envelope(action + "Response", message_id, "")
    if name == "Command":
        command = body.findtext("rsp:CommandLine/rsp:Command", namespaces=NS) or ""
        arguments = [a.text or "" for a in body.findall("rsp:CommandLine/rsp:Arguments", NS)]
        command_id = str(uuid.uuid4()).upper()
        shell[command_id] = Job(" ".join([command.strip()] + arguments))
        response = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
        return name, envelope(action + "Response", message_id, response)
    if name == "Send":
        stream = body.find("rsp:Send/rsp:Stream", NS)
        job = shell.get(stream.get("CommandId"))
        job.send(base64.b64decode(stream.text or ""), stream.get("End", "false").lower() == "true")
        return name, envelope(action + "Response", message_id, "<rsp:SendResponse/>")
    if name == "Receive":
        desired = body.find("rsp:Receive/rsp:DesiredStream", NS)
        command_id = desired.get("CommandId")
        job = shell.get(command_id)
        out, err, code = job.receive(min(seconds, 20))
        if not out and not err and code is None:
            return name, fault(message_id, TIMED_OUT_CODE, "The WS-Management service cannot complete the operation "
                                                           "within the time specified in OperationTimeout.", "w:TimedOut")
        streams = "".join(
            f'<rsp:Stream Name="{stream}" CommandId="{command_id}">{base64.b64encode(data[i:i + 65536]).decode()}</rsp:Stream>'
            for stream, data in (("stdout", out), ("stderr", err)) for i in range(0, len(data), 65536))
        if code is None:
            state = f'<rsp:CommandState CommandId="{command_id}" State="{NS["rsp"]}/CommandState/Running"/>'
        else:
            state = (f'<rsp:CommandState CommandId="{command_id}" State="{NS["rsp"]}/CommandState/Done">'
                     f"<rsp:ExitCode>{code}</rsp:ExitCode></rsp:CommandState>")
        return name, envelope(action + "Response", message_id, f"<rsp:ReceiveResponse>{streams}{state}</rsp:ReceiveResponse>")
    if name == "Signal":
        command_id = body.find("rsp:Signal", NS).get("CommandId")
        job = shell.pop(command_id, None)
        if job:
            job.kill()
        return name, envelope(action + "Response", message_id, "<rsp:SignalResponse/>")
    return name, fault(message_id, 2150858770, f"unsupported action {action}", "w:ActionNotSupported")


# ---- HTTP --------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"

    def setup(self):
        super().setup()
        self.ntlm = None  # one NTLM context per TCP connection, as HTTP.sys keeps it
        self.authenticated = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def challenge(self, token=None, scheme="Negotiate"):
        # The answer uses the scheme the client chose (requests_ntlm picks "NTLM", og-host "Negotiate").
        headers = [("WWW-Authenticate", scheme + (" " + base64.b64encode(token).decode() if token else ""))]
        if token is None:
            headers.append(("WWW-Authenticate", "NTLM"))
            if self.server.options.https:
                headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        self.reply(401, b"", headers)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length > MAX_ENVELOPE * 2:
            self.reply(413)
            return
        raw = self.rfile.read(length)
        options = self.server.options
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        record = {"path": self.path, "bytes": len(raw), "plaintextEnvelope": b"Envelope" in raw}

        if scheme.lower() in ("negotiate", "ntlm") and value:
            if self.ntlm is None or self.ntlm.complete:
                self.ntlm = spnego.server(protocol="ntlm")
            try:
                out = self.ntlm.step(base64.b64decode(value))
            except Exception as error:  # pyspnego raises several types for bad credentials
                self.ntlm = None
                log(options.log, dict(record, event="ntlm-rejected", reason=str(error)[:200]))
                self.challenge()
                return
            if not self.ntlm.complete:
                self.challenge(out, scheme)
                return
            self.authenticated = "ntlm"
            log(options.log, dict(record, event="ntlm-authenticated", user=self.ntlm.client_principal))
        elif scheme.lower() == "basic" and value:
            if not options.https:
                log(options.log, dict(record, event="basic-refused-over-http"))
                self.challenge()
                return
            user, _, password = base64.b64decode(value).decode().partition(":")
            if (user, password) != (options.user, options.password):
                log(options.log, dict(record, event="basic-rejected"))
                self.challenge()
                return
            self.authenticated = "basic"
        elif self.authenticated != "ntlm":
            self.challenge()
            return

        content_type = self.headers.get("Content-Type", "")
        sealed = content_type.startswith("multipart/encrypted")
        if not raw:
            self.reply(200)
            return
        if sealed:
            try:
                xml = self.unseal(raw)
            except Exception as error:
                log(options.log, dict(record, event="unseal-failed", reason=str(error)[:200]))
                self.reply(400)
                return
        else:
            if options.require_encryption and self.authenticated == "ntlm":
                log(options.log, dict(record, event="unencrypted-refused"))
                self.reply(401)
                return
            xml = raw
        action, response = handle_soap(xml)
        log(options.log, dict(record, event="request", action=action, sealed=sealed, auth=self.authenticated))
        status = 500 if b"<s:Fault>" in response else 200
        if sealed:
            body = self.seal(response)
            self.reply(status, body, [("Content-Type", f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"')])
        else:
            self.reply(status, response, [("Content-Type", "application/soap+xml;charset=UTF-8")])

    def unseal(self, raw):
        parts = [p for p in raw.split(BOUNDARY + b"\r\n") if p]
        header, payload = parts[0], parts[1]
        expected = int(re.search(rb"Length=(\d+)", header).group(1))
        if payload.endswith(BOUNDARY + b"--\r\n"):
            payload = payload[: -len(BOUNDARY + b"--\r\n")]
        payload = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
        signature_length = struct.unpack("<i", payload[:4])[0]
        signature = payload[4:4 + signature_length]
        data = self.ntlm.unwrap_winrm(signature, payload[4 + signature_length:])
        if len(data) != expected:
            raise ValueError(f"unsealed {len(data)} bytes, header says {expected}")
        return data

    def seal(self, message):
        wrapped = self.ntlm.wrap_winrm(message)
        return (BOUNDARY + b"\r\n\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
                + b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(message)).encode()
                + b"\r\n" + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
                + struct.pack("<i", len(wrapped.header)) + wrapped.header + wrapped.data + BOUNDARY + b"--\r\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--credentials", required=True, help="file with one line user:password (kept off argv)")
    parser.add_argument("--log", required=True)
    parser.add_argument("--cert", help="PEM certificate chain; serves HTTPS when given")
    parser.add_argument("--key")
    parser.add_argument("--require-encryption", action="store_true")
    parser.add_argument("--drive-root", help="directory that stands for C:\\ in file operations")
    options = parser.parse_args()
    with open(options.credentials, encoding="utf-8") as handle:
        options.user, _, options.password = handle.read().strip("\n").partition(":")
    user_file = options.credentials + ".ntlm"
    with open(user_file, "w", encoding="utf-8") as handle:
        handle.write(f":{options.user}:{options.password}\n")
    os.environ["NTLM_USER_FILE"] = user_file
    options.https = bool(options.cert)
    if options.drive_root:
        DRIVE_ROOT.append(options.drive_root)

    server = Server(("127.0.0.1", options.port), Handler)
    server.options = options
    if options.https:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.cert, options.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"winrm_server listening on 127.0.0.1:{options.port} ({'https' if options.https else 'http'})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

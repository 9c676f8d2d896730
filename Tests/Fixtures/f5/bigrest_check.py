#!/usr/bin/env python3
"""Drives icontrol_sim.py with bigrest, a public Python client for F5's
iControl REST, through every kind of call og-host's F5 plugin makes; exits
non-zero with the failing step on stderr. The standard configuration of
F5SimulatorFixture is expected (profile /Common/web-ssl on virtual
/Common/vs-web, a sync-failover group).
Usage: F5_USER=.. F5_PASSWORD=.. bigrest_check.py HOST:PORT MGMT_CA VIRTUAL_PORT NEW_KEY NEW_CERT OTHER_KEY
(the password comes from the environment, never argv; the management
listener's certificate is verified against MGMT_CA)."""
import hashlib
import os
import socket
import ssl
import sys
import tempfile
import time

from bigrest.bigip import BIGIP
from bigrest.common.exceptions import RESTAPIError

device, management_ca, virtual_port, new_key, new_cert, other_key = sys.argv[1:7]
os.environ["REQUESTS_CA_BUNDLE"] = management_ca
user, password = os.environ["F5_USER"], os.environ["F5_PASSWORD"]


def step(name, condition):
    if not condition:
        sys.stderr.write("bigrest check failed: %s\n" % name)
        sys.exit(1)


def refused(action, text):
    try:
        action()
    except RESTAPIError as error:
        return text in str(error)
    return False


def served_fingerprint():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", int(virtual_port)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="www.example.test") as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def file_fingerprint(path):
    with open(path) as handle:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(handle.read())).hexdigest()


def upload(big, local, name):
    directory = tempfile.mkdtemp()
    target = os.path.join(directory, name)
    with open(local, "rb") as source, open(target, "wb") as copy:
        copy.write(source.read())
    big.upload("/mgmt/shared/file-transfer/uploads", target)


# Token login (bigrest posts to /mgmt/shared/authn/login and sends X-F5-Auth-Token).
big = BIGIP(device, user, password, request_token=True)
step("version", big.show("/mgmt/tm/sys/version").properties["Version"]["description"].startswith("1"))
virtuals = big.load("/mgmt/tm/ltm/virtual")
step("virtual list", [v.properties["fullPath"] for v in virtuals] == ["/Common/vs-web"])
profiles = big.load("/mgmt/tm/ltm/virtual/~Common~vs-web/profiles")
step("virtual profiles", "/Common/web-ssl" in [p.properties["fullPath"] for p in profiles])
profile = big.load("/mgmt/tm/ltm/profile/client-ssl/~Common~web-ssl")
step("certKeyChain", profile.properties["certKeyChain"][0]["cert"] == "/Common/web.crt")

# Chunked upload, then replacing the key of a pair in use one object at a time: F5 refuses.
upload(big, new_key, "web-next.key")
upload(big, new_cert, "web-next.crt")
step("key replaced alone is refused with F5's text",
     refused(lambda: big.command("/mgmt/tm/sys/crypto/key", {"command": "install", "name": "/Common/web.key",
                                                             "from-local-file": "/var/config/rest/downloads/web-next.key"}),
             "01070317:3: profile /Common/web-ssl's key and certificate do not match"))
step("nothing changed after the refusal", served_fingerprint() != file_fingerprint(new_cert))

# The same replacement as one transaction commits.
with big as transaction:
    big.command("/mgmt/tm/sys/crypto/key", {"command": "install", "name": "/Common/web.key",
                                            "from-local-file": "/var/config/rest/downloads/web-next.key"})
    big.command("/mgmt/tm/sys/crypto/cert", {"command": "install", "name": "/Common/web.crt",
                                             "from-local-file": "/var/config/rest/downloads/web-next.crt"})
step("the virtual server serves the new certificate", served_fingerprint() == file_fingerprint(new_cert))

# A transaction whose final state is inconsistent applies nothing.
upload(big, other_key, "stray.key")
big.command("/mgmt/tm/sys/crypto/key", {"command": "install", "name": "/Common/stray.key",
                                        "from-local-file": "/var/config/rest/downloads/stray.key"})
before = big.load("/mgmt/tm/ltm/profile/client-ssl/~Common~web-ssl").properties["certKeyChain"]
big.transaction_create()
big.modify("/mgmt/tm/ltm/profile/client-ssl/~Common~web-ssl",
           {"certKeyChain": [{"name": "default", "cert": "/Common/web.crt", "key": "/Common/stray.key"}]})
step("a failing commit is reported", refused(big.transaction_commit, "key and certificate do not match"))
step("a failed transaction changes nothing",
     big.load("/mgmt/tm/ltm/profile/client-ssl/~Common~web-ssl").properties["certKeyChain"] == before)

# HA: the change left the group pending; config-sync brings it in sync.
status = big.show("/mgmt/tm/cm/sync-status").properties["status"]["description"]
step("changes pending after a change (was %s)" % status, status == "Changes Pending")
groups = [g.properties for g in big.load("/mgmt/tm/cm/device-group") if g.properties["type"] == "sync-failover"]
step("a sync-failover group", len(groups) == 1)
big.command("/mgmt/tm/cm", {"command": "run", "utilCmdArgs": "config-sync to-group " + groups[0]["name"]})
deadline = time.time() + 10
while big.show("/mgmt/tm/cm/sync-status").properties["status"]["description"] != "In Sync" and time.time() < deadline:
    time.sleep(0.1)
step("in sync after config-sync", big.show("/mgmt/tm/cm/sync-status").properties["status"]["description"] == "In Sync")

# The token ends when deleted.
token = big._token
big.delete("/mgmt/shared/authz/tokens/" + token)
try:
    BIGIP(device, token=token)
    step("a deleted token is refused", False)
except RESTAPIError as error:
    step("a deleted token is refused with 401", "401" in str(error))
print("bigrest check passed")

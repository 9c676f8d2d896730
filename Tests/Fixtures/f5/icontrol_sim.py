#!/usr/bin/env python3
"""An F5 BIG-IP iControl REST test server for og-host's F5 plugin tests.

No BIG-IP can run on this machine, so this server implements, from F5's
published iControl REST reference, the calls og-host makes, with state:

  POST   /mgmt/shared/authn/login              username/password/loginProviderName -> token (timeout 1200 s)
  DELETE /mgmt/shared/authz/tokens/TOKEN       ends a token
  GET    /mgmt/shared/echo-query               a cheap authenticated probe
  POST   /mgmt/shared/file-transfer/uploads/NAME
                                               chunked upload: each piece says Content-Range start-end/total;
                                               the file is complete when every byte arrived
  GET    /mgmt/tm/sys/version                  the product version
  GET    /mgmt/tm/auth/partition               partitions (Common plus the configured ones)
  GET|POST       /mgmt/tm/sys/crypto/key|cert  list; {"command":"install","name","partition"?,"from-local-file"}
  POST           /mgmt/tm/sys/crypto/pkcs12    {"command":"install","name","from-local-file","passphrase"}
  DELETE         /mgmt/tm/sys/crypto/key|cert/~P~NAME   refused while a profile uses the object
  GET            /mgmt/tm/sys/file/ssl-cert|ssl-key      the objects with subject, issuer, expiry, SHA-256
  GET|PATCH|PUT  /mgmt/tm/ltm/profile/client-ssl[/~P~NAME]   certKeyChain [{name, cert, key, chain}]
  GET            /mgmt/tm/ltm/virtual[/~P~NAME[/profiles]]   destination and profiles (?expandSubcollections=true)
  POST|GET|PATCH|DELETE /mgmt/tm/transaction[/ID]   X-F5-REST-Coordination-Id queues changes; PATCH
                                               {"state":"VALIDATING"} applies them all or none
  GET    /mgmt/tm/cm/device-group, /mgmt/tm/cm/sync-status
  POST   /mgmt/tm/cm  {"command":"run","utilCmdArgs":"config-sync to-group NAME"}

Requests authenticate with X-F5-Auth-Token or HTTP Basic. Every change to a
device in a sync-failover group sets the group to "Changes Pending" until a
config-sync, after which it reports "In Sync" (after `sync_seconds`), or never
when the configuration says "converge": false.

A key installed under a name a client-SSL profile uses, or a certKeyChain
naming a key that does not belong to its certificate, is refused with F5's
text "01070317:3: profile /P/NAME's key and certificate do not match"
(code 400, apiError 3). Inside a transaction the check runs at commit on the
final state, which is why a pair in use can be replaced in one transaction.

Each virtual server listens on 127.0.0.1 at the port of its destination and
completes real TLS handshakes with whatever its client-SSL profiles hold at
that moment (the profile whose serverName matches the SNI, else the default).

Simulator-only controls (not iControl REST), under /sim/, unauthenticated:
  POST /sim/fail-commit {"message": M, "after": N}
                                         the commit after the next N (default 0) fails with M, changing nothing
  POST /sim/hostile {"prefix": P, "body": B, "status": S}  GETs under P answer B verbatim (B may be any text)
  POST /sim/calm                         ends every hostile answer
  POST /sim/converge {"converge": bool}  whether config-sync ever reaches In Sync
  GET  /sim/state                        objects, profiles, virtuals, tokens, sync status, counters

What it cannot prove: F5's exact error texts other than the key/certificate
mismatch above (the others are worded like F5's but not copied), role-based
access (every valid user is an Administrator), token expiry by time, more
than one device (the peer is a name; config-sync only changes the status),
route domains, iRules, server-SSL profiles, profile inheritance beyond
`defaultsFrom` being reported, FIPS/netHSM keys, key passphrases, OCSP
stapling, and TLS behaviour of a real TMM (the listeners are Python's ssl).
PKCS#12 files are read with the openssl command, and only the leaf and key of
one are installed.

Usage: icontrol_sim.py PORT CERT.pem KEY.pem CONFIG.json STATE_DIR
CONFIG: {"users": {"admin": "password"}, "partitions": ["Tenant"], "version": "17.1.0",
         "objects": [{"kind": "cert"|"key", "name": "/Common/web.crt", "file": "/path/web.pem"}],
         "profiles": [{"name": "/Common/web-ssl", "certKeyChain": [{"name": "default", "cert": "/Common/web.crt",
                       "key": "/Common/web.key", "chain": "/Common/ca.crt"}], "serverName": "", "sniDefault": true}],
         "virtuals": [{"name": "/Common/vs-web", "port": 8443, "profiles": ["/Common/web-ssl", "/Common/http"]}],
         "device_group": {"name": "dg-failover", "devices": ["bigip-a", "bigip-b"], "converge": true, "sync_seconds": 0.3}}
"""
import base64
import copy
import hashlib
import json
import os
import secrets as random_tokens
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

LOCK = threading.RLock()
STATE_DIR = ""
CONFIG = {}
TOKENS = {}         # token -> username
UPLOADS = {}        # file name -> {"total": int, "have": set of (start, end), "data": bytearray}
TRANSACTIONS = {}   # id -> {"state": str, "commands": [(method, path, body)], "failure": str}
COUNTERS = {"logins": 0, "tokens_deleted": 0, "basic_requests": 0, "token_requests": 0, "uploads": 0,
            "commits": 0, "failed_commits": 0, "config_syncs": 0, "changes": 0, "handshakes": 0}
CONTROLS = {"fail_commit": None, "fail_commit_after": 0, "hostile": []}
LISTENERS = {}      # virtual full path -> listening socket


class RESTError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------
# The configuration database: what a transaction copies and swaps.
# --------------------------------------------------------------------------

def new_database():
    return {"keys": {}, "certs": {}, "profiles": {}, "virtuals": {}, "generation": 0}


DB = new_database()
SYNC = {"status": "Standalone", "since": 0.0, "converge": True}


def full_path(name, partition=None):
    """"/P/name" from a name that is already a full path, or from name + partition."""
    if name.startswith("/"):
        return name
    return "/%s/%s" % (partition or "Common", name)


def from_url_name(segment):
    """~Common~web.crt -> /Common/web.crt (F5's URL form of a full path)."""
    return segment.replace("~", "/") if segment.startswith("~") else "/Common/" + segment


def partition_of(path):
    return path.split("/")[1]


def leaf_name(path):
    return path.rsplit("/", 1)[1]


def check_partition(path):
    partition = partition_of(path)
    if partition not in ["Common"] + CONFIG.get("partitions", []):
        raise RESTError(400, "01020036:3: The requested folder (/%s) was not found." % partition)


def store_pem(kind, path, pem):
    directory = os.path.join(STATE_DIR, "filestore")
    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha256(pem).hexdigest()[:16]
    file = os.path.join(directory, "%s_%s_%s" % (kind, path.replace("/", ":"), digest))
    with open(file, "wb") as handle:
        handle.write(pem)
    return file


def certificate_details(file):
    with open(file, "rb") as handle:
        pem = handle.read().decode("ascii", "replace")
    first = pem[pem.index("-----BEGIN CERTIFICATE-----"):pem.index("-----END CERTIFICATE-----") + 25]
    der = ssl.PEM_cert_to_DER_cert(first)
    decoded = ssl._ssl._test_decode_cert(file)

    def rdn(sequence):
        names = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C",
                 "localityName": "L", "stateOrProvinceName": "ST"}
        return ",".join("%s=%s" % (names.get(k, k), v) for entry in sequence for (k, v) in entry)

    not_after = ssl.cert_time_to_seconds(decoded["notAfter"])
    fingerprint = hashlib.sha256(der).hexdigest().upper()
    return {"subject": rdn(decoded["subject"]), "issuer": rdn(decoded["issuer"]),
            "serialNumber": decoded.get("serialNumber", ""),
            "expirationDate": int(not_after), "expirationString": decoded["notAfter"],
            "fingerprint": "SHA256/" + ":".join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2)),
            "subjectAlternativeName": ", ".join("%s:%s" % (k, v) for (k, v) in decoded.get("subjectAltName", ())),
            "keyType": "rsa-public"}


def pair_matches(cert_file, key_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert_file, key_file)
        return True
    except ssl.SSLError:
        return False


def validate_database(db):
    """F5 refuses a configuration in which a profile's key does not belong to its certificate."""
    for path, profile in db["profiles"].items():
        for entry in profile["certKeyChain"]:
            cert, key, chain = entry.get("cert"), entry.get("key"), entry.get("chain")
            for kind, name in (("certs", cert), ("keys", key), ("certs", chain)):
                if name and name not in db[kind]:
                    raise RESTError(400, "01070712:3: Values (%s) specified for ssl profile (%s): foreign key index (%s) do not point at an item that exists in the database."
                                    % (name, path, kind[:-1]))
            if cert and key and not pair_matches(db["certs"][cert]["file"], db["keys"][key]["file"]):
                raise RESTError(400, "01070317:3: profile %s's key and certificate do not match" % path)


def changed(db):
    db["generation"] += 1
    COUNTERS["changes"] += 1
    if CONFIG.get("device_group") and db is DB:
        SYNC["status"] = "Changes Pending"


# --------------------------------------------------------------------------
# Operations on a database (the live one, or a transaction's copy).
# --------------------------------------------------------------------------

def uploaded_file(local):
    prefix = "/var/config/rest/downloads/"
    if not local.startswith(prefix):
        raise RESTError(400, "from-local-file %s is not under %s" % (local, prefix))
    upload = UPLOADS.get(local[len(prefix):])
    if upload is None or covered(upload) != upload["total"]:
        raise RESTError(400, "01070712:3: File not found or incomplete: %s" % local)
    return bytes(upload["data"])


def install_object(db, kind, body, validate=True):
    if body.get("command") != "install":
        raise RESTError(400, "command must be install")
    path = full_path(body.get("name", ""), body.get("partition"))
    if not body.get("name"):
        raise RESTError(400, "name is required")
    check_partition(path)
    data = uploaded_file(body.get("from-local-file", ""))
    marker = b"PRIVATE KEY-----" if kind == "keys" else b"-----BEGIN CERTIFICATE-----"
    if marker not in data:
        raise RESTError(400, "01070712:3: Unable to parse %s %s" % ("key" if kind == "keys" else "certificate", path))
    previous = db[kind].get(path)
    db[kind][path] = {"file": store_pem(kind, path, data), "updated": time.time()}
    if validate:
        try:
            validate_database(db)
        except RESTError:
            restore(db, kind, path, previous)
            raise
    changed(db)
    return {"kind": "tm:sys:crypto:%s:%sstate" % (kind[:-1], kind[:-1]), "command": "install", "name": path}


def restore(db, kind, path, previous):
    if previous is None:
        db[kind].pop(path, None)
    else:
        db[kind][path] = previous


def install_pkcs12(db, body, validate=True):
    path = full_path(body.get("name", ""), body.get("partition"))
    check_partition(path)
    data = uploaded_file(body.get("from-local-file", ""))
    with tempfile.NamedTemporaryFile(dir=STATE_DIR, suffix=".p12") as p12:
        p12.write(data)
        p12.flush()
        env = dict(os.environ, OG_SIM_P12_PASS=body.get("passphrase", ""))
        result = subprocess.run(["openssl", "pkcs12", "-in", p12.name, "-nodes", "-passin", "env:OG_SIM_P12_PASS"],
                                capture_output=True, env=env)
    if result.returncode != 0:
        raise RESTError(400, "01070712:3: Unable to import PKCS#12 %s: the passphrase is wrong or the file is damaged" % path)
    text = result.stdout.decode()
    key = text[text.index("-----BEGIN PRIVATE KEY-----"):text.index("-----END PRIVATE KEY-----") + 25] + "\n"
    cert = text[text.index("-----BEGIN CERTIFICATE-----"):text.index("-----END CERTIFICATE-----") + 25] + "\n"
    previous = (db["keys"].get(path), db["certs"].get(path))
    db["keys"][path] = {"file": store_pem("keys", path, key.encode()), "updated": time.time()}
    db["certs"][path] = {"file": store_pem("certs", path, cert.encode()), "updated": time.time()}
    if validate:
        try:
            validate_database(db)
        except RESTError:
            restore(db, "keys", path, previous[0])
            restore(db, "certs", path, previous[1])
            raise
    changed(db)
    return {"kind": "tm:sys:crypto:pkcs12:pkcs12state", "command": "install", "name": path}


def delete_object(db, kind, path):
    if path not in db[kind]:
        raise RESTError(404, "01020036:3: The requested %s (%s) was not found." % (kind[:-1], path))
    for profile_path, profile in db["profiles"].items():
        for entry in profile["certKeyChain"]:
            if path in (entry.get("cert"), entry.get("key"), entry.get("chain")):
                raise RESTError(400, "01071349:3: File object by name (%s) is in use by profile %s." % (path, profile_path))
    del db[kind][path]
    changed(db)
    return None


def modify_profile(db, path, body, validate=True):
    profile = db["profiles"].get(path)
    if profile is None:
        raise RESTError(404, "01020036:3: The requested ClientSSL Profile (%s) was not found." % path)
    updated = copy.deepcopy(profile)
    if "certKeyChain" in body:
        chain = body["certKeyChain"]
        if not isinstance(chain, list) or not chain:
            raise RESTError(400, "certKeyChain must be a non-empty array")
        updated["certKeyChain"] = [{"name": e.get("name", "default"),
                                    "cert": full_path(e["cert"]) if e.get("cert") else None,
                                    "key": full_path(e["key"]) if e.get("key") else None,
                                    "chain": full_path(e["chain"]) if e.get("chain") and e["chain"] != "none" else None}
                                   for e in chain]
    for field in ("serverName", "sniDefault"):
        if field in body:
            updated[field] = body[field]
    db["profiles"][path] = updated
    try:
        if validate:
            validate_database(db)
    except RESTError:
        db["profiles"][path] = profile
        raise
    changed(db)
    return profile_json(path, updated)


# --------------------------------------------------------------------------
# JSON shapes.
# --------------------------------------------------------------------------

def self_link(collection, path):
    return "https://localhost/mgmt/tm/%s/%s?ver=%s" % (collection, path.replace("/", "~"), CONFIG.get("version", "17.1.0"))


def profile_json(path, profile):
    chain = [{"name": e["name"], "cert": e.get("cert") or "none", "key": e.get("key") or "none",
              "chain": e.get("chain") or "none", "appService": "none"} for e in profile["certKeyChain"]]
    first = profile["certKeyChain"][0] if profile["certKeyChain"] else {}
    return {"kind": "tm:ltm:profile:client-ssl:client-sslstate", "name": leaf_name(path), "partition": partition_of(path),
            "fullPath": path, "generation": DB["generation"], "selfLink": self_link("ltm/profile/client-ssl", path),
            "defaultsFrom": "/Common/clientssl", "cert": first.get("cert") or "none", "key": first.get("key") or "none",
            "chain": first.get("chain") or "none", "certKeyChain": chain,
            "serverName": profile.get("serverName") or "none", "sniDefault": "true" if profile.get("sniDefault") else "false"}


def virtual_json(path, virtual, expand):
    item = {"kind": "tm:ltm:virtual:virtualstate", "name": leaf_name(path), "partition": partition_of(path),
            "fullPath": path, "generation": DB["generation"], "selfLink": self_link("ltm/virtual", path),
            "destination": "/%s/127.0.0.1:%d" % (partition_of(path), virtual["port"]), "ipProtocol": "tcp",
            "enabled": True, "profilesReference": {"link": self_link("ltm/virtual", path).replace("?", "/profiles?"),
                                                   "isSubcollection": True}}
    if expand:
        item["profilesReference"]["items"] = profiles_of_virtual(path, virtual)
    return item


def profiles_of_virtual(path, virtual):
    items = []
    for name in virtual["profiles"]:
        context = "clientside" if name in DB["profiles"] else "all"
        items.append({"kind": "tm:ltm:virtual:profiles:profilesstate", "name": leaf_name(name),
                      "partition": partition_of(name), "fullPath": name, "context": context})
    return items


def object_json(kind, path, entry, detailed):
    item = {"kind": "tm:sys:file:ssl-%s:ssl-%sstate" % (kind[:-1], kind[:-1]), "name": leaf_name(path),
            "partition": partition_of(path), "fullPath": path, "selfLink": self_link("sys/file/ssl-" + kind[:-1], path),
            "sourcePath": "file://" + entry["file"], "updatedBy": "admin", "lastUpdateTime": int(entry["updated"])}
    if kind == "certs" and detailed:
        item.update(certificate_details(entry["file"]))
    if kind == "keys":
        item.update({"keyType": "rsa-private", "securityType": "normal"})
    return item


def sync_status():
    group = CONFIG.get("device_group")
    if not group:
        return "Standalone", "standalone"
    if SYNC["status"] == "Syncing" and SYNC["converge"] and time.time() - SYNC["since"] >= group.get("sync_seconds", 0.3):
        SYNC["status"] = "In Sync"
    return SYNC["status"], "high-availability"


def sync_status_json():
    status, mode = sync_status()
    color = {"In Sync": "green", "Standalone": "green", "Changes Pending": "blue", "Syncing": "blue"}.get(status, "red")
    summary = {"In Sync": "All devices in the device group are in sync",
               "Changes Pending": "There is a possible change conflict between devices",
               "Syncing": "Sync in progress", "Standalone": ""}.get(status, "")
    details = {}
    group = CONFIG.get("device_group")
    if group:
        details = {"https://localhost/mgmt/tm/cm/syncStatus/0/details/0": {"nestedStats": {"entries": {
            "details": {"description": "%s (%s): %s" % (group["name"], "In Sync" if status == "In Sync" else "Changes Pending", status)}}}}}
    entries = {"color": {"description": color}, "mode": {"description": mode}, "status": {"description": status},
               "summary": {"description": summary}}
    if details:
        entries["https://localhost/mgmt/tm/cm/syncStatus/0/details"] = {"nestedStats": {"entries": details}}
    return {"kind": "tm:cm:sync-status:sync-statusstats", "selfLink": "https://localhost/mgmt/tm/cm/sync-status",
            "entries": {"https://localhost/mgmt/tm/cm/sync-status/0": {"nestedStats": {"entries": entries}}}}


def covered(upload):
    return sum(end - start + 1 for (start, end) in upload["have"])


# --------------------------------------------------------------------------
# Routing.
# --------------------------------------------------------------------------

def route_change(db, method, path, body, validate=True):
    """A request that changes configuration; runs against `db` (live or a transaction's copy).
    A transaction passes validate=False and checks the whole database once at commit."""
    parts = path.strip("/").split("/")
    if parts[:4] == ["mgmt", "tm", "sys", "crypto"] and len(parts) >= 5:
        kind = {"key": "keys", "cert": "certs"}.get(parts[4])
        if parts[4] == "pkcs12" and method == "POST" and len(parts) == 5:
            return install_pkcs12(db, body, validate)
        if kind and method == "POST" and len(parts) == 5:
            return install_object(db, kind, body, validate)
        if kind and method == "DELETE" and len(parts) == 6:
            return delete_object(db, kind, from_url_name(parts[5]))
    if parts[:5] == ["mgmt", "tm", "ltm", "profile", "client-ssl"] and len(parts) == 6 and method in ("PATCH", "PUT"):
        return modify_profile(db, from_url_name(parts[5]), body, validate)
    raise RESTError(404, "URI path %s not registered.  Please try again with the correct path." % path)


def is_change(method, path):
    return method in ("POST", "PATCH", "PUT", "DELETE") and path.startswith("/mgmt/tm/") \
        and not path.startswith("/mgmt/tm/transaction") and path != "/mgmt/tm/cm"


def commit(transaction_id, body):
    transaction = TRANSACTIONS.get(transaction_id)
    if transaction is None:
        raise RESTError(404, "Transaction %d not found" % transaction_id)
    if body.get("state") != "VALIDATING":
        raise RESTError(400, "state must be VALIDATING to commit")
    if transaction["state"] != "STARTED":
        raise RESTError(400, "Transaction %d is %s, not STARTED" % (transaction_id, transaction["state"]))
    COUNTERS["commits"] += 1
    scratch = copy.deepcopy(DB)
    try:
        if CONTROLS["fail_commit"] is not None and CONTROLS["fail_commit_after"] > 0:
            CONTROLS["fail_commit_after"] -= 1
        elif CONTROLS["fail_commit"] is not None:
            message, CONTROLS["fail_commit"] = CONTROLS["fail_commit"], None
            raise RESTError(400, message)
        for (method, path, command_body) in transaction["commands"]:
            route_change(scratch, method, path, command_body, validate=False)
        validate_database(scratch)
    except RESTError as error:
        COUNTERS["failed_commits"] += 1
        if not body.get("validateOnly"):
            transaction["state"] = "FAILED"
            transaction["failure"] = error.message
        raise RESTError(400, "transaction failed:" + error.message)
    if body.get("validateOnly"):
        return transaction_json(transaction_id)
    DB.clear()
    DB.update(scratch)
    if transaction["commands"]:
        changed(DB)
    transaction["state"] = "COMPLETED"
    return transaction_json(transaction_id)


def transaction_json(transaction_id):
    transaction = TRANSACTIONS[transaction_id]
    result = {"transId": transaction_id, "state": transaction["state"], "timeoutSeconds": 120,
              "asyncExecution": False, "validateOnly": False, "executionTimeout": 300,
              "selfLink": "https://localhost/mgmt/tm/transaction/%d?ver=%s" % (transaction_id, CONFIG.get("version", "17.1.0")),
              "kind": "tm:transaction:transactionstate"}
    if transaction.get("failure"):
        result["failureReason"] = transaction["failure"]
    return result


def collection(kind, items):
    return {"kind": kind, "selfLink": "https://localhost/mgmt/tm/%s" % kind, "items": items}


def route_read(path, query):
    if path in ("/mgmt/tm/sys/version/stats", "/mgmt/tm/cm/sync-status/stats"):
        path = path[:-len("/stats")]
    parts = path.strip("/").split("/")
    if path == "/mgmt/shared/echo-query":
        return {"stage": "STARTED"}
    if path == "/mgmt/tm/sys/version":
        version = CONFIG.get("version", "17.1.0")
        return {"kind": "tm:sys:version:versionstats", "entries": {"https://localhost/mgmt/tm/sys/version/0": {"nestedStats": {
            "entries": {"Product": {"description": "BIG-IP"}, "Version": {"description": version},
                        "Build": {"description": "0.0.6"}, "Edition": {"description": "Final"}}}}}}
    if path == "/mgmt/tm/auth/partition":
        return collection("tm:auth:partition:partitioncollectionstate",
                          [{"name": p, "fullPath": p, "description": "", "defaultRouteDomain": 0}
                           for p in ["Common"] + CONFIG.get("partitions", [])])
    if parts[:4] == ["mgmt", "tm", "sys", "file"] and len(parts) in (5, 6) and parts[4] in ("ssl-cert", "ssl-key"):
        kind = "certs" if parts[4] == "ssl-cert" else "keys"
        if len(parts) == 6:
            target = from_url_name(parts[5])
            if target not in DB[kind]:
                raise RESTError(404, "01020036:3: The requested %s (%s) was not found." % (parts[4], target))
            return object_json(kind, target, DB[kind][target], True)
        return collection("tm:sys:file:%s:%scollectionstate" % (parts[4], parts[4]),
                          [object_json(kind, p, e, True) for p, e in sorted(DB[kind].items())])
    if parts[:4] == ["mgmt", "tm", "sys", "crypto"] and len(parts) == 5 and parts[4] in ("key", "cert"):
        kind = "keys" if parts[4] == "key" else "certs"
        return collection("tm:sys:crypto:%s:%scollectionstate" % (parts[4], parts[4]),
                          [{"name": p, "fullPath": p, "partition": partition_of(p)} for p in sorted(DB[kind])])
    if parts[:5] == ["mgmt", "tm", "ltm", "profile", "client-ssl"]:
        if len(parts) == 6:
            target = from_url_name(parts[5])
            if target not in DB["profiles"]:
                raise RESTError(404, "01020036:3: The requested ClientSSL Profile (%s) was not found." % target)
            return profile_json(target, DB["profiles"][target])
        return collection("tm:ltm:profile:client-ssl:client-sslcollectionstate",
                          [profile_json(p, e) for p, e in sorted(DB["profiles"].items())])
    if parts[:3] == ["mgmt", "tm", "ltm"] and len(parts) >= 4 and parts[3] == "virtual":
        expand = query.get("expandSubcollections", ["false"])[0] == "true"
        if len(parts) >= 5:
            target = from_url_name(parts[4])
            if target not in DB["virtuals"]:
                raise RESTError(404, "01020036:3: The requested Virtual Server (%s) was not found." % target)
            if len(parts) == 6 and parts[5] == "profiles":
                return collection("tm:ltm:virtual:profiles:profilescollectionstate",
                                  profiles_of_virtual(target, DB["virtuals"][target]))
            return virtual_json(target, DB["virtuals"][target], expand)
        return collection("tm:ltm:virtual:virtualcollectionstate",
                          [virtual_json(p, v, expand) for p, v in sorted(DB["virtuals"].items())])
    if path == "/mgmt/tm/cm/device-group":
        group = CONFIG.get("device_group")
        items = [{"name": "device_trust_group", "fullPath": "/Common/device_trust_group", "type": "sync-only",
                  "autoSync": "enabled"}]
        if group:
            items.append({"name": group["name"], "fullPath": "/Common/" + group["name"], "type": "sync-failover",
                          "autoSync": "disabled", "fullLoadOnSync": "false",
                          "devicesReference": {"link": "https://localhost/mgmt/tm/cm/device-group/~Common~%s/devices" % group["name"]}})
        return collection("tm:cm:device-group:device-groupcollectionstate", items)
    if path == "/mgmt/tm/cm/sync-status":
        return sync_status_json()
    if parts[:3] == ["mgmt", "tm", "transaction"] and len(parts) >= 4:
        transaction_id = int(parts[3])
        if transaction_id not in TRANSACTIONS:
            raise RESTError(404, "Transaction %d not found" % transaction_id)
        if len(parts) == 5 and parts[4] == "commands":
            return collection("tm:transaction:commandscollectionstate",
                              [{"commandId": i + 1, "method": m, "uri": "https://localhost" + p, "body": b}
                               for i, (m, p, b) in enumerate(TRANSACTIONS[transaction_id]["commands"])])
        return transaction_json(transaction_id)
    raise RESTError(404, "URI path %s not registered.  Please try again with the correct path." % path)


def config_sync(body):
    if body.get("command") != "run":
        raise RESTError(400, "command must be run")
    args = body.get("utilCmdArgs", "").split()
    group = CONFIG.get("device_group")
    if len(args) != 3 or args[:2] != ["config-sync", "to-group"]:
        raise RESTError(400, "utilCmdArgs must be \"config-sync to-group NAME\"")
    if not group or args[2] != group["name"]:
        raise RESTError(400, "01070734:3: Configuration error: Device group (/Common/%s) does not exist" % args[2])
    COUNTERS["config_syncs"] += 1
    SYNC["status"] = "Syncing"
    SYNC["since"] = time.time()
    return {"kind": "tm:cm:runstate", "command": "run", "utilCmdArgs": body["utilCmdArgs"]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print("%s %s" % (self.client_address[1], fmt % args), flush=True)

    def reply(self, status, payload, raw=None):
        body = raw.encode() if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message):
        self.reply(status, {"code": status, "message": message, "errorStack": [], "apiError": 3 if status == 400 else 1})

    def raw_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.handle_method("GET")

    def do_POST(self):
        self.handle_method("POST")

    def do_PATCH(self):
        self.handle_method("PATCH")

    def do_PUT(self):
        self.handle_method("PUT")

    def do_DELETE(self):
        self.handle_method("DELETE")

    def authenticated(self, path):
        token = self.headers.get("X-F5-Auth-Token")
        if token:
            if token in TOKENS:
                COUNTERS["token_requests"] += 1
                return True
            return False
        authorization = self.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError:
                return False
            if CONFIG["users"].get(user) == password and user:
                COUNTERS["basic_requests"] += 1
                return True
        return False

    def handle_method(self, method):
        url = urlsplit(self.path)
        path = url.path
        data = self.raw_body()
        try:
            with LOCK:
                if path.startswith("/sim/"):
                    return self.simulator(method, path, data)
                if path == "/mgmt/shared/authn/login" and method == "POST":
                    return self.reply(200, self.login(data))
                if not self.authenticated(path):
                    return self.reply(401, {"code": 401, "message": "Authorization failed: no user authentication header or token detected. Uri:http://localhost:8100%s Referrer:127.0.0.1 Sender:127.0.0.1" % path,
                                            "referer": "127.0.0.1", "restOperationId": 1, "kind": ":resterrorresponse"})
                if method == "GET":
                    for hostile in CONTROLS["hostile"]:
                        if path.startswith(hostile["prefix"]):
                            return self.reply(hostile.get("status", 200), None, raw=hostile["body"])
                    return self.reply(200, route_read(path, parse_qs(url.query)))
                if path.startswith("/mgmt/shared/authz/tokens/") and method == "DELETE":
                    token = path.rsplit("/", 1)[1]
                    if TOKENS.pop(token, None) is None:
                        raise RESTError(404, "Token %s not found" % token[:4])
                    COUNTERS["tokens_deleted"] += 1
                    return self.reply(200, {"token": token, "kind": "shared:authz:tokens:authtokenitemstate"})
                if path.startswith("/mgmt/shared/file-transfer/uploads/") and method == "POST":
                    return self.reply(200, self.upload(path.rsplit("/", 1)[1], data))
                body = self.json_body(data)
                if path == "/mgmt/tm/transaction" and method == "POST":
                    transaction_id = int(time.time() * 1000) + len(TRANSACTIONS)
                    TRANSACTIONS[transaction_id] = {"state": "STARTED", "commands": [], "failure": None}
                    return self.reply(200, transaction_json(transaction_id))
                if path.startswith("/mgmt/tm/transaction/") and method == "PATCH":
                    if self.headers.get("X-F5-REST-Coordination-Id"):
                        raise RESTError(400, "A transaction cannot be committed from within itself: drop X-F5-REST-Coordination-Id")
                    return self.reply(200, commit(int(path.rsplit("/", 1)[1]), body))
                if path.startswith("/mgmt/tm/transaction/") and method == "DELETE":
                    TRANSACTIONS.pop(int(path.rsplit("/", 1)[1]), None)
                    return self.reply(200, {})
                if path == "/mgmt/tm/cm" and method == "POST":
                    return self.reply(200, config_sync(body))
                coordination = self.headers.get("X-F5-REST-Coordination-Id")
                if coordination and is_change(method, path):
                    transaction = TRANSACTIONS.get(int(coordination)) if coordination.isdigit() else None
                    if transaction is None or transaction["state"] != "STARTED":
                        raise RESTError(400, "Transaction %s is not open" % coordination)
                    transaction["commands"].append((method, path, body))
                    echoed = dict(body)
                    echoed.update({"transId": int(coordination), "commandId": len(transaction["commands"])})
                    return self.reply(200, echoed)
                result = route_change(DB, method, path, body)
                return self.reply(200, result if result is not None else {})
        except RESTError as error:
            return self.error(error.status, error.message)

    def json_body(self, data):
        if not data:
            return {}
        try:
            body = json.loads(data)
        except ValueError:
            raise RESTError(400, "Found invalid JSON body in the request.")
        if not isinstance(body, dict):
            raise RESTError(400, "Found invalid JSON body in the request.")
        return body

    def login(self, data):
        body = self.json_body(data)
        user, password = body.get("username", ""), body.get("password", "")
        if not user or CONFIG["users"].get(user) != password:
            raise RESTError(401, "Authentication failed.")
        if body.get("loginProviderName", "tmos") != "tmos" and body.get("loginReference") is None:
            raise RESTError(400, "loginProviderName %s is not configured" % body.get("loginProviderName"))
        token = "".join(random_tokens.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(26))
        TOKENS[token] = user
        COUNTERS["logins"] += 1
        return {"username": user, "loginProviderName": "tmos",
                "token": {"token": token, "name": token, "userName": user, "authProviderName": "tmos",
                          "timeout": 1200, "startTime": time.strftime("%Y-%m-%dT%H:%M:%S.000-0000", time.gmtime()),
                          "kind": "shared:authz:tokens:authtokenitemstate",
                          "selfLink": "https://localhost/mgmt/shared/authz/tokens/" + token},
                "generation": 0, "lastUpdateMicros": 0}

    def upload(self, name, data):
        if not name or "/" in name or name in (".", ".."):
            raise RESTError(400, "file name %r is not allowed" % name)
        content_range = self.headers.get("Content-Range", "")
        try:
            span, total = content_range.split("/")
            start, end = (int(x) for x in span.split("-"))
            total = int(total)
        except ValueError:
            raise RESTError(400, "Content-Range header %r is not start-end/total" % content_range)
        if start < 0 or end < start or end >= total or end - start + 1 != len(data):
            raise RESTError(400, "Content-Range %s does not match the %d bytes sent" % (content_range, len(data)))
        upload = UPLOADS.get(name)
        if upload is None or start == 0 or upload["total"] != total:
            upload = {"total": total, "have": set(), "data": bytearray(total)}
            UPLOADS[name] = upload
        upload["data"][start:end + 1] = data
        upload["have"].add((start, end))
        COUNTERS["uploads"] += 1
        remaining = total - covered(upload)
        return {"remainingByteCount": remaining, "usedChunks": {str(s): e - s + 1 for (s, e) in sorted(upload["have"])},
                "totalByteCount": total, "localFilePath": "/var/config/rest/downloads/" + name,
                "temporaryFilePath": "/var/config/rest/downloads/tmp/" + name, "generation": 0,
                "lastUpdateMicros": int(time.time() * 1e6)}

    def simulator(self, method, path, data):
        body = json.loads(data) if data else {}
        if path == "/sim/fail-commit" and method == "POST":
            CONTROLS["fail_commit"] = body.get("message", "01070734:3: Configuration error: simulated commit failure")
            CONTROLS["fail_commit_after"] = int(body.get("after", 0))
        elif path == "/sim/hostile" and method == "POST":
            CONTROLS["hostile"].append(body)
        elif path == "/sim/calm" and method == "POST":
            CONTROLS["hostile"] = []
        elif path == "/sim/converge" and method == "POST":
            SYNC["converge"] = bool(body.get("converge", True))
        elif path != "/sim/state":
            return self.reply(404, {"error": "no simulator control " + path})
        status, _ = sync_status()
        state = {"keys": sorted(DB["keys"]), "certs": sorted(DB["certs"]),
                 "profiles": {p: e["certKeyChain"] for p, e in DB["profiles"].items()},
                 "virtuals": {p: v["profiles"] for p, v in DB["virtuals"].items()},
                 "tokens": len(TOKENS), "sync_status": status, "counters": COUNTERS,
                 "uploads": sorted(UPLOADS), "transactions": {str(k): v["state"] for k, v in TRANSACTIONS.items()}}
        return self.reply(200, state)


# --------------------------------------------------------------------------
# Virtual servers: real TLS with whatever the profiles hold now.
# --------------------------------------------------------------------------

def context_for(profile_path):
    with LOCK:
        profile = DB["profiles"].get(profile_path)
        if profile is None or not profile["certKeyChain"]:
            return None
        entry = profile["certKeyChain"][0]
        cert = open(DB["certs"][entry["cert"]]["file"], "rb").read()
        chain = open(DB["certs"][entry["chain"]]["file"], "rb").read() if entry.get("chain") else b""
        key_file = DB["keys"][entry["key"]]["file"]
    bundle = os.path.join(STATE_DIR, "served-%d-%s.pem" % (threading.get_ident(), hashlib.sha256(cert + chain).hexdigest()[:12]))
    with open(bundle, "wb") as handle:
        handle.write(cert.rstrip(b"\n") + b"\n" + chain)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(bundle, key_file)
    os.unlink(bundle)
    return context


def serve_virtual(path, listener):
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=handshake, args=(path, connection), daemon=True).start()


def handshake(path, connection):
    try:
        connection.settimeout(10)
        with LOCK:
            names = [p for p in DB["virtuals"][path]["profiles"] if p in DB["profiles"]]
            default = next((p for p in names if DB["profiles"][p].get("sniDefault")), names[0] if names else None)
            by_server_name = {DB["profiles"][p].get("serverName"): p for p in names if DB["profiles"][p].get("serverName")}
        if default is None:
            connection.close()
            return
        contexts = {}

        def context(name):
            if name not in contexts:
                contexts[name] = context_for(name)
            return contexts[name]

        def choose(ssl_socket, server_name, _):
            chosen = by_server_name.get(server_name)
            if chosen and chosen != default:
                ssl_socket.context = context(chosen)

        base = context(default)
        base.sni_callback = choose
        with base.wrap_socket(connection, server_side=True) as tls:
            with LOCK:
                COUNTERS["handshakes"] += 1
            tls.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nvirtual server " + path.encode() + b"\n")
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        connection.close()


def load_configuration(path):
    global CONFIG
    with open(path) as handle:
        CONFIG = json.load(handle)
    CONFIG.setdefault("users", {"admin": "admin"})
    for entry in CONFIG.get("objects", []):
        kind = "certs" if entry["kind"] == "cert" else "keys"
        with open(entry["file"], "rb") as handle:
            DB[kind][entry["name"]] = {"file": store_pem(kind, entry["name"], handle.read()), "updated": time.time()}
    for profile in CONFIG.get("profiles", []):
        DB["profiles"][profile["name"]] = {"certKeyChain": [dict(e, chain=e.get("chain")) for e in profile["certKeyChain"]],
                                           "serverName": profile.get("serverName") or None,
                                           "sniDefault": profile.get("sniDefault", True)}
    validate_database(DB)
    for virtual in CONFIG.get("virtuals", []):
        DB["virtuals"][virtual["name"]] = {"port": virtual["port"], "profiles": virtual["profiles"]}
    group = CONFIG.get("device_group")
    if group:
        SYNC.update({"status": "In Sync", "converge": group.get("converge", True)})


def main():
    global STATE_DIR
    port, cert, key, config, STATE_DIR = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    os.makedirs(STATE_DIR, exist_ok=True)
    load_configuration(config)
    # Tests stop servers with SIGTERM and must not wait for SIGKILL.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    for path, virtual in DB["virtuals"].items():
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", virtual["port"]))
        listener.listen(16)
        LISTENERS[path] = listener
        threading.Thread(target=serve_virtual, args=(path, listener), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("iControl REST test server on %d" % port, flush=True)
    server.serve_forever()


main()

#!/usr/bin/env python3
"""Drives vault_sim.py with hvac, the public Python client for Vault, through
every call og-host makes; exits non-zero with the failing step on stderr.
Usage: VAULT_TOKEN=.. ROLE_ID=.. SECRET_ID=.. WRAPPING_TOKEN=.. hvac_check.py URL NAMESPACE
(secrets come from the environment, never argv)."""
import os
import sys

import hvac

url, namespace = sys.argv[1:3]
token, role_id, secret_id, wrapping_token = (os.environ[name] for name in ("VAULT_TOKEN", "ROLE_ID", "SECRET_ID", "WRAPPING_TOKEN"))


def step(name, condition):
    if not condition:
        sys.stderr.write("hvac check failed: %s\n" % name)
        sys.exit(1)


def raises(kind, action):
    try:
        action()
    except kind:
        return True
    return False


client = hvac.Client(url=url, token=token, namespace=namespace)
step("token lookup-self", client.auth.token.lookup_self()["data"]["ttl"] == 0)
step("kv v2 read", client.secrets.kv.v2.read_secret_version(path="og/web", mount_point="secret",
                                                            raise_on_deleted_version=True)["data"]["data"]["username"] == "deploy")
step("kv v1 read", client.secrets.kv.v1.read_secret(path="og/db", mount_point="kv")["data"]["username"] == "dbadmin")
step("missing secret is InvalidPath", raises(hvac.exceptions.InvalidPath, lambda: client.secrets.kv.v2.read_secret_version(
    path="og/none", mount_point="secret", raise_on_deleted_version=True)))

approle = hvac.Client(url=url, namespace=namespace)
unwrapped = approle.sys.unwrap(token=wrapping_token)["data"]["secret_id"]
step("unwrap gives the secret id", unwrapped == secret_id)
step("second unwrap is InvalidRequest", raises(hvac.exceptions.InvalidRequest, lambda: approle.sys.unwrap(token=wrapping_token)))
login = approle.auth.approle.login(role_id=role_id, secret_id=unwrapped)
step("approle login", login["auth"]["renewable"] and login["auth"]["lease_duration"] > 0 and approle.is_authenticated())
step("renew-self", approle.auth.token.renew_self()["auth"]["client_token"] == approle.token)
step("wrong role is InvalidRequest", raises(hvac.exceptions.InvalidRequest,
                                            lambda: hvac.Client(url=url, namespace=namespace).auth.approle.login(role_id="nope", secret_id=secret_id)))
step("bad token is Forbidden", raises(hvac.exceptions.Forbidden,
                                      lambda: hvac.Client(url=url, token="bad", namespace=namespace).auth.token.lookup_self()))
step("wrong namespace finds nothing", not hvac.Client(url=url, token=token, namespace="other").is_authenticated())
print("hvac check passed")

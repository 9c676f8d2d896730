#!/usr/bin/env bash
# Issues one certificate from a private Pebble (PEBBLE_VA_NOSLEEP=1, no nonce
# rejection, no authorization reuse, so every run validates afresh) two ways,
# timed with hyperfine in one run (issue 12):
#   og-host   og-host cert issue (new key + CSR on the gateway, order persisted,
#             http-01 token written into the nginx webroot over the endpoint's
#             connection, finalize, download, sealed into the vault)
#   certbot   certbot certonly --webroot --force-renewal (certbot from PyPI in a
#             virtualenv under /tmp), same key type (ECDSA P-256), same webroot
# Both accounts are registered before timing. A private nginx serves the webroot
# on Pebble's http-01 port; pebble-challtestsrv resolves every name to 127.0.0.1.
#
# Needs the Debian packages pebble, nginx, openssl, curl, hyperfine, python3-venv,
# network access to PyPI for the first run, and og-host with the nginx plugin:
#   swift build -c release --product og-host --product og-host-cli --product og-plugin-nginx
# Usage: bench/acme-issue.sh [runs] [directory holding og-host and libog-plugin-nginx.so]
set -euo pipefail

runs=${1:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
products=${2:-$here/.build/release}
nginx=/usr/sbin/nginx
for tool in pebble pebble-challtestsrv "$nginx" openssl curl hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: install its Debian package" >&2; exit 1; }
done
for product in og-host libog-host-cli.so libog-plugin-nginx.so; do
    [ -e "$products/$product" ] || { echo "$products/$product is missing: swift build -c release --product og-host --product og-host-cli --product og-plugin-nginx" >&2; exit 1; }
done

venv=/tmp/og-bench-certbot-venv
if [ ! -x "$venv/bin/certbot" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet certbot
fi

work=$(mktemp -d /tmp/og-bench-acme-XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }
acme_port=$(free_port); mgmt_port=$(free_port); dns_port=$(free_port); chall_mgmt=$(free_port)
http_port=$(free_port); tls_port=$(free_port)
name=bench.example.test
chmod 755 "$work"   # nginx workers (nobody) read the webroot
mkdir -p "$work"/{www,tmp,logs,run,ssl,certbot/config,certbot/work,certbot/logs,og/plugins,og/data}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout "$work/pebble.key" \
    -out "$work/pebble.pem" -subj "/CN=pebble" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout "$work/ssl/site.key" \
    -out "$work/ssl/site.pem" -subj "/CN=$name" -addext "subjectAltName=DNS:$name" 2>/dev/null
cat > "$work/pebble.json" <<CONFIG
{"pebble": {"listenAddress": "127.0.0.1:$acme_port", "managementListenAddress": "127.0.0.1:$mgmt_port",
 "certificate": "$work/pebble.pem", "privateKey": "$work/pebble.key", "httpPort": $http_port, "tlsPort": $(free_port),
 "ocspResponderURL": "", "externalAccountBindingRequired": false}}
CONFIG
pebble-challtestsrv -dns01 "127.0.0.1:$dns_port" -http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$chall_mgmt" \
    -defaultIPv6 "" > "$work/logs/challtestsrv.log" 2>&1 &
pids+=($!)
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
    pebble -config "$work/pebble.json" -dnsserver "127.0.0.1:$dns_port" > "$work/logs/pebble.log" 2>&1 &
pids+=($!)

cat > "$work/nginx.conf" <<CONFIG
worker_processes 1;
pid $work/run/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    access_log off;
    server {
        listen 127.0.0.1:$http_port;
        server_name $name;
        root $work/www;
    }
    server {
        listen 127.0.0.1:$tls_port ssl;
        server_name $name;
        ssl_certificate $work/ssl/site.pem;
        ssl_certificate_key $work/ssl/site.key;
        root $work/www;
    }
}
CONFIG
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
wait_port "$acme_port"; wait_port "$http_port"; wait_port "$tls_port"

directory=https://127.0.0.1:$acme_port/dir
export OG_DATA_DIR=$work/og/data OG_PLUGIN_PATH=$work/og/plugins
cp "$products/libog-plugin-nginx.so" "$OG_PLUGIN_PATH/"
"$products/og-host" plugins manifest "$OG_PLUGIN_PATH/libog-plugin-nginx.so" >/dev/null
"$products/og-host" tls add nginx --name web --connection_type local --nginx_config_path "$work/nginx.conf" \
    --nginx_prefix "$work" --nginx_binary "$nginx" --nginx_error_log "$work/logs/error.log" >/dev/null
"$products/og-host" issuer add acme --name pebble --directory "$directory" --ca-bundle "$work/pebble.pem" --agree-tos >/dev/null

export REQUESTS_CA_BUNDLE=$work/pebble.pem
certbot_common=(--non-interactive --server "$directory" --config-dir "$work/certbot/config"
                --work-dir "$work/certbot/work" --logs-dir "$work/certbot/logs")
"$venv/bin/certbot" register --agree-tos --register-unsafely-without-email "${certbot_common[@]}" >/dev/null 2>&1

export work name venv og_host=$products/og-host directory
cat > "$work/og-host.sh" <<'OGHOST'
"$og_host" cert issue bench --issuer pebble --cn "$name" --key ec-p256 --challenge http-01 --challenge-endpoint web \
    --webroot "$work/www" >/dev/null
OGHOST
cat > "$work/certbot.sh" <<'CERTBOT'
"$venv/bin/certbot" certonly --webroot -w "$work/www" -d "$name" --cert-name bench --key-type ecdsa \
    --elliptic-curve secp256r1 --force-renewal --non-interactive --server "$directory" --config-dir "$work/certbot/config" \
    --work-dir "$work/certbot/work" --logs-dir "$work/certbot/logs" >/dev/null 2>&1
CERTBOT
# Fail loudly before timing if either cannot issue.
bash -e "$work/og-host.sh"
bash -e "$work/certbot.sh" || { tail -20 "$work/certbot/logs/letsencrypt.log" >&2; exit 1; }

hyperfine --warmup 1 --runs "$runs" --export-json "$work/results.json" \
    -n og-host "bash -e $work/og-host.sh" \
    -n certbot "bash -e $work/certbot.sh"

python3 - "$work/results.json" <<'RATIOS'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print()
for name, r in results.items():
    print(f"{name:8} mean {r['mean'] * 1000:8.1f} ms  median {r['median'] * 1000:8.1f} ms")
print(f"og-host / certbot = {results['og-host']['median'] / results['certbot']['median']:.2f} (medians)")
RATIOS

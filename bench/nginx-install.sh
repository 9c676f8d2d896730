#!/usr/bin/env bash
# Installs a certificate into one private nginx instance three ways, timed with
# hyperfine in one run (issue 6):
#   og-host     og-host tls install (backup, journal, write, nginx -t, key check,
#               reload, TLS handshake until the new leaf is served)
#   certbot     certbot install --nginx (certbot and certbot-nginx from PyPI in a
#               virtualenv under /tmp), --nginx-server-root on the private instance,
#               --nginx-sleep-seconds 0; it edits the configuration and reloads but
#               does not check what is served
#   script      the minimum: copy the files, nginx -t, nginx -s reload, then
#               openssl s_client until the new certificate is served
# Every run starts from the same served certificate and configuration and
# installs a new leaf, so each run really changes what nginx serves.
#
# Needs the Debian packages nginx, openssl, hyperfine and python3-venv, network
# access to PyPI for the first run, and a built og-host with the nginx plugin:
#   swift build -c release --product og-host --product og-host-cli --product og-plugin-nginx
# Usage: bench/nginx-install.sh [runs] [directory holding og-host and libog-plugin-nginx.so]
#        (default: $OG_BENCH_BIN, else .build/release; bench/release-build.sh builds into .build-bench/release)
set -euo pipefail

runs=${1:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
products=${2:-${OG_BENCH_BIN:-$here/.build/release}}
nginx=/usr/sbin/nginx
for tool in "$nginx" openssl hyperfine python3; do
    if ! command -v "$tool" >/dev/null; then
        case $tool in
            "$nginx") package=nginx ;;
            python3) package=python3-venv ;;
            *) package=$tool ;;
        esac
        echo "$tool is missing: install the Debian package $package" >&2
        exit 1
    fi
done
for product in og-host libog-host-cli.so libog-plugin-nginx.so; do
    if [ ! -e "$products/$product" ]; then
        echo "$products/$product is missing: build it with swift build -c release --product og-host --product og-host-cli --product og-plugin-nginx" >&2
        exit 1
    fi
done

venv=/tmp/og-bench-certbot-venv
# A venv holding certbot without its nginx plugin (an interrupted or older set-up) made
# `certbot install --nginx` exit 2 ("unrecognized arguments: --nginx-server-root ...").
if ! "$venv/bin/python" -c 'import certbot, certbot_nginx' 2>/dev/null; then
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet certbot certbot-nginx
fi

work=$(mktemp -d /tmp/og-bench-nginx-XXXXXX)
nginx_pid=
cleanup() {
    if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
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
port=$(free_port)
name=bench.example.test
pki=$work/pki
mkdir -p "$pki" "$work"/{tmp,logs,run,ssl,certbot/config,certbot/work,certbot/logs,og/plugins,og/data}

# A root, and two leaves for the name that the runs alternate between.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/root.key" -out "$pki/root.pem" \
    -days 2 -subj "/CN=og-bench Root" 2>/dev/null
for leaf in a initial; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$leaf.key" -out "$pki/$leaf.csr" \
        -subj "/CN=$name" 2>/dev/null
    printf 'subjectAltName=DNS:%s\n' "$name" > "$pki/san.ext"
    openssl x509 -req -in "$pki/$leaf.csr" -CA "$pki/root.pem" -CAkey "$pki/root.key" -CAcreateserial \
        -out "$pki/$leaf.pem" -days 2 -extfile "$pki/san.ext" 2>/dev/null
    cat "$pki/$leaf.pem" "$pki/root.pem" > "$pki/$leaf.fullchain.pem"
    openssl x509 -in "$pki/$leaf.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f > "$pki/$leaf.sha256"
done
cp "$pki/initial.pem" "$work/ssl/site.pem"
cp "$pki/initial.key" "$work/ssl/site.key"

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
        listen 127.0.0.1:$port ssl;
        server_name $name;
        ssl_certificate $work/ssl/site.pem;
        ssl_certificate_key $work/ssl/site.key;
        location / { return 200 "bench\n"; }
    }
}
CONFIG
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

# The fingerprint of the leaf nginx serves; a script, because hyperfine runs
# commands through sh, which does not pass exported bash functions on.
cat > "$work/served.sh" <<'SERVED'
openssl s_client -connect "127.0.0.1:$port" -servername "$name" </dev/null 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2 | tr -d : | tr A-F a-f
SERVED
export work port name pki nginx venv

# Each tool repoints the server block at its own files, so before every run the
# original configuration and certificate are put back and served again
# (hyperfine's --prepare, not timed); every run then installs leaf "a".
cp "$work/nginx.conf" "$work/nginx.conf.original"
cat > "$work/prepare.sh" <<'PREPARE'
set -e
cp "$work/nginx.conf.original" "$work/nginx.conf"
cp "$pki/initial.pem" "$work/ssl/site.pem"
cp "$pki/initial.key" "$work/ssl/site.key"
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -s reload
want=$(cat "$pki/initial.sha256")
for _ in $(seq 600); do [ "$(bash "$work/served.sh")" = "$want" ] && exit 0; sleep 0.05; done
echo "nginx did not serve the initial certificate again" >&2; exit 1
PREPARE

cat > "$work/minimal.sh" <<'MINIMAL'
set -e
leaf=a
cp "$pki/$leaf.fullchain.pem" "$work/ssl/site.pem"
cp "$pki/$leaf.key" "$work/ssl/site.key"
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -t -q
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" -s reload
want=$(cat "$pki/$leaf.sha256")
for _ in $(seq 600); do [ "$(bash "$work/served.sh")" = "$want" ] && exit 0; sleep 0.05; done
echo "nginx did not serve the new certificate within 30 s" >&2; exit 1
MINIMAL

export OG_DATA_DIR=$work/og/data OG_PLUGIN_PATH=$work/og/plugins
cp "$products/libog-plugin-nginx.so" "$OG_PLUGIN_PATH/"
"$products/og-host" plugins manifest "$OG_PLUGIN_PATH/libog-plugin-nginx.so" >/dev/null
"$products/og-host" tls add nginx --name bench --connection_type local --nginx_config_path "$work/nginx.conf" \
    --nginx_prefix "$work" --nginx_binary "$nginx" --nginx_error_log "$work/logs/error.log" >/dev/null
export og_host=$products/og-host
cat > "$work/og-host.sh" <<'OGHOST'
set -e
leaf=a
"$og_host" tls install bench --cert "$pki/$leaf.pem" --key "$pki/$leaf.key" --chain "$pki/root.pem" >/dev/null
OGHOST

# certbot edits the server block to point at the paths it is given; its own words go to
# a log that is shown when it fails (hyperfine then stops).
cat > "$work/certbot.sh" <<'CERTBOT'
set -e
leaf=a
if ! "$venv/bin/certbot" install --nginx --nginx-server-root "$work" --nginx-ctl "$nginx" --nginx-sleep-seconds 0 \
    --non-interactive --config-dir "$work/certbot/config" --work-dir "$work/certbot/work" --logs-dir "$work/certbot/logs" \
    --cert-path "$pki/$leaf.pem" --key-path "$pki/$leaf.key" \
    --fullchain-path "$pki/$leaf.fullchain.pem" --chain-path "$pki/root.pem" -d "$name" >"$work/certbot.out" 2>&1; then
    echo "certbot failed:" >&2; tail -5 "$work/certbot.out" >&2; exit 1
fi
CERTBOT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/results.json" \
    --prepare "bash $work/prepare.sh" \
    -n og-host "bash $work/og-host.sh" \
    -n certbot "bash $work/certbot.sh" \
    -n script "bash $work/minimal.sh"

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/results.json" <<'RATIOS'
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
print()
for name, mean in results.items():
    print(f"{name:8} mean {mean * 1000:8.1f} ms")
print(f"og-host / script  = {results['og-host'] / results['script']:.2f}")
print(f"certbot / script  = {results['certbot'] / results['script']:.2f}")
print(f"og-host / certbot = {results['og-host'] / results['certbot']:.2f}")
RATIOS

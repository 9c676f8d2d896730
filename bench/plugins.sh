#!/usr/bin/env bash
# How fast og-host lists plugins and prints a type's generated help, with every
# plugin of this repository present, release build. Manifests make both
# independent of how many libraries there are; the "no manifests" run shows
# what they save (each library is then described in a child og-host).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/release-build.sh
install -d -m 0755 "$work/plugins.d" "$work/bare.d"
for lib in "$bin"/libog-plugin-*.so; do install -m 0755 "$lib" "$work/plugins.d/"; install -m 0755 "$lib" "$work/bare.d/"; done
cc -std=c11 -O2 -I SDK/include -shared -fPIC -o "$work/plugins.d/libog-plugin-hello-c.so" SDK/examples/hello-c/hello_c.c
cp "$work/plugins.d/libog-plugin-hello-c.so" "$work/bare.d/"
"$bin/og-host" plugins manifest "$work"/plugins.d/*.so >/dev/null
export OG_DATA_DIR="$work/data"
echo "plugins: $(ls "$work/plugins.d" | grep -c '\.so$') libraries"
# certbot (PyPI, in a virtualenv) lists its installer/authenticator plugins: the
# command a certbot user runs for the same question.
venv=/tmp/og-bench-certbot-venv
if [ ! -x "$venv/bin/certbot" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet certbot certbot-nginx >&2
fi
compare "${OG_BENCH_RUNS:-30}" \
  "plugins list (manifests)" "OG_PLUGIN_PATH=$work/plugins.d $bin/og-host plugins list" \
  "tls add p12 --help (manifests)" "OG_PLUGIN_PATH=$work/plugins.d $bin/og-host tls add p12 --help" \
  "plugins list (no manifests)" "OG_PLUGIN_PATH=$work/bare.d $bin/og-host plugins list" \
  "certbot plugins" "$venv/bin/certbot plugins --config-dir $work/certbot --work-dir $work/certbot --logs-dir $work/certbot"

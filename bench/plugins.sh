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
# The floor under `plugins list`: programs that do nothing, linked like the
# og-host executable (its DT_NEEDED list, read from the binary, so they follow
# its links): the dynamic loader's work for those libraries, plus, for the Swift
# one, the Swift runtime's start. `ldd "$bin/og-host"` lists what that maps.
# Every other command loads libog-host-cli.so (Foundation, OpenSSL, SQLite,
# libssh2, ...); `og-host --version` shows what that costs a start.
swiftlib=$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/swift/linux
needed=$(readelf -d "$bin/og-host" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
echo 'int main(void) { return 0; }' > "$work/empty.c"
echo 'print("", terminator: "")' > "$work/empty.swift"
cc -O2 -o "$work/empty-c" "$work/empty.c"
# shellcheck disable=SC2046
cc -O2 -o "$work/empty-c-linked" "$work/empty.c" -Wl,--no-as-needed -L"$swiftlib" -Wl,-rpath,"$swiftlib" \
  $(for lib in $needed; do printf -- '-l:%s ' "$lib"; done)
# shellcheck disable=SC2046
swiftc -O -o "$work/empty-swift-linked" "$work/empty.swift" -Xlinker --no-as-needed \
  $(for lib in $needed; do printf -- '-Xlinker -l:%s ' "$lib"; done) 2>/dev/null
echo "og-host links: $(echo $needed | tr '\n' ' ') ($(ldd "$bin/og-host" | grep -c '=>') libraries mapped)"
compare "${OG_BENCH_RUNS:-30}" \
  "plugins list (manifests)" "OG_PLUGIN_PATH=$work/plugins.d $bin/og-host plugins list" \
  "empty C program" "$work/empty-c" \
  "empty C program linked like og-host" "$work/empty-c-linked" \
  "empty Swift program linked like og-host" "$work/empty-swift-linked" \
  "og-host --version (loads libog-host-cli.so)" "$bin/og-host --version" \
  "tls add p12 --help (manifests)" "OG_PLUGIN_PATH=$work/plugins.d $bin/og-host tls add p12 --help" \
  "plugins list (no manifests)" "OG_PLUGIN_PATH=$work/bare.d $bin/og-host plugins list" \
  "certbot plugins" "$venv/bin/certbot plugins --config-dir $work/certbot --work-dir $work/certbot --logs-dir $work/certbot"

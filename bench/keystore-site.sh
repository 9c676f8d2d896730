# Sourced (after bench/release-build.sh) by the keystore benches: a plugins.d in
# $work holding the keystore plugin, OG_DATA_DIR/OG_PLUGIN_PATH/BENCH_PASS
# exported, and in $work (which becomes the working directory) a CA (ca.pem),
# a leaf for bench.test (leaf.pem, leaf.key) and a PKCS#12 store holding one
# entry, 'seed' (store.p12).
install -d -m 0755 "$work/plugins.d"
install -m 0755 "$bin/libog-plugin-keystore.so" "$work/plugins.d/"
"$bin/og-host" plugins manifest "$work/plugins.d/libog-plugin-keystore.so" >/dev/null
export OG_DATA_DIR="$work/data" OG_PLUGIN_PATH="$work/plugins.d" BENCH_PASS="bench-$$-pass"
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=bench CA" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=bench.test 2>/dev/null
printf 'subjectAltName=DNS:bench.test\n' > san.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out leaf.pem 2>/dev/null
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem -name seed -out store.p12 -passout env:BENCH_PASS

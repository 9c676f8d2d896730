# Sourced (after bench/release-build.sh, with $endpoints set) by the benches of
# PEM endpoints over SSH: a plugins.d in $work holding the keystore plugin,
# OG_DATA_DIR/OG_PLUGIN_PATH exported, a private sshd on 127.0.0.1
# (bench/loopback-sshd.sh; $sshd_port, $sshd_fingerprint, stopped on exit),
# and in $work (which becomes the working directory) a CA (ca.pem) and a leaf
# for site.example.test (site.pem, site.key) imported as the managed
# certificate `site`, and endpoints e1..e$endpoints of type pem logging in as
# root, each a directory $work/og/eN, already installed once (so bound to
# `site`). Sets og to the og-host binary.
og="$bin/og-host"
chmod 0755 "$work"
install -d -m 0755 "$work/plugins.d"
install -m 0755 "$bin/libog-plugin-keystore.so" "$work/plugins.d/"
"$og" plugins manifest "$work/plugins.d/libog-plugin-keystore.so" >/dev/null
export OG_DATA_DIR="$work/og-data" OG_PLUGIN_PATH="$work/plugins.d"
source bench/loopback-sshd.sh
trap 'stop_loopback_sshd; rm -rf "$work"' EXIT
start_loopback_sshd "$work"

cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=og-bench CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout site.key -out site.csr -subj "/CN=site.example.test" 2>/dev/null
printf 'subjectAltName=DNS:site.example.test\n' > site.ext
openssl x509 -req -in site.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out site.pem -days 10 -extfile site.ext 2>/dev/null
"$og" ca add ca.pem --name bench-ca >/dev/null
"$og" cert import --cert site.pem --key site.key --name site >/dev/null
for i in $(seq "$endpoints"); do
    mkdir -p "$work/og/e$i"
    : > "$work/og/e$i/cert.pem"   # the pem type wants its file to exist
    "$og" tls add pem --name "e$i" --connection_type ssh --host 127.0.0.1 --port "$sshd_port" --user root \
        --ssh_key_path "$work/client_key" --host_key_fingerprint "$sshd_fingerprint" \
        --path "$work/og/e$i/cert.pem" --key_path "$work/og/e$i/key.pem" >/dev/null
done
# The first install of each endpoint binds the certificate to it.
"$og" tls install $(seq -f 'e%g' "$endpoints") --cert-id site >/dev/null

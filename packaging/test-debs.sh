#!/usr/bin/env bash
# Proves the Debian packages on a Debian 12 system that has never seen a Swift
# toolchain: makes a minimal root with debootstrap in a scratch folder (while
# the release build runs), installs the .debs there with dpkg, and runs og-host
# inside with chroot. Prints one "packaging test: PASS|FAIL" summary line and
# exits non-zero on any failed check. Needs root (debootstrap, chroot, mount).
#
# Environment:
#   OG_DEBIAN_MIRROR   Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   OG_PKG_BASE_ROOT   an existing debootstrap root to copy instead of making one
#                      (for repeated local runs; CI makes a fresh one each run)
#   OG_PKG_SKIP_BUILD  1: package the existing release build
#   OG_PKG_KEEP        1: keep the scratch folder for inspection
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
if [ "$(id -u)" != 0 ]; then
  echo "packaging test: FAIL (needs root for debootstrap and chroot)"
  exit 1
fi
for tool in debootstrap chroot openssl keytool cc; do
  command -v "$tool" >/dev/null || { echo "packaging test: FAIL ($tool is missing; see .ci/packages)"; exit 1; }
done
started=$(date +%s)
scratch=$(mktemp -d /tmp/og-pkg-test-XXXXXX)
root="$scratch/root"
debs="$scratch/debs"

cleanup() {
  # Never delete through a mounted /proc: unmount first, and keep the folder if that fails.
  if mountpoint -q "$root/proc" 2>/dev/null; then umount "$root/proc" || umount -l "$root/proc" || true; fi
  if [ -n "${bootstrap_pid:-}" ]; then kill "$bootstrap_pid" 2>/dev/null || true; wait "$bootstrap_pid" 2>/dev/null || true; fi
  if findmnt -rn -o TARGET | grep "^$root" >/dev/null; then
    echo "packaging: $root still has mounts; left in place" >&2
  elif [ "${OG_PKG_KEEP:-0}" = 1 ]; then
    echo "packaging: kept $scratch" >&2
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so an interrupted run still unmounts and removes its root

# 1. The Debian root, in the background: it waits on the network, the build on the CPU.
packages=libssl3,libssh2-1,libcurl4,libsqlite3-0,gcc,libc6-dev,pkg-config
if [ -n "${OG_PKG_BASE_ROOT:-}" ]; then
  cp -a "$OG_PKG_BASE_ROOT" "$root"
else
  echo "packaging: debootstrap bookworm (minbase + $packages) into $root" >&2
  debootstrap --variant=minbase --include="$packages" bookworm "$root" \
    "${OG_DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$scratch/debootstrap.log" 2>&1 &
  bootstrap_pid=$!
fi

# 2. The packages, and a plugin package for a future ABI major (test fixture only).
build_start=$(date +%s)
bash packaging/build-debs.sh "$debs"
build_seconds=$(( $(date +%s) - build_start ))
future="$scratch/future"
install -d -m 0755 "$future/DEBIAN" "$future/usr/lib/og-host/plugins.d"
cc -std=c11 -Wall -Wextra -Werror -ISDK/include -shared -fPIC \
  -o "$future/usr/lib/og-host/plugins.d/libog-plugin-future.so" packaging/test/future_abi.c
chmod 0644 "$future/usr/lib/og-host/plugins.d/libog-plugin-future.so"
cat > "$future/DEBIAN/control" <<EOF
Package: og-host-plugin-future
Version: 2.0.0
Architecture: $(dpkg --print-architecture)
Maintainer: og-host developers <og-host@users.noreply.github.com>
Depends: og-host-abi-2
Description: test fixture: a plugin built for plugin ABI major 2
 Must be refused by a major-1 og-host, by dpkg and by the host itself.
EOF
future_deb=og-host-plugin-future_2.0.0_$(dpkg --print-architecture).deb
dpkg-deb --root-owner-group --build "$future" "$debs/$future_deb" >/dev/null

if [ -n "${bootstrap_pid:-}" ]; then
  if ! wait "$bootstrap_pid"; then
    bootstrap_pid=
    tail -20 "$scratch/debootstrap.log" >&2
    echo "packaging test: FAIL (debootstrap did not finish; see above)"
    exit 1
  fi
  bootstrap_pid=
fi
bootstrap_done=$(date +%s)
mount -t proc proc "$root/proc"
mkdir -p "$root/tmp/debs" && cp "$debs"/*.deb "$root/tmp/debs/"

# --- checks ------------------------------------------------------------------
passed=0
failures=()
check() {  # check "what" command...: runs it with errexit, records ok/not ok with its output
  local what=$1 output rc; shift
  set +e
  output=$(set -e; "$@" 2>&1)
  rc=$?
  set -e
  if [ $rc = 0 ]; then
    passed=$((passed + 1)); echo "ok - $what"
    # The tail of what it printed, as evidence in the log.
    [ -z "$output" ] || printf '%s\n' "$output" | tail -"${OG_PKG_SHOW_LINES:-6}" | sed 's/^/    | /'
  else
    failures+=("$what"); echo "not ok - $what"
    printf '%s\n' "$output" | tail -40 | sed 's/^/    /'
  fi
}
# Runs a command inside the root with a clean environment (no toolchain on PATH).
inroot() {
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEMO_STORE_PASS="${DEMO_STORE_PASS:-}" "$@"
}
og() { inroot og-host "$@"; }
# Asserts a Python expression over `p` (plugin name -> entry of `og-host plugins list --output json`).
expect_plugins() {
  og plugins list --output json | python3 -c '
import json, sys
p = {e["name"]: e for e in json.load(sys.stdin)}
if not eval(" ".join(sys.argv[1].split())):
    print("expected:", sys.argv[1]); print(json.dumps(p, indent=1)); sys.exit(1)
' "$1"
}
packaged=$(for f in "$debs"/og-host-plugin-*.deb; do dpkg-deb -f "$f" Package; done | sed 's/^og-host-plugin-//' | grep -vx future)
py_names() { printf '"%s",' "$@"; }

install_all() { inroot sh -c 'dpkg -i $(ls /tmp/debs/og-host*.deb | grep -v plugin-future)'; }
check "dpkg -i installs og-host, every plugin package and og-host-sdk" install_all

no_toolchain() {
  if inroot sh -c 'command -v swift || command -v swiftc'; then return 1; fi
  [ -z "$(find "$root" -xdev -name 'libswift*.so' ! -path "$root/usr/lib/og-host/runtime/*" ! -path "$root/tmp/*")" ]
}
check "no Swift toolchain in the root; the Swift runtime only in /usr/lib/og-host/runtime" no_toolchain

libraries_resolve() {
  for f in /usr/bin/og-host /usr/lib/og-host/libog-host-cli.so "$root"/usr/lib/og-host/plugins.d/*.so; do
    f=${f#"$root"}
    local libs; libs=$(inroot ldd "$f")
    if grep "not found" <<<"$libs"; then return 1; fi
    grep -q "libswiftCore.so => /usr/lib/og-host/runtime/libswiftCore.so" <<<"$libs"
  done
}
check "og-host, its command library and every plugin resolve every library inside the root (Swift runtime from /usr/lib/og-host/runtime)" libraries_resolve

# The root was made with the libraries og-host needs, so dpkg -i alone would not
# notice a missing Depends: check that every library each installed ELF file
# needs comes from the package itself, from a package it depends on, or (Swift
# runtime) from og-host through og-host-swift-runtime-<version>.
depends_complete() {
  local pkg file soname path owner deps libs
  for pkg in $(inroot dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'og-host*' | awk '$1 == "ii" { print $2 }'); do
    deps=" $(inroot dpkg-query -W -f '${Depends}' "$pkg" | tr ',|' '\n\n' | sed 's/(.*)//; s/ //g' | tr '\n' ' ') "
    for file in $(inroot dpkg -L "$pkg"); do
      [ -f "$root$file" ] && [ ! -L "$root$file" ] || continue
      [ "$(head -c4 "$root$file" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
      libs=$(inroot ldd "$file")
      for soname in $(readelf -d "$root$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        # "soname => path (addr)", or "path (addr)" for the dynamic loader.
        path=$(awk -v s="$soname" '$1 == s && $2 == "=>" { print $3 } substr($1, length($1) - length(s)) == "/" s { print $1 }' <<<"$libs" | head -1)
        [ -n "$path" ] || { echo "$file: $soname does not resolve"; return 1; }
        case "$path" in
          /usr/lib/og-host/runtime/*)
            [ "$pkg" = og-host ] || [[ "$deps" == *" og-host-swift-runtime-"* ]] \
              || { echo "$pkg: $file needs $path but does not depend on og-host-swift-runtime-*"; return 1; }
            continue;;
        esac
        owner=$(inroot dpkg -S "$path" 2>/dev/null || inroot dpkg -S "/usr${path#/usr}" 2>/dev/null || inroot dpkg -S "${path#/usr}" 2>/dev/null) \
          || { echo "$file: no package owns $path"; return 1; }
        owner=${owner%%:*}
        [ "$owner" = "$pkg" ] || [[ "$deps" == *" $owner "* ]] \
          || { echo "$pkg: $file needs $soname from $owner, which is not in Depends:$deps"; return 1; }
      done
    done
    echo "$pkg: Depends:$deps cover its ELF files"
  done
  # libcurl is dlopen()ed on first HTTP use, invisible to the loop above.
  if grep -qa 'libcurl\.so\.4' "$root/usr/bin/og-host" "$root/usr/lib/og-host/libog-host-cli.so"; then
    inroot dpkg-query -W -f '${Depends}\n' og-host | grep 'libcurl4' >/dev/null
    inroot /sbin/ldconfig -p | grep 'libcurl\.so\.4 ' >/dev/null
    echo "og-host: dlopen()s libcurl.so.4; Depends names libcurl4 and the root has it"
  fi
}
check "Depends of every package cover the libraries its ELF files need" depends_complete

version_or_help() {
  local printed
  if printed=$(og --version); then
    echo "$printed"
    # The package version is the one the binary reports.
    [ "$(sed -n 's/^og-host //p' <<<"$printed" | head -1)" = "$(inroot dpkg-query -W -f '${Version}' og-host)" ]
  else
    og --help
  fi
}
check "og-host --version matches the package version (where --version is absent: --help)" version_or_help

packaged_listed() {
  expect_plugins "all(n in p and p[n]['status'] == 'available' and p[n]['path'] == '/usr/lib/og-host/plugins.d/libog-plugin-%s.so' % n
                      and 'reason' not in p[n] for n in [$(py_names $packaged)])"
  og plugins list
}
check "plugins list: every packaged plugin available from /usr/lib/og-host/plugins.d, described by its manifest" packaged_listed

modes() {
  [ "$(stat -c %U:%a "$root/var/lib/og-host")" = root:700 ]
  for f in "$root"/usr/lib/og-host/plugins.d "$root"/usr/lib/og-host/plugins.d/*; do
    case "$(stat -c %U:%a "$f")" in root:755|root:644) ;; *) stat -c "%n %U %a" "$f"; return 1;; esac
  done
}
check "plugin files root-owned, not group/other-writable; /var/lib/og-host root 0700" modes

docs() {
  zcat "$root/usr/share/man/man1/og-host.1.gz" | grep '^\.Nm og-host' >/dev/null
  grep -q og-host "$root/usr/share/bash-completion/completions/og-host"
  test -s "$root/usr/share/zsh/vendor-completions/_og-host"
  test -s "$root/usr/share/fish/vendor_completions.d/og-host.fish"
}
check "man page and bash/zsh/fish completions installed" docs

daemon_unit() {
  local unit="$root/lib/systemd/system/og-host.service"
  grep -qx 'Type=notify' "$unit"
  grep -qx 'StateDirectory=og-host' "$unit"
  grep -qx 'NoNewPrivileges=yes' "$unit"
  grep -q '^ExecStart=/usr/bin/og-host serve --config /etc/og-host/serve.json' "$unit"
  [ "$(stat -c %U:%a "$root/etc/og-host/serve.json")" = root:600 ]
  grep -qx /etc/og-host/serve.json "$root/var/lib/dpkg/info/og-host.conffiles"
  # The shipped configuration is one the daemon accepts: serve starts on it (no
  # systemd in the root: no notify socket), answers /healthz, and stops on SIGTERM.
  chroot "$root" sh -c 'OG_DATA_DIR=/var/lib/og-host og-host serve --config /etc/og-host/serve.json --listen 127.0.0.1:19464 \
      > /tmp/serve.log 2>&1 & pid=$!
    for i in $(seq 100); do og-host status | grep -q "running (PID $pid)" && break; sleep 0.1; done
    og-host status | grep -q "running (PID $pid)" || { cat /tmp/serve.log; exit 1; }
    kill -TERM $pid; wait $pid'
}
check "the systemd unit (Type=notify, StateDirectory, hardening) and serve.json conffile are installed; serve runs on the shipped configuration" daemon_unit

check "og-host plugin check passes on the installed keystore plugin" \
  og plugin check /usr/lib/og-host/plugins.d/libog-plugin-keystore.so

# The README demo job (.ci/demo) against keystores: the keystores, the demo CA and its
# signature are made outside with openssl/keytool (tools the root lacks on purpose);
# everything og-host does runs inside, on the default data directory /var/lib/og-host.
demo_in=/srv/og-demo
demo="$root$demo_in"
export DEMO_STORE_PASS="demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
demo_job() {
  install -d -m 0700 "$demo"
  cd "$demo"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 7 \
    -subj "/CN=og-host demo CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout old.key -out old.pem -days 7 -subj "/CN=old.example.test" 2>/dev/null
  openssl pkcs12 -export -in old.pem -inkey old.key -name legacy-app -out app.p12 -passout env:DEMO_STORE_PASS
  keytool -genkeypair -alias legacy-app -keyalg RSA -keysize 2048 -dname CN=old.example.test -validity 7 \
    -keystore app.jks -storetype JKS -storepass:env DEMO_STORE_PASS -keypass:env DEMO_STORE_PASS 2>/dev/null
  og tls add p12 --name demo-p12 --connection_type local --path "$demo_in/app.p12" --store_password env:DEMO_STORE_PASS
  og tls add jks --name demo-jks --connection_type local --path "$demo_in/app.jks" --store_password env:DEMO_STORE_PASS
  og cert request --name demo --key ec-p256 --cn demo.example.test --san-dns demo.example.test --out "$demo_in/demo.csr"
  printf 'subjectAltName=DNS:demo.example.test\n' > san.ext
  openssl x509 -req -in demo.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 -extfile san.ext -out demo.pem 2>/dev/null
  og ca add "$demo_in/ca.pem" --name demo-ca
  og cert import demo --cert "$demo_in/demo.pem"
  og tls install demo-p12 --cert-id demo --alias demo --dry-run
  og tls install demo-p12 --cert-id demo --alias demo
  og tls install demo-jks --cert-id demo --alias demo
  og tls nodes demo-jks
  # What Java's keytool and OpenSSL see: the old entry kept, the new one added.
  printf '%s' "$DEMO_STORE_PASS" > storepass
  keytool -list -keystore app.jks -storetype JKS -storepass:file storepass > jks.txt
  grep -q '^demo,' jks.txt && grep -q '^legacy-app,' jks.txt
  openssl pkcs12 -in app.p12 -passin file:storepass -nokeys > p12.txt 2>/dev/null
  grep -q 'friendlyName: demo' p12.txt && grep -q 'friendlyName: legacy-app' p12.txt
  grep -q 'subject=CN = demo.example.test' p12.txt
}
check "README demo job inside the root: both keystores gain the gateway's key and certificate" demo_job

c_plugin() {
  inroot sh -ec '
    install -d -m 0755 /usr/local/lib/og-host/plugins.d
    cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags og-plugin) -shared -fPIC \
      -o /usr/local/lib/og-host/plugins.d/libog-plugin-hello-c.so /usr/share/doc/og-host-sdk/examples/hello-c/hello_c.c
    og-host plugins manifest /usr/local/lib/og-host/plugins.d/libog-plugin-hello-c.so
    og-host plugin check /usr/local/lib/og-host/plugins.d/libog-plugin-hello-c.so'
  expect_plugins "p['hello-c']['status'] == 'available' and p['hello-c']['path'].startswith('/usr/local/lib/og-host/plugins.d/')
                  and all(p[n]['status'] == 'available' for n in [$(py_names $packaged)])"
}
check "a C plugin built inside the root with cc \$(pkg-config --cflags og-plugin) passes plugin check and loads beside the packaged ones" c_plugin

# An upgrade (the same og-host repacked at a higher version) and a reinstall of a
# plugin must leave state untouched, including a mode the operator chose.
state_digest() {
  (cd "$root/var/lib/og-host" && { find . -printf '%p %m %U %s %T@\n' | sort; find . -type f -exec sha256sum {} + | sort; })
}
upgrade_keeps_state() {
  local up="$scratch/upgrade" before
  dpkg-deb -R "$(ls "$debs"/og-host_*.deb)" "$up"
  sed -i 's/^Version: .*/&+upgrade1/' "$up/DEBIAN/control"
  dpkg-deb --root-owner-group -Znone -b "$up" "$root/tmp/og-host-upgrade.deb" >/dev/null
  rm -rf "$up"
  chmod 0750 "$root/var/lib/og-host"
  before=$(state_digest)
  # A statoverride that would make the plugin group-writable: the plugin's postinst restores the trust rule.
  inroot dpkg-statoverride --add root root 0664 /usr/lib/og-host/plugins.d/libog-plugin-keystore.so
  inroot sh -c 'dpkg -i /tmp/og-host-upgrade.deb /tmp/debs/og-host-plugin-keystore_*.deb'
  inroot dpkg-statoverride --remove /usr/lib/og-host/plugins.d/libog-plugin-keystore.so
  [ "$(stat -c %U:%a "$root/usr/lib/og-host/plugins.d/libog-plugin-keystore.so")" = root:644 ]
  inroot dpkg-query -W -f '${Version}\n' og-host | grep '+upgrade1$'
  [ "$(stat -c %a "$root/var/lib/og-host")" = 750 ]
  [ "$before" = "$(state_digest)" ] || { diff <(echo "$before") <(state_digest); return 1; }
  chmod 0700 "$root/var/lib/og-host"
  og tls list
}
check "upgrading og-host and reinstalling a plugin leave /var/lib/og-host untouched; the plugin postinst undoes a group-writable statoverride" upgrade_keeps_state

# A plugin for ABI major 2: apt refuses the package, dpkg refuses to configure it,
# and the host, finding its library anyway, refuses it with the reason.
apt_refuses() {
  if inroot apt-get install -y --no-download "/tmp/debs/$future_deb" > "$scratch/apt.log" 2>&1; then return 1; fi
  cat "$scratch/apt.log"
  grep -q 'og-host-abi-2' "$scratch/apt.log"
  [ ! -e "$root/usr/lib/og-host/plugins.d/libog-plugin-future.so" ]
}
check "apt-get refuses a plugin package that depends on og-host-abi-2 and installs nothing" apt_refuses
dpkg_refuses() {
  if inroot dpkg -i "/tmp/debs/$future_deb" > "$scratch/dpkg.log" 2>&1; then return 1; fi
  cat "$scratch/dpkg.log"
  grep -q 'og-host-abi-2' "$scratch/dpkg.log"
}
check "dpkg -i of that package fails on its og-host-abi-2 dependency" dpkg_refuses
host_refuses() {
  expect_plugins "p['future']['status'] == 'refused' and 'ABI' in p['future']['reason']
                  and all(p[n]['status'] == 'available' for n in [$(py_names $packaged)])"
  og plugins list | grep '^future'
  inroot dpkg --purge og-host-plugin-future
  [ ! -e "$root/usr/lib/og-host/plugins.d/libog-plugin-future.so" ]
}
check "the host refuses the unpacked major-2 library with the ABI reason, the others stay available; dpkg --purge removes it" host_refuses

# Footprint, measured while everything is installed.
footprint=$(inroot dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Installed-Size}\n' 'og-host*' | awk '$1 == "ii" { print $2, $3 }')
runtime_kb=$(du -sk "$root/usr/lib/og-host/runtime" | cut -f1)

remove_one=nginx
remove_plugin() {
  local files; files=$(inroot dpkg -L "og-host-plugin-$remove_one" | grep '^/usr/lib/og-host/plugins.d/.')
  [ -n "$files" ]
  inroot dpkg -r "og-host-plugin-$remove_one"
  for f in $files; do [ ! -e "$root$f" ]; done
  [ -d "$root/usr/lib/og-host/plugins.d" ] && [ -x "$root/usr/bin/og-host" ]
  local rest; rest=$(printf '%s\n' $packaged | grep -vx "$remove_one")
  expect_plugins "'$remove_one' not in p and all(p[n]['status'] == 'available' for n in [$(py_names $rest) 'hello-c'])"
  og tls nodes demo-jks
  og tls nodes demo-p12
}
check "dpkg -r og-host-plugin-$remove_one removes only its files; the rest stay listed and the demo endpoints work" remove_plugin

# --- figures and summary -----------------------------------------------------
echo "packaging figures:"
for f in "$debs"/og-host*.deb; do
  case "$f" in *plugin-future*) continue;; esac
  printf '  %-44s %8s KiB\n' "$(basename "$f")" "$(( ($(stat -c %s "$f") + 1023) / 1024 ))"
done
printf '%s\n' "$footprint" | awk '{ printf "  installed %-34s %8s KiB\n", $1, $2; total += $2 } END { printf "  installed total (host, all plugins, sdk)    %8s KiB\n", total }'
echo "  of which the Swift runtime in /usr/lib/og-host/runtime: $runtime_kb KiB"
echo "  times: packaging (release build + debs) ${build_seconds}s, Debian root ready at +$(( bootstrap_done - started ))s, total $(( $(date +%s) - started ))s"
total=$(( passed + ${#failures[@]} ))
if [ ${#failures[@]} -eq 0 ]; then
  echo "packaging test: PASS ($passed of $total checks)"
else
  echo "packaging test: FAIL (${#failures[@]} of $total checks failed: $(printf '%s; ' "${failures[@]}"))"
  exit 1
fi

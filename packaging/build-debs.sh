#!/usr/bin/env bash
# Builds the Debian packages of og-host from a release build:
#
#   og-host                  /usr/bin/og-host, its command library
#                            /usr/lib/og-host/libog-host-cli.so, the Swift runtime they and the
#                            plugins share (private, /usr/lib/og-host/runtime),
#                            the empty system plugins.d, man page, completions;
#                            Provides og-host-abi-<major> and
#                            og-host-swift-runtime-<swift version>
#   og-host-plugin-<name>    one per plugin under Plugins/: the .so and its
#                            manifest in /usr/lib/og-host/plugins.d, at the
#                            plugin's own version, Depends og-host-abi-<major>
#                            (and the Swift runtime it was built against)
#   og-host-sdk              the C header(s), og-plugin.pc with installed
#                            paths, the C example
#
# Usage: bash packaging/build-debs.sh [OUTPUT_DIR]   (default .build/debs)
# Environment: OG_PKG_SKIP_BUILD=1 reuses the existing release build.
# Needs: the Swift toolchain, dpkg-dev (dpkg-shlibdeps), patchelf, python3.
# See packaging/README.md for the layout and the reasons behind it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$(realpath -m "${1:-.build/debs}")
here="$root/packaging"

t0=$(date +%s)
say() { echo "packaging: [+$(( $(date +%s) - t0 ))s] $*" >&2; }
die() { echo "packaging: error: $*" >&2; exit 1; }
for tool in patchelf dpkg-deb dpkg-shlibdeps python3 strip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install patchelf dpkg-dev python3 binutils)"
done

# Where the package puts things; the RUNPATH of the binary and every plugin.
libdir=/usr/lib/og-host
runtime_dir=$libdir/runtime
plugins_dir=$libdir/plugins.d
arch=$(dpkg --print-architecture)
# Reproducible stamps: every file gets the time of the commit it was built from.
# Whole seconds also keep the manifests' recorded library mtime true after dpkg
# unpacks the library (a .deb stores seconds).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

if [ "${OG_PKG_SKIP_BUILD:-0}" != 1 ]; then
  say "swift build -c release"
  start=$(date +%s)
  swift build -c release >&2
  say "release build took $(( $(date +%s) - start )) s"
fi
bin=$(swift build -c release --show-bin-path)
[ -x "$bin/og-host" ] || die "no release build in $bin (unset OG_PKG_SKIP_BUILD)"
[ -f "$bin/libog-host-cli.so" ] || die "no libog-host-cli.so in $bin (unset OG_PKG_SKIP_BUILD)"

# The Swift runtime libraries come from the toolchain that built the binaries.
swift_libs=$(realpath "$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux")
# The Swift release (major.minor) Swift plugins must be built with: og-host
# --version names it (Swift on Linux has no ABI stability across releases);
# a host that does not say is taken to be the toolchain's release.
swift_version=$("$bin/og-host" --version 2>/dev/null | sed -n 's/^Swift plugins: Swift \([0-9][0-9]*\.[0-9][0-9]*\)$/\1/p' | head -1 || true)
[ -n "$swift_version" ] || swift_version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -1)
[ -n "$swift_version" ] || die "cannot tell the Swift release from og-host --version or swift --version"

# One version source: what the built og-host reports (GatewayVersion.release).
# A build whose og-host has no --version yet gets 0~git<date>.<commit>, which
# sorts below any release and says what it was built from.
version=$("$bin/og-host" --version 2>/dev/null | sed -n 's/^og-host \([0-9][0-9A-Za-z.+~-]*\).*/\1/p' | head -1 || true)
if [ -z "$version" ]; then
  version="0~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$(git rev-parse --short=10 HEAD 2>/dev/null || echo unknown)"
  say "warning: og-host --version printed no version; packaging as $version"
fi
abi_major=$(sed -n 's/^#define OG_ABI_MAJOR \([0-9]*\).*/\1/p' SDK/include/og_plugin.h)
abi_minor=$(sed -n 's/^#define OG_ABI_MINOR \([0-9]*\).*/\1/p' SDK/include/og_plugin.h)
[ -n "$abi_major" ] && [ -n "$abi_minor" ] || die "cannot read OG_ABI_MAJOR/MINOR from SDK/include/og_plugin.h"
say "og-host $version, plugin ABI $abi_major.$abi_minor, Swift $swift_version, $arch"

stage=$(mktemp -d /tmp/og-pkg-stage-XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"
rm -f "$out"/og-host*.deb
maintainer="og-host developers <og-host@users.noreply.github.com>"

# Plugins: every libog-plugin-<name>.so SwiftPM built, except the SDK's examples.
plugins=()
for lib in "$bin"/libog-plugin-*.so; do
  name=$(basename "$lib" .so); name=${name#libog-plugin-}
  [ -d "SDK/examples/$name" ] && continue
  plugins+=("$name")
done
[ ${#plugins[@]} -gt 0 ] || die "no plugins in $bin"

# --- helpers ---------------------------------------------------------------
# Strip, point RUNPATH at the private runtime, stamp.
prepare_elf() {
  strip --strip-unneeded "$1"
  patchelf --set-rpath "$runtime_dir" "$1"
  touch -h -d "@$SOURCE_DATE_EPOCH" "$1"
}

# Depends on Debian libraries computed by dpkg-shlibdeps; the private Swift
# runtime is found in the og-host staging tree and needs no Debian package.
shlib_depends() {
  local work; work=$(mktemp -d "$stage/shlibs-XXXXXX")
  mkdir "$work/debian" && : > "$work/debian/control"
  (cd "$work" && dpkg-shlibdeps -O --ignore-missing-info -l"$stage/og-host$runtime_dir" "$@" 2>"$work/log") \
    | sed -n 's/^shlibs:Depends=//p' || { cat "$work/log" >&2; die "dpkg-shlibdeps failed"; }
}

installed_size() { du -sk --apparent-size --exclude=DEBIAN "$1" | cut -f1; }

# Writes DEBIAN/control and builds the .deb; files root-owned whoever builds.
build_deb() {
  local dir=$1 control=$2
  mkdir -p "$dir/DEBIAN"
  # Installed-Size goes before the Description, whose continuation lines end the stanza.
  printf '%s\n' "$control" | awk -v size="$(installed_size "$dir")" \
    '/^Description:/ { print "Installed-Size: " size } { print }' > "$dir/DEBIAN/control"
  find "$dir" -type d -exec chmod 0755 {} +
  find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz --build "$dir" "$out" >&2
}

copyright() {  # $1 = what this package contains
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: og-host
Comment: $1

Files: *
Copyright: og-host developers
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
EOF
}

# --- og-host ---------------------------------------------------------------
h="$stage/og-host"
install -d "$h/usr/bin" "$h$runtime_dir" "$h$plugins_dir" "$h/usr/share/man/man1" \
  "$h/usr/share/bash-completion/completions" "$h/usr/share/zsh/vendor-completions" \
  "$h/usr/share/fish/vendor_completions.d" "$h/usr/share/doc/og-host"
install -m 0755 "$bin/og-host" "$h/usr/bin/og-host"
prepare_elf "$h/usr/bin/og-host"
# The command line beyond `plugins list`; /usr/bin/og-host loads it from ../lib/og-host (Host/Front).
install -m 0644 "$bin/libog-host-cli.so" "$h$libdir/libog-host-cli.so"
prepare_elf "$h$libdir/libog-host-cli.so"

# Every toolchain library the host or any plugin resolves to (ldd is transitive).
for elf in "$bin/og-host" "$bin/libog-host-cli.so" "$bin"/libog-plugin-*.so; do
  ldd "$elf" | awk -v dir="$swift_libs/" 'index($3, dir) == 1 { print $3 }'
done | sort -u > "$stage/runtime.list"
[ -s "$stage/runtime.list" ] || die "ldd found no Swift runtime libraries under $swift_libs"
while read -r lib; do
  install -m 0644 "$lib" "$h$runtime_dir/"
  strip --strip-unneeded "$h$runtime_dir/$(basename "$lib")"
  patchelf --set-rpath '$ORIGIN' "$h$runtime_dir/$(basename "$lib")"
done < "$stage/runtime.list"

# Completions and the man page, generated from the argument parser.
"$bin/og-host" --generate-completion-script bash > "$h/usr/share/bash-completion/completions/og-host"
"$bin/og-host" --generate-completion-script zsh > "$h/usr/share/zsh/vendor-completions/_og-host"
"$bin/og-host" --generate-completion-script fish > "$h/usr/share/fish/vendor_completions.d/og-host.fish"
man_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
# swift-argument-parser's generate-manual tool run on og-host (it reads `og-host
# --experimental-dump-help`). Not through its package plugin, which only documents
# executables whose own target depends on ArgumentParser: og-host's front does not
# (Host/Front; the command line it loads does).
say "generate-manual (swift-argument-parser's tool)"
swift build -c release --product generate-manual >&2
install -d "$stage/man"
"$bin/generate-manual" "$bin/og-host" --output-directory "$stage/man" --date "$man_date" >&2
manual="$stage/man/og-host.1"
[ -s "$manual" ] || die "generate-manual wrote no $manual"
gzip -9n < "$manual" > "$h/usr/share/man/man1/og-host.1.gz"

copyright "og-host; /usr/lib/og-host/runtime holds the Swift runtime (Apache-2.0 with Runtime Library Exception, swift.org), including ICU data (Unicode license)." \
  > "$h/usr/share/doc/og-host/copyright"
# The daemon: a systemd unit (not enabled by the package; `systemctl enable --now og-host`)
# and its configuration, a conffile (0600: a webhook URL may carry a token).
install -d "$h/lib/systemd/system" "$h/etc/og-host"
install -m 0644 "$here/systemd/og-host.service" "$h/lib/systemd/system/og-host.service"
install -m 0600 "$here/systemd/serve.json" "$h/etc/og-host/serve.json"
mkdir -p "$h/DEBIAN"
echo /etc/og-host/serve.json > "$h/DEBIAN/conffiles"
install -m 0755 "$here/debian/og-host.postinst" "$h/DEBIAN/postinst"
install -m 0755 "$here/debian/og-host.postrm" "$h/DEBIAN/postrm"

say "og-host: dpkg-shlibdeps and dpkg-deb (xz)"
host_depends=$(shlib_depends "$h/usr/bin/og-host" "$h$libdir/libog-host-cli.so" "$h$runtime_dir"/*.so)
# Loaded with dlopen on first HTTP use (Host/System/CCurl/og_curl.c: libcurl.so.4,
# 7.71 or later), so no ELF dependency shows it to dpkg-shlibdeps.
if grep -qa 'libcurl\.so\.4' "$h/usr/bin/og-host" "$h$libdir/libog-host-cli.so"; then
  case ", $host_depends" in *", libcurl4 "*) ;; *) host_depends="$host_depends, libcurl4 (>= 7.71.0)";; esac
fi
build_deb "$h" "Package: og-host
Version: $version
Architecture: $arch
Maintainer: $maintainer
Section: admin
Priority: optional
Depends: $host_depends
Provides: og-host-abi-$abi_major (= $abi_major.$abi_minor), og-host-swift-runtime-$swift_version
Suggests: og-host-sdk
Description: certificate orchestration gateway (host)
 og-host installs TLS certificates on the servers and keystores that use
 them: it keeps endpoint credentials local, generates keys on the gateway,
 backs up, writes atomically, config-tests, verifies and rolls back.
 .
 Endpoint support ships as plugins (og-host-plugin-*) loaded from
 $plugins_dir through the C ABI $abi_major.$abi_minor. This package carries
 the Swift $swift_version runtime the host and Swift plugins share, privately
 in $runtime_dir."

# --- og-host-plugin-<name> -------------------------------------------------
for name in "${plugins[@]}"; do
  say "og-host-plugin-$name"
  p="$stage/plugin-$name"
  lib="libog-plugin-$name.so"
  install -d "$p$plugins_dir" "$p/usr/share/doc/og-host-plugin-$name"
  install -m 0644 "$bin/$lib" "$p$plugins_dir/$lib"
  prepare_elf "$p$plugins_dir/$lib"
  # The manifest records the library's size and mtime, so it is written after
  # the last change to the file; listing then never loads the library.
  "$bin/og-host" plugins manifest "$p$plugins_dir/$lib" >/dev/null
  manifest="$p$plugins_dir/libog-plugin-$name.manifest.json"
  chmod 0644 "$manifest"
  read -r plugin_version plugin_abi plugin_minor summary < <(python3 - "$manifest" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
print(m["plugin"]["version"], m["abi_major"], m["abi_minor"], m["plugin"]["summary"].replace("\n", " ").rstrip("."))
EOF
)
  [ -f "Plugins/$name/README.md" ] && install -m 0644 "Plugins/$name/README.md" "$p/usr/share/doc/og-host-plugin-$name/"
  copyright "the og-host $name endpoint plugin" > "$p/usr/share/doc/og-host-plugin-$name/copyright"
  mkdir -p "$p/DEBIAN"
  sed "s|@LIBRARY@|$plugins_dir/$lib|; s|@MANIFEST@|$plugins_dir/libog-plugin-$name.manifest.json|; s|@PLUGINS_DIR@|$plugins_dir|" \
    "$here/debian/plugin.postinst.in" > "$p/DEBIAN/postinst"
  chmod 0755 "$p/DEBIAN/postinst"
  depends="og-host-abi-$plugin_abi (>= $plugin_abi.$plugin_minor)"
  if readelf -d "$p$plugins_dir/$lib" | grep 'Shared library: \[libswiftCore.so\]' >/dev/null; then
    depends="$depends, og-host-swift-runtime-$swift_version"
  fi
  extra=$(shlib_depends "$p$plugins_dir/$lib")
  [ -n "$extra" ] && depends="$depends, $extra"
  build_deb "$p" "Package: og-host-plugin-$name
Version: $plugin_version
Architecture: $arch
Maintainer: $maintainer
Section: admin
Priority: optional
Depends: $depends
Enhances: og-host
Description: og-host endpoint plugin: $name
$(printf '%s.\n' "$summary" | fold -s -w 72 | sed 's/^/ /; s/ *$//')
 .
 Installs $lib and its manifest into $plugins_dir,
 where og-host finds it (og-host plugins list). Plugin ABI $plugin_abi.$plugin_minor."
done

# --- og-host-sdk -----------------------------------------------------------
say "og-host-sdk"
s="$stage/sdk"
# The SDK's own installer decides its layout: headers, og-plugin.pc naming the
# installed paths, the Swift package (OGPluginKit) under /usr/share/og-host/sdk.
sh SDK/install-sdk.sh --prefix /usr --destdir "$s" >&2
grep -q '@[A-Za-z_]*@' "$s/usr/share/pkgconfig/og-plugin.pc" && die "og-plugin.pc has an unfilled placeholder"
install -d "$s/usr/share/doc/og-host-sdk/examples/hello-c"
install -m 0644 SDK/examples/hello-c/*.c "$s/usr/share/doc/og-host-sdk/examples/hello-c/"
install -m 0644 SDK/README.md "$s/usr/share/doc/og-host-sdk/README.md"
copyright "the og-host plugin SDK: C header, pkg-config file, C example" > "$s/usr/share/doc/og-host-sdk/copyright"
build_deb "$s" "Package: og-host-sdk
Version: $version
Architecture: all
Maintainer: $maintainer
Section: libdevel
Priority: optional
Recommends: pkg-config, gcc | c-compiler
Suggests: og-host
Description: og-host plugin SDK (C headers, pkg-config file, OGPluginKit)
 The C ABI $abi_major.$abi_minor contract of og-host endpoint plugins
 (/usr/include/og-host/og_plugin.h) and its C helpers, og-plugin.pc for
 'cc \$(pkg-config --cflags og-plugin)', the C example plugin, and the Swift
 package OGPluginKit in /usr/share/og-host/sdk (a Swift plugin must be built
 with Swift $swift_version, the runtime og-host carries). Check a plugin with
 'og-host plugin check libog-plugin-NAME.so'."

say "built into $out:"
ls -l "$out"/*.deb >&2

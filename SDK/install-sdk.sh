#!/bin/sh
# Installs the og-host plugin SDK under a prefix, the way a distribution
# package or `make install` would:
#
#   PREFIX/include/og-host/og_plugin.h, og_plugin_util.h   C contract + helpers
#   PREFIX/share/pkgconfig/og-plugin.pc                    Cflags for C plugins
#   PREFIX/share/og-host/sdk/                              the Swift package (OGPluginKit, OGPluginTesting)
#
# usage: install-sdk.sh [--prefix /usr/local] [--destdir STAGING]
# --destdir stages the files under STAGING while every path written into
# them still names PREFIX (what dpkg-buildpackage and `make DESTDIR=` expect).
set -eu
prefix=/usr/local
destdir=
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    *) echo "install-sdk.sh: unknown argument '$1'; usage: install-sdk.sh [--prefix DIR] [--destdir DIR]" >&2; exit 2 ;;
  esac
done
case $prefix in /*) ;; *) echo "install-sdk.sh: --prefix must be absolute (got '$prefix')" >&2; exit 2 ;; esac
sdk=$(cd "$(dirname "$0")" && pwd)
root=$destdir$prefix

install -d -m 0755 "$root/include/og-host" "$root/share/pkgconfig" "$root/share/og-host/sdk/abi" "$root/share/og-host/sdk/include"
install -m 0644 "$sdk/include/og_plugin.h" "$sdk/include/og_plugin_util.h" "$root/include/og-host/"
sed -e "s|@PREFIX@|$prefix|" -e 's|@INCLUDEDIR@|${prefix}/include/og-host|' "$sdk/og-plugin.pc.in" > "$root/share/pkgconfig/og-plugin.pc"
chmod 0644 "$root/share/pkgconfig/og-plugin.pc"

# The Swift package: its manifest, the ABI target, OGJSON, OGPluginKit and OGPluginTesting.
install -m 0644 "$sdk/Package.swift" "$sdk/README.md" "$root/share/og-host/sdk/"
install -m 0644 "$sdk/abi/og_plugin_abi.c" "$root/share/og-host/sdk/abi/"
install -m 0644 "$sdk/include/og_plugin.h" "$sdk/include/og_plugin_util.h" "$root/share/og-host/sdk/include/"
(cd "$sdk" && find Swift JSON Testing -type f -name '*.swift') | while read -r file; do
  install -D -m 0644 "$sdk/$file" "$root/share/og-host/sdk/$file"
done
echo "og-host plugin SDK installed under $root"

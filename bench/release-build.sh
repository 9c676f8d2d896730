# Sourced by the bench scripts: checks hyperfine, builds og-host and the
# plugins in release mode once, and sets $bin to the products and $work to a
# private directory removed on exit.
command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
scratch=${OG_BENCH_SCRATCH:-.build-bench}
swift build -c release --scratch-path "$scratch" >&2
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
work=$(mktemp -d /tmp/og-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

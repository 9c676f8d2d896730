# Sourced by the bench scripts: checks the tools, builds og-host and the
# plugins in release mode once, and sets $bin to the products and $work to a
# private directory removed on exit.
#
# OG_BENCH_CALLGRIND=1 switches every `compare` from hyperfine's wall-clock
# times to instruction counts under `valgrind --tool=callgrind`: repeatable for
# the same binary and inputs whatever else the machine is doing, so a change
# can be judged on a busy machine by its instruction count.
if [ "${OG_BENCH_CALLGRIND:-0}" = 1 ]; then
  command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
else
  command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
fi
# OG_BENCH_BUILD=debug measures the debug products already in .build (no
# release build: for a loaded machine; say so with the figures).
# OG_BENCH_BIN=DIR measures the og-host and plugins already built in DIR.
if [ -n "${OG_BENCH_BIN:-}" ]; then
  bin=$OG_BENCH_BIN
elif [ "${OG_BENCH_BUILD:-release}" = debug ]; then
  bin=$(swift build --show-bin-path)
else
  scratch=${OG_BENCH_SCRATCH:-.build-bench}
  swift build -c release --scratch-path "$scratch" >&2
  bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
fi
work=$(mktemp -d /tmp/og-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ "${OG_BENCH_CALLGRIND:-0}" = 1 ]; then
  # valgrind 3.19 gives up on the DWARF 5 the toolchain's clang writes for C
  # targets ("possibly corrupted debuginfo"): measure copies without debug info.
  mkdir -p "$work/bin"
  for product in "$bin/og-host" "$bin/libog-host-cli.so" "$bin"/libog-plugin-*.so; do
    cp "$product" "$work/bin/" && objcopy --strip-debug "$work/bin/$(basename "$product")"
  done
  bin=$work/bin
  # valgrind 3.19's rt_sigsuspend wrapper writes into the mask it is given, and
  # libdispatch's signal thread passes a const one: every og-host command that
  # awaits (tls install, job run, plugins list) dies under valgrind with "the
  # 'impossible' happened". Measured commands get a sigsuspend that passes a copy
  # (one tiny preloaded library, the same in every measured process).
  command -v cc >/dev/null || { echo "cc is missing: apt-get install gcc" >&2; exit 1; }
  printf '%s\n' '#define _GNU_SOURCE' '#include <signal.h>' '#include <sys/syscall.h>' '#include <unistd.h>' \
    'int sigsuspend(const sigset_t *mask) { sigset_t copy = *mask; return syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8); }' \
    > "$work/sigsuspend-copy.c"
  cc -O2 -shared -fPIC -o "$work/libsigsuspend-copy.so" "$work/sigsuspend-copy.c"
  callgrind_preload=$work/libsigsuspend-copy.so
fi

# og-host may leave processes that outlive it by a moment: a `tls install`
# answers as soon as its job worker has answered, and the worker (started
# ahead, see ARCHITECTURE.md) exits after it, closing its inventory and
# connections. Neither hyperfine's CPU figures nor callgrind's files would
# count such a process. `subreap CMD` runs `sh -c CMD` as a child subreaper
# and waits for every process it leaves, so CPU and instructions are those of
# all the work a command caused (the wall time hyperfine reports stays that
# of the command alone: when its user gets the prompt back).
command -v cc >/dev/null || { echo "cc is missing: apt-get install gcc" >&2; exit 1; }
printf '%s\n' '#include <errno.h>' '#include <sys/prctl.h>' '#include <sys/wait.h>' '#include <unistd.h>' \
  'int main(int argc, char **argv) {' \
  '  if (argc != 2) return 2;' \
  '  prctl(PR_SET_CHILD_SUBREAPER, 1);' \
  '  pid_t first = fork();' \
  '  if (first == 0) { execl("/bin/sh", "sh", "-c", argv[1], (char *)0); _exit(127); }' \
  '  int status = 0, result = 1; pid_t pid;' \
  '  while ((pid = wait(&status)) > 0 || (pid < 0 && errno == EINTR))' \
  '    if (pid == first) result = WIFEXITED(status) ? WEXITSTATUS(status) : 1;' \
  '  return result;' \
  '}' > "$work/subreap.c"
cc -O2 -o "$work/subreap" "$work/subreap.c"
subreap=$work/subreap

# compare RUNS NAME COMMAND [NAME COMMAND ...]
# Times each command with hyperfine (--runs RUNS, 2 warm-ups) and prints its
# markdown table, or with OG_BENCH_CALLGRIND=1 runs each once under callgrind
# and prints the instructions executed (Ir), children included. Either way it
# ends with "ratio NAME / FIRST NAME" lines against the first command.
compare() {
  local runs=$1; shift
  local names=() commands=()
  while [ $# -gt 0 ]; do names+=("$1"); commands+=("$2"); shift 2; done
  if [ "${OG_BENCH_CALLGRIND:-0}" = 1 ]; then
    local counts=() i out total
    for i in "${!names[@]}"; do
      out="$work/callgrind.$i"
      rm -f "$out".*
      # Under the subreaper: a process the command leaves running writes its counts before they are added up.
      "$subreap" "LD_PRELOAD=$callgrind_preload valgrind --tool=callgrind --trace-children=yes \
        --callgrind-out-file=$out.%p sh -c $(printf '%q' "${commands[$i]}") >/dev/null 2>$work/callgrind.$i.log" || true
      total=$(cat "$out".* 2>/dev/null | awk '/^summary:/ { s += $2 } END { printf "%.0f\n", s }')
      counts+=("$total")
      printf '%-44s %14s instructions\n' "${names[$i]}" "$(printf "%'d" "$total" 2>/dev/null || echo "$total")"
    done
    for i in "${!names[@]}"; do
      [ "$i" = 0 ] && continue
      python3 -c "import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); print(f'ratio {sys.argv[3]} / {sys.argv[4]}: {a / b:.2f}' if b else 'ratio: no count')" \
        "${counts[$i]}" "${counts[0]}" "${names[$i]}" "${names[0]}"
    done
  else
    local args=() i
    for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${commands[$i]}"); done
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    hyperfine --warmup 2 --runs "$runs" --export-json "$work/compare.json" --export-markdown "$work/compare.md" "${args[@]}" >&2
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    cat "$work/compare.md"
    # CPU time is far less sensitive than wall time to what else the machine
    # runs. It is measured apart, under the subreaper (see above), so that it
    # counts every process a command caused, also those it did not wait for.
    python3 - "$work/compare.json" "$subreap" "${OG_BENCH_CPU_RUNS:-5}" "${commands[@]}" <<'PY'
import json, resource, subprocess, sys
results = json.load(open(sys.argv[1]))["results"]
subreap, cpu_runs, commands = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
first = results[0]
for r, command in zip(results, commands):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(cpu_runs):
        subprocess.run([subreap, command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = (after.ru_utime - before.ru_utime) / cpu_runs * 1000
    system = (after.ru_stime - before.ru_stime) / cpu_runs * 1000
    print(f"cpu {r['command']}: {user:.1f} ms user + {system:.1f} ms system "
          f"(means of {cpu_runs} more runs, every process it caused; hyperfine's, of what it waited for: "
          f"{r['user'] * 1000:.1f} + {r['system'] * 1000:.1f} ms)")
for r in results[1:]:
    print(f"ratio {r['command']} / {first['command']}: {r['median'] / first['median']:.2f} (medians)")
PY
  fi
}

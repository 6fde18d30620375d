#!/usr/bin/env bash
# Meridian's benchmark (issue 2): per-syscall cost on the trap path, start-up wall time and
# peak RSS, each run natively and under `meridian run`, with the ratio to native from the same
# run. A benchmark, not a test: it prints figures and says whether the targets are met.
#
# Usage: bash scripts/bench.sh [-n REPS] [-i ITERATIONS] [-s SPAWNS]
#   -n REPS        repetitions of every case (default 7); native and sandboxed runs alternate
#   -i ITERATIONS  syscalls per timed loop (default 300000)
#   -s SPAWNS      process starts per case per repetition (default 5)
# Figures are medians over all samples; the output is Markdown (docs/performance.md). Exits 0
# whether or not the targets are met, non-zero only when a case fails to run.
#
# Cases (programs in bench/c, built with gcc -O2 -static into target/bench):
#   getpid, 1-byte pread of an in-memory file, 1-byte write to /dev/null  (bench/c/syscalls.c)
#   start-up and peak RSS of a static hello world and of `python3 -c pass` (bench/c/spawn.c)
#   the floor of the trap approach: a bare seccomp RET_TRAP round trip   (bench/c/sigsys_floor.c)
#   context: clock_gettime (the vDSO natively), stat of a path under /usr (a host volume in the
#   sandbox), and start-up taken apart: a static program with no libc (bench/c/empty.c),
#   `meridian --version`, `meridian run` of the empty program
#   the host filter's own cost: BPF instructions evaluated per call and time added to allowed
#   and trapped calls, against no filter and a routing-only filter
#   (crates/platform-linux/examples/filter_cost.rs)
# The sandbox's /tmp is in memory; the native read case uses /dev/shm (tmpfs) when it is
# writable so that both sides read an in-memory file, and /tmp otherwise (noted in the output).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=7
iters=300000
spawns=5
while getopts "n:i:s:h" opt; do
    case "$opt" in
    n) reps=$OPTARG ;;
    i) iters=$OPTARG ;;
    s) spawns=$OPTARG ;;
    *)
        sed -n '/^# Usage/,/^# Figures/p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
    esac
done

# Targets from issue 2.
TRAP_TARGET_NS=1500
PY_WALL_TARGET_RATIO=3
PY_RSS_TARGET_KIB=$((8 * 1024))

say() { echo "bench: $*" >&2; }

say "building meridian (release)"
cargo build --release -q -p meridian
meridian=target/x86_64-unknown-linux-gnu/release/meridian
python=/usr/bin/python3
[[ -x "$python" ]] || {
    say "$python not found (scripts/test-deps.sh installs it)"
    exit 1
}

bin=target/bench
mkdir -p "$bin"
for prog in syscalls hello spawn sigsys_floor; do
    gcc -O2 -static -Wall -Wextra -o "$bin/$prog" "bench/c/$prog.c"
done
gcc -O2 -static -nostdlib -Wall -Wextra -o "$bin/empty" bench/c/empty.c
bin=$(cd "$bin" && pwd)

native_dir=/tmp
if [[ -d /dev/shm && -w /dev/shm ]]; then
    native_dir=/dev/shm
fi

# A path python3 itself stats at start-up, on the sandbox's read-only host volume /usr.
stat_path=$("$python" -c 'import os; print(os.__file__)')

samples=$(mktemp -d)
trap 'rm -rf "$samples"' EXIT

# The sandboxed side sees the benchmark programs at /b.
run_sandboxed=("$meridian" run --mount "$bin:/b:ro" --)

# syscall_case OP CALLS NATIVE_ARG SANDBOXED_ARG: one timed loop of bench/c/syscalls.c
# natively, one sandboxed; appends ns/op samples to OP.native and OP.meridian.
syscall_case() {
    local op=$1 calls=$2
    "$bin/syscalls" "$op" "$calls" "$3" | awk '{ print $2 }' >>"$samples/$op.native"
    "${run_sandboxed[@]}" /b/syscalls "$op" "$calls" "$4" | awk '{ print $2 }' >>"$samples/$op.meridian"
}

# startup_case NAME HOST_PATH GUEST_PATH [ARGS...]: SPAWNS starts natively, then sandboxed;
# appends "wall_ns maxrss_kib" samples.
startup_case() {
    local name=$1 host=$2 guest=$3
    shift 3
    "$bin/spawn" "$spawns" "$host" "$@" >>"$samples/$name.native"
    "$bin/spawn" "$spawns" "${run_sandboxed[@]}" "$guest" "$@" >>"$samples/$name.meridian"
}

say "warming up (page cache, untimed)"
"$bin/spawn" 2 "$python" -c pass >/dev/null
"$bin/spawn" 2 "$meridian" run -- "$python" -c pass >/dev/null
"$bin/spawn" 2 "${run_sandboxed[@]}" /b/hello >/dev/null

for ((r = 1; r <= reps; r++)); do
    say "repetition $r/$reps"
    syscall_case getpid "$iters" "" ""
    syscall_case read "$iters" "$native_dir" /tmp
    syscall_case devnull "$iters" "" ""
    syscall_case clock "$iters" "" ""
    syscall_case stat $((iters / 10)) "$stat_path" "$stat_path"
    startup_case hello "$bin/hello" /b/hello
    startup_case python "$python" "$python" -c pass
    startup_case empty "$bin/empty" /b/empty
    "$bin/spawn" "$spawns" "$meridian" --version >>"$samples/version"
    "$bin/sigsys_floor" "$iters" >>"$samples/floor"
done

# The median of the numbers on stdin, one a line (the mean of the middle two if even).
median_of() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# median FILE [COLUMN]: the median of a column of a samples file.
median() { awk -v c="${2:-1}" '{ print $c }' "$1" | median_of; }
# floor_median CASE: the median of one case of bench/c/sigsys_floor.c.
floor_median() { awk -v k="$1" '$1 == k { print $2 }' "$samples/floor" | median_of; }

row_syscall() {
    local name=$1 label=$2 n m
    n=$(median "$samples/$name.native")
    m=$(median "$samples/$name.meridian")
    awk -v l="$label" -v n="$n" -v m="$m" -v t="$TRAP_TARGET_NS" 'BEGIN {
        printf "| %s | %.0f ns | %.0f ns | %.1f× | ≤ %d ns | %s |\n", l, n, m, m / n, t, (m <= t ? "yes" : "no")
    }'
}

# row_startup NAME LABEL WALL_TARGET_RATIO RSS_TARGET_KIB (targets may be empty: none).
row_startup() {
    local name=$1 label=$2 wall_target=$3 rss_target=$4 nw mw nr mr
    nw=$(median "$samples/$name.native" 1)
    mw=$(median "$samples/$name.meridian" 1)
    nr=$(median "$samples/$name.native" 2)
    mr=$(median "$samples/$name.meridian" 2)
    awk -v l="$label" -v nw="$nw" -v mw="$mw" -v nr="$nr" -v mr="$mr" \
        -v wt="$wall_target" -v rt="$rss_target" 'BEGIN {
        wr = mw / nw
        if (wt == "") { wts = "—"; wm = "—" } else { wts = sprintf("≤ %d×", wt); wm = (wr <= wt ? "yes" : "no") }
        printf "| %s: wall time | %.2f ms | %.2f ms | %.1f× | %s | %s |\n", l, nw / 1e6, mw / 1e6, wr, wts, wm
        d = mr - nr
        if (rt == "") { rts = "—"; rm = "—" } else { rts = sprintf("≤ native + %d MiB", rt / 1024); rm = (d <= rt ? "yes" : "no") }
        printf "| %s: peak RSS | %.1f MiB | %.1f MiB (%+.1f MiB) | %.1f× | %s | %s |\n", l, nr / 1024, mr / 1024, d / 1024, mr / nr, rts, rm
    }'
}

# row_context LABEL NATIVE MERIDIAN UNIT: UNIT is ns or ms (samples in ns); NATIVE may be empty.
row_context() {
    awk -v l="$1" -v n="$2" -v m="$3" -v u="$4" 'BEGIN {
        s = (u == "ms" ? 1e6 : 1); f = (u == "ms" ? "%.2f %s" : "%.0f %s")
        printf "| %s | %s | %s | %s |\n", l, (n == "" ? "—" : sprintf(f, n / s, u)),
            sprintf(f, m / s, u), (n == "" ? "—" : sprintf("%.1f×", m / n))
    }'
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r)"
echo "Meridian: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- crates 2>/dev/null || echo ' (crates/ modified)'), release build"
echo "Runs: $reps repetitions; $iters calls per timed loop; $spawns starts per case per repetition; medians"
# ru_maxrss has the spawn driver's own RSS as a floor (bench/c/spawn.c): measure it by
# starting a second driver that starts nothing.
rss_floor_kib=$("$bin/spawn" 1 "$bin/spawn" 0 - | awk '{ print $2 }')
echo "Peak RSS floor (the spawn driver's own RSS, inherited through exec): $rss_floor_kib KiB"
echo "Native in-memory file: $native_dir$([[ $native_dir == /tmp ]] && echo ' (no writable /dev/shm: may be disk-backed)')"
echo
echo "| case | native | meridian | ratio | target | met |"
echo "|---|---|---|---|---|---|"
row_syscall getpid "getpid (syscall(SYS_getpid))"
row_syscall read "read 1 byte of an in-memory file (pread)"
row_syscall devnull "write 1 byte to /dev/null"
row_startup hello "static hello world" "" ""
row_startup python "python3 -c pass" "$PY_WALL_TARGET_RATIO" "$PY_RSS_TARGET_KIB"

echo
echo "Floor of the trap approach on this machine (bench/c/sigsys_floor.c, native, no library OS):"
echo
echo "| case | ns per call |"
echo "|---|---|"
floor_label() {
    case "$1" in
    native_getpid) echo "getpid, no seccomp filter" ;;
    filtered_getppid) echo "getppid, allowed by a 7-instruction seccomp filter" ;;
    trap_getpid) echo "getpid trapped: SIGSYS, handler sets rax, rt_sigreturn" ;;
    trap_getpid_altstack) echo "the same on a sigaltstack with SA_ONSTACK and SA_NODEFER (as Meridian)" ;;
    esac
}
for c in native_getpid filtered_getppid trap_getpid trap_getpid_altstack; do
    printf '| %s | %.0f |\n' "$(floor_label "$c")" "$(floor_median "$c")"
done
echo
echo "Signal frame FPU/extended state saved and restored per trap: $(floor_median xsave_bytes) bytes"
floor=$(floor_median trap_getpid_altstack)
echo "Meridian's own time per call (sandboxed median minus the sigaltstack trap floor):" \
    "$(for c in getpid read devnull; do
        awk -v c="$c" -v m="$(median "$samples/$c.meridian")" -v f="$floor" \
            'BEGIN { printf "%s %.0f ns; ", c, m - f }'
    done | sed 's/; $//')"

echo
echo "Context (no targets):"
echo
echo "| case | native | meridian | ratio |"
echo "|---|---|---|---|"
row_context "clock_gettime(CLOCK_MONOTONIC) (natively the vDSO: no syscall)" \
    "$(median "$samples/clock.native")" "$(median "$samples/clock.meridian")" ns
row_context "stat(\"$stat_path\") (a host volume in the sandbox)" \
    "$(median "$samples/stat.native")" "$(median "$samples/stat.meridian")" ns
row_context "start-up, static program without libc (bench/c/empty.c)" \
    "$(median "$samples/empty.native" 1)" "$(median "$samples/empty.meridian" 1)" ms
row_context "start-up, static hello world (glibc)" \
    "$(median "$samples/hello.native" 1)" "$(median "$samples/hello.meridian" 1)" ms
row_context "start-up, \`meridian --version\` (the runner alone, no sandbox)" \
    "" "$(median "$samples/version" 1)" ms

echo
echo "## The host filter's own cost (issue 5)"
echo
cargo run --release -q -p meridian-platform-linux --example filter_cost

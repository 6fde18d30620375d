#!/usr/bin/env bash
# Process benchmark (issue 4): each case natively and under `meridian run`, with the ratio to
# native from the same run (medians; native and sandboxed runs alternate). A benchmark, not a
# test: it prints figures (Markdown, for docs/performance.md). Exits non-zero only when a case
# fails to run; a sandboxed case that fails is shown as "failed" and the others still run.
#
# Usage: bash scripts/bench-proc.sh [-n REPS] [-i FORKS] [-p ROUNDS] [-s SPAWNS]
#   -n REPS    repetitions of every case (default 5)
#   -i FORKS   fork+exit+wait iterations per timed loop (default 2000)
#   -p ROUNDS  pipe ping-pong round trips per timed loop (default 20000)
#   -s SPAWNS  `true` processes started by the shell case (default 1000)
#
# Cases:
#   fork + _exit + waitpid, per iteration, timed inside the program (bench/c/proc_fork.c)
#   pipe ping-pong between a parent and its child, round trips per second, timed inside the
#     program (bench/c/proc_pingpong.c)
#   `busybox sh -c` starting SPAWNS external `busybox true` one after another (whole run, wall
#     time, bench/c/spawn.c)
#   `make -j2` of tests/make (gcc, as, ar, ld as parallel children; whole run, wall time);
#     `make clean` (untimed) before each run; sandboxed on a read-write host volume at /src
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=5
forks=2000
rounds=20000
spawns=1000
while getopts "n:i:p:s:h" opt; do
    case "$opt" in
    n) reps=$OPTARG ;;
    i) forks=$OPTARG ;;
    p) rounds=$OPTARG ;;
    s) spawns=$OPTARG ;;
    *)
        sed -n '/^# Usage/,/^# Cases/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
    esac
done
say() { echo "bench-proc: $*" >&2; }

for tool in /bin/busybox /usr/bin/make /usr/bin/gcc; do
    [[ -x $tool ]] || {
        say "$tool not found (scripts/test-deps.sh installs it)"
        exit 1
    }
done
say "building meridian (release)"
cargo build --release -q -p meridian
meridian=$(pwd)/target/x86_64-unknown-linux-gnu/release/meridian
bin=$(pwd)/target/bench
mkdir -p "$bin"
for prog in proc_fork proc_pingpong spawn; do
    gcc -O2 -static -Wall -Wextra -o "$bin/$prog" "bench/c/$prog.c"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples="$work/samples"
mkdir -p "$samples" "$work/make.native" "$work/make.meridian"
cp tests/make/* "$work/make.native/"
cp tests/make/* "$work/make.meridian/"

run_sandboxed=("$meridian" run --mount "$bin:/b:ro" --)
shell_loop="i=0; while [ \$i -lt $spawns ]; do busybox true || exit 1; i=\$((i + 1)); done"
# Both sides get the same PATH for the shell and make cases.
path=/usr/bin:/bin

# sandboxed CASE FIELDS CMD...: runs CMD and appends the awk FIELDS (e.g. '$2') of its stdout
# to CASE.meridian; a failure is noted once (CASE.failed, with the end of its stderr) and the
# run goes on.
sandboxed() {
    local case=$1 fields=$2
    shift 2
    if "$@" >"$work/out" 2>"$work/err"; then
        awk "{ print $fields }" "$work/out" >>"$samples/$case.meridian"
    elif [[ ! -e $samples/$case.failed ]]; then
        tail -n 3 "$work/err" >"$samples/$case.failed"
    fi
}
# wall CMD...: one run's wall time in ns (stdout of CMD to /dev/null); fails if CMD does.
wall() { "$bin/spawn" 1 "$@" | awk '{ print $1 }'; }

say "warming up (page cache, untimed)"
"$bin/proc_fork" 10 >/dev/null
(cd "$work/make.native" && make -s -j2 >/dev/null && make -s clean >/dev/null)

for ((r = 1; r <= reps; r++)); do
    say "repetition $r/$reps"
    "$bin/proc_fork" "$forks" | awk '{ print $2 }' >>"$samples/fork.native"
    sandboxed fork '$2' "${run_sandboxed[@]}" /b/proc_fork "$forks"
    "$bin/proc_pingpong" "$rounds" | awk '{ print $2, $3 }' >>"$samples/pingpong.native"
    sandboxed pingpong '$2, $3' "${run_sandboxed[@]}" /b/proc_pingpong "$rounds"
    wall /usr/bin/env -i PATH=$path /bin/busybox sh -c "$shell_loop" >>"$samples/shell.native"
    sandboxed shell '$0' wall "$meridian" run --env PATH=$path -- /bin/busybox sh -c "$shell_loop"
    (cd "$work/make.native" && make -s clean >/dev/null)
    (cd "$work/make.native" && wall /usr/bin/env -i PATH=$path /usr/bin/make -s -j2) >>"$samples/make.native"
    (cd "$work/make.meridian" && make -s clean >/dev/null)
    sandboxed make '$0' wall "$meridian" run --env PATH=$path --mount "$work/make.meridian:/src" \
        --workdir /src -- /usr/bin/make -s -j2
done

median_of() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# median CASE SIDE [COLUMN]: the median of a column of a samples file, empty if none.
median() {
    local file="$samples/$1.$2"
    [[ -s $file ]] || return 0
    awk -v c="${3:-1}" '{ print $c }' "$file" | median_of
}
# row LABEL NATIVE MERIDIAN UNIT DIVISOR HIGHER_IS_BETTER(yes/empty) CASE
row() {
    local m=$3
    [[ -e $samples/$7.failed ]] && m=""
    awk -v l="$1" -v n="$2" -v m="$m" -v u="$4" -v d="$5" -v hib="$6" 'BEGIN {
        if (m == "") { printf "| %s | %.1f %s | failed | — |\n", l, n / d, u; exit }
        r = (hib == "yes" ? n / m : m / n)
        printf "| %s | %.1f %s | %.1f %s | %.2f× |\n", l, n / d, u, m / d, u, r
    }'
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "## Processes (issue 4): median of $reps"
echo
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r)"
echo "Meridian: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- crates 2>/dev/null || echo ' (crates/ modified)'), release build"
echo "Ratio: how many times slower the sandbox is (time ratio; for round trips per second, native / meridian)."
echo
echo "| case | native | meridian | ratio |"
echo "|---|---|---|---|"
row "fork + _exit + waitpid (per iteration, $forks per loop)" "$(median fork native)" \
    "$(median fork meridian)" "µs" 1000 "" fork
row "pipe ping-pong between two processes (round trips per second, $rounds per loop)" \
    "$(median pingpong native 1)" "$(median pingpong meridian 1)" "k/s" 1000 yes pingpong
row "&nbsp;&nbsp;the same, per round trip" "$(median pingpong native 2)" \
    "$(median pingpong meridian 2)" "µs" 1000 "" pingpong
row "\`sh -c\` starting $spawns \`busybox true\` (whole run)" "$(median shell native)" \
    "$(median shell meridian)" "ms" 1000000 "" shell
row "\`make -j2\` of tests/make (whole run, after \`make clean\`)" "$(median make native)" \
    "$(median make meridian)" "ms" 1000000 "" make

status=0
for failed in "$samples"/*.failed; do
    [[ -e $failed ]] || continue
    status=1
    echo
    echo "Sandboxed case $(basename "$failed" .failed) failed; the end of its stderr:"
    sed 's/^/    /' "$failed"
done
exit $status

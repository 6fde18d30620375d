#!/usr/bin/env bash
# Filesystem benchmark (issue 3): each case natively and under `meridian run`, with the ratio
# to native from the same run (medians; native and sandboxed runs alternate). A benchmark, not
# a test: it prints figures (Markdown, for docs/performance.md) and whether the target holds.
#
# Usage: bash scripts/bench-fs.sh [-n REPS] [-f FILES]
#   -n REPS   repetitions of every case (default 5)
#   -f FILES  files per case (default 10000)
#
# Cases:
#   create, stat and unlink FILES files in /tmp (bench/c/fs_files.c, timed inside the program):
#     natively in a host tmpfs (/dev/shm), sandboxed in the in-memory /tmp
#   untar a FILES-file tree (busybox tar -x, whole-process wall time): natively into /dev/shm,
#     sandboxed into the in-memory /tmp, the archive read from a read-only host volume
#   find over a host directory of FILES files (busybox find, whole-process wall time): natively
#     on the directory, sandboxed on it mounted read-only
# Target (issue 3): the in-memory cases (create+stat+unlink, untar) at most 2x native.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reps=5
files=10000
while getopts "n:f:h" opt; do
    case "$opt" in
    n) reps=$OPTARG ;;
    f) files=$OPTARG ;;
    *)
        sed -n '/^# Usage/,/^# Target/p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
    esac
done
say() { echo "bench-fs: $*" >&2; }
TARGET_RATIO=2

[[ -d /dev/shm && -w /dev/shm ]] || {
    say "/dev/shm (a host tmpfs) is needed for the native side"
    exit 1
}
[[ -x /bin/busybox ]] || {
    say "/bin/busybox not found (scripts/test-deps.sh installs busybox-static)"
    exit 1
}
say "building meridian (release)"
cargo build --release -q -p meridian
meridian=$(pwd)/target/x86_64-unknown-linux-gnu/release/meridian
bin=$(pwd)/target/bench
mkdir -p "$bin"
gcc -O2 -static -Wall -Wextra -o "$bin/fs_files" bench/c/fs_files.c
gcc -O2 -static -Wall -Wextra -o "$bin/spawn" bench/c/spawn.c

work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/meridian-bench.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT
samples="$work/samples"
mkdir -p "$samples" "$work/tree" "$work/in"

say "making a $files-file tree (100 directories) and its tar archive"
/usr/bin/python3 - "$work/tree" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%d" % i), "w") as f:
        f.write("x" * (i % 64))
PY
(cd "$work/tree" && /bin/busybox tar -cf "$work/in/tree.tar" .)

# wall CMD...: one run's wall time in ns (stdout of CMD to /dev/null).
wall() { "$bin/spawn" 1 "$@" | awk '{ print $1 }'; }

for ((r = 1; r <= reps; r++)); do
    say "repetition $r/$reps"
    "$bin/fs_files" "$shm" "$files" >>"$samples/files.native"
    "$meridian" run --mount "$bin:/b:ro" -- /b/fs_files /tmp "$files" >>"$samples/files.meridian"
    mkdir "$shm/untar"
    wall /bin/busybox tar -xf "$work/in/tree.tar" -C "$shm/untar" >>"$samples/untar.native"
    rm -rf "$shm/untar"
    wall "$meridian" run --mount "$work/in:/in:ro" -- /bin/busybox tar -xf /in/tree.tar -C /tmp \
        >>"$samples/untar.meridian"
    wall /bin/busybox find "$work/tree" >>"$samples/find.native"
    wall "$meridian" run --mount "$work/tree:/v:ro" -- /bin/busybox find /v >>"$samples/find.meridian"
done

median_of() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
phase() { awk -v p="$2" '$1 == p { print $2 }' "$1" | median_of; }
row() { # LABEL NATIVE MERIDIAN UNIT DIVISOR TARGET(yes/empty)
    awk -v l="$1" -v n="$2" -v m="$3" -v u="$4" -v d="$5" -v t="$6" -v tr="$TARGET_RATIO" 'BEGIN {
        r = m / n
        printf "| %s | %.1f %s | %.1f %s | %.2f× | %s |\n", l, n / d, u, m / d, u, r,
            (t == "" ? "—" : (r <= tr ? "yes (≤ " tr "×)" : "no (> " tr "×)"))
    }'
}

echo "## Filesystem (issue 3): $files files, median of $reps"
echo
echo "Machine: $(nproc) CPUs, $(uname -r); native in-memory cases on /dev/shm (tmpfs)."
echo
echo "| case | native | meridian | ratio | target met |"
echo "|---|---|---|---|---|"
# The target case is the three together; each phase alone is context.
# (fs_files prints three lines per run: create, stat, unlink.)
total() { awk '{ t += $2 } NR % 3 == 0 { print t; t = 0 }' "$1" | median_of; }
row "create + stat + unlink one file in /tmp (per file)" "$(total "$samples/files.native")" \
    "$(total "$samples/files.meridian")" "µs" 1000 yes
for p in create stat unlink; do
    row "&nbsp;&nbsp;$p alone (per file)" "$(phase "$samples/files.native" "$p")" \
        "$(phase "$samples/files.meridian" "$p")" "µs" 1000 ""
done
row "untar a $files-file tree into /tmp (busybox tar, whole run)" "$(median_of <"$samples/untar.native")" \
    "$(median_of <"$samples/untar.meridian")" "ms" 1000000 yes
row "find over a host volume of $files files (busybox find, whole run)" \
    "$(median_of <"$samples/find.native")" "$(median_of <"$samples/find.meridian")" "ms" 1000000 ""

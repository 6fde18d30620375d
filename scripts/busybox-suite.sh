#!/usr/bin/env bash
# The busybox conformance suite (docs/conformance.md): Debian's busybox testsuite, for the
# installed busybox-static, run natively and inside Meridian; every case that passes natively
# must pass sandboxed unless tests/busybox-suite/KNOWN_FAILURES lists it with a reason.
#
# Usage: scripts/busybox-suite.sh [--native-only] [APPLET...]
#        scripts/busybox-suite.sh --fetch-only
#        scripts/busybox-suite.sh --compare NATIVE.tsv SANDBOX.tsv
#   --native-only   run only the native side (checks the suite and this script themselves)
#   APPLET...       run only these applets' tests (triage); the known-failures checks then
#                   apply to these applets' entries only
#   --fetch-only    only obtain the testsuite (scripts/test.sh does, before the tests)
#   --compare       only the comparison, of two result files of earlier runs (lines
#                   `APPLET: NAME<TAB>STATUS`, as the runs leave in $BUSYBOX_SUITE_DIR/run/)
#
# Fails (non-zero) when the testsuite cannot be obtained (saying what failed and how to fix
# it), when a case that passes natively does not pass sandboxed and is not listed, when a
# listed case passes sandboxed (the list only shrinks), or when fewer than 95% of the cases
# that pass natively pass sandboxed.
#
# Environment:
#   MERIDIAN            the meridian binary (default: built with cargo, debug)
#   BUSYBOX_SUITE_JOBS  parallel shards per side (default: the number of CPUs)
#   BUSYBOX_SUITE_DIR   cache and work directory (default: $CARGO_TARGET_DIR or target/,
#                       then busybox-suite/); the unpacked testsuite is cached there, so reruns
#                       need no network
#   SHARD_TIMEOUT       seconds one shard may take on one side (default 1200)
#   BUSYBOX_SUITE_VERBOSE=1  runtest prints each failing case's diff and output (triage);
#                       they end up in $BUSYBOX_SUITE_DIR/run/{native,sandbox}-N.err
#   BUSYBOX_SUITE_KNOWN_FAILURES  the known-failures file (default
#                       tests/busybox-suite/KNOWN_FAILURES)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runner_dir="$repo/tests/busybox-suite"
known_failures=${BUSYBOX_SUITE_KNOWN_FAILURES:-$runner_dir/KNOWN_FAILURES}
busybox=/bin/busybox
# Required share of the natively passing cases that pass sandboxed, in percent (issue 4).
min_pass_percent=95
# Unlisted failures printed at most (all of them are in compare.tsv).
max_listed=100
target_dir=${CARGO_TARGET_DIR:-$repo/target}
suite_dir=${BUSYBOX_SUITE_DIR:-$target_dir/busybox-suite}
jobs=${BUSYBOX_SUITE_JOBS:-$(nproc 2>/dev/null || echo 2)}
shard_timeout=${SHARD_TIMEOUT:-1200}

say() { echo "busybox-suite: $*" >&2; }
die() {
    say "$*"
    exit 1
}

usage() {
    echo "usage: $0 [--native-only] [APPLET...] | --fetch-only | --compare NATIVE.tsv SANDBOX.tsv" >&2
    exit 2
}
native_only=0
fetch_only=0
compare_only=()
applets_wanted=()
while (($#)); do
    case "$1" in
    --native-only) native_only=1 ;;
    --fetch-only) fetch_only=1 ;;
    --compare)
        (($# == 3)) || usage
        compare_only=("$2" "$3")
        shift 2
        ;;
    -*) usage ;;
    *) applets_wanted+=("$1") ;;
    esac
    shift
done

# Compares the result files $cmp/native.tsv and $cmp/sandbox.tsv with the known failures;
# prints the verdict and returns non-zero on failure. With applets_wanted, only the entries of
# the applets in $applets count.
compare() {
    local cmp=$1 failed passing_native passing_both unlisted fixed stale percent
    # Known failures: `APPLET: NAME -- REASON` lines; # comments and blank lines are ignored.
    [[ -f $known_failures ]] || die "$known_failures is missing"
    awk '
        /^[[:space:]]*(#|$)/ { next }
        {
            i = index($0, " -- ")
            if (i == 0 || i == 1 || length($0) < i + 4) {
                printf "busybox-suite: %s:%d: expected `APPLET: NAME -- REASON`\n", FILENAME, FNR > "/dev/stderr"
                bad = 1; next
            }
            print substr($0, 1, i - 1) "\t" substr($0, i + 4)
        }
        END { exit bad }' "$known_failures" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 >"$cmp/known.tsv" ||
        die "$known_failures has malformed lines (above)"
    if ((${#applets_wanted[@]})); then
        # Only the entries of the applets that ran.
        awk -F '\t' -v list=" ${applets[*]} " '{ a = $1; sub(/: .*/, "", a) } index(list, " " a " ")' \
            "$cmp/known.tsv" >"$cmp/known.sel" && mv "$cmp/known.sel" "$cmp/known.tsv"
    fi

    # One line per natively passing case: KEY, sandbox status (MISSING if it printed none), and
    # the reason it is listed (empty if not).
    awk -F '\t' '
        FILENAME == ARGV[1] { sb[$1] = $2; next }
        FILENAME == ARGV[2] { known[$1] = $2; next }
        $2 == "PASS" { print $1 "\t" ($1 in sb ? sb[$1] : "MISSING") "\t" ($1 in known ? known[$1] : "") }
    ' "$cmp/sandbox.tsv" "$cmp/known.tsv" "$cmp/native.tsv" >"$cmp/compare.tsv"

    failed=0
    passing_native=$(wc -l <"$cmp/compare.tsv")
    passing_both=$(awk -F '\t' '$2 == "PASS"' "$cmp/compare.tsv" | wc -l)

    unlisted=$(awk -F '\t' '$2 != "PASS" && $3 == "" { print "  " $1 " (sandboxed: " $2 ")" }' "$cmp/compare.tsv")
    if [[ -n $unlisted ]]; then
        local n_unlisted
        n_unlisted=$(wc -l <<<"$unlisted")
        echo "FAIL: $n_unlisted cases pass natively but not sandboxed, and are not in $known_failures:"
        head -n "$max_listed" <<<"$unlisted"
        ((n_unlisted <= max_listed)) || echo "  ... and $((n_unlisted - max_listed)) more (all in compare.tsv)"
        failed=1
    fi
    fixed=$(awk -F '\t' '$2 == "PASS" && $3 != "" { print "  " $1 }' "$cmp/compare.tsv")
    if [[ -n $fixed ]]; then
        echo "FAIL: listed in $known_failures but now pass sandboxed (remove them: the list only shrinks):"
        echo "$fixed"
        failed=1
    fi
    # Entries that match no natively passing case compare nothing: say so, without failing (a
    # case may fail natively on one machine and pass on another, e.g. as root or not).
    stale=$(cut -f1 "$cmp/compare.tsv" | LC_ALL=C join -t "$(printf '\t')" -v1 "$cmp/known.tsv" - | cut -f1)
    if [[ -n $stale ]]; then
        say "warning: $known_failures entries that match no case passing natively here:"
        sed 's/^/  /' <<<"$stale" >&2
    fi

    percent=$(awk -v a="$passing_both" -v b="$passing_native" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')
    echo "pass natively and sandboxed: $passing_both of $passing_native ($percent%; required: $min_pass_percent%)"
    if ((passing_both * 100 < passing_native * min_pass_percent)); then
        echo "FAIL: under $min_pass_percent% of the natively passing cases pass sandboxed"
        failed=1
    fi
    return "$failed"
}

# `--compare`: the comparison alone, of two result files.
if ((${#compare_only[@]})); then
    ((${#applets_wanted[@]} == 0 && native_only == 0 && fetch_only == 0)) || usage
    cmp=$(mktemp -d)
    trap 'rm -rf "$cmp"' EXIT
    LC_ALL=C sort -t "$(printf '\t')" -k1,1 "${compare_only[0]}" >"$cmp/native.tsv"
    LC_ALL=C sort -t "$(printf '\t')" -k1,1 "${compare_only[1]}" >"$cmp/sandbox.tsv"
    compare "$cmp"
    exit
fi

# ---------------------------------------------------------------------------------------------
# 1. The testsuite: Debian's busybox source package of the installed busybox-static version.

[[ -x $busybox ]] || die "$busybox not found: install busybox-static (bash scripts/test-deps.sh)"
src_pkg=$(dpkg-query -W -f='${source:Package}' busybox-static 2>/dev/null) ||
    die "busybox-static is not installed (dpkg-query found no such package): run bash scripts/test-deps.sh"
src_ver=$(dpkg-query -W -f='${source:Version}' busybox-static)
cache="$suite_dir/src-${src_ver//:/_}"

# Writes deb-src entries for every enabled `deb` entry of the machine's apt sources into a
# private directory; the machine's own apt configuration is left as it is.
derive_deb_src() {
    local out=$1 sourcelist sourceparts f
    eval "$(apt-config shell sourcelist Dir::Etc::sourcelist/f sourceparts Dir::Etc::sourceparts/d)"
    : >"$out/sources.list"
    for f in "$sourcelist" "$sourceparts"/*.list; do
        [[ -f $f ]] || continue
        # One-line style (sources.list(5)): `deb [options] URI suite components`.
        sed -n -E 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' "$f" >>"$out/sources.list"
    done
    for f in "$sourceparts"/*.sources; do
        [[ -f $f ]] || continue
        # deb822 style: stanzas separated by blank lines; keep the stanzas whose Types include
        # deb and that are not `Enabled: no`, with Types set to deb-src.
        awk -v RS= -v ORS='\n\n' '
            /(^|\n)[Ee]nabled:[[:space:]]*[Nn][Oo]/ { next }
            /(^|\n)Types:[^\n]*(^|[[:space:]])deb([[:space:]]|\n|$)/ {
                sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print
            }' "$f" >>"$out/sources.list.d/${f##*/}"
    done
}

fetch_testsuite() {
    local tmp apt_dir log dsc unpacked
    command -v apt-get >/dev/null || die "apt-get not found: the testsuite comes from Debian's busybox source package"
    command -v dpkg-source >/dev/null ||
        die "dpkg-source not found: install dpkg-dev (it unpacks Debian source packages)"
    say "fetching the $src_pkg $src_ver source package with apt (once; cached in $cache)"
    rm -rf "$suite_dir/fetch"
    tmp="$suite_dir/fetch"
    apt_dir="$tmp/apt"
    mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$tmp/dl"
    derive_deb_src "$apt_dir"
    local apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::Cache=$apt_dir/cache"
    )
    log="$tmp/apt.log"
    # A derived deb-src entry for a repository that publishes no sources makes the update
    # fail while the others succeed: judge by whether `apt-get source` then works.
    apt-get "${apt_opts[@]}" -q update >"$log" 2>&1 || true
    if ! (cd "$tmp/dl" && apt-get "${apt_opts[@]}" -q source --download-only "$src_pkg=$src_ver") >>"$log" 2>&1; then
        cat "$log" >&2
        die "could not download the source package $src_pkg=$src_ver with apt (log above).
  The deb-src entries were derived from this machine's apt sources into $apt_dir (the
  machine's configuration is unchanged). Check network access to the Debian archive, and that
  the archive still has version $src_ver (if not, upgrade busybox-static: apt-get install
  --only-upgrade busybox-static), then rerun."
    fi
    dsc=$(find "$tmp/dl" -maxdepth 1 -name '*.dsc' | head -n1)
    [[ -n $dsc ]] || die "apt-get source left no .dsc in $tmp/dl"
    unpacked="$tmp/src"
    dpkg-source --no-check -x "$dsc" "$unpacked" >>"$log" 2>&1 || {
        cat "$log" >&2
        die "dpkg-source -x $dsc failed (log above)"
    }
    [[ -x $unpacked/testsuite/runtest && -f $unpacked/debian/config/pkg/static ]] ||
        die "the source package has no testsuite/runtest or debian/config/pkg/static: its layout changed; update $0"
    # As debian/rules prepares it: mdev.tests removed (it needs chroot and device nodes), the
    # OS-specific testsuite patch applied (there is none for Linux today).
    rm -f "$unpacked/testsuite/mdev.tests"
    if [[ -f $unpacked/debian/testsuite-linux.diff ]]; then
        patch -s -p1 -d "$unpacked" <"$unpacked/debian/testsuite-linux.diff"
    fi
    rm -rf "$cache"
    mkdir -p "$cache"
    cp -R "$unpacked/testsuite" "$cache/testsuite"
    # The config of the busybox-static flavour: debian/rules checks that the build's .config
    # is exactly this file, so it is the .config the installed binary was built from.
    cp "$unpacked/debian/config/pkg/static" "$cache/busybox.config"
    touch "$cache/.complete"
    rm -rf "$tmp"
}

if [[ ! -f $cache/.complete ]]; then
    mkdir -p "$suite_dir"
    # Two runs at once (say, two cargo tests) must not fetch into the same place.
    exec {lock_fd}>"$suite_dir/.fetch.lock"
    flock "$lock_fd"
    [[ -f $cache/.complete ]] || fetch_testsuite
    flock -u "$lock_fd"
fi
if ((fetch_only)); then
    ((${#applets_wanted[@]} == 0 && native_only == 0)) || usage
    say "testsuite of $src_pkg $src_ver ready in $cache"
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# 2. The applets to test: those built into /bin/busybox that have tests, as runtest picks them.

mapfile -t built < <(
    echo busybox
    "$busybox" --list
)
applets=()
for a in "${built[@]}"; do
    [[ -e $cache/testsuite/$a || -e $cache/testsuite/$a.tests ]] || continue
    if ((${#applets_wanted[@]})); then
        [[ " ${applets_wanted[*]} " == *" $a "* ]] || continue
    fi
    applets+=("$a")
done
mapfile -t applets < <(printf '%s\n' "${applets[@]}" | sort -u)
for a in "${applets_wanted[@]}"; do
    [[ " ${applets[*]} " == *" $a "* ]] || die "no tests for applet '$a' (or it is not built into $busybox)"
done
((${#applets[@]})) || die "no applet has tests in $cache/testsuite"

# The environment of the suite on both sides, as debian/rules sets it (less ECHO: run-shard.sh
# runs the tests with busybox's sh, whose echo understands -n and -e; it sets SHELL to that sh).
suite_env=(LANG=C.UTF-8 LC_ALL=C.UTF-8 SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y TERM=dumb TZ=UTC0)
# BUSYBOX_SUITE_VERBOSE=1: runtest prints every failing case's diff, into $out/SIDE-N.err.
[[ ${BUSYBOX_SUITE_VERBOSE:-} == 1 ]] && suite_env+=(VERBOSE=1)

# Per mode, so that a native-only run and a full one may run at the same time.
out="$suite_dir/run"
((native_only)) && out="$suite_dir/run-native"
rm -rf "$out"
mkdir -p "$out"

# Shard i gets every jobs-th applet: the applets' run times are uneven, this spreads them.
shard_applets() {
    local i=$1 k
    for ((k = i; k < ${#applets[@]}; k += jobs)); do
        printf '%s\n' "${applets[k]}"
    done
}

# Runs one side's shards in parallel; each writes $out/$side-$i.out (run-shard.sh's stdout) and
# .err. $2 is the function that runs one shard, given the shard number and its applets.
run_side() {
    local side=$1 i
    shift
    local pids=()
    for ((i = 0; i < jobs && i < ${#applets[@]}; i++)); do
        mapfile -t mine < <(shard_applets "$i")
        "$@" "$i" "${mine[@]}" >"$out/$side-$i.out" 2>"$out/$side-$i.err" </dev/null &
        pids+=($!)
    done
    local rc
    for i in "${!pids[@]}"; do
        rc=0
        wait "${pids[i]}" || rc=$?
        if ((rc != 0)) || ! grep -q '^DONE' "$out/$side-$i.out"; then
            # The harness itself failed: its cases will be MISSING; show why.
            local why=""
            ((rc == 124)) && why=" (timed out after $shard_timeout s)"
            say "$side shard $i exited with status $rc$why; its stderr begins:"
            head -n 5 "$out/$side-$i.err" | sed 's/^/    /' >&2
        fi
    done
}

native_shard() {
    local i=$1
    shift
    mkdir -p "$out/native-home-$i"
    timeout --kill-after=10 "$shard_timeout" env -i HOME="$out/native-home-$i" USER="$(id -un 2>/dev/null || id -u)" "${suite_env[@]}" \
        "$busybox" sh "$runner_dir/run-shard.sh" "$cache" "$out/native-$i" "$@"
}

sandbox_shard() {
    local i=$1
    shift
    local env_flags=() kv
    for kv in "${suite_env[@]}"; do env_flags+=(--env "$kv"); done
    # The guest runs with the caller's uid and gid, as the native side does; the suite is
    # mounted read-only and copied into the sandbox's in-memory /tmp by run-shard.sh.
    timeout --kill-after=10 "$shard_timeout" "$meridian" run --user "$(id -u):$(id -g)" \
        --mount "$cache:/suite:ro" --mount "$runner_dir:/runner:ro" "${env_flags[@]}" \
        -- "$busybox" sh /runner/run-shard.sh /suite "/tmp/work-$i" "$@"
}

# Turns run-shard.sh's output into `KEY<TAB>STATUS` lines, KEY being `APPLET: NAME` (with
# ` [2]`, ` [3]` ... appended to repeated names within an applet), sorted by KEY.
collect() {
    local side=$1
    cat "$out/$side"-*.out | awk -F '\t' '
        $1 == "RESULT" {
            key = $3 ": " $4
            n = ++seen[key]
            if (n > 1) key = key " [" n "]"
            print key "\t" $2
        }' | LC_ALL=C sort -t "$(printf '\t')" -k1,1 >"$out/$side.tsv"
    # Applets whose runtest did not finish: their remaining cases are missing.
    cat "$out/$side"-*.out | awk -F '\t' '$1 == "DONE" && $3 != 0 && $3 != 1 {
        print "busybox-suite: '"$side"': runtest for " $2 " ended with status " $3 " (timeout: 124)" > "/dev/stderr"
    }'
}

count() { awk -F '\t' -v s="$2" '$2 == s { n++ } END { print n + 0 }' "$1"; }

summary() {
    local side=$1 f="$out/$1.tsv"
    printf '%-9s %4d cases: %4d passed, %4d failed, %3d skipped, %3d untested\n' "$side" \
        "$(wc -l <"$f")" "$(count "$f" PASS)" "$(count "$f" FAIL)" "$(count "$f" SKIPPED)" \
        "$(count "$f" UNTESTED)"
}

start=$SECONDS
say "running ${#applets[@]} applets' tests natively in $jobs shards"
run_side native native_shard
collect native
summary native
say "native side took $((SECONDS - start)) s; logs in $out/native-*/logs/"
[[ $(count "$out/native.tsv" PASS) -gt 0 ]] || die "no case passed natively: the suite itself is broken (see $out/native-*.err)"

if ((native_only)); then
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# 3. The sandboxed side, and the comparison.

if [[ -z ${MERIDIAN:-} ]]; then
    (cd "$repo" && cargo build -q -p meridian) || die "cargo build -p meridian failed"
    meridian="$target_dir/x86_64-unknown-linux-gnu/debug/meridian"
else
    meridian=$MERIDIAN
fi
[[ -x $meridian ]] || die "meridian binary not found at $meridian (set MERIDIAN)"

start=$SECONDS
say "running the same tests inside the sandbox ($meridian)"
run_side sandbox sandbox_shard
collect sandbox
summary sandbox
say "sandboxed side took $((SECONDS - start)) s; meridian's stderr in $out/sandbox-*.err"

status=0
compare "$out" || status=$?
echo "results: $out/{native,sandbox,compare}.tsv"
exit "$status"

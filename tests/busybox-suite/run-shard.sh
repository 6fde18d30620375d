# Runs a share of Debian's busybox testsuite: POSIX sh, run by busybox sh, natively and inside
# the sandbox alike (scripts/busybox-suite.sh drives it; docs/conformance.md).
#
# Usage: busybox sh run-shard.sh SRC WORK APPLET...
#   SRC   the cached suite: SRC/testsuite (busybox's testsuite/ directory as Debian patches it)
#         and SRC/busybox.config (Debian's config of the busybox-static flavour, the .config
#         the installed binary was built from)
#   WORK  a scratch directory, emptied first; it becomes runtest's $bindir: the busybox
#         binary, .config, one symlink per applet (so `sh`, `sed` ... are busybox's), and a
#         copy of the testsuite (runtest writes its scratch files beside the tests)
#
# Prints one line per case: `RESULT<TAB>STATUS<TAB>APPLET<TAB>NAME`, STATUS one of PASS, FAIL,
# SKIPPED, UNTESTED (runtest's words), and `DONE<TAB>APPLET<TAB>EXIT` after each applet.
# runtest's full output for applet A is kept in WORK/logs/A.log, and copied to stderr when
# VERBOSE is set.
#
# BUSYBOX (default /bin/busybox) is the binary under test; APPLET_TIMEOUT (default 300)
# bounds one applet's tests in seconds.
set -u

src=$1
work=$2
shift 2
busybox=${BUSYBOX:-/bin/busybox}
applet_timeout=${APPLET_TIMEOUT:-300}

rm -rf "$work"
mkdir -p "$work/logs" || exit 1
cp "$busybox" "$work/busybox" || exit 1
cp "$src/busybox.config" "$work/.config" || exit 1
for a in $("$work/busybox" --list); do
    [ "$a" = busybox ] || ln -s busybox "$work/$a" || exit 1
done
cp -R "$src/testsuite" "$work/testsuite" || exit 1
# runtest starts each *.tests script through its `#!/bin/sh` line: the host's shell (dash on
# Debian), whose echo lacks -n/-e (Debian's build sets ECHO=/bin/echo for that) and expands
# backslashes in the case names it prints. Point those lines at busybox's sh instead, so that
# the whole suite is busybox alone.
for t in "$work"/testsuite/*.tests; do
    sed -i "1s|^#!/bin/sh\$|#!$work/sh|" "$t" || exit 1
    [ "$(head -n 1 "$t")" = "#!$work/sh" ] || {
        echo "run-shard.sh: $t does not start with #!/bin/sh" >&2
        exit 1
    }
done

# The same PATH natively and sandboxed: the applet links first, then the system's.
PATH="$work:/usr/sbin:/usr/bin:/sbin:/bin"
# taskset.tests runs `$SHELL -c` (debian/rules passes its SHELL for it): busybox's sh too.
SHELL="$work/sh"
export PATH SHELL

cd "$work/testsuite" || exit 1
for applet in "$@"; do
    # runtest's stdin is /dev/null: a test that wrongly reads it must not wait for a terminal.
    timeout "$applet_timeout" sh ./runtest "$applet" </dev/null >"$work/logs/$applet.log" 2>&1
    rc=$?
    sed -n -E "s/^(PASS|FAIL|SKIPPED|UNTESTED): (.*)\$/RESULT	\\1	$applet	\\2/p" \
        "$work/logs/$applet.log"
    # With VERBOSE (runtest then prints each failing case's diff and output), the log goes to
    # stderr too: inside the sandbox the work directory is gone when it ends.
    if [ -n "${VERBOSE:-}" ]; then
        sed "s|^|$applet.log: |" "$work/logs/$applet.log" >&2
    fi
    printf 'DONE\t%s\t%s\n' "$applet" "$rc"
done

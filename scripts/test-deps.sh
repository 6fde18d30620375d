#!/usr/bin/env bash
# Checks for the host tools that Meridian's tests use and installs whatever is missing.
#
# The dual-run tests compile small C programs (gcc, libc6-dev) and run real programs natively
# and in the sandbox: a statically linked busybox at /bin/busybox (busybox-static),
# /usr/bin/python3 with its sqlite3 module, the sqlite3 command-line tool, make (the make -j2
# build test) and zip (one busybox suite case builds its archive with it). The busybox
# conformance suite (scripts/busybox-suite.sh) unpacks Debian's busybox source package with
# dpkg-source (dpkg-dev).
#
# Silent when everything is present. Otherwise it says what is missing and installs it with
# apt-get (non-interactive; `apt-get update` first), using sudo when not root. Exits non-zero,
# saying why, when it cannot.
#
# Usage: scripts/test-deps.sh [--check]   (--check: report what is missing, install nothing)
set -euo pipefail

check_only=0
case "${1:-}" in
"") ;;
--check) check_only=1 ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

say() { echo "test-deps: $*" >&2; }

have_gcc() { command -v gcc >/dev/null 2>&1; }

# libc6-dev: headers, and the static libc that `gcc -static` needs.
have_libc_dev() {
    have_gcc || return 1
    [[ -e /usr/include/stdio.h ]] || return 1
    local libc_a
    libc_a=$(gcc -print-file-name=libc.a 2>/dev/null) || return 1
    [[ "$libc_a" == /* && -e "$libc_a" ]]
}

# busybox-static: /bin/busybox must be statically linked (no ELF interpreter). The dynamic
# `busybox` package installs the same path, so a mere existence check is not enough.
have_busybox_static() {
    [[ -x /bin/busybox ]] || return 1
    if command -v readelf >/dev/null 2>&1; then
        ! LC_ALL=C readelf --program-headers /bin/busybox 2>/dev/null | grep -q 'INTERP'
    else
        # Without binutils we cannot tell; accept it (gcc pulls in binutils anyway).
        return 0
    fi
}

have_python3() { [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import sqlite3' >/dev/null 2>&1; }

have_sqlite3() { command -v sqlite3 >/dev/null 2>&1; }

have_gxx() { command -v g++ >/dev/null 2>&1; }

have_prlimit() { command -v prlimit >/dev/null 2>&1; }

have_make() { command -v make >/dev/null 2>&1; }
have_zip() { command -v zip >/dev/null 2>&1; }
have_dpkg_source() { command -v dpkg-source >/dev/null 2>&1; }

# One row per requirement: package|check function|what it is for.
requirements=(
    "gcc|have_gcc|gcc (compiles the C test programs)"
    "libc6-dev|have_libc_dev|libc headers and static libc.a (gcc -static)"
    "busybox-static|have_busybox_static|statically linked /bin/busybox"
    "python3|have_python3|/usr/bin/python3 with the sqlite3 module"
    "sqlite3|have_sqlite3|the sqlite3 command-line tool"
    "g++|have_gxx|g++ (libfuzzer-sys compiles libFuzzer when the fuzz targets are built)"
    "util-linux|have_prlimit|prlimit (native runs under the limits the policy tests compare with)"
    "make|have_make|make (crates/cli/tests/build.rs builds tests/make with make -j2)"
    "zip|have_zip|zip (the busybox suite's unzip case builds its archive with it)"
    "dpkg-dev|have_dpkg_source|dpkg-source (unpacks Debian's busybox source for scripts/busybox-suite.sh)"
)

missing_pkgs=()
check_all() {
    missing_pkgs=()
    local row pkg check what
    for row in "${requirements[@]}"; do
        IFS='|' read -r pkg check what <<<"$row"
        if ! "$check"; then
            missing_pkgs+=("$pkg")
            say "missing: $what (package $pkg)"
        fi
    done
}

check_all
if ((${#missing_pkgs[@]} == 0)); then
    exit 0
fi

if ((check_only)); then
    say "not installing (--check); to install: apt-get install ${missing_pkgs[*]}"
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get not found: install these packages (or their equivalents) by hand: ${missing_pkgs[*]}"
    exit 1
fi

sudo_cmd=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo_cmd=(sudo -n)
    else
        say "not root and no password-less sudo: run as root: apt-get install ${missing_pkgs[*]}"
        exit 1
    fi
fi

apt_env=(env DEBIAN_FRONTEND=noninteractive)
say "installing: ${missing_pkgs[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "${sudo_cmd[@]}" "${apt_env[@]}" apt-get update -q >"$log" 2>&1; then
    cat "$log" >&2
    say "apt-get update failed (see above); check network access and the apt sources"
    exit 1
fi
if ! "${sudo_cmd[@]}" "${apt_env[@]}" apt-get install -y -q --no-install-recommends \
    "${missing_pkgs[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    say "apt-get install ${missing_pkgs[*]} failed (see above)"
    exit 1
fi

check_all
if ((${#missing_pkgs[@]} != 0)); then
    say "still missing after installing: ${missing_pkgs[*]}"
    exit 1
fi
say "installed; all test dependencies present"

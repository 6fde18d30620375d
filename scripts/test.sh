#!/usr/bin/env bash
# The project's test command: host dependencies, formatting, lints, tests, the check that
# docs/syscalls.md matches the syscall table, and a build of the cargo-fuzz targets (on
# stable, without sanitizers: running them needs nightly, see scripts/fuzz.sh). Run from anywhere: `bash scripts/test.sh`.
#
# MERIDIAN_NATIVE_ONLY=1 makes the dual-run tests (busybox, python3) run only the native side.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "test dependencies (scripts/test-deps.sh)"
bash scripts/test-deps.sh

step "busybox testsuite obtained (scripts/busybox-suite.sh --fetch-only; cached after the first run)"
bash scripts/busybox-suite.sh --fetch-only

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace"
cargo test --workspace

step "syscall table is current (docs/syscalls.md)"
cargo run -q -p meridian -- syscalls --check docs/syscalls.md

step "cargo-fuzz targets build (fuzz/; their corpora are replayed by cargo test above)"
cargo build -q --manifest-path fuzz/Cargo.toml --bins

step "all checks passed"

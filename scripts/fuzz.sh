#!/usr/bin/env bash
# Run one fuzz target for a while with cargo-fuzz (needs a nightly toolchain and
# `cargo install cargo-fuzz`); new interesting inputs land in fuzz/corpus/TARGET, which the
# stable tests of crates/fuzz-targets replay (so CI checks them without a fuzzer).
#
#   bash scripts/fuzz.sh TARGET [SECONDS]     TARGET: syscalls | elf | paths | tar_image | policy
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="${1:?usage: scripts/fuzz.sh syscalls|elf|paths|tar_image|policy [SECONDS]}"
seconds="${2:-60}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: a nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: cargo-fuzz is needed (cargo install cargo-fuzz)" >&2
  exit 1
fi
mkdir -p "fuzz/corpus/$target"
# The workspace's .cargo/config.toml asks for static linking, which the sanitizers cannot use;
# cargo-fuzz's own RUSTFLAGS take precedence over it.
cd fuzz
exec cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=4096

//! Link the tests' `abort` to the platform's (`fatal::__wrap_abort`), as the runner's binary
//! is (crates/cli/build.rs), so `tests/fatal.rs` checks what the runner does.

fn main() {
    println!("cargo:rustc-link-arg-tests=-Wl,--wrap=abort");
}

//! Link the runner's `abort` to the platform's (`meridian_platform_linux::fatal`): glibc's
//! makes a host call the seccomp filter refuses before it raises SIGABRT. Only the binary:
//! the integration tests that do not link the platform have no `__wrap_abort`.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--wrap=abort");
}

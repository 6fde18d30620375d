//! Link the runner's `abort` to the platform's (`meridian_platform_linux::fatal`): glibc's
//! makes a host call the seccomp filter refuses before it raises SIGABRT.

fn main() {
    println!("cargo:rustc-link-arg=-Wl,--wrap=abort");
}

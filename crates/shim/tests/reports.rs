//! Reports of unsupported calls are bounded: their keys are guest values (a call number, an
//! option), so a guest that makes up a new one each time must not grow the kernel's memory
//! (or stderr) without bound.

use meridian_abi::CpuContext;
use meridian_platform_test::TestPlatform;
use meridian_shim::MAX_REPORTS;
use meridian_shim::table::{Outcome, dispatch};

#[test]
fn reports_of_unsupported_calls_stop_after_max_reports() {
    let p: &'static TestPlatform = Box::leak(Box::new(TestPlatform::new(b"")));
    let (k, t) = meridian_shim::setup::minimal(p).unwrap();
    const ENOSYS: u16 = 38;
    for n in 0..4 * MAX_REPORTS as u64 {
        let mut ctx = CpuContext::with_syscall_args([0; 6]);
        let out = dispatch(&k, &t, 100_000 + n, &mut ctx, &mut []);
        assert!(
            matches!(out, Outcome::Return(Err(e)) if e.0.0 == ENOSYS),
            "call {n}"
        );
    }
    let stderr = String::from_utf8(p.stderr()).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), MAX_REPORTS + 1, "{stderr}");
    assert_eq!(
        lines.first().copied(),
        Some("meridian: unsupported system call 100000: returning ENOSYS")
    );
    assert_eq!(
        lines.last().copied(),
        Some("meridian: 256 kinds of unsupported calls reported: no more are")
    );
}

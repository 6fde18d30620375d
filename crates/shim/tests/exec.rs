//! execve(2) on the in-memory test platform: a tiny static ELF written to tmpfs replaces
//! the image (registers, initial stack, mappings), close-on-exec descriptors close and
//! caught signals go back to their default; a refused exec changes nothing.

use meridian_abi::uapi as nr;
use meridian_abi::{CpuContext, Errno};
use meridian_core::platform::Platform;
use meridian_platform_test::TestPlatform;
use meridian_shim::table::{Outcome, dispatch};
use meridian_shim::{Kernel, Thread};
use std::sync::Arc;

const SCRATCH: u64 = 0x10_0000;
const SCRATCH_LEN: u64 = 0x10000;
const AT_FDCWD: u64 = (-100i64) as u64;
const LOAD_ADDR: u64 = 0x40_0000;
const O_WRONLY_CREAT_TRUNC: u64 = 0o1101;
const O_RDONLY_CLOEXEC: u64 = 0o2000000;
const F_GETFD: u64 = 1;
const SIGUSR1: u64 = 10;

struct Guest {
    p: &'static TestPlatform,
    k: Kernel<TestPlatform>,
    t: Arc<Thread>,
}

impl Guest {
    fn new() -> Guest {
        let p: &'static TestPlatform = Box::leak(Box::new(TestPlatform::new(b"")));
        let (k, t) = meridian_shim::setup::minimal(p).unwrap();
        let g = Guest { p, k, t };
        let (prot, flags) = (3, 0x32); // RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED
        assert_eq!(
            g.call(
                nr::__NR_mmap,
                [SCRATCH, SCRATCH_LEN, prot, flags, u64::MAX, 0]
            ),
            SCRATCH as i64
        );
        g
    }

    fn dispatch(&self, n: u32, args: [u64; 6]) -> (Outcome, CpuContext) {
        let mut ctx = CpuContext::with_syscall_args(args);
        let out = dispatch(&self.k, &self.t, u64::from(n), &mut ctx, &mut []);
        (out, ctx)
    }

    fn call(&self, n: u32, args: [u64; 6]) -> i64 {
        match self.dispatch(n, args).0 {
            Outcome::Return(Ok(v)) => v as i64,
            Outcome::Return(Err(e)) => -i64::from(e.0.0),
            Outcome::ContextSet | Outcome::Exit(_) | Outcome::ForkChild { .. } | Outcome::Gone => {
                i64::MIN
            }
        }
    }

    fn put(&self, off: u64, bytes: &[u8]) -> u64 {
        self.p.write_guest(SCRATCH + off, bytes).unwrap();
        SCRATCH + off
    }

    fn read_u64(&self, addr: u64) -> u64 {
        let mut b = [0u8; 8];
        self.p.read_guest(addr, &mut b).unwrap();
        u64::from_le_bytes(b)
    }

    fn read_cstr(&self, addr: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        for at in addr.. {
            self.p.read_guest(at, &mut b).unwrap();
            if b[0] == 0 {
                break;
            }
            out.push(b[0]);
        }
        out
    }

    /// Write a file with `mode` through the syscalls.
    fn write_file(&self, path: &str, data: &[u8], mode: u64) {
        let p = self.put(0x8000, format!("{path}\0").as_bytes());
        let fd = self.call(
            nr::__NR_openat,
            [AT_FDCWD, p, O_WRONLY_CREAT_TRUNC, mode, 0, 0],
        );
        assert!(fd >= 0, "create {path}: {fd}");
        let buf = self.put(0x9000, data);
        assert_eq!(
            self.call(nr::__NR_write, [fd as u64, buf, data.len() as u64, 0, 0, 0]),
            data.len() as i64
        );
        assert_eq!(self.call(nr::__NR_close, [fd as u64, 0, 0, 0, 0, 0]), 0);
    }

    /// A NULL-terminated array of C strings at SCRATCH + `off`.
    fn strings(&self, off: u64, items: &[&str]) -> u64 {
        let mut at = off + 8 * (items.len() as u64 + 1);
        let mut ptrs = Vec::new();
        for s in items {
            ptrs.push(self.put(at, format!("{s}\0").as_bytes()));
            at += s.len() as u64 + 1;
        }
        ptrs.push(0);
        let raw: Vec<u8> = ptrs.iter().flat_map(|p| p.to_le_bytes()).collect();
        self.put(off, &raw)
    }
}

/// A static ET_EXEC x86-64 ELF: one read+execute PT_LOAD of the whole file at LOAD_ADDR.
fn tiny_elf() -> Vec<u8> {
    elf_at(LOAD_ADDR)
}

/// [`tiny_elf`] loaded at `load_addr`.
fn elf_at(load_addr: u64) -> Vec<u8> {
    let mut h = vec![0u8; 64 + 56 + 16];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = 2; // 64-bit
    h[5] = 1; // little-endian
    h[6] = 1; // version
    h[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    h[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    h[24..32].copy_from_slice(&(load_addr + 120).to_le_bytes()); // entry
    h[32..40].copy_from_slice(&64u64.to_le_bytes()); // phoff
    h[52..54].copy_from_slice(&64u16.to_le_bytes());
    h[54..56].copy_from_slice(&56u16.to_le_bytes());
    h[56..58].copy_from_slice(&1u16.to_le_bytes());
    let len = h.len() as u64;
    let p = &mut h[64..120];
    p[0..4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    p[4..8].copy_from_slice(&5u32.to_le_bytes()); // R|X
    p[16..24].copy_from_slice(&load_addr.to_le_bytes());
    p[24..32].copy_from_slice(&load_addr.to_le_bytes());
    p[32..40].copy_from_slice(&len.to_le_bytes());
    p[40..48].copy_from_slice(&len.to_le_bytes());
    h[120..124].copy_from_slice(&[0x0f, 0x05, 0xeb, 0xfe]); // syscall; jmp .
    h
}

/// argc, argv and envp from the initial stack at `rsp`.
fn stack_args(g: &Guest, rsp: u64) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let argc = g.read_u64(rsp);
    let argv = (0..argc)
        .map(|i| g.read_cstr(g.read_u64(rsp + 8 + 8 * i)))
        .collect();
    assert_eq!(g.read_u64(rsp + 8 + 8 * argc), 0);
    let mut envp = Vec::new();
    let mut at = rsp + 16 + 8 * argc;
    while g.read_u64(at) != 0 {
        envp.push(g.read_cstr(g.read_u64(at)));
        at += 8;
    }
    (argv, envp)
}

#[test]
fn exec_replaces_the_image() {
    let g = Guest::new();
    g.write_file("/tmp/prog", &tiny_elf(), 0o755);
    // A caught SIGUSR1 and a close-on-exec descriptor.
    let act = g.put(0x100, &[0x41u8; 32]);
    assert_eq!(g.call(nr::__NR_rt_sigaction, [SIGUSR1, act, 0, 8, 0, 0]), 0);
    let path = g.put(0x200, b"/tmp/prog\0");
    let fd = g.call(nr::__NR_openat, [AT_FDCWD, path, O_RDONLY_CLOEXEC, 0, 0, 0]);
    assert!(fd >= 3);
    let argv = g.strings(0x1000, &["prog", "first arg"]);
    let envp = g.strings(0x2000, &["E=1"]);
    let (out, ctx) = g.dispatch(nr::__NR_execve, [path, argv, envp, 0, 0, 0]);
    assert!(matches!(out, Outcome::ContextSet));
    assert_eq!(ctx.rip, LOAD_ADDR + 120);
    let (args, env) = stack_args(&g, ctx.rsp);
    assert_eq!(args, vec![b"prog".to_vec(), b"first arg".to_vec()]);
    assert_eq!(env, vec![b"E=1".to_vec()]);
    // The old mapping is gone; the new image is mapped.
    let mut b = [0u8; 1];
    assert!(g.p.read_guest(SCRATCH, &mut b).is_err());
    g.p.read_guest(LOAD_ADDR, &mut b).unwrap();
    assert_eq!(b[0], 0x7f);
    assert_eq!(
        g.call(nr::__NR_fcntl, [fd as u64, F_GETFD, 0, 0, 0, 0]),
        -i64::from(Errno::EBADF.0)
    );
    assert_eq!(g.call(nr::__NR_fcntl, [1, F_GETFD, 0, 0, 0, 0]), 0);
    // SIGUSR1 is back to SIG_DFL: read the action into the new stack.
    let old = ctx.rsp - 4096;
    assert_eq!(g.call(nr::__NR_rt_sigaction, [SIGUSR1, 0, old, 8, 0, 0]), 0);
    assert_eq!(g.read_u64(old), 0);
    assert_eq!(g.k.image.lock().comm, b"prog");
}

#[test]
fn scripts_and_refusals() {
    let g = Guest::new();
    g.write_file("/tmp/prog", &tiny_elf(), 0o755);
    g.write_file("/tmp/garbage", b"not a program\n", 0o755);
    g.write_file("/tmp/plain", &tiny_elf(), 0o644);
    g.write_file("/tmp/loop", b"#!/tmp/loop\n", 0o755);
    // Past the end of the test platform's guest range: refused before the point of no return.
    g.write_file("/tmp/far", &elf_at(0x2_0000_0000), 0o755);
    let argv = g.strings(0x1000, &["x"]);
    for (path, errno) in [
        ("/tmp/garbage", Errno::ENOEXEC),
        ("/tmp/plain", Errno::EACCES),
        ("/tmp", Errno::EACCES),
        ("/tmp/loop", Errno::ELOOP),
        ("/tmp/far", Errno::ENOMEM),
        ("/tmp/missing", Errno::ENOENT),
        ("/tmp/prog/x", Errno::ENOTDIR),
    ] {
        let p = g.put(0x200, format!("{path}\0").as_bytes());
        assert_eq!(
            g.call(nr::__NR_execve, [p, argv, 0, 0, 0, 0]),
            -i64::from(errno.0),
            "{path}"
        );
    }
    // Nothing changed: the scratch mapping is still there.
    let mut b = [0u8; 1];
    g.p.read_guest(SCRATCH, &mut b).unwrap();
    g.write_file("/tmp/script", b"#!/tmp/prog  -v  \n", 0o755);
    let p = g.put(0x200, b"/tmp/script\0");
    let argv = g.strings(0x1000, &["script", "arg"]);
    let (out, ctx) = g.dispatch(nr::__NR_execve, [p, argv, 0, 0, 0, 0]);
    assert!(matches!(out, Outcome::ContextSet));
    let (args, env) = stack_args(&g, ctx.rsp);
    let want: Vec<Vec<u8>> = ["/tmp/prog", "-v", "/tmp/script", "arg"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    assert_eq!(args, want);
    assert!(env.is_empty());
    assert_eq!(g.k.image.lock().exe, b"/tmp/prog");
    assert_eq!(g.k.image.lock().comm, b"script");
}

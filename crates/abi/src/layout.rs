//! Byte layouts of the structures the shim exchanges with guest memory (x86-64).
//!
//! Each structure is encoded or decoded field by field at the offsets of the kernel's UAPI
//! headers (cited per type), so that the shim never reinterprets memory.

/// Little-endian field writer over a fixed buffer. Offsets are compile-time constants of
/// the layouts below; an offset past the buffer is a bug in this file, caught by tests.
pub struct Fields<'a>(pub &'a mut [u8]);

impl Fields<'_> {
    /// Store `v` at byte `off`.
    pub fn u64(&mut self, off: usize, v: u64) {
        self.put(off, &v.to_le_bytes());
    }
    /// Store `v` at byte `off`.
    pub fn u32(&mut self, off: usize, v: u32) {
        self.put(off, &v.to_le_bytes());
    }
    /// Store `v` at byte `off`.
    pub fn u16(&mut self, off: usize, v: u16) {
        self.put(off, &v.to_le_bytes());
    }
    /// Store raw bytes at `off`, truncated to the buffer.
    pub fn put(&mut self, off: usize, bytes: &[u8]) {
        if let Some(dst) = self.0.get_mut(off..off.saturating_add(bytes.len())) {
            dst.copy_from_slice(bytes);
        }
    }
}

/// Read a little-endian u64 at `off` (0 past the end).
pub fn get_u64(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(src) = b.get(off..off + 8) {
        w.copy_from_slice(src);
    }
    u64::from_le_bytes(w)
}

/// Read a little-endian u32 at `off` (0 past the end).
pub fn get_u32(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(src) = b.get(off..off + 4) {
        w.copy_from_slice(src);
    }
    u32::from_le_bytes(w)
}

/// Read a little-endian u16 at `off` (0 past the end).
pub fn get_u16(b: &[u8], off: usize) -> u16 {
    let mut w = [0u8; 2];
    if let Some(src) = b.get(off..off + 2) {
        w.copy_from_slice(src);
    }
    u16::from_le_bytes(w)
}

/// A time as seconds and nanoseconds (`struct timespec`, 16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespec {
    /// Seconds.
    pub sec: i64,
    /// Nanoseconds, 0..1e9.
    pub nsec: i64,
}

/// Size of `struct timespec`.
pub const TIMESPEC_SIZE: usize = 16;

impl Timespec {
    /// Encode as `struct timespec` (or `struct timeval` when `nsec` holds microseconds).
    pub fn encode(&self) -> [u8; TIMESPEC_SIZE] {
        let mut b = [0u8; TIMESPEC_SIZE];
        let mut f = Fields(&mut b);
        f.u64(0, self.sec as u64);
        f.u64(8, self.nsec as u64);
        b
    }
    /// Decode a `struct timespec`.
    pub fn decode(b: &[u8]) -> Self {
        Timespec {
            sec: get_u64(b, 0) as i64,
            nsec: get_u64(b, 8) as i64,
        }
    }
    /// Total nanoseconds, saturating.
    pub fn as_nanos(&self) -> u64 {
        (self.sec.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(self.nsec.max(0) as u64)
    }
    /// From total nanoseconds.
    pub fn from_nanos(ns: u64) -> Self {
        Timespec {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as i64,
        }
    }
}

/// File metadata in the fields `stat(2)` and `statx(2)` report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

/// Size of `struct stat` (arch/x86/include/uapi/asm/stat.h).
pub const STAT_SIZE: usize = 144;
/// Size of `struct statx` (include/uapi/linux/stat.h).
pub const STATX_SIZE: usize = 256;

fn dev_major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}
fn dev_minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

impl Stat {
    /// Encode as x86-64 `struct stat`.
    pub fn encode(&self) -> [u8; STAT_SIZE] {
        let mut b = [0u8; STAT_SIZE];
        let mut f = Fields(&mut b);
        f.u64(0, self.dev);
        f.u64(8, self.ino);
        f.u64(16, self.nlink);
        f.u32(24, self.mode);
        f.u32(28, self.uid);
        f.u32(32, self.gid);
        f.u64(40, self.rdev);
        f.u64(48, self.size);
        f.u64(56, self.blksize);
        f.u64(64, self.blocks);
        for (i, t) in [self.atime, self.mtime, self.ctime].iter().enumerate() {
            f.u64(72 + 16 * i, t.sec as u64);
            f.u64(80 + 16 * i, t.nsec as u64);
        }
        b
    }

    /// Encode as `struct statx` with the basic fields (`STATX_BASIC_STATS`) filled.
    pub fn encode_statx(&self) -> [u8; STATX_SIZE] {
        const STATX_BASIC_STATS: u32 = 0x7ff;
        let mut b = [0u8; STATX_SIZE];
        let mut f = Fields(&mut b);
        f.u32(0, STATX_BASIC_STATS);
        f.u32(4, self.blksize as u32);
        f.u32(16, self.nlink as u32);
        f.u32(20, self.uid);
        f.u32(24, self.gid);
        f.u16(28, self.mode as u16);
        f.u64(32, self.ino);
        f.u64(40, self.size);
        f.u64(48, self.blocks);
        for (off, t) in [(64, self.atime), (96, self.ctime), (112, self.mtime)] {
            f.u64(off, t.sec as u64);
            f.u32(off + 8, t.nsec as u32);
        }
        f.u32(128, dev_major(self.rdev));
        f.u32(132, dev_minor(self.rdev));
        f.u32(136, dev_major(self.dev));
        f.u32(140, dev_minor(self.dev));
        b
    }
}

/// Append one `struct linux_dirent64` record to `out` (include/linux/dirent.h): returns
/// false, writing nothing, when it does not fit.
pub fn push_dirent64(
    out: &mut [u8],
    used: &mut usize,
    ino: u64,
    next_off: u64,
    dtype: u8,
    name: &[u8],
) -> bool {
    const HEADER: usize = 19;
    let reclen = (HEADER + name.len() + 1).next_multiple_of(8);
    let Some(rec) = out.get_mut(*used..*used + reclen) else {
        return false;
    };
    rec.fill(0);
    let mut f = Fields(rec);
    f.u64(0, ino);
    f.u64(8, next_off);
    f.u16(16, reclen as u16);
    f.put(18, &[dtype]);
    f.put(HEADER, name);
    *used += reclen;
    true
}

/// `struct utsname`: six NUL-padded 65-byte fields.
pub fn encode_utsname(fields: [&[u8]; 6]) -> [u8; 390] {
    let mut b = [0u8; 390];
    for (i, v) in fields.iter().enumerate() {
        let n = v.len().min(64);
        b[i * 65..i * 65 + n].copy_from_slice(&v[..n]);
    }
    b
}

/// `struct sysinfo` (include/uapi/linux/sysinfo.h), 112 bytes on x86-64.
pub fn encode_sysinfo(uptime_s: u64, total_ram: u64, free_ram: u64, procs: u16) -> [u8; 112] {
    let mut b = [0u8; 112];
    let mut f = Fields(&mut b);
    f.u64(0, uptime_s);
    f.u64(32, total_ram);
    f.u64(40, free_ram);
    f.u16(80, procs);
    f.u32(104, 1);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_offsets_follow_uapi() {
        let s = Stat {
            ino: 7,
            mode: 0o100644,
            size: 99,
            mtime: Timespec { sec: 5, nsec: 6 },
            ..Stat::default()
        };
        let b = s.encode();
        assert_eq!(get_u64(&b, 8), 7);
        assert_eq!(get_u32(&b, 24), 0o100644);
        assert_eq!(get_u64(&b, 48), 99);
        assert_eq!(get_u64(&b, 88), 5);
        assert_eq!(get_u64(&b, 96), 6);
        let x = s.encode_statx();
        assert_eq!(get_u16(&x, 28), 0o100644);
        assert_eq!(get_u64(&x, 112), 5);
    }

    #[test]
    fn dirent_records_are_aligned_and_refuse_overflow() {
        let mut out = [0u8; 48];
        let mut used = 0;
        assert!(push_dirent64(&mut out, &mut used, 1, 1, 4, b"abc"));
        assert_eq!(used, 24);
        assert_eq!(get_u16(&out, 16), 24);
        assert!(!push_dirent64(
            &mut out,
            &mut used,
            2,
            2,
            8,
            b"a-much-longer-name"
        ));
        assert_eq!(used, 24);
    }

    #[test]
    fn timespec_nanos() {
        let t = Timespec::from_nanos(1_500_000_001);
        assert_eq!(
            t,
            Timespec {
                sec: 1,
                nsec: 500_000_001
            }
        );
        assert_eq!(t.as_nanos(), 1_500_000_001);
        assert_eq!(Timespec::decode(&t.encode()), t);
    }
}

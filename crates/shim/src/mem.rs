//! Guest memory helpers over the platform's fallible accessors.

use crate::errno::SysError;
use crate::{Kernel, LinuxPlatform};
use alloc::vec;
use alloc::vec::Vec;
use meridian_abi::Errno;

/// Longest path a guest may pass (PATH_MAX).
pub const PATH_MAX_BYTES: usize = 4096;
/// Largest single guest I/O the shim stages at once.
pub const MAX_IO_CHUNK_BYTES: usize = 1 << 20;
/// Most bytes one read or write moves (include/linux/fs.h `MAX_RW_COUNT`: `INT_MAX` rounded
/// down to a page); longer requests are cut to it, as Linux does.
pub const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// Most segments of an iovec array (include/uapi/linux/uio.h `UIO_MAXIOV`).
pub const IOV_MAX: u64 = 1024;
/// End of the user address range on x86-64 (`TASK_SIZE_MAX`): a buffer reaching past it is
/// EFAULT before anything is copied (`access_ok`).
pub const USER_END: u64 = 0x7fff_ffff_f000;
/// Guest page size.
const PAGE_BYTES: usize = 4096;
/// Bytes of one `struct iovec`.
const IOVEC_BYTES: usize = 16;

/// A zeroed kernel buffer of `len` bytes whose size the guest chose: ENOMEM instead of an
/// abort when the kernel heap cannot hold it.
pub fn zeroed(len: usize) -> Result<Vec<u8>, SysError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| SysError(Errno::ENOMEM))?;
    v.resize(len, 0);
    Ok(v)
}

/// `access_ok`: EFAULT unless `[addr, addr + len)` lies in the user address range.
pub fn check_user_range(addr: u64, len: u64) -> Result<(), SysError> {
    match addr.checked_add(len) {
        Some(end) if end <= USER_END => Ok(()),
        _ => Err(Errno::EFAULT.into()),
    }
}

/// One segment of a guest iovec array, checked: `len` fits `ssize_t`, and the array's lengths
/// add up to at most [`MAX_RW_COUNT`] (the copies check the addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoSeg {
    /// Guest address.
    pub base: u64,
    /// Length in bytes.
    pub len: u64,
}

/// The total length of checked segments (at most [`MAX_RW_COUNT`], so it cannot wrap).
pub fn iov_total(segs: &[IoSeg]) -> u64 {
    segs.iter().map(|s| s.len).sum()
}

impl<P: LinuxPlatform> Kernel<P> {
    /// Read `len` guest bytes (ENOMEM if the kernel cannot hold that many).
    pub fn read_mem(&self, addr: u64, len: usize) -> Result<Vec<u8>, SysError> {
        let mut v = zeroed(len)?;
        self.p.read_guest(addr, &mut v)?;
        Ok(v)
    }
    /// Read the readable start of `[addr, addr + len)`, as Linux copies up to the first fault:
    /// EFAULT if not even its first byte is readable.
    pub fn read_mem_prefix(&self, addr: u64, len: usize) -> Result<Vec<u8>, SysError> {
        let mut v = zeroed(len)?;
        if self.p.read_guest(addr, &mut v).is_ok() {
            return Ok(v);
        }
        let done = self.copy_pages(addr, len, |at, range| {
            self.p
                .read_guest(at, v.get_mut(range).unwrap_or_default())
                .is_ok()
        })?;
        v.truncate(done);
        Ok(v)
    }

    /// Write as much of `data` as the guest lets, as Linux copies up to the first fault: the
    /// bytes written, or EFAULT if none could be.
    pub fn write_mem_prefix(&self, addr: u64, data: &[u8]) -> Result<usize, SysError> {
        if self.p.write_guest(addr, data).is_ok() {
            return Ok(data.len());
        }
        self.copy_pages(addr, data.len(), |at, range| {
            self.p
                .write_guest(at, data.get(range).unwrap_or_default())
                .is_ok()
        })
    }

    /// Copy `[addr, addr + len)` a page at a time with `copy(address, range of the buffer)`
    /// until one fails: the bytes copied, EFAULT as an error when none were.
    fn copy_pages(
        &self,
        addr: u64,
        len: usize,
        mut copy: impl FnMut(u64, core::ops::Range<usize>) -> bool,
    ) -> Result<usize, SysError> {
        let mut done = 0usize;
        while done < len {
            let Some(at) = addr.checked_add(done as u64) else {
                break;
            };
            let chunk = (PAGE_BYTES - (at % PAGE_BYTES as u64) as usize).min(len - done);
            if !copy(at, done..done + chunk) {
                break;
            }
            done += chunk;
        }
        if done == 0 {
            return Err(Errno::EFAULT.into());
        }
        Ok(done)
    }

    /// Write guest bytes.
    pub fn write_mem(&self, addr: u64, data: &[u8]) -> Result<(), SysError> {
        self.p.write_guest(addr, data)?;
        Ok(())
    }
    /// Read a u64.
    pub fn read_u64(&self, addr: u64) -> Result<u64, SysError> {
        let mut b = [0u8; 8];
        self.p.read_guest(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    /// Write a u64.
    pub fn write_u64(&self, addr: u64, v: u64) -> Result<(), SysError> {
        self.write_mem(addr, &v.to_le_bytes())
    }
    /// Write a u32.
    pub fn write_u32(&self, addr: u64, v: u32) -> Result<(), SysError> {
        self.write_mem(addr, &v.to_le_bytes())
    }
    /// Read a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, SysError> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            // Read up to the end of the page so an unmapped next page does not fault.
            let chunk = (4096 - (at % 4096)) as usize;
            let mut buf = vec![0u8; chunk];
            self.p.read_guest(at, &mut buf)?;
            if let Some(n) = buf.iter().position(|&b| b == 0) {
                out.extend_from_slice(&buf[..n]);
                return if out.len() > max {
                    Err(Errno::ENAMETOOLONG.into())
                } else {
                    Ok(out)
                };
            }
            out.extend_from_slice(&buf);
            if out.len() > max {
                return Err(Errno::ENAMETOOLONG.into());
            }
            at = at
                .checked_add(chunk as u64)
                .ok_or(SysError(Errno::EFAULT))?;
        }
    }
    /// Read a path argument (EFAULT, ENAMETOOLONG).
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>, SysError> {
        self.read_cstr(addr, PATH_MAX_BYTES - 1)
    }
    /// Read a NULL-terminated array of string pointers (argv, envp).
    pub fn read_str_array(&self, addr: u64) -> Result<Vec<Vec<u8>>, SysError> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        for i in 0..65536u64 {
            let p = self.read_u64(addr.checked_add(8 * i).ok_or(SysError(Errno::EFAULT))?)?;
            if p == 0 {
                return Ok(out);
            }
            out.push(self.read_cstr(p, 128 * 1024)?);
        }
        Err(Errno::E2BIG.into())
    }
    /// Read an iovec array as lib/iov_iter.c `__import_iovec` does: more than [`IOV_MAX`]
    /// segments or a length that is negative as `ssize_t` is EINVAL; lengths past a total of
    /// [`MAX_RW_COUNT`] are cut (the call then moves at most that much). Addresses are
    /// checked by the copies (Linux 6 no longer checks each segment's range up front).
    pub fn read_iovec(&self, addr: u64, count: u64) -> Result<Vec<IoSeg>, SysError> {
        if count > IOV_MAX {
            return Err(Errno::EINVAL.into());
        }
        let raw = self.read_mem(addr, count as usize * IOVEC_BYTES)?;
        let mut segs = Vec::with_capacity(count as usize);
        let mut total = 0u64;
        for c in raw.chunks_exact(IOVEC_BYTES) {
            let base = meridian_abi::layout::get_u64(c, 0);
            let len = meridian_abi::layout::get_u64(c, 8);
            if (len as i64) < 0 {
                return Err(Errno::EINVAL.into());
            }
            let len = len.min(MAX_RW_COUNT - total);
            total += len;
            segs.push(IoSeg { base, len });
        }
        Ok(segs)
    }

    /// Copy the guest bytes of `segs` into one kernel buffer, at most `limit` bytes of them
    /// (a longer array is cut there: the caller moves less, a short write). As Linux, the
    /// copy stops at the first fault: EFAULT if it is in the first byte.
    pub fn gather(&self, segs: &[IoSeg], limit: usize) -> Result<Vec<u8>, SysError> {
        let want = (iov_total(segs) as usize).min(limit);
        let mut data = Vec::new();
        data.try_reserve_exact(want)
            .map_err(|_| SysError(Errno::ENOMEM))?;
        for s in segs {
            let take = (s.len as usize).min(want - data.len());
            if take == 0 {
                continue;
            }
            match self.read_mem_prefix(s.base, take) {
                Ok(part) => {
                    data.extend_from_slice(&part);
                    if part.len() < take {
                        break;
                    }
                }
                Err(e) if data.is_empty() => return Err(e),
                Err(_) => break,
            }
            if data.len() == want {
                break;
            }
        }
        Ok(data)
    }

    /// Copy `data` out into the guest segments `segs`, in order, until it is used up.
    pub fn scatter(&self, segs: &[IoSeg], data: &[u8]) -> Result<(), SysError> {
        let mut rest = data;
        for s in segs {
            if rest.is_empty() {
                break;
            }
            let (now, later) = rest.split_at((s.len as usize).min(rest.len()));
            self.write_mem(s.base, now)?;
            rest = later;
        }
        Ok(())
    }
}

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

impl<P: LinuxPlatform> Kernel<P> {
    /// Read `len` guest bytes.
    pub fn read_mem(&self, addr: u64, len: usize) -> Result<Vec<u8>, SysError> {
        let mut v = vec![0u8; len];
        self.p.read_guest(addr, &mut v)?;
        Ok(v)
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
            let p = self.read_u64(addr + 8 * i)?;
            if p == 0 {
                return Ok(out);
            }
            out.push(self.read_cstr(p, 128 * 1024)?);
        }
        Err(Errno::E2BIG.into())
    }
    /// Read an iovec array: (base, len) pairs.
    pub fn read_iovec(&self, addr: u64, count: u64) -> Result<Vec<(u64, u64)>, SysError> {
        const IOV_MAX: u64 = 1024;
        if count > IOV_MAX {
            return Err(Errno::EINVAL.into());
        }
        let raw = self.read_mem(addr, (count * 16) as usize)?;
        Ok(raw
            .chunks_exact(16)
            .map(|c| {
                (
                    meridian_abi::layout::get_u64(c, 0),
                    meridian_abi::layout::get_u64(c, 8),
                )
            })
            .collect())
    }
}

//! Memory system calls: brk, mmap, munmap, mprotect, mremap, madvise, msync.

use crate::errno::{SysError, SysResult};
use crate::{Kernel, LinuxPlatform};
use alloc::sync::Arc;
use meridian_abi::Errno;
use meridian_core::fs::{FileType, NodeRef, SharedPages, SharedPagesRef};
use meridian_core::mm::{Area, Backing, PAGE_BYTES, page_up};
use meridian_core::platform::Prot;

const PROT_READ: u64 = 1;
const PROT_WRITE: u64 = 2;
const PROT_EXEC: u64 = 4;
const MAP_SHARED: u64 = 0x01;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;

/// Decode `PROT_*`.
pub fn prot_of(p: u64) -> Result<Prot, SysError> {
    if p & !(PROT_READ | PROT_WRITE | PROT_EXEC | 0x0100_0000 | 0x0200_0000) != 0 {
        return Err(Errno::EINVAL.into());
    }
    Ok(Prot {
        read: p & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0,
        write: p & PROT_WRITE != 0,
        exec: p & PROT_EXEC != 0,
    })
}

impl<P: LinuxPlatform> Kernel<P> {
    /// mmap(2).
    pub fn sys_mmap(
        &self,
        addr: u64,
        len: u64,
        prot: u64,
        flags: u64,
        fd: u64,
        off: u64,
    ) -> SysResult {
        let prot = prot_of(prot)?;
        let len = page_up(len)
            .filter(|&l| l > 0)
            .ok_or(SysError(Errno::EINVAL))?;
        if !off.is_multiple_of(PAGE_BYTES) {
            return Err(Errno::EINVAL.into());
        }
        let kind = flags & MAP_SHARED_VALIDATE;
        if kind == 0 {
            return Err(Errno::EINVAL.into());
        }
        let shared = kind == MAP_SHARED || kind == MAP_SHARED_VALIDATE;
        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let mut mm = self.mm.lock();
        let start = if fixed {
            if !addr.is_multiple_of(PAGE_BYTES) || !mm.in_range(addr, addr.saturating_add(len)) {
                return Err(Errno::EINVAL.into());
            }
            if flags & MAP_FIXED_NOREPLACE != 0 && !mm.is_free(addr, addr + len) {
                return Err(Errno::EEXIST.into());
            }
            addr
        } else {
            mm.find_free(len, addr & !(PAGE_BYTES - 1))?
        };
        if self.over_memory_limit(&mm, start, len) {
            return Err(Errno::ENOMEM.into());
        }
        if flags & MAP_ANONYMOUS != 0 {
            self.p.map_anonymous(start, len, prot, shared)?;
            mm.insert(
                start,
                Area {
                    end: start + len,
                    prot,
                    shared,
                    backing: Backing::Anonymous,
                },
            );
            return Ok(start);
        }
        let f = self.file(fd)?;
        if !f.readable || (shared && prot.write && !f.writable) {
            return Err(Errno::EACCES.into());
        }
        let node = f.node.clone();
        if node.file_type() != FileType::Regular && node.file_type() != FileType::CharDevice {
            return Err(Errno::ENODEV.into());
        }
        let ino = node.metadata().map(|m| m.ino).unwrap_or(0);
        let mut shared_handle = 0;
        if let Some(hfd) = node.host_fd() {
            // Host-volume files are read-only to the guest: a private mapping is exact.
            if shared && prot.write {
                return Err(Errno::EACCES.into());
            }
            self.p.map_host_file(start, len, prot, hfd, off, false)?;
        } else if shared {
            // In-memory files mapped MAP_SHARED map the file's own (shared) pages.
            shared_handle = self.map_file_shared(start, len, prot, &node, off)?;
        } else {
            // MAP_PRIVATE of an in-memory file: a private copy.
            self.map_file_copy(start, len, prot, &node, off)?;
        }
        mm.insert(
            start,
            Area {
                end: start + len,
                prot,
                shared,
                backing: Backing::File {
                    path: f.path.clone(),
                    offset: off,
                    ino,
                    shared: shared_handle,
                },
            },
        );
        Ok(start)
    }

    /// Map a MAP_SHARED view of in-memory file `node` from `off` at `start`: the pages up to
    /// the end of the file now, the rest on first touch (or SIGBUS, past the end: see
    /// [`Self::shared_file_fault`]). Returns the shared pages' handle.
    fn map_file_shared(
        &self,
        start: u64,
        len: u64,
        prot: Prot,
        node: &NodeRef,
        off: u64,
    ) -> Result<u64, SysError> {
        let p = self.p;
        let alloc = move |capacity: u64| -> meridian_core::error::Result<SharedPagesRef> {
            let handle = p.shared_alloc(capacity)?;
            Ok(Arc::new(PlatformPages {
                p,
                handle,
                capacity,
            }))
        };
        let pages = node.shared_pages(&alloc).map_err(|e| {
            if e == meridian_core::Error::NotSupported {
                SysError(Errno::ENODEV)
            } else {
                e.into()
            }
        })?;
        let handle = pages.handle();
        self.shared_files
            .lock()
            .insert(handle, (pages, node.clone()));
        self.p.unmap(start, len)?;
        self.map_shared_within_eof(handle, start, len, prot, off)?;
        Ok(handle)
    }

    /// Map the pages of `[start, start+len)` (file offset `off`) that lie before the end of
    /// the file and inside the shared pages; returns how many bytes were mapped.
    fn map_shared_within_eof(
        &self,
        handle: u64,
        start: u64,
        len: u64,
        prot: Prot,
        off: u64,
    ) -> Result<u64, SysError> {
        let (capacity, size) = {
            let files = self.shared_files.lock();
            let (pages, node) = files.get(&handle).ok_or(SysError(Errno::EFAULT))?;
            (pages.capacity(), node.metadata()?.size)
        };
        let limit = size.min(capacity).saturating_sub(off);
        let mapped = page_up(limit)
            .unwrap_or(0)
            .min(len)
            .min(capacity.saturating_sub(off) & !(PAGE_BYTES - 1));
        if mapped > 0 {
            self.p.shared_map(handle, off, start, mapped, prot)?;
        }
        Ok(mapped)
    }

    /// A guest fault at `addr` in a MAP_SHARED mapping of an in-memory file: map the pages
    /// the file has grown into since (`Some(true)`: retry the access), or report an access
    /// past the end of the file (`Some(false)`: SIGBUS, mmap(2)). `None`: not such a fault.
    pub fn shared_file_fault(&self, addr: u64, not_present: bool) -> Option<bool> {
        let (area_start, end, prot, offset, handle) = {
            let mm = self.mm.lock();
            let (s, area) = mm.find(addr)?;
            match &area.backing {
                Backing::File { offset, shared, .. } if *shared != 0 && area.shared => {
                    (s, area.end, area.prot, *offset, *shared)
                }
                _ => return None,
            }
        };
        if !not_present {
            return None;
        }
        let page = addr & !(PAGE_BYTES - 1);
        let file_off = offset + (page - area_start);
        let mapped = self
            .map_shared_within_eof(handle, page, end - page, prot, file_off)
            .unwrap_or(0);
        Some(mapped > 0)
    }

    /// Map `[start, start+len)` with a private copy of `node`'s bytes from `off` (zero past
    /// the end of the file): how in-memory files are mapped and loaded.
    pub fn map_file_copy(
        &self,
        start: u64,
        len: u64,
        prot: Prot,
        node: &NodeRef,
        off: u64,
    ) -> Result<(), SysError> {
        self.p.map_anonymous(start, len, Prot::RW, false)?;
        let mut buf = alloc::vec![0u8; len as usize];
        let n = meridian_core::fs::read_full(node.as_ref(), off, &mut buf)?;
        self.p
            .write_guest(start, buf.get(..n).unwrap_or_default())?;
        self.p.protect(start, len, prot)?;
        Ok(())
    }

    /// munmap(2).
    pub fn sys_munmap(&self, addr: u64, len: u64) -> SysResult {
        let len = page_up(len)
            .filter(|&l| l > 0)
            .ok_or(SysError(Errno::EINVAL))?;
        let mut mm = self.mm.lock();
        if !addr.is_multiple_of(PAGE_BYTES) || !mm.in_range(addr, addr.saturating_add(len)) {
            return Err(Errno::EINVAL.into());
        }
        self.p.unmap(addr, len)?;
        mm.remove(addr, addr + len);
        Ok(0)
    }

    /// mprotect(2).
    pub fn sys_mprotect(&self, addr: u64, len: u64, prot: u64) -> SysResult {
        let prot = prot_of(prot)?;
        if !addr.is_multiple_of(PAGE_BYTES) {
            return Err(Errno::EINVAL.into());
        }
        let len = page_up(len).ok_or(SysError(Errno::ENOMEM))?;
        if len == 0 {
            return Ok(0);
        }
        let mut mm = self.mm.lock();
        let end = addr.checked_add(len).ok_or(SysError(Errno::ENOMEM))?;
        if !mm.is_mapped(addr, end) {
            return Err(Errno::ENOMEM.into());
        }
        self.p.protect(addr, len, prot)?;
        mm.protect(addr, end, prot)?;
        // Pages of MAP_SHARED in-memory files past the end of the file must stay unmapped
        // (they are mapped on touch or give SIGBUS); mprotect just made them plain memory.
        let shared: alloc::vec::Vec<(u64, u64, u64, u64)> = mm
            .areas()
            .filter(|(s, a)| *s < end && a.end > addr)
            .filter_map(|(s, a)| match &a.backing {
                Backing::File { offset, shared, .. } if *shared != 0 => {
                    Some((s, a.end, *offset, *shared))
                }
                _ => None,
            })
            .collect();
        drop(mm);
        for (start, area_end, offset, handle) in shared {
            let size = self
                .shared_files
                .lock()
                .get(&handle)
                .and_then(|(_, n)| n.metadata().ok())
                .map_or(0, |m| m.size);
            let eof = start.saturating_add(page_up(size.saturating_sub(offset)).unwrap_or(0));
            let (from, to) = (eof.max(addr).max(start), area_end.min(end));
            if from < to {
                self.p.unmap(from, to - from)?;
            }
        }
        Ok(0)
    }

    /// brk(2): grows or shrinks the heap after the loaded program; returns the break.
    pub fn sys_brk(&self, want: u64) -> SysResult {
        let mut mm = self.mm.lock();
        let cur = mm.brk;
        if want < mm.brk_start {
            return Ok(cur);
        }
        let (Some(old_top), Some(new_top)) = (page_up(cur), page_up(want)) else {
            return Ok(cur);
        };
        if new_top > old_top {
            if !mm.is_free(old_top, new_top)
                || !mm.in_range(old_top, new_top)
                || self.over_memory_limit(&mm, old_top, new_top - old_top)
            {
                return Ok(cur);
            }
            if self
                .p
                .map_anonymous(old_top, new_top - old_top, Prot::RW, false)
                .is_err()
            {
                return Ok(cur);
            }
            let start = page_up(mm.brk_start).unwrap_or(old_top);
            mm.insert(
                start,
                Area {
                    end: new_top,
                    prot: Prot::RW,
                    shared: false,
                    backing: Backing::Heap,
                },
            );
        } else if new_top < old_top {
            let _ = self.p.unmap(new_top, old_top - new_top);
            mm.remove(new_top, old_top);
        }
        mm.brk = want;
        Ok(want)
    }

    /// mremap(2).
    pub fn sys_mremap(
        &self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> SysResult {
        if !old.is_multiple_of(PAGE_BYTES) || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | 4) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let old_len = page_up(old_len).ok_or(SysError(Errno::EINVAL))?;
        let new_len = page_up(new_len)
            .filter(|&l| l > 0)
            .ok_or(SysError(Errno::EINVAL))?;
        let mut mm = self.mm.lock();
        let Some((_, area)) = mm.find(old) else {
            return Err(Errno::EFAULT.into());
        };
        let area = area.clone();
        if !mm.is_mapped(old, old + old_len) {
            return Err(Errno::EFAULT.into());
        }
        if new_len > old_len && self.over_memory_limit(&mm, old + old_len, new_len - old_len) {
            return Err(Errno::ENOMEM.into());
        }
        if new_len <= old_len && flags & MREMAP_FIXED == 0 {
            if new_len < old_len {
                self.p.unmap(old + new_len, old_len - new_len)?;
                mm.remove(old + new_len, old + old_len);
            }
            return Ok(old);
        }
        // Grow in place when the pages after are free.
        let anonymous = matches!(area.backing, Backing::Anonymous | Backing::Heap) && !area.shared;
        if flags & MREMAP_FIXED == 0
            && anonymous
            && mm.is_free(old + old_len, old + new_len)
            && mm.in_range(old, old + new_len)
        {
            self.p
                .map_anonymous(old + old_len, new_len - old_len, area.prot, false)?;
            mm.insert(
                old,
                Area {
                    end: old + new_len,
                    ..area
                },
            );
            return Ok(old);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM.into());
        }
        let dest = if flags & MREMAP_FIXED != 0 {
            if !new_addr.is_multiple_of(PAGE_BYTES)
                || !mm.in_range(new_addr, new_addr.saturating_add(new_len))
            {
                return Err(Errno::EINVAL.into());
            }
            new_addr
        } else {
            mm.find_free(new_len, 0)?
        };
        self.p.move_mapping(old, old_len, dest, new_len)?;
        mm.remove(old, old + old_len);
        let backing = area.backing.clone();
        mm.insert(
            dest,
            Area {
                end: dest + new_len,
                prot: area.prot,
                shared: area.shared,
                backing,
            },
        );
        Ok(dest)
    }

    /// madvise(2).
    pub fn sys_madvise(&self, addr: u64, len: u64, advice: u64) -> SysResult {
        const MADV_DONTNEED: u64 = 4;
        const MADV_FREE: u64 = 8;
        if !addr.is_multiple_of(PAGE_BYTES) {
            return Err(Errno::EINVAL.into());
        }
        let len = page_up(len).ok_or(SysError(Errno::EINVAL))?;
        if (advice == MADV_DONTNEED || advice == MADV_FREE) && len > 0 {
            let mm = self.mm.lock();
            if !mm.is_mapped(addr, addr + len) {
                return Err(Errno::ENOMEM.into());
            }
            self.p.discard(addr, len)?;
        }
        Ok(0)
    }

    /// msync(2).
    pub fn sys_msync(&self, addr: u64, _len: u64, flags: u64) -> SysResult {
        if !addr.is_multiple_of(PAGE_BYTES) || flags & !7 != 0 {
            return Err(Errno::EINVAL.into());
        }
        Ok(0)
    }
}

/// Shared pages held by the platform: the bytes of an in-memory file mapped MAP_SHARED.
struct PlatformPages<P: LinuxPlatform> {
    p: &'static P,
    handle: u64,
    capacity: u64,
}

impl<P: LinuxPlatform> SharedPages for PlatformPages<P> {
    fn read(&self, offset: u64, buf: &mut [u8]) -> meridian_core::error::Result<()> {
        self.p.shared_read(self.handle, self.capacity, offset, buf)
    }
    fn write(&self, offset: u64, data: &[u8]) -> meridian_core::error::Result<()> {
        self.p
            .shared_write(self.handle, self.capacity, offset, data)
    }
    fn zero(&self, offset: u64, len: u64) -> meridian_core::error::Result<()> {
        self.p.shared_zero(self.handle, self.capacity, offset, len)
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn handle(&self) -> u64 {
        self.handle
    }
}

impl<P: LinuxPlatform> Drop for PlatformPages<P> {
    fn drop(&mut self) {
        self.p.shared_free(self.handle, self.capacity);
    }
}

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

/// Least kernel-heap span reserved for an in-memory file mapped MAP_SHARED: room for a small
/// file to grow while it is mapped (its pages cannot move once mapped). Address space only:
/// pages are committed when written.
const SHARED_SPAN_MIN_BYTES: u64 = 64 << 20;
/// Most room a span leaves a file to grow in; a larger file gets a span of its own size.
const SHARED_SPAN_MAX_BYTES: u64 = 1 << 30;

/// The span to reserve for a file of `size` bytes mapped MAP_SHARED: four times its size,
/// rounded up to a power of two between [`SHARED_SPAN_MIN_BYTES`] and
/// [`SHARED_SPAN_MAX_BYTES`], never less than the file. The platform charges spans to a
/// budget of the sandbox (ENOMEM past it).
fn shared_span_bytes(size: u64) -> Option<u64> {
    let room = size
        .checked_mul(4)?
        .checked_next_power_of_two()?
        .clamp(SHARED_SPAN_MIN_BYTES, SHARED_SPAN_MAX_BYTES);
    Some(room.max(page_up(size)?))
}

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
        let area = |backing| Area {
            end: start + len,
            prot,
            shared,
            backing,
        };
        if flags & MAP_ANONYMOUS != 0 {
            self.p.map_anonymous(start, len, prot, shared)?;
            return Ok(self.record_mapping(&mut mm, start, area(Backing::Anonymous)));
        }
        let f = self.file(fd)?;
        if !f.readable || (shared && prot.write && !f.writable) {
            return Err(Errno::EACCES.into());
        }
        let node = f.node.clone();
        if node.maps_anonymous() {
            // /dev/zero: anonymous memory, committed only when touched.
            self.p.map_anonymous(start, len, prot, shared)?;
            let backing = if shared {
                Backing::File {
                    path: f.path.clone(),
                    offset: off,
                    ino: node.metadata().map(|m| m.ino).unwrap_or(0),
                    shared: 0,
                    host: false,
                }
            } else {
                Backing::Anonymous
            };
            return Ok(self.record_mapping(&mut mm, start, area(backing)));
        }
        let host_char_device = node.file_type() == FileType::CharDevice && node.host_fd().is_some();
        if node.file_type() != FileType::Regular && !host_char_device {
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
        let backing = Backing::File {
            path: f.path.clone(),
            offset: off,
            ino,
            shared: shared_handle,
            host: node.host_fd().is_some(),
        };
        Ok(self.record_mapping(&mut mm, start, area(backing)))
    }

    /// Record a new mapping at `start` and let go of the shared file pages that it replaced
    /// (a MAP_FIXED mapping over them). Returns `start`.
    fn record_mapping(
        &self,
        mm: &mut meridian_core::mm::AddressSpace,
        start: u64,
        area: Area,
    ) -> u64 {
        mm.insert(start, area);
        self.forget_unmapped_shared_files(mm);
        start
    }

    /// Drop this process's hold on the shared pages of in-memory files that no mapping uses
    /// any more, so that a file unmapped and deleted gives its span back.
    fn forget_unmapped_shared_files(&self, mm: &meridian_core::mm::AddressSpace) {
        let mut files = self.shared_files.lock();
        if files.is_empty() {
            return;
        }
        let live: alloc::collections::BTreeSet<u64> = mm
            .areas()
            .filter_map(|(_, a)| match &a.backing {
                Backing::File { shared, .. } if *shared != 0 => Some(*shared),
                _ => None,
            })
            .collect();
        let unused: alloc::vec::Vec<u64> = files
            .keys()
            .filter(|h| !live.contains(h))
            .copied()
            .collect();
        let gone: alloc::vec::Vec<_> = unused.iter().filter_map(|h| files.remove(h)).collect();
        drop(files);
        // The file and its pages may go with these: dropped without the lock held.
        drop(gone);
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
        let alloc = move |size: u64| -> meridian_core::error::Result<SharedPagesRef> {
            let capacity = shared_span_bytes(size).ok_or(meridian_core::Error::NoMemory)?;
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
            self.p
                .shared_map(handle, capacity, off, start, mapped, prot)?;
        }
        Ok(mapped)
    }

    /// A guest fault at `addr` in a MAP_SHARED mapping of an in-memory file: map the pages
    /// the file has grown into since (`Some(true)`: retry the access), or report an access
    /// past the end of the file (`Some(false)`: SIGBUS, mmap(2)). `None`: not such a fault.
    /// `error_code` is the x86 page-fault error code: only a missing page (bit 0 clear) that
    /// the area's protection allows to be read, written (bit 1) or executed (bit 4) can be
    /// one; any other access is the guest's SIGSEGV (mapping a PROT_NONE page again would
    /// fault again forever).
    pub fn shared_file_fault(&self, addr: u64, error_code: u64) -> Option<bool> {
        const PF_PRESENT: u64 = 1;
        const PF_WRITE: u64 = 1 << 1;
        const PF_INSTRUCTION: u64 = 1 << 4;
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
        let allowed = prot.read
            && (error_code & PF_WRITE == 0 || prot.write)
            && (error_code & PF_INSTRUCTION == 0 || prot.exec);
        if error_code & PF_PRESENT != 0 || !allowed {
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
    /// the end of the file): how in-memory files are mapped and loaded. The mapping is
    /// anonymous memory into which only the file's non-zero bytes are copied, a chunk at a
    /// time, so what it commits is what the file holds, not the mapping's length.
    pub fn map_file_copy(
        &self,
        start: u64,
        len: u64,
        prot: Prot,
        node: &NodeRef,
        off: u64,
    ) -> Result<(), SysError> {
        self.p.map_anonymous(start, len, Prot::RW, false)?;
        // A buffer the size of the file (synthetic files may say 0: a page), at most 1 MiB.
        let size = node.metadata().map_or(0, |m| m.size);
        let chunk = len
            .min(size.saturating_sub(off).max(PAGE_BYTES))
            .min(crate::mem::MAX_IO_CHUNK_BYTES as u64) as usize;
        let mut buf = alloc::vec![0u8; chunk];
        let mut done = 0u64;
        while done < len {
            let want = (len - done).min(chunk as u64) as usize;
            let part = buf.get_mut(..want).unwrap_or_default();
            let at = off.checked_add(done).ok_or(SysError(Errno::EOVERFLOW))?;
            let n = meridian_core::fs::read_full(node.as_ref(), at, part)?;
            let read = part.get(..n).unwrap_or_default();
            // The anonymous pages already read as zero: leave them untouched (uncommitted).
            if read.iter().any(|&b| b != 0) {
                self.p.write_guest(start + done, read)?;
            }
            if n < want {
                break;
            }
            done += n as u64;
        }
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
        self.forget_unmapped_shared_files(&mm);
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
        // MREMAP_DONTUNMAP is refused as by Linux before 5.7 (unknown flag).
        if !old.is_multiple_of(PAGE_BYTES)
            || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0
            || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
        {
            return Err(Errno::EINVAL.into());
        }
        let old_len = page_up(old_len).ok_or(SysError(Errno::EINVAL))?;
        let new_len = page_up(new_len)
            .filter(|&l| l > 0)
            .ok_or(SysError(Errno::EINVAL))?;
        let mut mm = self.mm.lock();
        let Some((area_start, area)) = mm.find(old) else {
            return Err(Errno::EFAULT.into());
        };
        let area = area.clone();
        let old_end = old.checked_add(old_len).ok_or(SysError(Errno::EFAULT))?;
        if !mm.is_mapped(old, old_end) {
            return Err(Errno::EFAULT.into());
        }
        if old_len == 0 {
            // A second mapping of the same pages: only of shared mappings, and always a new
            // place (mm/mremap.c).
            if !area.shared {
                return Err(Errno::EINVAL.into());
            }
            if flags & MREMAP_MAYMOVE == 0 {
                return Err(Errno::ENOMEM.into());
            }
        }
        if new_len > old_len && self.over_memory_limit(&mm, old_end, new_len - old_len) {
            return Err(Errno::ENOMEM.into());
        }
        if new_len <= old_len && flags & MREMAP_FIXED == 0 {
            if new_len < old_len {
                self.p.unmap(old + new_len, old_len - new_len)?;
                mm.remove(old + new_len, old_end);
                self.forget_unmapped_shared_files(&mm);
            }
            return Ok(old);
        }
        if let Backing::File {
            offset,
            shared: handle,
            ..
        } = &area.backing
            && *handle != 0
            && area.shared
        {
            // The pages of an in-memory file are mapped anew, bounded by the file (a host
            // mremap would extend the view past the file's span into the kernel heap).
            if old_end > area.end {
                return Err(Errno::EFAULT.into());
            }
            let file_offset = offset + (old - area_start);
            let remap = SharedRemap {
                handle: *handle,
                file_offset,
                area,
            };
            return self.remap_shared_file(&mut mm, old, old_len, new_len, flags, new_addr, remap);
        }
        // Grow in place when the pages after are free.
        let anonymous = matches!(area.backing, Backing::Anonymous | Backing::Heap) && !area.shared;
        if flags & MREMAP_FIXED == 0
            && anonymous
            && mm.is_free(old_end, old.saturating_add(new_len))
            && mm.in_range(old, old.saturating_add(new_len))
        {
            self.p
                .map_anonymous(old_end, new_len - old_len, area.prot, false)?;
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
        let dest = self.mremap_destination(&mm, old, old_len, new_len, flags, new_addr)?;
        self.p.move_mapping(old, old_len, dest, new_len)?;
        mm.remove(old, old_end);
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
        self.forget_unmapped_shared_files(&mm);
        Ok(dest)
    }

    /// Where a moving mremap puts the mapping: `new_addr` for `MREMAP_FIXED` (page aligned,
    /// in the guest range, not overlapping the old range), else a free range.
    fn mremap_destination(
        &self,
        mm: &meridian_core::mm::AddressSpace,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<u64, SysError> {
        if flags & MREMAP_FIXED == 0 {
            return Ok(mm.find_free(new_len, 0)?);
        }
        let new_end = new_addr
            .checked_add(new_len)
            .ok_or(SysError(Errno::EINVAL))?;
        if !new_addr.is_multiple_of(PAGE_BYTES)
            || !mm.in_range(new_addr, new_end)
            || (new_addr < old + old_len && old < new_end)
        {
            return Err(Errno::EINVAL.into());
        }
        Ok(new_addr)
    }

    /// mremap of (part of) a MAP_SHARED mapping of an in-memory file, growing or moving it
    /// (shrinking in place is done by the caller): the new range maps the file's pages from
    /// the same file offset, up to the end of the file, through [`Self::map_shared_within_eof`];
    /// the rest is mapped on touch or gives SIGBUS, as for a fresh mmap.
    #[expect(
        clippy::too_many_arguments,
        reason = "mremap's own arguments plus the mm lock and the area found"
    )]
    fn remap_shared_file(
        &self,
        mm: &mut meridian_core::mm::AddressSpace,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
        remap: SharedRemap,
    ) -> SysResult {
        let grow_in_place = flags & MREMAP_FIXED == 0
            && old_len > 0
            && old.checked_add(new_len).is_some_and(|new_end| {
                mm.in_range(old, new_end) && mm.is_free(old + old_len, new_end)
            });
        let dest = if grow_in_place {
            old
        } else if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM.into());
        } else {
            self.mremap_destination(mm, old, old_len, new_len, flags, new_addr)?
        };
        let prot = remap.area.prot;
        if dest != old {
            // Whatever was at a fixed destination goes; the pages past the file's end stay
            // reserved (unmapped) for the fault path.
            self.p.unmap(dest, new_len)?;
            if old_len > 0 {
                self.p.unmap(old, old_len)?;
                mm.remove(old, old + old_len);
            }
        }
        self.map_shared_within_eof(remap.handle, dest, new_len, prot, remap.file_offset)?;
        mm.insert(
            dest,
            Area {
                end: dest + new_len,
                prot,
                shared: true,
                backing: match remap.area.backing {
                    Backing::File { path, ino, .. } => Backing::File {
                        path,
                        offset: remap.file_offset,
                        ino,
                        shared: remap.handle,
                        host: false,
                    },
                    other => other,
                },
            },
        );
        self.forget_unmapped_shared_files(mm);
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

/// What [`Kernel::remap_shared_file`] moves: the area holding the old range, the handle of
/// the file's shared pages, and the file offset at the old address.
struct SharedRemap {
    handle: u64,
    file_offset: u64,
    area: Area,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_spans_leave_room_to_grow_within_bounds() {
        const MIB: u64 = 1 << 20;
        assert_eq!(shared_span_bytes(0), Some(64 * MIB));
        assert_eq!(shared_span_bytes(5), Some(64 * MIB));
        assert_eq!(shared_span_bytes(20 * MIB), Some(128 * MIB));
        assert_eq!(shared_span_bytes(100 * MIB), Some(512 * MIB));
        assert_eq!(shared_span_bytes(300 * MIB), Some(1024 * MIB));
        assert_eq!(shared_span_bytes(1024 * MIB), Some(1024 * MIB));
        // A file larger than the largest span gets exactly its own (page-rounded) size.
        assert_eq!(
            shared_span_bytes(5000 * MIB + 1),
            Some(5000 * MIB + PAGE_BYTES)
        );
        assert_eq!(shared_span_bytes(u64::MAX / 2), None);
    }
}

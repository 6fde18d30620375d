//! The bytes of a tmpfs regular file: sparse pages, counted against the filesystem's size
//! limit and the sandbox's memory budget ([`Usage`]). A file mapped MAP_SHARED, whose bytes
//! the platform holds, is counted by its size in pages.

use super::{PAGE_BYTES, PAGE_BYTES_U64, Usage};
use crate::error::{Error, Result};
use crate::fs::SharedPagesRef;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;

/// Largest file size, Linux's `MAX_LFS_FILESIZE` on 64-bit.
pub const MAX_FILE_BYTES: u64 = 0x7fff_ffff_ffff_ffff;

/// Data of a regular file: pages that were written or allocated, by index; holes read as
/// zeros. Bytes of a page past `size` are always zero, so growing the file exposes zeros.
#[derive(Default)]
pub(super) struct FileData {
    pub(super) size: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
    /// Once the file is mapped MAP_SHARED its bytes move here (and `pages` is empty), so
    /// that guest mappings and read/write see the same memory.
    shared: Option<SharedPagesRef>,
    /// Pages counted for a shared file: its size, rounded up.
    shared_pages: u64,
}

pub(super) fn to_u64(n: usize) -> Result<u64> {
    u64::try_from(n).map_err(|_| Error::Overflow)
}

pub(super) fn to_usize(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::Overflow)
}

impl FileData {
    /// Pages holding storage (what `st_blocks` and the size limit count).
    pub(super) fn page_count(&self) -> u64 {
        self.pages.len() as u64
    }

    /// `st_blocks`: the pages held (so sparse files have few), or for a file mapped
    /// MAP_SHARED, whose pages the platform holds, its size.
    pub(super) fn blocks(&self, stat_block_bytes: u64) -> u64 {
        if self.shared.is_some() {
            self.size.div_ceil(stat_block_bytes)
        } else {
            self.page_count() * (PAGE_BYTES_U64 / stat_block_bytes)
        }
    }

    pub(super) fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        let avail = self.size.saturating_sub(pos);
        let len = to_usize(avail.min(to_u64(buf.len())?))?;
        if let Some(shared) = &self.shared {
            shared.read(pos, buf.get_mut(..len).ok_or(Error::Invalid)?)?;
            return Ok(len);
        }
        let mut done = 0usize;
        while done < len {
            let at = pos.checked_add(to_u64(done)?).ok_or(Error::Overflow)?;
            let offset = to_usize(at % PAGE_BYTES_U64)?;
            let chunk = (PAGE_BYTES - offset).min(len - done);
            let out = buf.get_mut(done..done + chunk).ok_or(Error::Invalid)?;
            match self.pages.get(&(at / PAGE_BYTES_U64)) {
                Some(page) => {
                    out.copy_from_slice(page.get(offset..offset + chunk).ok_or(Error::Invalid)?)
                }
                None => out.fill(0),
            }
            done += chunk;
        }
        Ok(len)
    }

    /// The page at `index`, allocated (and counted) if missing.
    fn page_mut(&mut self, usage: &Usage, index: u64) -> Result<&mut Box<[u8]>> {
        match self.pages.entry(index) {
            alloc::collections::btree_map::Entry::Occupied(e) => Ok(e.into_mut()),
            alloc::collections::btree_map::Entry::Vacant(e) => {
                usage.take_pages(1)?;
                Ok(e.insert(vec![0u8; PAGE_BYTES].into_boxed_slice()))
            }
        }
    }

    /// Write `data` at `pos`. Out of space part way: the bytes that fit are written and
    /// counted (write(2) returns a short count), none at all: `NoSpace`.
    pub(super) fn write(&mut self, usage: &Usage, pos: u64, data: &[u8]) -> Result<usize> {
        // rw_verify_area: a range past the largest offset is EINVAL (the largest file size
        // is that offset, so EFBIG cannot arise before it).
        let end = pos.checked_add(to_u64(data.len())?).ok_or(Error::Invalid)?;
        if end > MAX_FILE_BYTES {
            return Err(Error::Invalid);
        }
        if let Some(shared) = self.shared.clone() {
            if end > shared.capacity() {
                return Err(Error::NoSpace);
            }
            self.count_shared(usage, self.size.max(end))?;
            shared.write(pos, data)?;
            self.size = self.size.max(end);
            return Ok(data.len());
        }
        let mut done = 0usize;
        while done < data.len() {
            let at = pos + to_u64(done)?;
            let offset = to_usize(at % PAGE_BYTES_U64)?;
            let chunk = (PAGE_BYTES - offset).min(data.len() - done);
            let page = match self.page_mut(usage, at / PAGE_BYTES_U64) {
                Ok(page) => page,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            let dst = page.get_mut(offset..offset + chunk).ok_or(Error::Invalid)?;
            dst.copy_from_slice(data.get(done..done + chunk).ok_or(Error::Invalid)?);
            done += chunk;
        }
        self.size = self.size.max(pos + to_u64(done)?);
        Ok(done)
    }

    /// Move the bytes into shared pages from `alloc` (once) and return them. `alloc` gets
    /// the file's size and decides how much room to grow the pages have (their capacity):
    /// writes past it fail with ENOSPC.
    pub(super) fn share(
        &mut self,
        usage: &Usage,
        alloc: &dyn Fn(u64) -> Result<SharedPagesRef>,
    ) -> Result<SharedPagesRef> {
        if let Some(shared) = &self.shared {
            return Ok(shared.clone());
        }
        let shared = alloc(self.size.next_multiple_of(PAGE_BYTES_U64))?;
        if shared.capacity() < self.size {
            return Err(Error::NoMemory);
        }
        for (index, page) in &self.pages {
            shared.write(index * PAGE_BYTES_U64, page)?;
        }
        // From now on the file counts as its size in pages instead of the pages it held.
        let (held, size_pages) = (self.page_count(), self.size.div_ceil(PAGE_BYTES_U64));
        if size_pages > held {
            usage.take_pages(size_pages - held)?;
        } else {
            usage.put_pages(held - size_pages);
        }
        self.shared_pages = size_pages;
        self.pages.clear();
        self.shared = Some(shared.clone());
        Ok(shared)
    }

    /// Count a shared file as `size` bytes (ENOSPC if the growth does not fit).
    fn count_shared(&mut self, usage: &Usage, size: u64) -> Result<()> {
        let pages = size.div_ceil(PAGE_BYTES_U64);
        if pages > self.shared_pages {
            usage.take_pages(pages - self.shared_pages)?;
        } else {
            usage.put_pages(self.shared_pages - pages);
        }
        self.shared_pages = pages;
        Ok(())
    }

    /// Drop the pages wholly inside `[from, to)` and zero the parts of pages at its ends.
    fn clear_range(&mut self, usage: &Usage, from: u64, to: u64) -> Result<()> {
        if from >= to {
            return Ok(());
        }
        if let Some(shared) = &self.shared {
            let to = to.min(shared.capacity());
            return if from < to {
                shared.zero(from, to - from)
            } else {
                Ok(())
            };
        }
        let first_whole = from.div_ceil(PAGE_BYTES_U64);
        let end_whole = to / PAGE_BYTES_U64;
        if first_whole < end_whole {
            let mut gone = self.pages.split_off(&first_whole);
            let mut after = gone.split_off(&end_whole);
            self.pages.append(&mut after);
            usage.put_pages(gone.len() as u64);
        }
        for (index, lo, hi) in [
            (
                from / PAGE_BYTES_U64,
                from,
                to.min(first_whole * PAGE_BYTES_U64),
            ),
            (end_whole, (end_whole * PAGE_BYTES_U64).max(from), to),
        ] {
            if lo >= hi {
                continue;
            }
            if let Some(page) = self.pages.get_mut(&index) {
                let a = to_usize(lo - index * PAGE_BYTES_U64)?;
                let b = to_usize(hi - index * PAGE_BYTES_U64)?;
                if let Some(part) = page.get_mut(a..b) {
                    part.fill(0);
                }
            }
        }
        Ok(())
    }

    pub(super) fn truncate(&mut self, usage: &Usage, len: u64) -> Result<()> {
        if len > MAX_FILE_BYTES {
            return Err(Error::TooBig);
        }
        if self.shared.as_ref().is_some_and(|s| len > s.capacity()) {
            return Err(Error::NoSpace);
        }
        if self.shared.is_some() {
            self.count_shared(usage, len)?;
        }
        if len < self.size {
            // Bytes past the end read as zero when the file grows again.
            self.clear_range(
                usage,
                len,
                self.size.max(len.next_multiple_of(PAGE_BYTES_U64)),
            )?;
            if self.shared.is_none() {
                // Pages wholly past the new end go, even if they were allocated past the size.
                let first_gone = len.div_ceil(PAGE_BYTES_U64);
                let gone = self.pages.split_off(&first_gone);
                usage.put_pages(gone.len() as u64);
            }
        }
        self.size = len;
        Ok(())
    }

    /// fallocate(2): back `[offset, end)` with pages (all or none: `NoSpace` frees what it
    /// took); `keep_size` leaves the size alone.
    pub(super) fn allocate(
        &mut self,
        usage: &Usage,
        offset: u64,
        end: u64,
        keep_size: bool,
    ) -> Result<()> {
        if end > MAX_FILE_BYTES {
            return Err(Error::TooBig);
        }
        if self.shared.is_none() {
            let first = offset / PAGE_BYTES_U64;
            let last = end.div_ceil(PAGE_BYTES_U64);
            let missing: u64 = (first..last)
                .filter(|i| !self.pages.contains_key(i))
                .count() as u64;
            usage.take_pages(missing)?;
            for index in first..last {
                self.pages
                    .entry(index)
                    .or_insert_with(|| vec![0u8; PAGE_BYTES].into_boxed_slice());
            }
        } else if self.shared.as_ref().is_some_and(|s| end > s.capacity()) {
            return Err(Error::NoSpace);
        } else if !keep_size && end > self.size {
            self.count_shared(usage, end)?;
        }
        if !keep_size {
            self.size = self.size.max(end);
        }
        Ok(())
    }

    /// fallocate(2) `FALLOC_FL_PUNCH_HOLE`: zero `[offset, end)` within the file and free
    /// its whole pages; the size stays.
    pub(super) fn punch(&mut self, usage: &Usage, offset: u64, end: u64) -> Result<()> {
        self.clear_range(usage, offset, end.min(self.size.max(offset)))?;
        // Pages allocated past the size (KEEP_SIZE) inside the range go too.
        if end > self.size && self.shared.is_none() {
            let from = offset.max(self.size).div_ceil(PAGE_BYTES_U64);
            let to = end / PAGE_BYTES_U64;
            if from < to {
                let mut gone = self.pages.split_off(&from);
                let mut after = gone.split_off(&to);
                self.pages.append(&mut after);
                usage.put_pages(gone.len() as u64);
            }
        }
        Ok(())
    }

    /// Give back every page (the node is going away).
    pub(super) fn free(&mut self, usage: &Usage) {
        usage.put_pages(self.page_count() + self.shared_pages);
        self.shared_pages = 0;
        self.pages.clear();
    }
}

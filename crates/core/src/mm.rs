//! Guest address-space bookkeeping: which ranges the guest has mapped and how.
//!
//! The platform performs the mappings; this module decides where they go (top-down inside
//! the platform's guest range, as Linux's mmap does), splits and merges areas on partial
//! munmap/mprotect, keeps the program break, and renders `/proc/self/maps`.

use crate::error::{Error, Result};
use crate::platform::Prot;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;

/// Page size.
pub const PAGE_BYTES: u64 = 4096;

/// Round up to a page.
pub fn page_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE_BYTES - 1).map(|x| x & !(PAGE_BYTES - 1))
}

/// What backs an area (for `/proc/self/maps`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backing {
    /// Anonymous memory.
    Anonymous,
    /// A file, by path, at a file offset of the area's start.
    File {
        /// Canonical path in the sandbox.
        path: Vec<u8>,
        /// File offset of the area start.
        offset: u64,
        /// Inode number.
        ino: u64,
        /// For MAP_SHARED mappings of in-memory files, the platform handle of the file's
        /// shared pages (pages past the end of the file are mapped on first touch); else 0.
        shared: u64,
        /// A host file (of a host volume) mapped by the host: futexes on its words are never
        /// shared host futexes (the host keys those on the host file).
        host: bool,
    },
    /// The program break.
    Heap,
    /// The main thread's stack.
    Stack,
}

/// One mapped area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    /// End (exclusive).
    pub end: u64,
    /// Protection.
    pub prot: Prot,
    /// `MAP_SHARED`.
    pub shared: bool,
    /// What backs it.
    pub backing: Backing,
}

/// A guest address space. Cloning it is fork's copy of the bookkeeping.
#[derive(Clone)]
pub struct AddressSpace {
    areas: BTreeMap<u64, Area>,
    low: u64,
    high: u64,
    /// Start of the program break area (set by the loader).
    pub brk_start: u64,
    /// Current program break.
    pub brk: u64,
}

impl AddressSpace {
    /// An empty space over `[low, high)`.
    pub fn new(low: u64, high: u64) -> Self {
        AddressSpace {
            areas: BTreeMap::new(),
            low,
            high,
            brk_start: 0,
            brk: 0,
        }
    }

    /// Whether `[start, end)` lies in the guest range.
    pub fn in_range(&self, start: u64, end: u64) -> bool {
        start >= self.low && end <= self.high && start < end
    }

    /// Find a free, page-aligned range of `len` bytes: at `hint` if that is free, else the
    /// highest free range (top-down, as Linux's default mmap layout).
    pub fn find_free(&self, len: u64, hint: u64) -> Result<u64> {
        let len = page_up(len).ok_or(Error::NoMemory)?;
        if hint != 0
            && hint.is_multiple_of(PAGE_BYTES)
            && let Some(end) = hint.checked_add(len)
            && self.in_range(hint, end)
            && self.is_free(hint, end)
        {
            return Ok(hint);
        }
        let mut top = self.high;
        for (&start, area) in self.areas.iter().rev() {
            if area.end <= top && top - area.end >= len {
                return Ok(top - len);
            }
            top = top.min(start);
        }
        if top >= self.low.saturating_add(len) {
            Ok(top - len)
        } else {
            Err(Error::NoMemory)
        }
    }

    /// Whether nothing is mapped in `[start, end)`.
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.areas
            .range(..end)
            .next_back()
            .is_none_or(|(_, a)| a.end <= start)
    }

    /// Whether all of `[start, end)` is mapped.
    pub fn is_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for (&s, a) in self.areas.range(..end) {
            if a.end <= at {
                continue;
            }
            if s > at {
                return false;
            }
            at = a.end;
            if at >= end {
                return true;
            }
        }
        at >= end
    }

    /// Bytes mapped in `[start, end)` (the whole space for `0..u64::MAX`).
    pub fn mapped_bytes(&self, start: u64, end: u64) -> u64 {
        self.areas
            .iter()
            .map(|(&s, a)| a.end.min(end).saturating_sub(s.max(start)))
            .sum()
    }

    /// Whether mapping `[start, start+len)` would take the total past `limit` bytes
    /// (RLIMIT_AS: what is already mapped there is not counted twice).
    pub fn would_exceed(&self, start: u64, len: u64, limit: u64) -> bool {
        let end = start.saturating_add(len);
        let total = self.mapped_bytes(0, u64::MAX) - self.mapped_bytes(start, end);
        total.saturating_add(len) > limit
    }

    /// Record a mapping, replacing what overlapped it.
    pub fn insert(&mut self, start: u64, area: Area) {
        self.remove(start, area.end);
        self.areas.insert(start, area);
    }

    /// Forget `[start, end)`, splitting areas at the edges.
    pub fn remove(&mut self, start: u64, end: u64) {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.areas.range(start..end).map(|(&k, _)| k).collect();
        for k in keys {
            self.areas.remove(&k);
        }
    }

    /// Change protection of `[start, end)`; it must be fully mapped.
    pub fn protect(&mut self, start: u64, end: u64, prot: Prot) -> Result<()> {
        if !self.is_mapped(start, end) {
            return Err(Error::NoMemory);
        }
        self.split_at(start);
        self.split_at(end);
        for (_, a) in self.areas.range_mut(start..end) {
            a.prot = prot;
        }
        Ok(())
    }

    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<(u64, &Area)> {
        self.areas
            .range(..=addr)
            .next_back()
            .filter(|(_, a)| a.end > addr)
            .map(|(&s, a)| (s, a))
    }

    fn split_at(&mut self, at: u64) {
        let Some((&s, a)) = self.areas.range(..at).next_back() else {
            return;
        };
        if a.end <= at {
            return;
        }
        let mut tail = a.clone();
        if let Backing::File { offset, .. } = &mut tail.backing {
            *offset += at - s;
        }
        if let Some(head) = self.areas.get_mut(&s) {
            head.end = at;
        }
        self.areas.insert(at, tail);
    }

    /// All areas in address order.
    pub fn areas(&self) -> impl Iterator<Item = (u64, &Area)> {
        self.areas.iter().map(|(&s, a)| (s, a))
    }

    /// `/proc/self/maps` text (proc(5)).
    pub fn render_maps(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (s, a) in self.areas() {
            let perms = [
                if a.prot.read { b'r' } else { b'-' },
                if a.prot.write { b'w' } else { b'-' },
                if a.prot.exec { b'x' } else { b'-' },
                if a.shared { b's' } else { b'p' },
            ];
            let (off, ino, name): (u64, u64, &[u8]) = match &a.backing {
                Backing::File {
                    path, offset, ino, ..
                } => (*offset, *ino, path),
                Backing::Heap => (0, 0, b"[heap]"),
                Backing::Stack => (0, 0, b"[stack]"),
                Backing::Anonymous => (0, 0, b""),
            };
            let head = format!(
                "{:08x}-{:08x} {} {:08x} 00:00 {}",
                s,
                a.end,
                core::str::from_utf8(&perms).unwrap_or("----"),
                off,
                ino
            );
            out.extend_from_slice(head.as_bytes());
            if !name.is_empty() {
                let pad = 73usize.saturating_sub(head.len()).max(1);
                out.extend(core::iter::repeat_n(b' ', pad));
                out.extend_from_slice(name);
            }
            out.push(b'\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(end: u64) -> Area {
        Area {
            end,
            prot: Prot::RW,
            shared: false,
            backing: Backing::Anonymous,
        }
    }

    #[test]
    fn top_down_allocation_and_hints() {
        let mut s = AddressSpace::new(0x10000, 0x100000);
        let a = s.find_free(0x1000, 0).ok();
        assert_eq!(a, Some(0xff000));
        s.insert(0xff000, anon(0x100000));
        assert_eq!(s.find_free(0x2000, 0).ok(), Some(0xfd000));
        assert_eq!(s.find_free(0x1000, 0x20000).ok(), Some(0x20000));
        assert_eq!(s.find_free(0x1000, 0xff000).ok(), Some(0xfe000));
        assert!(s.find_free(0x200000, 0).is_err());
    }

    #[test]
    fn partial_unmap_and_protect_split() {
        let mut s = AddressSpace::new(0x10000, 0x100000);
        s.insert(0x20000, anon(0x30000));
        s.remove(0x24000, 0x25000);
        assert!(s.is_mapped(0x20000, 0x24000));
        assert!(!s.is_mapped(0x20000, 0x26000));
        assert!(s.is_free(0x24000, 0x25000));
        assert!(s.protect(0x21000, 0x22000, Prot::NONE).is_ok());
        assert_eq!(
            s.find(0x21800).map(|(st, a)| (st, a.prot)),
            Some((0x21000, Prot::NONE))
        );
        assert_eq!(s.find(0x22000).map(|(st, _)| st), Some(0x22000));
        assert!(s.protect(0x23000, 0x26000, Prot::RW).is_err());
        assert_eq!(s.areas().count(), 4);
    }
}

//! The kernel heap as the runner's global allocator (decision D16 in docs/decisions.md).
//!
//! DESIGN §4 wants the kernel state that processes share (files of in-memory mounts, pipes,
//! open files, the process table) in one region mapped shared at the same address in every
//! host process of the sandbox. The core builds that state with ordinary `alloc` collections
//! (`Arc`, `Vec`, `BTreeMap`), which on stable Rust cannot be given an allocator. So instead
//! of an allocator parameter on every collection, the allocation *context* picks the heap:
//!
//! - While a thread serves a trap ([`kernel_mode`], entered by the interception around every
//!   call into the library OS) or boots the kernel, new blocks come from the
//!   [`SharedRegion`]. Everything the library OS builds is then in shared memory: the shared
//!   objects, and also each process's private kernel state (its fd table, memory map,
//!   signal dispositions), which a fork copies explicitly into new blocks, as a kernel's
//!   `copy_process` does.
//! - Everywhere else (std, the CLI, the platform's own bookkeeping, which opts out with
//!   [`private_heap`]) blocks come from the process-private system allocator.
//! - A block is freed or resized by the heap it came from, whichever mode the caller is in
//!   (its address says which).
//!
//! The hazard DESIGN §4 names — after a host fork, two processes owning the same shared block
//! through copies of one private handle — is kept out by two rules: a forked child never uses
//! (or drops) anything of its parent's kernel object, only the copy made for it; and the
//! platform's long-lived private state is allocated under [`private_heap`].
//!
//! No host calls of its own: the region is created by [`install`] before the filter.

use crate::shared_heap::{SharedAlloc, SharedRegion};
use allocator_api2::alloc::Allocator;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// Address space reserved for the kernel heap: pages are committed only when touched. Files of
/// in-memory mounts live here, and each in-memory file mapped `MAP_SHARED` reserves a span of
/// room to grow in (the shim sizes it: 64 MiB to 1 GiB, or the file's size if larger).
pub const KERNEL_HEAP_BYTES: usize = 512 << 30;

/// Most of the kernel heap that the spans of [`alloc_pages`] may reserve together, in every
/// process of the sandbox: a quarter, so that however many files the guest maps, three
/// quarters of the heap's address space stay for the library OS's own objects. Past it
/// [`alloc_pages`] fails and mmap returns ENOMEM.
pub const SHARED_SPANS_MAX_BYTES: usize = KERNEL_HEAP_BYTES / 4;

static HEAP: OnceLock<SharedAlloc> = OnceLock::new();

/// Bytes reserved by live spans of [`alloc_pages`]: a counter inside the kernel heap (so the
/// same for every process of the sandbox), found through its address.
static SPANS_RESERVED: OnceLock<usize> = OnceLock::new();

/// Address of a word in the kernel heap that every process of the sandbox sees: set when one
/// of them failed itself ([`mark_failed`]), so that the others end too.
static FAILED: OnceLock<usize> = OnceLock::new();

thread_local! {
    /// Whether new blocks on this thread come from the kernel heap.
    static KERNEL_MODE: Cell<bool> = const { Cell::new(false) };
}

/// Create the kernel heap (once, at start-up, before any fork).
pub fn install() -> Result<(), crate::shared_heap::RegionError> {
    if HEAP.get().is_some() {
        return Ok(());
    }
    let region = SharedRegion::create(KERNEL_HEAP_BYTES)?;
    let heap = region.alloc();
    // Never freed: the counter lives as long as the heap.
    if let Ok(block) = heap.allocate(Layout::new::<AtomicUsize>()) {
        let counter = block.cast::<AtomicUsize>().as_ptr();
        // SAFETY: a fresh block of the heap, sized and aligned for an AtomicUsize.
        unsafe { counter.write(AtomicUsize::new(0)) };
        let _ = SPANS_RESERVED.set(counter as usize);
    }
    if let Ok(word) = heap.allocate(Layout::new::<AtomicU32>()) {
        let word = word.cast::<AtomicU32>();
        // SAFETY: a fresh, aligned block of the heap, ours; the heap lives as long as the
        // sandbox and a fork keeps it at the same address.
        unsafe { word.as_ptr().write(AtomicU32::new(0)) };
        let _ = FAILED.set(word.as_ptr() as usize);
    }
    let _ = HEAP.set(heap);
    Ok(())
}

fn spans_reserved() -> Option<&'static AtomicUsize> {
    let addr = *SPANS_RESERVED.get()?;
    // SAFETY: written by `install` in the kernel heap, which is never unmapped; an atomic,
    // so shared use from every thread and process of the sandbox is sound.
    Some(unsafe { &*(addr as *const AtomicUsize) })
}

fn failed_word() -> Option<&'static AtomicU32> {
    // SAFETY: set once by `install` to an initialised AtomicU32 that is never freed.
    FAILED.get().map(|&a| unsafe { &*(a as *const AtomicU32) })
}

/// Record that a process of the sandbox failed itself (a panic or an abort in the library
/// OS): the others end at their next trap or kick (`intercept`).
pub fn mark_failed() {
    if let Some(w) = failed_word() {
        w.store(1, Ordering::Release);
    }
}

/// Whether a process of the sandbox failed itself.
pub fn sandbox_failed() -> bool {
    failed_word().is_some_and(|w| w.load(Ordering::Acquire) != 0)
}

/// Whether the kernel heap exists.
pub fn installed() -> bool {
    HEAP.get().is_some()
}

fn set_mode(on: bool) -> bool {
    KERNEL_MODE.with(|m| m.replace(on))
}

/// Run `f` with new blocks coming from the kernel heap (a no-op before [`install`]).
pub fn kernel_mode<R>(f: impl FnOnce() -> R) -> R {
    let before = set_mode(true);
    let r = f();
    set_mode(before);
    r
}

/// Run `f` with new blocks coming from the private heap: for the platform's own long-lived
/// state that code serving a trap creates (caches, host thread handles).
pub fn private_heap<R>(f: impl FnOnce() -> R) -> R {
    let before = set_mode(false);
    let r = f();
    set_mode(before);
    r
}

/// `bytes` (a multiple of the page size) of zeroed, page-aligned kernel-heap memory, for
/// pages that guest mappings share (`mremap` of them makes a second mapping of the same
/// pages, in any process of the sandbox).
///
/// Spans are charged to [`SHARED_SPANS_MAX_BYTES`]: past it, `None`.
pub fn alloc_pages(bytes: usize) -> Option<usize> {
    let heap = HEAP.get()?;
    let layout = Layout::from_size_align(bytes, crate::shared_heap::PAGE_BYTES).ok()?;
    let reserved = spans_reserved()?;
    reserved
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            used.checked_add(bytes)
                .filter(|&total| total <= SHARED_SPANS_MAX_BYTES)
        })
        .ok()?;
    let Ok(block) = heap.allocate(layout) else {
        reserved.fetch_sub(bytes, Ordering::AcqRel);
        return None;
    };
    let addr = block.cast::<u8>().as_ptr() as usize;
    // The span may reuse pages freed without being given back (small frees merged into
    // it): punching them out makes the whole span read as zeros, as fresh pages do.
    // SAFETY: the span is ours and inside the region, a shared (shmem) mapping.
    unsafe { libc::madvise(addr as *mut libc::c_void, bytes, libc::MADV_REMOVE) };
    Some(addr)
}

/// Give back pages from [`alloc_pages`].
pub fn free_pages(addr: usize, bytes: usize) {
    let (Some(heap), Some(ptr), Ok(layout)) = (
        HEAP.get(),
        NonNull::new(addr as *mut u8),
        Layout::from_size_align(bytes, crate::shared_heap::PAGE_BYTES),
    ) else {
        return;
    };
    // SAFETY: `addr` came from `alloc_pages(bytes)`, with this layout.
    unsafe { heap.deallocate(ptr, layout) };
    if let Some(reserved) = spans_reserved() {
        reserved.fetch_sub(bytes, Ordering::AcqRel);
    }
}

fn kernel_heap() -> Option<&'static SharedAlloc> {
    if KERNEL_MODE.with(Cell::get) {
        HEAP.get()
    } else {
        None
    }
}

fn owner(ptr: *mut u8) -> Option<&'static SharedAlloc> {
    HEAP.get().filter(|h| h.contains(ptr as usize))
}

/// The global allocator of a Meridian runner: see the module documentation.
pub struct KernelHeapAlloc;

// SAFETY: blocks from the kernel heap are returned to it (its `contains` is exact: the
// region is one mapping that is never unmapped), all others to `System`; each heap upholds
// the GlobalAlloc contract for its own blocks.
unsafe impl GlobalAlloc for KernelHeapAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match kernel_heap() {
            Some(h) => h
                .allocate(layout)
                .map_or(core::ptr::null_mut(), |p| p.cast::<u8>().as_ptr()),
            // SAFETY: forwarded from the caller.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match kernel_heap() {
            Some(h) => h
                .allocate_zeroed(layout)
                .map_or(core::ptr::null_mut(), |p| p.cast::<u8>().as_ptr()),
            // SAFETY: forwarded from the caller.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match (owner(ptr), NonNull::new(ptr)) {
            // SAFETY: the block lies in the kernel heap, so it came from it, with `layout`
            // (the caller's contract).
            (Some(h), Some(p)) => unsafe { h.deallocate(p, layout) },
            // SAFETY: forwarded from the caller; the block is not the kernel heap's.
            _ => unsafe { System.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (Some(h), Some(p)) = (owner(ptr), NonNull::new(ptr)) else {
            // SAFETY: forwarded from the caller; the block is not the kernel heap's.
            return unsafe { System.realloc(ptr, layout, new_size) };
        };
        let Ok(new) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        // SAFETY: `p` came from this heap with `layout` (the caller's contract); grow and
        // shrink get the direction they require.
        let r = unsafe {
            if new_size >= layout.size() {
                h.grow(p, layout, new)
            } else {
                h.shrink(p, layout, new)
            }
        };
        r.map_or(core::ptr::null_mut(), |p| p.cast::<u8>().as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_follow_the_mode_and_go_back_to_their_heap() {
        install().unwrap();
        let h = HEAP.get().unwrap();
        let private = vec![1u8; 100];
        assert!(!h.contains(private.as_ptr() as usize));
        let mut shared = kernel_mode(|| vec![2u8; 100]);
        assert!(h.contains(shared.as_ptr() as usize));
        // Growth outside kernel mode keeps the block in the heap it came from.
        shared.extend_from_slice(&[3u8; 5000]);
        assert!(h.contains(shared.as_ptr() as usize));
        assert_eq!(shared[0], 2);
        assert_eq!(shared[5099], 3);
        let p = kernel_mode(|| private_heap(|| Box::new(7u64)));
        assert!(!h.contains(&*p as *const u64 as usize));
        drop(shared);
        drop(private);
    }

    #[test]
    fn shared_spans_are_charged_to_their_budget() {
        install().unwrap();
        const PAGE: usize = crate::shared_heap::PAGE_BYTES;
        let most = alloc_pages(SHARED_SPANS_MAX_BYTES - PAGE).expect("within the budget");
        let last = alloc_pages(PAGE).expect("the budget's last page");
        assert_eq!(alloc_pages(PAGE), None, "past the budget");
        free_pages(last, PAGE);
        let again = alloc_pages(PAGE).expect("a freed span's bytes can be taken again");
        free_pages(again, PAGE);
        free_pages(most, SHARED_SPANS_MAX_BYTES - PAGE);
        // The heap itself still serves large blocks: spans never take all of it.
        let big: Vec<u8> = kernel_mode(|| Vec::with_capacity(1 << 30));
        assert!(HEAP.get().unwrap().contains(big.as_ptr() as usize));
    }
}

//! The shared kernel heap (DESIGN §4; the kernel heap of issue 4, see [`crate::kheap`]): one
//! memory region that every host process of a sandbox maps at the same address, with an
//! allocator and process-shared locks whose state lives entirely inside it, so that kernel
//! objects allocated there (files of in-memory mounts, pipes, the process table) are one
//! kernel's objects after a host fork.
//!
//! Key types:
//! - [`SharedRegion`]: an anonymous `MAP_SHARED | MAP_NORESERVE` mapping (shmem, as a
//!   `memfd` would be, but with no file whose size `RLIMIT_FSIZE` limits; 1 GiB reserved by
//!   default, pages committed when first touched), placed by the host outside the guest range
//!   [`GUEST_LOW`](crate::GUEST_LOW)..[`GUEST_HIGH`](crate::GUEST_HIGH). A host fork copies the
//!   mapping as a shared one, so parent and child see the same pages at the same address.
//! - [`SharedAlloc`]: a `Copy` handle implementing `allocator_api2::alloc::Allocator` (0.2.x,
//!   the trait hashbrown 0.17 and `allocator_api2::vec::Vec` take), so [`SharedMap`] and
//!   [`SharedVec`] live in the region. Size classes of 16 to 2048 bytes, each with its own
//!   free list under its own lock, carved from 64 KiB chunks; larger blocks take whole pages
//!   from a span list under one page lock. Freed blocks go back to their class; freed spans go
//!   back to the span list (and, from 1 MiB up, their pages to the host with `MADV_REMOVE`).
//! - [`ProcessMutex`] / [`RawProcessMutex`]: futex locks without `FUTEX_PRIVATE_FLAG`.
//! - [`SharedHasher`]: a fixed-seed foldhash state. A map's hasher must be the same in every
//!   process (a per-process random seed makes lookups miss after fork); `FixedState` is one
//!   `u64` kept inside the map, and the seed tables it reads are constants of the binary, which
//!   is mapped at the same address in every process of the sandbox.
//!
//! Rules for what goes in the region: nothing in it points into private memory (the private
//! heap, stacks, statics that differ per process); objects are owned only from the shared root
//! ([`SharedRegion::root`]), never by a private owning handle, since host fork copies private
//! handles and two processes would then free the same block. Code holding a shared lock must
//! not panic or block on anything but another shared lock (see the robustness note on
//! [`RawProcessMutex`]).
//!
//! Host calls: at creation one `mmap`, made before the seccomp filter is installed. At run time only `futex` (`FUTEX_WAIT`/`FUTEX_WAKE` on contended locks)
//! and `madvise(MADV_REMOVE)` (large frees), both already on the allowlist.
//!
//! How it is used: [`crate::kheap`] makes it the runner's heap while a thread serves a trap
//! (decision D16 in docs/decisions.md), so the core's collections live here without an
//! allocator parameter. DESIGN §4's explicit route — the `Platform` trait giving the kernel
//! allocator and raw lock as associated types, with the core's shared state generic over
//! them (`hashbrown::HashMap<K, V, FixedState, P::KernelAlloc>`) — stays possible with these
//! same types; D16 says why it was not taken now.

mod mutex;
mod pages;

pub use mutex::{ProcessMutex, ProcessMutexGuard, RawProcessMutex, futex_wait, futex_wake};

use allocator_api2::alloc::{AllocError, Allocator, Layout};
use core::ptr::NonNull;
use core::sync::atomic::AtomicUsize;
use pages::Pages;

/// Host page size (x86-64).
pub const PAGE_BYTES: usize = 4096;
/// Default reservation of the kernel heap: address space only until touched.
pub const DEFAULT_REGION_BYTES: usize = 1 << 30;
/// What a size class takes from the pages at a time.
const CHUNK_BYTES: usize = 64 * 1024;
const CHUNK_PAGES: usize = CHUNK_BYTES / PAGE_BYTES;
/// Block sizes of the size classes. Each size's largest power-of-two divisor is the
/// alignment its blocks get (chunks are page-aligned), e.g. 48-byte blocks are 16-aligned.
pub const CLASS_SIZES: [usize; 14] = [
    16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
];
/// Larger requests take whole pages.
pub const MAX_CLASS_BYTES: usize = 2048;
/// Freed spans of at least this many pages (1 MiB) give their memory back to the host. Each
/// such free is an madvise call (about 1.2 µs here, docs/performance.md), which is noise
/// next to filling a megabyte but would be 50 times an alloc+free of 64 KiB.
const REMOVE_MIN_PAGES: usize = 256;
const MAGIC: u64 = u64::from_le_bytes(*b"MRDNKHP1");
/// The fixed seed of [`shared_hasher`]; any constant works, it only has to be the same in
/// every process.
const HASH_SEED: u64 = 0x6d65_7269_6469_616e;

/// The hasher state for maps in the region: the same in every process.
pub type SharedHasher = foldhash::fast::FixedState;
/// A hash map whose table lives in the region.
pub type SharedMap<K, V> = hashbrown::HashMap<K, V, SharedHasher, SharedAlloc>;
/// A vector whose buffer lives in the region.
pub type SharedVec<T> = allocator_api2::vec::Vec<T, SharedAlloc>;

/// The hasher for [`SharedMap`]s.
pub const fn shared_hasher() -> SharedHasher {
    foldhash::fast::FixedState::with_seed(HASH_SEED)
}

/// An empty [`SharedMap`] in `alloc`'s region.
pub fn shared_map<K, V>(alloc: SharedAlloc) -> SharedMap<K, V> {
    hashbrown::HashMap::with_hasher_in(shared_hasher(), alloc)
}

/// Failures to create the region.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// The size asked for cannot hold the heap's header and one chunk.
    #[error("a shared kernel heap of {bytes} bytes is too small (at least {min} bytes are needed)")]
    TooSmall {
        /// Bytes asked for.
        bytes: usize,
        /// The minimum.
        min: usize,
    },
    /// The host placed the region inside the guest range (it only does so if the guest range
    /// was not reserved yet and the address space is nearly full).
    #[error(
        "the host placed the shared kernel heap at {addr:#x}, inside the guest range; create it after reserving the guest range"
    )]
    InGuestRange {
        /// Where it was placed.
        addr: usize,
    },
    /// A host call failed.
    #[error("{what}: {source}")]
    Host {
        /// What was being done.
        what: &'static str,
        /// The host error.
        source: std::io::Error,
    },
}

/// The free lists of one size class.
#[derive(Debug, Default)]
#[repr(C)]
struct ClassState {
    /// First free block; each free block's first word is the next one's address (0 ends).
    head: usize,
    /// The part of the current chunk not handed out yet.
    carve: usize,
    carve_end: usize,
}

/// One class per cache line, so class locks do not share lines.
#[derive(Debug, Default)]
#[repr(C, align(64))]
struct Class {
    state: ProcessMutex<ClassState>,
}

/// The heap's metadata, at the region's first address. Only addresses inside the region.
#[repr(C)]
struct Header {
    magic: u64,
    end: usize,
    root: AtomicUsize,
    pages: ProcessMutex<Pages>,
    classes: [Class; CLASS_SIZES.len()],
}

const HEADER_BYTES: usize = core::mem::size_of::<Header>().next_multiple_of(PAGE_BYTES);

/// The shared kernel heap's mapping. A `Copy` handle: the mapping lives until
/// [`unmap`](Self::unmap) or the process's end (the kernel heap lives as long as the sandbox).
#[derive(Clone, Copy, Debug)]
pub struct SharedRegion {
    header: NonNull<Header>,
    bytes: usize,
}

// SAFETY: the handle is an address; everything reached through it is atomics or behind
// process-shared locks, so it may be used from any thread.
unsafe impl Send for SharedRegion {}
// SAFETY: as for Send.
unsafe impl Sync for SharedRegion {}

impl SharedRegion {
    /// Creates a region of `bytes` (rounded up to pages), of which nothing is committed until
    /// touched. Host calls: `mmap` (before the filter).
    pub fn create(bytes: usize) -> Result<SharedRegion, RegionError> {
        let bytes = bytes.next_multiple_of(PAGE_BYTES);
        // Header, boundary tags, and room for at least one chunk.
        let meta = HEADER_BYTES + pages::tag_bytes(bytes);
        let min = meta + CHUNK_BYTES;
        if bytes < min {
            return Err(RegionError::TooSmall { bytes, min });
        }
        let addr = map_shared(bytes).ok_or_else(|| host_error("mapping the shared kernel heap"))?;
        let end = addr + bytes;
        if addr < crate::GUEST_HIGH as usize && end > crate::GUEST_LOW as usize {
            // SAFETY: the mapping was made just above and nothing refers to it yet.
            unsafe { libc::munmap(addr as *mut libc::c_void, bytes) };
            return Err(RegionError::InGuestRange { addr });
        }
        let header = addr as *mut Header;
        // SAFETY: the mapping is fresh, writable, page-aligned and at least HEADER_BYTES long.
        unsafe {
            header.write(Header {
                magic: MAGIC,
                end,
                root: AtomicUsize::new(0),
                // The tags start zeroed: shmem pages read as zero until written.
                pages: ProcessMutex::new(Pages::new(addr + meta, end, addr + HEADER_BYTES)),
                classes: Default::default(),
            });
        }
        Ok(SharedRegion {
            header: NonNull::new(header)
                .ok_or_else(|| host_error("mapping the shared kernel heap"))?,
            bytes,
        })
    }

    /// The allocator of this region.
    pub fn alloc(&self) -> SharedAlloc {
        SharedAlloc {
            header: self.header,
        }
    }

    /// First address of the region.
    pub fn base(&self) -> usize {
        self.header.as_ptr() as usize
    }

    /// Length of the region in bytes.
    pub fn len(&self) -> usize {
        self.bytes
    }

    /// Whether the region is empty (never: creation refuses regions too small for a heap).
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Whether `addr` lies in the region.
    pub fn contains(&self, addr: usize) -> bool {
        (self.base()..self.base() + self.bytes).contains(&addr)
    }

    /// A word in the region for the address of the kernel's root object, 0 until set.
    pub fn root(&self) -> &AtomicUsize {
        &self.header().root
    }

    /// Bytes of the region ever handed out to size classes or large blocks (a high-water mark
    /// of the page allocator; freed memory is reused before it grows).
    pub fn high_water_bytes(&self) -> usize {
        self.header().pages.lock().bump() - self.base()
    }

    fn header(&self) -> &Header {
        // SAFETY: written at creation; mapped until `unmap`, whose contract forbids later use.
        unsafe { self.header.as_ref() }
    }

    /// Unmaps the region from this process.
    ///
    /// # Safety
    /// No handle to this region ([`SharedRegion`], [`SharedAlloc`]) and no object in it is used
    /// by this process afterwards (collections in it must be forgotten, not dropped).
    pub unsafe fn unmap(self) {
        // SAFETY: the region is our mapping of `bytes` at `base`; the caller promises nothing
        // refers to it any more.
        unsafe { libc::munmap(self.base() as *mut libc::c_void, self.bytes) };
    }
}

fn host_error(what: &'static str) -> RegionError {
    RegionError::Host {
        what,
        source: std::io::Error::last_os_error(),
    }
}

/// `bytes` of shared anonymous memory (shmem: a fork shares it, `MADV_REMOVE` frees its
/// pages, `mremap` with `old_size` 0 maps its pages a second time, as for a memfd). Not a
/// memfd: its `ftruncate` to the region's size is a file size, which an inherited
/// `RLIMIT_FSIZE` below it refuses (SIGXFSZ).
fn map_shared(bytes: usize) -> Option<usize> {
    // SAFETY: a new shared mapping at an address the host chooses replaces nothing.
    // MAP_NORESERVE: the region is address space; pages are committed when first written.
    let addr = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    (addr != libc::MAP_FAILED).then_some(addr as usize)
}

/// The allocator of a [`SharedRegion`]: a `Copy` address of the heap's header, so that a
/// collection holding it holds nothing process-private.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedAlloc {
    header: NonNull<Header>,
}

// SAFETY: all heap state reached through the handle is behind process-shared locks.
unsafe impl Send for SharedAlloc {}
// SAFETY: as for Send.
unsafe impl Sync for SharedAlloc {}

/// Index of the first size class whose size is at least `size`, for sizes 1..=2048, by
/// 16-byte steps.
const SIZE_TO_CLASS: [u8; MAX_CLASS_BYTES / 16 + 1] = {
    let mut table = [0u8; MAX_CLASS_BYTES / 16 + 1];
    let mut step = 0;
    let mut class = 0;
    while step < table.len() {
        while CLASS_SIZES[class] < step * 16 {
            class += 1;
        }
        table[step] = class as u8;
        step += 1;
    }
    table
};

/// The size class serving `layout`, if any: the smallest class at least as large whose blocks
/// are aligned enough. Deallocation recomputes it from the layout, so the same class is found
/// for any size between the one asked for and the block size returned.
fn class_for(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if size > MAX_CLASS_BYTES {
        return None;
    }
    let first = usize::from(*SIZE_TO_CLASS.get(size.div_ceil(16))?);
    (first..CLASS_SIZES.len()).find(|&c| {
        CLASS_SIZES
            .get(c)
            .is_some_and(|&s| 1usize << s.trailing_zeros() >= layout.align())
    })
}

fn class_size(class: usize) -> usize {
    CLASS_SIZES.get(class).copied().unwrap_or(MAX_CLASS_BYTES)
}

/// How a layout is served.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Class(usize),
    Pages(usize),
}

fn kind_of(layout: Layout) -> Result<Kind, AllocError> {
    match class_for(layout) {
        Some(class) => Ok(Kind::Class(class)),
        // Spans are only page-aligned.
        None if layout.align() > PAGE_BYTES => Err(AllocError),
        None => Ok(Kind::Pages(layout.size().div_ceil(PAGE_BYTES))),
    }
}

impl Kind {
    fn bytes(self) -> usize {
        match self {
            Kind::Class(class) => class_size(class),
            Kind::Pages(pages) => pages * PAGE_BYTES,
        }
    }
}

impl SharedAlloc {
    fn header(&self) -> &Header {
        // SAFETY: the header was written at creation and the mapping lives as long as any
        // handle may be used (SharedRegion::unmap's contract).
        unsafe { self.header.as_ref() }
    }

    /// The region base, for checks that an object lives in the heap.
    pub fn contains(&self, addr: usize) -> bool {
        let base = self.header.as_ptr() as usize;
        (base..self.header().end).contains(&addr)
    }

    fn alloc_kind(&self, kind: Kind) -> Option<usize> {
        match kind {
            Kind::Class(class) => self.alloc_class(class),
            Kind::Pages(pages) => self.alloc_pages(pages),
        }
    }

    /// # Safety
    /// `addr` was returned by `alloc_kind(kind)` of this heap and is not used again.
    unsafe fn free_kind(&self, addr: usize, kind: Kind) {
        match kind {
            // SAFETY: forwarded from the caller.
            Kind::Class(class) => unsafe { self.free_class(addr, class) },
            // SAFETY: forwarded from the caller.
            Kind::Pages(pages) => unsafe { self.free_pages(addr, pages) },
        }
    }

    fn alloc_class(&self, class: usize) -> Option<usize> {
        let size = class_size(class);
        let mut state = self.header().classes.get(class)?.state.lock();
        if state.head != 0 {
            let block = state.head;
            // SAFETY: free blocks of this class are in the region, at least 16 bytes and
            // 16-aligned, and their first word holds the next free block (free_class); the
            // class lock is held.
            state.head = unsafe { *(block as *const usize) };
            return Some(block);
        }
        if state.carve_end - state.carve < size {
            // Lock order: a class lock, then the page lock; never the reverse.
            let chunk = self.alloc_pages(CHUNK_PAGES)?;
            state.carve = chunk;
            state.carve_end = chunk + CHUNK_BYTES;
        }
        let block = state.carve;
        state.carve += size;
        Some(block)
    }

    /// # Safety
    /// `block` came from `alloc_class(class)` of this heap and is not used again.
    unsafe fn free_class(&self, block: usize, class: usize) {
        let Some(class) = self.header().classes.get(class) else {
            return;
        };
        let mut state = class.state.lock();
        // SAFETY: the caller gives the block back to us; it is at least 16 bytes and
        // 16-aligned, and the class lock is held.
        unsafe { (block as *mut usize).write(state.head) };
        state.head = block;
    }

    fn alloc_pages(&self, pages: usize) -> Option<usize> {
        let mut state = self.header().pages.lock();
        // SAFETY: the page lock is held.
        unsafe { state.take(pages) }
    }

    /// # Safety
    /// `span` came from `alloc_pages(pages)` of this heap and is not used again.
    unsafe fn free_pages(&self, span: usize, pages: usize) {
        if pages >= REMOVE_MIN_PAGES {
            // Give the memory back to the host: on a shared mapping MADV_DONTNEED would only
            // drop this process's view, MADV_REMOVE frees the backing (madvise(2)). A failure
            // only leaves the pages committed. Done before taking the lock: the span is still
            // ours.
            // SAFETY: the span is a page-aligned range of our shared mapping that nothing
            // uses any more (caller's promise).
            unsafe {
                libc::madvise(
                    span as *mut libc::c_void,
                    pages * PAGE_BYTES,
                    libc::MADV_REMOVE,
                )
            };
        }
        let mut state = self.header().pages.lock();
        // SAFETY: the page lock is held; the span is given back once (caller's promise).
        unsafe { state.give(span, pages) };
    }
}

fn dangling(align: usize) -> Result<NonNull<[u8]>, AllocError> {
    let ptr = NonNull::new(core::ptr::without_provenance_mut::<u8>(align)).ok_or(AllocError)?;
    Ok(NonNull::slice_from_raw_parts(ptr, 0))
}

fn block(addr: usize, len: usize) -> Result<NonNull<[u8]>, AllocError> {
    let ptr = NonNull::new(addr as *mut u8).ok_or(AllocError)?;
    Ok(NonNull::slice_from_raw_parts(ptr, len))
}

// SAFETY: blocks are handed out once until freed (free lists and spans are only changed under
// their locks), lie inside the mapping, which outlives every handle, have at least the size
// and alignment asked for (class_for/kind_of), and the handle is Copy, so every copy is the
// same allocator.
unsafe impl Allocator for SharedAlloc {
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            return dangling(layout.align());
        }
        let kind = kind_of(layout)?;
        let addr = self.alloc_kind(kind).ok_or(AllocError)?;
        block(addr, kind.bytes())
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        if let Ok(kind) = kind_of(layout) {
            // SAFETY: the caller's contract: `ptr` was allocated here with a layout that fits,
            // which maps to the same kind (see class_for).
            unsafe { self.free_kind(ptr.as_ptr() as usize, kind) };
        }
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded from the caller (grow and shrink share the contract we rely on).
        unsafe { self.resize(ptr, old_layout, new_layout) }
    }

    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded from the caller.
        let new = unsafe { self.resize(ptr, old_layout, new_layout)? };
        let start = old_layout.size();
        // SAFETY: `new` is `new.len()` bytes of ours; we zero what lies past the old contents.
        unsafe {
            new.cast::<u8>()
                .as_ptr()
                .add(start)
                .write_bytes(0, new.len() - start)
        };
        Ok(new)
    }

    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded from the caller.
        unsafe { self.resize(ptr, old_layout, new_layout) }
    }
}

impl SharedAlloc {
    /// Grow or shrink: keeps the block when the new layout is served by the same class or the
    /// same number of pages, else moves it.
    ///
    /// # Safety
    /// `ptr` was allocated here with `old_layout` (as `Allocator::grow` requires).
    unsafe fn resize(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if old_layout.size() == 0 {
            return self.allocate(new_layout);
        }
        let old = kind_of(old_layout)?;
        if new_layout.size() == 0 {
            // SAFETY: the caller's contract.
            unsafe { self.free_kind(ptr.as_ptr() as usize, old) };
            return dangling(new_layout.align());
        }
        let new = kind_of(new_layout)?;
        if new == old {
            return block(ptr.as_ptr() as usize, new.bytes());
        }
        let moved = self.allocate(new_layout)?;
        let keep = old_layout.size().min(new_layout.size());
        // SAFETY: both blocks are ours, distinct (the old one is not free), and at least
        // `keep` bytes long.
        unsafe {
            core::ptr::copy_nonoverlapping(ptr.as_ptr(), moved.cast::<u8>().as_ptr(), keep);
            self.free_kind(ptr.as_ptr() as usize, old);
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_table_picks_the_smallest_class() {
        for size in 1..=MAX_CLASS_BYTES {
            let layout = Layout::from_size_align(size, 1).unwrap();
            let class = class_for(layout).unwrap();
            assert!(CLASS_SIZES[class] >= size);
            assert!(class == 0 || CLASS_SIZES[class - 1] < size, "size {size}");
        }
    }

    #[test]
    fn alignment_moves_to_an_aligned_class_or_to_pages() {
        let at = |size, align| class_for(Layout::from_size_align(size, align).unwrap());
        assert_eq!(at(40, 16), Some(2)); // 48, 16-aligned
        assert_eq!(at(40, 32), Some(3)); // 64
        assert_eq!(at(100, 128), Some(5)); // 128
        assert_eq!(at(1100, 1024), Some(13)); // 2048, not 1536 (512-aligned)
        assert_eq!(at(16, 4096), None);
    }

    #[test]
    fn header_fits_in_its_pages() {
        assert!(core::mem::size_of::<Header>() <= HEADER_BYTES);
        assert_eq!(core::mem::align_of::<Class>(), 64);
    }
}

//! The shared kernel heap across real host forks: what a child changes in a map, a vector or
//! the heap's free lists, its parent sees; eight processes allocating and freeing each other's
//! blocks never get one block twice; locks wake waiters in other processes; exhaustion is an
//! allocation error.
//!
//! Children touch only the shared heap (atomics, futexes, the region's own memory), never the
//! private heap, since another test thread may have held malloc's lock at the fork; they report
//! through their exit status (0 is success, other values say which check failed) and leave with
//! `_exit`. The parent waits for each child with a deadline and kills it when it passes.

use allocator_api2::alloc::{Allocator, Layout};
use allocator_api2::boxed::Box as SBox;
use meridian_platform_linux::shared_heap::{
    CLASS_SIZES, PAGE_BYTES, ProcessMutex, SharedAlloc, SharedMap, SharedRegion, SharedVec,
    shared_map,
};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CHILD_DEADLINE: Duration = Duration::from_secs(60);

/// Forks; the child runs `body` and exits with what it returns (101 if it panicked).
fn fork_child(body: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: the child only runs `body`, which touches only the shared heap and atomics,
    // and then `_exit`s without running destructors or atexit handlers.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(101);
        // SAFETY: ends the child at once, as the test harness must not continue in it.
        unsafe { libc::_exit(code) };
    }
    pid
}

/// Waits for `pid` until the deadline; its exit code, or a panic if it was killed or hung.
fn wait_exit(pid: libc::pid_t) -> i32 {
    let deadline = Instant::now() + CHILD_DEADLINE;
    loop {
        let mut status = 0;
        // SAFETY: waits for our own child without blocking.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        assert!(r >= 0, "waitpid: {}", std::io::Error::last_os_error());
        if r == pid {
            assert!(
                libc::WIFEXITED(status),
                "child {pid} ended by signal {}",
                libc::WTERMSIG(status)
            );
            return libc::WEXITSTATUS(status);
        }
        if Instant::now() > deadline {
            // SAFETY: kills and reaps our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            panic!("child {pid} did not finish within {CHILD_DEADLINE:?} (deadlock?)");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

struct Root {
    map: SharedMap<u64, SharedVec<u64>>,
    log: SharedVec<u64>,
}

fn vec_of(alloc: SharedAlloc, value: u64, len: usize) -> SharedVec<u64> {
    let mut v = SharedVec::new_in(alloc);
    v.extend(std::iter::repeat_n(value, len));
    v
}

#[test]
fn a_childs_changes_to_a_shared_map_and_vec_are_seen_by_its_parent() {
    let region = SharedRegion::create(64 << 20).unwrap();
    let alloc = region.alloc();
    let mut root = SBox::new_in(
        Root {
            map: shared_map(alloc),
            log: SharedVec::new_in(alloc),
        },
        alloc,
    );
    for k in 0..100u64 {
        root.map.insert(k, vec_of(alloc, k, (k % 5 + 1) as usize));
    }
    root.log.extend([1, 2, 3]);
    let root_ptr = SBox::into_raw(root);
    assert!(region.contains(root_ptr as usize));
    region.root().store(root_ptr as usize, Ordering::Release);

    let child = fork_child(|| {
        // The child finds the root through the region, as a forked kernel will.
        let root = region.root().load(Ordering::Acquire) as *mut Root;
        // SAFETY: the parent waits for us and does not touch the root meanwhile.
        let root = unsafe { &mut *root };
        if root.map.len() != 100 {
            return 2;
        }
        // Lookups hash the same in the child: the hasher has no per-process seed.
        if root.map.get(&7).map(|v| v.as_slice()) != Some(&[7, 7, 7][..]) {
            return 3;
        }
        for k in 0..50 {
            if root.map.remove(&k).is_none() {
                return 4;
            }
        }
        for k in 1000..1100 {
            root.map.insert(k, vec_of(alloc, k, 20));
        }
        match root.map.get_mut(&60) {
            Some(v) => v.push(99),
            None => return 5,
        }
        root.log.extend(0..100);
        0
    });
    assert_eq!(wait_exit(child), 0, "the child's checks failed");

    // SAFETY: the child is gone; the root is ours again.
    let root = unsafe { &mut *root_ptr };
    assert_eq!(root.map.len(), 150);
    assert!((0..50).all(|k| !root.map.contains_key(&k)));
    assert_eq!(root.map[&1050].as_slice(), &[1050; 20][..]);
    assert_eq!(root.map[&60].last(), Some(&99));
    assert_eq!(root.map[&61].as_slice(), &[61, 61][..]);
    assert_eq!(root.log.len(), 103);
    assert_eq!(root.log[3..].to_vec(), (0..100).collect::<Vec<_>>());
    for v in root.map.values() {
        assert!(region.contains(v.as_ptr() as usize));
    }
    // SAFETY: made by SBox::new_in above with this allocator; no one else holds it.
    drop(unsafe { SBox::from_raw_in(root_ptr, alloc) });
    // SAFETY: everything in the region was dropped above; no handle is used again.
    unsafe { region.unmap() };
}

const PROCS: usize = 8;
const ITERS: u64 = 3000;
const SLOTS: usize = 32;
const HELD: usize = 8;
/// Sizes across the classes, odd sizes, and page spans (the last one is returned to the host
/// with MADV_REMOVE when freed).
const SIZES: [usize; 12] = [
    16, 24, 48, 100, 256, 700, 1500, 2048, 3000, 9000, 70_000, 1_100_000,
];

struct Arena {
    counter: ProcessMutex<u64>,
    slots: [AtomicUsize; SLOTS],
    go: AtomicU32,
}

fn stamp_of(owner: usize, seq: u64) -> u64 {
    ((owner as u64) << 40) | seq
}

fn pattern(stamp: u64) -> u8 {
    (stamp ^ (stamp >> 40) ^ (stamp >> 8)) as u8 | 1
}

/// Fills a block: its size, its stamp, and a byte pattern derived from the stamp.
///
/// # Safety
/// `block` is a live block of `size >= 16` bytes, 16-aligned, owned by the caller.
unsafe fn stamp(block: usize, size: usize, stamp: u64) {
    // SAFETY: the caller's promise.
    unsafe {
        (block as *mut u64).write(size as u64);
        (block as *mut u64).add(1).write(stamp);
        std::ptr::write_bytes((block + 16) as *mut u8, pattern(stamp), size - 16);
    }
}

/// Whether a block still holds a consistent stamp (`expect` if given) over its whole length;
/// returns its size.
///
/// # Safety
/// `block` is a live block stamped by [`stamp`].
unsafe fn verify(block: usize, expect: Option<u64>) -> Option<usize> {
    // SAFETY: the caller's promise.
    unsafe {
        let size = (block as *const u64).read() as usize;
        let stamp = (block as *const u64).add(1).read();
        if !SIZES.contains(&size) || expect.is_some_and(|e| e != stamp) {
            return None;
        }
        let bytes = std::slice::from_raw_parts((block + 16) as *const u8, size - 16);
        bytes.iter().all(|&b| b == pattern(stamp)).then_some(size)
    }
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 16).unwrap_or(Layout::new::<u128>())
}

/// One process of the stress test: allocate and stamp, keep a few blocks a while and check
/// nobody else wrote them, hand half to the others through the slots and free what comes
/// back, bump the shared counter under the lock.
fn churn(me: usize, arena: &Arena, alloc: SharedAlloc) -> i32 {
    while arena.go.load(Ordering::Acquire) == 0 {
        std::thread::yield_now();
    }
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (me as u64 + 1);
    let mut held = [(0usize, 0u64); HELD];
    for seq in 0..ITERS {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let size = SIZES[(rng >> 33) as usize % SIZES.len()];
        let Ok(block) = alloc.allocate(layout(size)) else {
            return 10;
        };
        let block = block.cast::<u8>().as_ptr() as usize;
        let mine = stamp_of(me, seq);
        // SAFETY: freshly allocated, `size` bytes, 16-aligned.
        unsafe { stamp(block, size, mine) };
        {
            let mut count = arena.counter.lock();
            // A read-modify-write split in two, so a lock that let two holders in would lose
            // updates.
            let seen = *count;
            std::hint::spin_loop();
            *count = std::hint::black_box(seen) + 1;
        }
        let (old, old_stamp) = std::mem::replace(&mut held[seq as usize % HELD], (block, mine));
        if old == 0 {
            continue;
        }
        // SAFETY: `old` is our live block, stamped by us.
        let Some(old_size) = (unsafe { verify(old, Some(old_stamp)) }) else {
            return 20; // someone else was handed our block and wrote it
        };
        if rng & (1 << 20) == 0 {
            // SAFETY: our block, allocated with this layout.
            unsafe { alloc.deallocate(NonNull::new_unchecked(old as *mut u8), layout(old_size)) };
            continue;
        }
        let other = arena.slots[(rng >> 24) as usize % SLOTS].swap(old, Ordering::AcqRel);
        if other != 0 {
            // SAFETY: blocks in the slots are live and stamped; the swap made it ours.
            let Some(other_size) = (unsafe { verify(other, None) }) else {
                return 21;
            };
            // SAFETY: as above; allocated with this layout by whoever put it there.
            unsafe {
                alloc.deallocate(NonNull::new_unchecked(other as *mut u8), layout(other_size))
            };
        }
    }
    for (block, stamp) in held {
        // SAFETY: our live blocks.
        let Some(size) = (unsafe { verify(block, Some(stamp)) }) else {
            return 22;
        };
        // SAFETY: our block, allocated with this layout.
        unsafe { alloc.deallocate(NonNull::new_unchecked(block as *mut u8), layout(size)) };
    }
    0
}

#[test]
fn eight_processes_allocate_and_free_each_others_blocks() {
    let region = SharedRegion::create(1 << 30).unwrap();
    let alloc = region.alloc();
    let arena = SBox::into_raw(SBox::new_in(
        Arena {
            counter: ProcessMutex::new(0),
            slots: std::array::from_fn(|_| AtomicUsize::new(0)),
            go: AtomicU32::new(0),
        },
        alloc,
    ));
    // SAFETY: lives in the region until freed at the end, after every child is gone.
    let arena_ref = unsafe { &*arena };
    let children: Vec<_> = (0..PROCS)
        .map(|me| fork_child(|| churn(me, arena_ref, alloc)))
        .collect();
    arena_ref.go.store(1, Ordering::Release);
    let codes: Vec<_> = children.into_iter().map(wait_exit).collect();
    assert_eq!(
        codes,
        vec![0; PROCS],
        "exit codes of the churning processes"
    );
    assert_eq!(*arena_ref.counter.lock(), PROCS as u64 * ITERS);
    assert!(!arena_ref.counter.raw().is_locked());
    let mut left = 0;
    for slot in &arena_ref.slots {
        let block = slot.swap(0, Ordering::AcqRel);
        if block != 0 {
            // SAFETY: live stamped blocks left by the children.
            let size =
                unsafe { verify(block, None) }.expect("a block left in a slot was overwritten");
            // SAFETY: allocated with this layout.
            unsafe { alloc.deallocate(NonNull::new(block as *mut u8).unwrap(), layout(size)) };
            left += 1;
        }
    }
    assert!(left > 0, "the children exchanged no blocks");
    // SAFETY: made by SBox::new_in above.
    drop(unsafe { SBox::from_raw_in(arena, alloc) });
    // Everything is free again: a second round reuses memory instead of growing the heap.
    let high = region.high_water_bytes();
    let blocks: Vec<_> = SIZES
        .iter()
        .map(|&s| (alloc.allocate(layout(s)).unwrap(), s))
        .collect();
    for (b, s) in blocks {
        // SAFETY: allocated just above with this layout.
        unsafe { alloc.deallocate(b.cast(), layout(s)) };
    }
    assert_eq!(region.high_water_bytes(), high);
    // SAFETY: nothing in the region is used any more.
    unsafe { region.unmap() };
}

#[test]
fn a_lock_held_by_one_process_wakes_a_waiter_in_another() {
    let region = SharedRegion::create(4 << 20).unwrap();
    let cell = SBox::into_raw(SBox::new_in(ProcessMutex::new(1u32), region.alloc()));
    // SAFETY: lives until the end of the test.
    let cell = unsafe { &*cell };
    let mut guard = cell.lock();
    let child = fork_child(|| {
        // Blocks (spins, then sleeps in FUTEX_WAIT) until the parent unlocks.
        let value = *cell.lock();
        if value == 2 { 0 } else { 30 + value as i32 }
    });
    std::thread::sleep(Duration::from_millis(100));
    *guard = 2;
    drop(guard);
    assert_eq!(
        wait_exit(child),
        0,
        "the waiter saw the value from before the unlock"
    );
    // SAFETY: nothing in the region is used any more.
    unsafe { region.unmap() };
}

#[test]
fn every_size_class_and_page_spans_return_to_their_class_across_fork() {
    let region = SharedRegion::create(64 << 20).unwrap();
    let alloc = region.alloc();
    let mut layouts = Vec::new();
    for &size in &CLASS_SIZES {
        layouts.push(Layout::from_size_align(size, 1).unwrap());
        layouts.push(Layout::from_size_align(size - 7, 8).unwrap());
        let natural = 1usize << size.trailing_zeros();
        layouts.push(Layout::from_size_align(size, natural).unwrap());
    }
    for size in [2049, PAGE_BYTES, PAGE_BYTES + 1, 64 << 10, 1 << 20, 3 << 20] {
        layouts.push(Layout::from_size_align(size, 16).unwrap());
    }
    layouts.push(Layout::from_size_align(16, PAGE_BYTES).unwrap());
    let mut blocks: Vec<(usize, usize, Layout)> = Vec::new();
    for (i, &l) in layouts.iter().enumerate() {
        let b = alloc.allocate(l).unwrap();
        let (addr, len) = (b.cast::<u8>().as_ptr() as usize, b.len());
        assert!(len >= l.size(), "{l:?} got {len} bytes");
        assert_eq!(addr % l.align(), 0, "{l:?} misaligned at {addr:#x}");
        assert!(region.contains(addr) && region.contains(addr + len - 1));
        // SAFETY: a fresh block of `len` bytes.
        unsafe { std::ptr::write_bytes(addr as *mut u8, i as u8, len) };
        blocks.push((addr, len, l));
    }
    let mut sorted = blocks.clone();
    sorted.sort_by_key(|b| b.0);
    for pair in sorted.windows(2) {
        assert!(
            pair[0].0 + pair[0].1 <= pair[1].0,
            "blocks overlap: {pair:?}"
        );
    }
    for (i, &(addr, len, _)) in blocks.iter().enumerate() {
        // SAFETY: our live block.
        let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
        assert!(bytes.iter().all(|&b| b == i as u8), "block {i} overwritten");
    }
    // The child frees each block and allocates its layout again: the same address comes
    // back, from the shared free lists, and the parent sees it.
    let again = SBox::into_raw(SBox::new_in(
        std::array::from_fn::<AtomicUsize, 64, _>(|_| AtomicUsize::new(0)),
        alloc,
    ));
    // SAFETY: lives until the end of the test.
    let again = unsafe { &*again };
    assert!(blocks.len() <= again.len());
    let child = fork_child(|| {
        for (i, &(addr, _, l)) in blocks.iter().enumerate() {
            // SAFETY: the parent's blocks, which it no longer uses.
            unsafe { alloc.deallocate(NonNull::new_unchecked(addr as *mut u8), l) };
            match alloc.allocate(l) {
                Ok(b) => again[i].store(b.cast::<u8>().as_ptr() as usize, Ordering::Release),
                Err(_) => return 40,
            }
        }
        0
    });
    assert_eq!(wait_exit(child), 0);
    for (i, &(addr, _, l)) in blocks.iter().enumerate() {
        assert_eq!(
            again[i].load(Ordering::Acquire),
            addr,
            "{l:?} came back elsewhere"
        );
    }
    // Growing and shrinking through a Vec keeps contents across classes and spans.
    let mut v: SharedVec<u32> = SharedVec::new_in(alloc);
    for i in 0..100_000 {
        v.push(i);
    }
    v.truncate(10);
    v.shrink_to_fit();
    v.extend(10..5000);
    assert!(v.iter().copied().eq(0..5000));
    assert!(region.contains(v.as_ptr() as usize));
    let zero = alloc.allocate(Layout::new::<()>()).unwrap();
    assert_eq!(zero.len(), 0);
    drop(v);
    // SAFETY: nothing in the region is used any more.
    unsafe { region.unmap() };
}

#[test]
fn exhausting_the_region_is_an_allocation_error() {
    let region = SharedRegion::create(1 << 20).unwrap();
    let alloc = region.alloc();
    let big = Layout::from_size_align(64 << 10, 16).unwrap();
    let mut spans = Vec::new();
    while let Ok(b) = alloc.allocate(big) {
        spans.push(b.cast::<u8>());
        assert!(spans.len() < 64, "a 1 MiB region gave more than 1 MiB");
    }
    assert!(!spans.is_empty());
    // No page is left for a small class's first chunk either.
    assert!(alloc.allocate(Layout::new::<u64>()).is_err());
    let mut v: SharedVec<u8> = SharedVec::new_in(alloc);
    assert!(v.try_reserve(1 << 20).is_err());
    let mut m: SharedMap<u64, u64> = shared_map(alloc);
    assert!(m.try_reserve(100_000).is_err());
    assert!(
        alloc
            .allocate(Layout::from_size_align(16, 2 * PAGE_BYTES).unwrap())
            .is_err(),
        "alignment above a page is refused"
    );
    for b in spans.drain(..) {
        // SAFETY: allocated above with `big`.
        unsafe { alloc.deallocate(b, big) };
    }
    // Freed spans serve the next requests.
    assert!(alloc.allocate(Layout::new::<u64>()).is_ok());
    assert!(v.try_reserve(100_000).is_ok());
    assert!(SharedRegion::create(PAGE_BYTES).is_err());
    std::mem::forget((v, m));
    // SAFETY: nothing in the region is used any more (the collections were forgotten).
    unsafe { region.unmap() };
}

#[test]
fn the_region_lies_outside_the_guest_range() {
    let region = SharedRegion::create(1 << 30).unwrap();
    let guest = meridian_platform_linux::GUEST_LOW..meridian_platform_linux::GUEST_HIGH;
    assert!(!guest.contains(&(region.base() as u64)));
    assert!(!guest.contains(&((region.base() + region.len() - 1) as u64)));
    assert!(region.base() as u64 >= meridian_platform_linux::GUEST_HIGH);
    // SAFETY: nothing in the region is used.
    unsafe { region.unmap() };
}

#[test]
fn freed_neighbouring_spans_merge_and_serve_a_larger_block() {
    let region = SharedRegion::create(16 << 20).unwrap();
    let alloc = region.alloc();
    let ten = Layout::from_size_align(10 * PAGE_BYTES, 16).unwrap();
    let thirty = Layout::from_size_align(30 * PAGE_BYTES, 16).unwrap();
    let [a, b, c, guard] = [ten, ten, ten, ten].map(|l| alloc.allocate(l).unwrap().cast::<u8>());
    let high = region.high_water_bytes();
    // SAFETY: blocks allocated above with these layouts, not used again.
    unsafe {
        alloc.deallocate(a, ten);
        alloc.deallocate(c, ten);
        alloc.deallocate(b, ten);
    }
    let merged = alloc.allocate(thirty).unwrap().cast::<u8>();
    let lowest = a.min(b).min(c);
    assert_eq!(merged, lowest, "the three freed spans did not merge");
    assert_eq!(region.high_water_bytes(), high);
    // Freeing everything, the top included, gives the pages back to the never-used top.
    // SAFETY: as above.
    unsafe {
        alloc.deallocate(merged, thirty);
        alloc.deallocate(guard, ten);
    }
    assert_eq!(region.high_water_bytes(), high - 40 * PAGE_BYTES);
    // SAFETY: nothing in the region is used any more.
    unsafe { region.unmap() };
}

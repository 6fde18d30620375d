//! The shared kernel heap's costs (the kernel heap of issue 4): an uncontended `ProcessMutex`
//! lock and unlock against std's `Mutex`; alloc+free of one block per size class and for page
//! spans, `SharedAlloc` against the system allocator (glibc malloc); and a round trip between
//! two host processes woken through a futex in the region against one through two host pipes.
//! Prints Markdown; every ratio compares figures of the same run. A benchmark, not a test.
//!
//! Usage: `cargo run --release -p meridian-platform-linux --example shared_heap_bench [ITERS]`

use allocator_api2::alloc::{Allocator, Layout};
use allocator_api2::boxed::Box as SBox;
use meridian_platform_linux::shared_heap::{
    CLASS_SIZES, DEFAULT_REGION_BYTES, ProcessMutex, SharedRegion, futex_wait, futex_wake,
};
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

const REPS: usize = 5;

/// Median over REPS runs of `f(iters)`, in ns per iteration.
fn median_ns(iters: u64, mut f: impl FnMut(u64)) -> f64 {
    f(iters / 10 + 1);
    let mut samples: Vec<f64> = (0..REPS)
        .map(|_| {
            let t = Instant::now();
            f(iters);
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[REPS / 2]
}

fn lock_figures(iters: u64) {
    let shared = ProcessMutex::new(0u64);
    let private = std::sync::Mutex::new(0u64);
    let ours = median_ns(iters, |n| {
        for _ in 0..n {
            *black_box(&shared).lock() += 1;
        }
    });
    let std = median_ns(iters, |n| {
        for _ in 0..n {
            *black_box(&private).lock().unwrap() += 1;
        }
    });
    println!("| lock | ns per lock+unlock | ratio to std |");
    println!("|---|---|---|");
    println!("| std::sync::Mutex (private futex) | {std:.1} | 1.00 |");
    println!(
        "| ProcessMutex (shared futex) | {ours:.1} | {:.2} |",
        ours / std
    );
    println!();
}

fn alloc_figures(region: &SharedRegion, iters: u64) {
    let shared = region.alloc();
    let system = allocator_api2::alloc::Global;
    println!("| block | SharedAlloc ns (alloc+free) | system allocator ns | ratio |");
    println!("|---|---|---|---|");
    let spans = [4096, 16 << 10, 64 << 10, 512 << 10, 1 << 20];
    for size in CLASS_SIZES.iter().chain(spans.iter()).copied() {
        let layout = Layout::from_size_align(size, 16).expect("valid layout");
        // Page spans from 1 MiB up give their pages back to the host on every free
        // (madvise), so fewer iterations there.
        let n = if size >= 1 << 20 { iters / 50 } else { iters };
        let ours = median_ns(n, |n| {
            for _ in 0..n {
                let b = shared.allocate(layout).expect("the region has room");
                // SAFETY: allocated just above with this layout.
                unsafe { shared.deallocate(black_box(b).cast(), layout) };
            }
        });
        let sys = median_ns(n, |n| {
            for _ in 0..n {
                let b = system.allocate(layout).expect("memory");
                // SAFETY: allocated just above with this layout.
                unsafe { system.deallocate(black_box(b).cast(), layout) };
            }
        });
        let kind = if size > 2048 { "span" } else { "class" };
        println!(
            "| {size} B ({kind}) | {ours:.1} | {sys:.1} | {:.2} |",
            ours / sys
        );
    }
    println!();
}

const PING: u32 = 1;
const PONG: u32 = 0;
const STOP: u32 = 2;

/// Waits until `word` holds something other than `current`, spinning `spins` times first.
fn await_change(word: &AtomicU32, current: u32, spins: u32) -> u32 {
    for _ in 0..spins {
        let v = word.load(Ordering::Acquire);
        if v != current {
            return v;
        }
        std::hint::spin_loop();
    }
    loop {
        let v = word.load(Ordering::Acquire);
        if v != current {
            return v;
        }
        futex_wait(word, current);
    }
}

fn fork_or_die() -> libc::pid_t {
    // SAFETY: this benchmark is single-threaded, so the child may do anything.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    pid
}

fn reap(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed"
    );
}

/// Round trips through a futex word in the region: the parent stores PING and wakes, the
/// child answers PONG and wakes. `spins`: how long each side spins before sleeping.
fn futex_round_trip_ns(region: &SharedRegion, rounds: u64, spins: u32) -> f64 {
    let word = SBox::into_raw(SBox::new_in(AtomicU32::new(PONG), region.alloc()));
    // SAFETY: lives in the region until the end of the program.
    let word = unsafe { &*word };
    let child = fork_or_die();
    if child == 0 {
        while await_change(word, PONG, spins) == PING {
            word.store(PONG, Ordering::Release);
            futex_wake(word, 1);
        }
        // SAFETY: leave without running the parent's destructors twice.
        unsafe { libc::_exit(0) };
    }
    let ns = median_ns(rounds, |n| {
        for _ in 0..n {
            word.store(PING, Ordering::Release);
            futex_wake(word, 1);
            await_change(word, PING, spins);
        }
    });
    word.store(STOP, Ordering::Release);
    futex_wake(word, 1);
    reap(child);
    ns
}

/// Round trips through two host pipes, one byte each way.
fn pipe_round_trip_ns(rounds: u64) -> f64 {
    let (mut there, mut back) = ([0; 2], [0; 2]);
    // SAFETY: pipe writes two descriptors into each array.
    let ok = unsafe { libc::pipe(there.as_mut_ptr()) == 0 && libc::pipe(back.as_mut_ptr()) == 0 };
    assert!(ok, "pipe: {}", std::io::Error::last_os_error());
    let byte = |fd: i32, write: bool| {
        let mut b = [0u8; 1];
        // SAFETY: one byte from/to a valid buffer on our pipes.
        let n = unsafe {
            if write {
                libc::write(fd, b.as_ptr().cast(), 1)
            } else {
                libc::read(fd, b.as_mut_ptr().cast(), 1)
            }
        };
        n == 1
    };
    let child = fork_or_die();
    if child == 0 {
        // SAFETY: the parent's ends, not used here; closing there[1] lets the read see EOF.
        unsafe {
            libc::close(there[1]);
            libc::close(back[0]);
        }
        while byte(there[0], false) {
            byte(back[1], true);
        }
        // SAFETY: as in the futex case.
        unsafe { libc::_exit(0) };
    }
    let ns = median_ns(rounds, |n| {
        for _ in 0..n {
            byte(there[1], true);
            byte(back[0], false);
        }
    });
    // SAFETY: our descriptors; closing the write end ends the child's loop.
    unsafe {
        libc::close(there[1]);
        libc::close(there[0]);
        libc::close(back[0]);
        libc::close(back[1]);
    }
    reap(child);
    ns
}

fn ping_pong_figures(region: &SharedRegion, rounds: u64) {
    let pipe = pipe_round_trip_ns(rounds);
    let futex = futex_round_trip_ns(region, rounds, 0);
    let spin = futex_round_trip_ns(region, rounds, 4000);
    println!("| round trip between two processes | µs | ratio to pipe |");
    println!("|---|---|---|");
    println!("| host pipes, 1 byte each way | {:.2} | 1.00 |", pipe / 1e3);
    println!(
        "| futex word in the region, sleep at once | {:.2} | {:.2} |",
        futex / 1e3,
        futex / pipe
    );
    println!(
        "| futex word in the region, spin 4000 then sleep | {:.2} | {:.2} |",
        spin / 1e3,
        spin / pipe
    );
    println!();
}

fn main() {
    let iters: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let region = SharedRegion::create(DEFAULT_REGION_BYTES).expect("creating the shared heap");
    println!(
        "Shared kernel heap, {iters} iterations per figure, median of {REPS} (CPUs: {}).\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    lock_figures(iters);
    alloc_figures(&region, iters);
    ping_pong_figures(&region, (iters / 100).max(1000));
}

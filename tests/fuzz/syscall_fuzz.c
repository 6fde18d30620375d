// A multi-threaded random system call fuzzer, run inside Meridian only (never natively: it
// makes random calls). Usage: syscall_fuzz SEED SECONDS PROCESSES THREADS MAX_CALLS
//
// The first process forks PROCESSES workers; each runs THREADS threads that issue random
// system call numbers (0..470, and a few outside the table) with adversarial arguments:
// pointers into mapped, read-only, inaccessible and unmapped memory, the top of the guest
// range, kernel addresses, buffers that run into an inaccessible page; lengths 0, 1, 2^40,
// SIZE_MAX, SSIZE_MAX; descriptors 0..1100, -1, AT_FDCWD; random flags; paths that exist
// and do not. Calls that would legitimately end or wreck the run are skipped or have their
// arguments tamed (see `tame`): exit and exit_group, execve, fork/clone/vfork, signals sent
// to processes, signal handlers and sigreturn, rlimits and timers whose signals would kill
// the worker, mmap/munmap/mprotect/mremap/madvise outside a scratch arena, closing or
// replacing stdout/stderr, changing the FS or GS base. A blocking call is interrupted by the
// worker's watchdog (its main thread), which sends SIGUSR1 (an empty handler, no
// SA_RESTART) to a thread stuck in one call for over 100 ms, and ends the worker with
// exit_group at the deadline whatever its threads are doing.
//
// Found on the way: numbers 335 (uretprobe) and 336 (uprobe) reach the host kernel from guest
// code, because Linux 6.11+ and 6.16+ serve them before seccomp filters; outside a uprobe
// trampoline they only raise SIGILL (335) or return ENXIO (336), natively as under Meridian.
//
// The first process prints `fuzz: seed S` first and `fuzz: done ...` with the number of
// calls last, each on a line of its own (workers write random bytes to stdout too); the test (crates/cli/tests/syscall_fuzz.rs) checks from outside that Meridian
// never failed itself (status 125, "internal error") and that a host file outside every
// mount is unchanged.
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16
#define MAX_NR 470
#define ARENA_PAGES 64
#define PAGE 4096UL
#define STUCK_NS (100 * 1000 * 1000L)
#define WATCH_NS (20 * 1000 * 1000L)

// Shared between the first process and its workers (MAP_SHARED).
struct last_call {
  long nr;
  uint64_t a[6];
};
struct totals {
  unsigned long calls;
  unsigned long per_worker_done;
  struct last_call last[8][MAX_THREADS]; // per worker and thread: the call in progress
};
static int worker_index;
static struct totals *totals;

// Per worker.
static char *arena;       // ARENA_PAGES read-write pages: buffers, paths, iovecs (scratch)
static char *ro_page;     // read-only
static char *none_page;   // PROT_NONE
static char *unmapped;    // was mapped, now unmapped
static uintptr_t brk_base;
static unsigned long deadline_ns;
static unsigned long max_calls;
static int nthreads;

struct slot {
  pthread_t thread;
  volatile pid_t tid;
  volatile unsigned long call_started; // 0 when not in a call
  volatile int nr;
  uint64_t rng;
};
static struct slot slots[MAX_THREADS];

static unsigned long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long)ts.tv_sec * 1000000000UL + (unsigned long)ts.tv_nsec;
}

static uint64_t next(uint64_t *s) {
  // xorshift64*
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static long raw6(long nr, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static void say(const char *s) { write(1, s, strlen(s)); }

// Paths in the arena, and what else an argument can be.
static const char *const paths[] = {
    "/tmp/fz/a", "/tmp/fz", "/tmp", "/", ".", "..", "/proc/self/maps", "/proc/self/fd/0",
    "/proc/self/mem", "/dev/null", "/dev/zero", "/dev/urandom", "/etc/passwd", "/w/f",
    "/w", "/w/../..", "/tmp/fz/link", "/nonexistent/x", "", "/proc/self/exe",
    "/tmp/fz/fifo", "/proc/1/status", "/sys",
};
#define NPATHS (sizeof paths / sizeof *paths)
static char *path_at[NPATHS];
static char *iov_at[4];   // iovec arrays in the arena
static char *ts_small;    // a timespec of 1 ms
static char *ts_zero;

static uint64_t pointer(uint64_t *r) {
  switch (next(r) % 16) {
  case 0: return 0;
  case 1: return (uint64_t)ro_page + next(r) % PAGE;
  case 2: return (uint64_t)none_page;
  case 3: return (uint64_t)unmapped + next(r) % PAGE;
  case 4: return (uint64_t)(arena + ARENA_PAGES * PAGE - 1 - next(r) % 64); // runs into none_page
  case 5: return 0xffffffffff600000ULL;                                       // kernel (vsyscall)
  case 6: return 0x3ffffffff000ULL + next(r) % PAGE;                          // guest top
  case 7: return 0x800000000000ULL - 8;                                       // user-space end
  case 8: return (uint64_t)path_at[next(r) % NPATHS];
  case 9: return (uint64_t)iov_at[next(r) % 4];
  case 10: return (uint64_t)ts_small;
  case 11: return (uint64_t)ts_zero;
  case 12: return next(r);
  default: return (uint64_t)(arena + (next(r) % (ARENA_PAGES * PAGE - 256)));
  }
}

static uint64_t argument_raw(uint64_t *r);

static uint64_t length(uint64_t *r) {
  static const uint64_t v[] = {0, 1, 7, 8, 16, 64, 4095, 4096, 4097, 65536, 1UL << 20,
                               1UL << 31, 1UL << 32, 1UL << 40, (uint64_t)-1,
                               (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1, 0x7ffff000};
  return next(r) % 4 == 0 ? next(r) : v[next(r) % (sizeof v / sizeof *v)];
}

static uint64_t descriptor(uint64_t *r) {
  switch (next(r) % 6) {
  case 0: return (uint64_t)-1;
  case 1: return (uint64_t)-100; // AT_FDCWD
  case 2: return next(r) % 1101;
  default: return next(r) % 24;
  }
}

// The worker's own writable memory outside the arena (its image's data, heap, stacks, the
// shared totals): an argument that points there is replaced, so a random write cannot wreck
// the fuzzer itself (a guest may corrupt itself; that tells nothing about Meridian).
#define MAX_SACRED 128
static uint64_t sacred_lo[MAX_SACRED], sacred_hi[MAX_SACRED];
static int nsacred;
static volatile int go;

static int is_sacred(uint64_t v) {
  for (int i = 0; i < nsacred; i++)
    if (v >= sacred_lo[i] && v < sacred_hi[i])
      return 1;
  return 0;
}

static void find_sacred(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  uint64_t arena_lo = (uint64_t)arena, arena_hi = (uint64_t)none_page + PAGE;
  while (f && fgets(line, sizeof line, f) && nsacred < MAX_SACRED) {
    unsigned long lo, hi;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[1] != 'w')
      continue;
    if (hi > arena_lo && lo < arena_hi)
      continue;
    sacred_lo[nsacred] = lo;
    // Also the page below: a buffer that starts there and runs upwards would reach it.
    sacred_lo[nsacred] = lo >= PAGE ? lo - PAGE : lo;
    sacred_hi[nsacred++] = hi;
  }
  if (f)
    fclose(f);
}

static uint64_t argument(uint64_t *r) {
  uint64_t v = argument_raw(r);
  return is_sacred(v) ? (uint64_t)arena + next(r) % (ARENA_PAGES * PAGE) : v;
}

static uint64_t argument_raw(uint64_t *r) {
  switch (next(r) % 8) {
  case 0: case 1: return pointer(r);
  case 2: return length(r);
  case 3: return descriptor(r);
  case 4: return next(r) % 64;
  case 5: return (uint64_t)1 << (next(r) % 64);
  case 6: return next(r) & 0xffffffff;
  default: return next(r);
  }
}

// A page of the arena from which TAME_PAGES more stay inside it (the worker's stacks and
// other mappings may lie right after it).
#define TAME_PAGES 16
static uint64_t in_arena(uint64_t *r) {
  return (uint64_t)arena + (next(r) % (ARENA_PAGES - TAME_PAGES)) * PAGE;
}

// Skip (return 0) or tame the arguments of calls that would end or wreck the worker for
// reasons that are not Meridian's: see the header.
static int tame(long nr, uint64_t *a, uint64_t *r) {
  switch (nr) {
  case SYS_exit: case SYS_exit_group: case SYS_execve: case SYS_execveat:
  case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3:
  case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo:
  case SYS_rt_tgsigqueueinfo: case SYS_pidfd_send_signal:
  case SYS_rt_sigaction: case SYS_rt_sigreturn: case SYS_rt_sigsuspend:
  case SYS_setrlimit: case SYS_prlimit64: case SYS_alarm: case SYS_setitimer:
  case SYS_timer_create: case SYS_seccomp: case SYS_shmat: case SYS_vhangup:
  case 335: // uretprobe (Linux 6.11+): the host kernel serves it before seccomp, and outside a
            // uretprobe trampoline it kills the caller with SIGILL, natively as here
    return 0;
  case SYS_brk:
    a[0] = next(r) % 2 ? 0 : brk_base + (next(r) % (1UL << 30));
    return 1;
  case SYS_mmap:
    if (!(a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
      return 1;
    a[0] = in_arena(r);
    return 1;
  case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_msync: case SYS_mlock:
  case SYS_munlock: case SYS_mlock2: case SYS_pkey_mprotect: case SYS_remap_file_pages:
  case SYS_mbind: case SYS_process_madvise: case SYS_mincore:
    if (nr == SYS_process_madvise)
      return 0;
    a[0] = in_arena(r);
    if (a[1] > TAME_PAGES * PAGE)
      a[1] = next(r) % (TAME_PAGES * PAGE);
    return 1;
  case SYS_mremap:
    a[0] = in_arena(r);
    if (a[1] > TAME_PAGES * PAGE)
      a[1] = PAGE;
    if (a[2] > TAME_PAGES * PAGE)
      a[2] = PAGE; // a moved mapping may grow, but not over what follows the arena
    a[4] = in_arena(r);
    return 1;
  case SYS_close: case SYS_dup2: case SYS_dup3:
    if (nr == SYS_close ? a[0] <= 2 : a[1] <= 2)
      return 0;
    return 1;
  case SYS_close_range:
    if (a[0] <= 2)
      a[0] = 3;
    return 1;
  case SYS_arch_prctl:
    a[0] = next(r) % 2 ? 0x1003 /* ARCH_GET_FS */ : 0x1004 /* ARCH_GET_GS */;
    return 1;
  case SYS_rt_sigprocmask: // never block the watchdog's signal
    a[0] = 0 /* SIG_BLOCK */ + next(r) % 3;
    return 1;
  case SYS_ppoll: case SYS_pselect6: case SYS_epoll_pwait: case SYS_epoll_pwait2:
  case SYS_signalfd: case SYS_signalfd4: case SYS_rt_sigtimedwait:
    if (nr == SYS_ppoll || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2)
      a[nr == SYS_ppoll ? 3 : 4] = 0; // no temporary signal mask
    if (nr == SYS_pselect6)
      a[5] = 0;
    return 1;
  case SYS_prctl:
    // PR_SET_SECCOMP (22) and PR_SET_MM (35) could end or wreck the worker.
    return a[0] != 22 && a[0] != 35;
  case SYS_fallocate:
    // An in-memory file commits every page of a fallocate at once (as tmpfs does), up to the
    // sandbox's memory budget (half of RAM by default, docs/decisions.md D17): keep the
    // range small so that the run's seconds are not spent filling it.
    a[3] %= 64UL << 20;
    return 1;
  case SYS_ptrace:
    return 0;
  case SYS_personality:
    return 0;
  default:
    return 1;
  }
}

static void *fuzz(void *arg) {
  struct slot *s = arg;
  s->tid = gettid();
  while (!go)
    sched_yield();
  sigset_t mine;
  pthread_sigmask(SIG_SETMASK, NULL, &mine);
  while (now_ns() < deadline_ns) {
    if (max_calls && __atomic_load_n(&totals->calls, __ATOMIC_RELAXED) >= max_calls)
      break;
    uint64_t *r = &s->rng;
    long nr = (long)(next(r) % (MAX_NR + 1));
    if (next(r) % 64 == 0)
      nr = (long)(next(r) % 3 == 0 ? next(r) : 0x40000000 | nr);
    uint64_t a[6];
    for (int i = 0; i < 6; i++)
      a[i] = argument(r);
    if (!tame(nr, a, r))
      continue;
    s->nr = (int)nr;
    struct last_call *l = &totals->last[worker_index][s - slots];
    l->nr = nr;
    memcpy(l->a, a, sizeof l->a);
    s->call_started = now_ns();
    raw6(nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
    s->call_started = 0;
    __atomic_fetch_add(&totals->calls, 1, __ATOMIC_RELAXED);
    if (nr == SYS_rt_sigprocmask)
      pthread_sigmask(SIG_SETMASK, &mine, NULL);
  }
  return NULL;
}

static void on_usr1(int sig) { (void)sig; }

static void setup_memory(uint64_t seed) {
  arena = mmap(NULL, (ARENA_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  none_page = arena + ARENA_PAGES * PAGE;
  mprotect(none_page, PAGE, PROT_NONE);
  ro_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unmapped = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(unmapped, PAGE);
  uint64_t r = seed | 1;
  // Random bytes with the top bit set: never text that the test looks for on stderr.
  for (unsigned long i = 0; i < ARENA_PAGES * PAGE; i++)
    arena[i] = (char)(0x80 | (next(&r) & 0x7f));
  memset(ro_page, 0xff, PAGE);
  mprotect(ro_page, PAGE, PROT_READ);
  char *at = arena;
  for (unsigned i = 0; i < NPATHS; i++) {
    path_at[i] = at;
    strcpy(at, paths[i]);
    at += 64;
  }
  ts_small = at;
  ((struct timespec *)at)[0] = (struct timespec){0, 1000000};
  at += 64;
  ts_zero = at;
  ((struct timespec *)at)[0] = (struct timespec){0, 0};
  at += 64;
  static const uint64_t lens[] = {1, 16, 4096, (uint64_t)-1, (uint64_t)INT64_MAX, 1UL << 40, 0};
  for (int k = 0; k < 4; k++) {
    iov_at[k] = at;
    uint64_t *v = (uint64_t *)at;
    for (int i = 0; i < 8; i++) {
      v[2 * i] = (uint64_t)(arena + 8 * PAGE + next(&r) % (8 * PAGE));
      v[2 * i + 1] = k == 0 ? 16 : lens[next(&r) % (sizeof lens / sizeof *lens)];
    }
    at += 128;
  }
  brk_base = (uintptr_t)sbrk(0);
}

// Descriptors of every kind the library OS serves, so that random descriptor numbers (mostly
// 0..23) name real objects: files in memory and on a host volume, directories, pipes, a FIFO,
// socket pairs, an eventfd, an epoll instance, a signalfd, a memfd, devices, /proc files.
static void open_objects(void) {
  int p[2], sv[2];
  open("/tmp/fz/a", O_RDWR | O_CREAT, 0644);
  open("/w/f", O_RDWR);
  open("/w", O_RDONLY | O_DIRECTORY);
  open("/tmp", O_RDONLY | O_DIRECTORY);
  pipe(p);
  pipe2(p, O_NONBLOCK);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  eventfd(3, 0);
  epoll_create1(0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  signalfd(-1, &set, 0);
  memfd_create("fz", 0);
  open("/dev/null", O_RDWR);
  open("/dev/zero", O_RDONLY);
  open("/proc/self/status", O_RDONLY);
  mkfifo("/tmp/fz/fifo", 0644);
  open("/tmp/fz/fifo", O_RDWR | O_NONBLOCK);
  symlink("a", "/tmp/fz/link");
}

static void worker(uint64_t seed) {
  setup_memory(seed);
  raw6(SYS_mkdir, (long)"/tmp/fz", 0755, 0, 0, 0, 0);
  open_objects();
  struct sigaction sa = {.sa_handler = on_usr1};
  sigaction(SIGUSR1, &sa, NULL);
  // A write to a pipe or socket whose other end a random close shut would end the worker.
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < nthreads; i++) {
    slots[i].rng = seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1));
    pthread_create(&slots[i].thread, NULL, fuzz, &slots[i]);
  }
  for (int i = 0; i < nthreads; i++)
    while (!slots[i].tid)
      sched_yield();
  find_sacred();
  if (nsacred == 0) {
    say("fuzz: cannot read /proc/self/maps\n");
    syscall(SYS_exit_group, 3);
  }
  go = 1;
  for (;;) {
    struct timespec d = {0, WATCH_NS};
    nanosleep(&d, NULL);
    unsigned long now = now_ns();
    if (now >= deadline_ns ||
        (max_calls && __atomic_load_n(&totals->calls, __ATOMIC_RELAXED) >= max_calls))
      break;
    for (int i = 0; i < nthreads; i++) {
      unsigned long started = slots[i].call_started;
      if (started && now - started > STUCK_NS && slots[i].tid)
        syscall(SYS_tgkill, getpid(), slots[i].tid, SIGUSR1);
    }
  }
  __atomic_fetch_add(&totals->per_worker_done, 1, __ATOMIC_RELAXED);
  syscall(SYS_exit_group, 0);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    say("usage: syscall_fuzz SEED SECONDS PROCESSES THREADS MAX_CALLS\n");
    return 2;
  }
  uint64_t seed = strtoull(argv[1], NULL, 0);
  unsigned long secs = strtoul(argv[2], NULL, 0);
  int procs = atoi(argv[3]);
  nthreads = atoi(argv[4]);
  max_calls = strtoul(argv[5], NULL, 0);
  if (nthreads < 1 || nthreads > MAX_THREADS || procs < 1 || procs > 8)
    return 2;
  char line[160];
  snprintf(line, sizeof line, "fuzz: seed %llu, %lu s, %d processes x %d threads\n",
           (unsigned long long)seed, secs, procs, nthreads);
  say(line);
  totals = mmap(NULL, sizeof *totals, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  unsigned long start = now_ns();
  deadline_ns = start + secs * 1000000000UL;
  pid_t pids[8];
  for (int p = 0; p < procs; p++) {
    pids[p] = fork();
    if (pids[p] == 0) {
      worker_index = p;
      worker(seed + 0x1000003ULL * (uint64_t)p);
    }
  }
  int ended_by_signal = 0;
  for (int p = 0; p < procs; p++) {
    int status = 0;
    // A worker ends itself at the deadline; give it 5 s more, then SIGKILL, which takes
    // effect when it leaves the library OS; after 10 s, report it and go on (the end of the
    // first process ends the sandbox's other processes).
    int reaped = 0, killed = 0;
    while (!reaped) {
      reaped = waitpid(pids[p], &status, WNOHANG) == pids[p];
      unsigned long late = now_ns() > deadline_ns ? now_ns() - deadline_ns : 0;
      if (!reaped && !killed && late > 5000000000UL) {
        kill(pids[p], SIGKILL);
        killed = 1;
      }
      if (!reaped && late > 10000000000UL) {
        snprintf(line, sizeof line, "\nfuzz: worker %d did not end 10 s after the deadline\n", p);
        say(line);
        break;
      }
      struct timespec d = {0, WATCH_NS};
      if (!reaped)
        nanosleep(&d, NULL);
    }
    if (!reaped)
      continue;
    if (WIFSIGNALED(status)) {
      ended_by_signal++;
      snprintf(line, sizeof line, "\nfuzz: worker %d ended by signal %d\n", p, WTERMSIG(status));
      say(line);
      for (int t = 0; t < nthreads; t++) {
        struct last_call *l = &totals->last[p][t];
        snprintf(line, sizeof line, "\nfuzz:   thread %d last call %ld(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n",
                 t, l->nr, (unsigned long long)l->a[0], (unsigned long long)l->a[1],
                 (unsigned long long)l->a[2], (unsigned long long)l->a[3],
                 (unsigned long long)l->a[4], (unsigned long long)l->a[5]);
        say(line);
      }
    }
  }
  snprintf(line, sizeof line,
           "\nfuzz: done: %lu calls in %.1f s, seed %llu, %lu of %d workers reached the end\n",
           totals->calls, (double)(now_ns() - start) / 1e9, (unsigned long long)seed,
           totals->per_worker_done, procs);
  say(line);
  (void)ended_by_signal;
  return 0;
}

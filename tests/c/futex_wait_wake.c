// Checks raw SYS_futex FUTEX_WAIT / FUTEX_WAKE (private and shared forms):
// value mismatch -> EAGAIN, relative timeout -> ETIMEDOUT, waking nobody -> 0,
// waking exactly the requested number of waiters, and an unknown op -> ENOSYS.
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static long futex(atomic_int *uaddr, int op, int val, const struct timespec *ts) {
  return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static const char *err(long r) {
  if (r >= 0) return "ok";
  switch (errno) {
  case EAGAIN: return "EAGAIN";
  case ETIMEDOUT: return "ETIMEDOUT";
  case EINVAL: return "EINVAL";
  case ENOSYS: return "ENOSYS";
  default: return "other";
  }
}

#define WAITERS 3
static atomic_int word, arrived, woke_ok;

static void *waiter(void *arg) {
  int op = (int)(long)arg;
  atomic_fetch_add(&arrived, 1);
  // Wait while the word is 0; returns 0 when woken by FUTEX_WAKE.
  while (atomic_load(&word) == 0) {
    if (futex(&word, op, 0, NULL) == 0) { atomic_fetch_add(&woke_ok, 1); break; }
  }
  return NULL;
}

static void wake_all_one_by_one(int wait_op, int wake_op) {
  pthread_t t[WAITERS];
  atomic_store(&word, 0);
  atomic_store(&arrived, 0);
  atomic_store(&woke_ok, 0);
  for (int i = 0; i < WAITERS; i++) pthread_create(&t[i], NULL, waiter, (void *)(long)wait_op);
  while (atomic_load(&arrived) < WAITERS) sched_yield();
  // A waiter counts once it is queued in the kernel; keep waking one at a time
  // until all were woken. Each single wake must report at most one waiter.
  int total = 0, max_per_call = 0;
  struct timespec pause = {0, 1000000};
  while (total < WAITERS) {
    long n = futex(&word, wake_op, 1, NULL);
    if (n > max_per_call) max_per_call = (int)n;
    if (n > 0) total += (int)n; else nanosleep(&pause, NULL);
  }
  for (int i = 0; i < WAITERS; i++) pthread_join(t[i], NULL);
  printf("  woken total=%d, at most one per FUTEX_WAKE(1): %d, waiters saw 0: %d\n",
         total, max_per_call == 1, atomic_load(&woke_ok) == WAITERS);
  CHECK(total == WAITERS && max_per_call == 1 && atomic_load(&woke_ok) == WAITERS);
}

int main(void) {
  atomic_int w = 5;
  struct timespec short_ts = {0, 20 * 1000000};
  printf("wait with wrong value: %s\n", err(futex(&w, FUTEX_WAIT_PRIVATE, 4, NULL)));
  printf("wait shared with wrong value: %s\n", err(futex(&w, FUTEX_WAIT, 4, NULL)));

  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  printf("wait with 20ms timeout: %s\n", err(futex(&w, FUTEX_WAIT_PRIVATE, 5, &short_ts)));
  clock_gettime(CLOCK_MONOTONIC, &b);
  long waited_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  printf("waited at least 20ms: %d\n", waited_ms >= 20);
  CHECK(waited_ms >= 20);

  struct timespec bad = {0, 1000000000L};
  printf("wait with invalid timeout: %s\n", err(futex(&w, FUTEX_WAIT_PRIVATE, 5, &bad)));
  printf("wake with no waiters: %ld\n", futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL));
  printf("unknown futex op: %s\n", err(futex(&w, 99 | FUTEX_PRIVATE_FLAG, 0, NULL)));

  printf("private wait/wake:\n");
  wake_all_one_by_one(FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE);
  printf("shared wait/wake:\n");
  wake_all_one_by_one(FUTEX_WAIT, FUTEX_WAKE);
  return failures ? 1 : 0;
}

// Checks raw SYS_futex FUTEX_CMP_REQUEUE (moving waiters from one futex word to
// another, EAGAIN when the compare value is stale) and FUTEX_WAIT_BITSET /
// FUTEX_WAKE_BITSET (wake only waiters whose bitset intersects, absolute
// CLOCK_MONOTONIC timeouts, bitset 0 -> EINVAL).
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static long futex(atomic_int *uaddr, int op, int val, long val2, atomic_int *uaddr2, int val3) {
  return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static atomic_int f1, f2, arrived, results_ok;
static const struct timespec ms1 = {0, 1000000};

static void *wait_f1(void *arg) {
  (void)arg;
  atomic_fetch_add(&arrived, 1);
  if (futex(&f1, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0) == 0) atomic_fetch_add(&results_ok, 1);
  return NULL;
}

static void *wait_bits(void *arg) {
  atomic_fetch_add(&arrived, 1);
  if (futex(&f1, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, NULL, (int)(long)arg) == 0)
    atomic_fetch_add(&results_ok, 1);
  return NULL;
}

// Repeats an operation until it has affected `want` waiters in total.
static int until_total(int want, long (*op)(void)) {
  int total = 0;
  while (total < want) {
    long n = op();
    if (n < 0) return -1;
    if (n == 0) nanosleep(&ms1, NULL);
    total += (int)n;
  }
  return total;
}

static long requeue_all(void) {
  return futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &f2, 0);
}
static long wake_f2(void) { return futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0); }
static long wake_bit1(void) { return futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0x1); }
static long wake_bit2(void) { return futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0x2); }

int main(void) {
  pthread_t t[2];
  // Requeue: two waiters on f1 are moved to f2 without waking them, then woken via f2.
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, wait_f1, NULL);
  while (atomic_load(&arrived) < 2) sched_yield();
  long stale = futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &f2, 7);
  printf("cmp_requeue with stale value: %s\n", stale < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  printf("requeued total: %d\n", until_total(2, requeue_all));
  printf("woken from f2: %d\n", until_total(2, wake_f2));
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  printf("waiters returned 0: %d\n", atomic_load(&results_ok));
  CHECK(atomic_load(&results_ok) == 2);
  printf("wake of f1 after requeue: %ld\n", futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0));

  // Bitsets: waiter A waits with bits 0x1, waiter B with 0x2.
  atomic_store(&arrived, 0);
  atomic_store(&results_ok, 0);
  pthread_create(&t[0], NULL, wait_bits, (void *)0x1L);
  pthread_create(&t[1], NULL, wait_bits, (void *)0x2L);
  while (atomic_load(&arrived) < 2) sched_yield();
  printf("wake bitset 0x4 (matches nobody): %ld\n", futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 0, NULL, 0x4));
  printf("wake bitset 0x1: %d\n", until_total(1, wake_bit1));
  printf("wake bitset 0x2: %d\n", until_total(1, wake_bit2));
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  printf("bitset waiters returned 0: %d\n", atomic_load(&results_ok));
  CHECK(atomic_load(&results_ok) == 2);

  long r = futex(&f1, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, NULL, 0);
  printf("wait bitset 0: %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "other");

  // FUTEX_WAIT_BITSET takes an absolute timeout (CLOCK_MONOTONIC by default).
  struct timespec dl, now;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_nsec += 20000000;
  if (dl.tv_nsec >= 1000000000) { dl.tv_sec++; dl.tv_nsec -= 1000000000; }
  r = futex(&f1, FUTEX_WAIT_BITSET_PRIVATE, 0, (long)&dl, NULL, FUTEX_BITSET_MATCH_ANY);
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("wait bitset absolute timeout: %s\n", r < 0 && errno == ETIMEDOUT ? "ETIMEDOUT" : "other");
  int late_enough = now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec);
  printf("returned after the deadline: %d\n", late_enough);
  CHECK(late_enough);
  return failures ? 1 : 0;
}

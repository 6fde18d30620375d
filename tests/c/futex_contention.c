// Checks futex-based locking under contention: several threads increment
// shared counters under (a) a pthread mutex and (b) a hand-written three-state
// futex lock (Drepper, "Futexes Are Tricky") that calls SYS_futex directly, and
// (c) a pthread rwlock and a pthread barrier. Any lost wake-up hangs the test;
// any broken mutual exclusion shows up as a wrong total.
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

#define THREADS 4
#define ITERS 20000
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static long counter_mutex, counter_futex, counter_rw;
static atomic_int flock; // 0 unlocked, 1 locked, 2 locked with waiters
static atomic_int serial_seen;

static void futex_lock(void) {
  int c = 0;
  if (atomic_compare_exchange_strong(&flock, &c, 1)) return;
  if (c != 2) c = atomic_exchange(&flock, 2);
  while (c != 0) {
    syscall(SYS_futex, &flock, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    c = atomic_exchange(&flock, 2);
  }
}

static void futex_unlock(void) {
  if (atomic_fetch_sub(&flock, 1) != 1) {
    atomic_store(&flock, 0);
    syscall(SYS_futex, &flock, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  }
}

static void *worker(void *arg) {
  (void)arg;
  // Everyone starts together so the locks really are contended.
  if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&serial_seen, 1);
  for (int i = 0; i < ITERS; i++) {
    pthread_mutex_lock(&mu);
    counter_mutex++;
    pthread_mutex_unlock(&mu);
    futex_lock();
    counter_futex++;
    futex_unlock();
    if (i % 8 == 0) {
      pthread_rwlock_wrlock(&rw);
      counter_rw++;
      pthread_rwlock_unlock(&rw);
    } else {
      pthread_rwlock_rdlock(&rw);
      pthread_rwlock_unlock(&rw);
    }
  }
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  pthread_barrier_init(&barrier, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
  for (int i = 0; i < THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
  printf("pthread mutex counter: %ld\n", counter_mutex);
  printf("raw futex lock counter: %ld\n", counter_futex);
  printf("rwlock writer counter: %ld\n", counter_rw);
  printf("barrier serial threads: %d\n", atomic_load(&serial_seen));
  printf("futex lock left unlocked: %d\n", atomic_load(&flock) == 0);
  CHECK(counter_mutex == (long)THREADS * ITERS);
  CHECK(counter_futex == (long)THREADS * ITERS);
  CHECK(counter_rw == (long)THREADS * (ITERS / 8));
  CHECK(atomic_load(&serial_seen) == 1);
  return failures ? 1 : 0;
}

// Checks the kernel side of ordinary pthreads: every thread gets its own tid,
// pthread_join returns the thread's value (join relies on CLONE_CHILD_CLEARTID
// clearing the tid and waking the futex at thread exit); set_tid_address
// returns the caller's tid; get_robust_list reports the list glibc registered;
// a robust mutex whose owner thread exits while holding it gives EOWNERDEAD to
// the next locker (the kernel walks the dead thread's robust list).
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

#define N 8
static long tids[N];
static pthread_mutex_t robust;

static void *record_tid(void *arg) {
  long i = (long)arg;
  tids[i] = syscall(SYS_gettid);
  return (void *)(i * 10);
}

static void *lock_and_die(void *arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  return NULL; // exits holding the lock
}

int main(void) {
  pthread_t t[N];
  for (long i = 0; i < N; i++) CHECK(pthread_create(&t[i], NULL, record_tid, (void *)i) == 0);
  long sum = 0;
  for (int i = 0; i < N; i++) {
    void *res;
    CHECK(pthread_join(t[i], &res) == 0);
    sum += (long)res;
  }
  printf("joined %d threads, sum of results: %ld\n", N, sum);
  int distinct = 1;
  long me = syscall(SYS_gettid);
  for (int i = 0; i < N; i++) {
    if (tids[i] <= 0 || tids[i] == me) distinct = 0;
    for (int j = 0; j < i; j++)
      if (tids[i] == tids[j]) distinct = 0;
  }
  printf("thread tids distinct and not the main tid: %d\n", distinct);

  // The main thread's clear_child_tid only matters when it exits on its own.
  static int dummy_ctid;
  printf("set_tid_address returns own tid: %d\n", syscall(SYS_set_tid_address, &dummy_ctid) == me);

  struct robust_list_head *head = NULL;
  size_t len = 0;
  long r = syscall(SYS_get_robust_list, 0, &head, &len);
  printf("get_robust_list: ret=%ld registered=%d len matches=%d\n", r, head != NULL, len == sizeof(*head));

  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &ma);
  pthread_t dier;
  pthread_create(&dier, NULL, lock_and_die, NULL);
  pthread_join(dier, NULL);
  int e = pthread_mutex_lock(&robust);
  printf("lock after owner died: %s\n", e == EOWNERDEAD ? "EOWNERDEAD" : e == 0 ? "0" : "other");
  CHECK(e == EOWNERDEAD);
  printf("pthread_mutex_consistent: %d\n", pthread_mutex_consistent(&robust));
  pthread_mutex_unlock(&robust);
  printf("lock again: %d\n", pthread_mutex_lock(&robust));
  pthread_mutex_unlock(&robust);

  // Same with a robust mutex that was contended (waiters set FUTEX_WAITERS).
  pthread_create(&dier, NULL, lock_and_die, NULL);
  pthread_join(dier, NULL);
  e = pthread_mutex_trylock(&robust);
  printf("trylock after owner died: %s\n", e == EOWNERDEAD ? "EOWNERDEAD" : "other");
  pthread_mutex_consistent(&robust);
  pthread_mutex_unlock(&robust);
  return failures ? 1 : 0;
}

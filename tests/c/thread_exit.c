// Checks ways a single thread ends while the process goes on: pthread_exit
// from a nested call (value seen by join, cleanup handlers and TLS-key
// destructors run), a detached thread finishing on its own, a raw SYS_exit
// (ends only that thread; join still works via the cleared tid), and
// pthread_cancel of a thread blocked in read(2) on a pipe (join sees PTHREAD_CANCELED).
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static atomic_int cleanup_ran, destructor_ran, detached_done, blocked;
static pthread_key_t key;

static void cleanup(void *arg) { (void)arg; atomic_fetch_add(&cleanup_ran, 1); }
static void destructor(void *v) { atomic_fetch_add(&destructor_ran, (int)(long)v); }

static void nested_exit(void) { pthread_exit((void *)77); }

static void *exits_early(void *arg) {
  (void)arg;
  pthread_setspecific(key, (void *)5L);
  pthread_cleanup_push(cleanup, NULL);
  nested_exit();
  pthread_cleanup_pop(0);
  return (void *)1; // not reached
}

static void *detached(void *arg) {
  (void)arg;
  atomic_store(&detached_done, 1);
  return NULL;
}

static void *raw_exit(void *arg) {
  (void)arg;
  syscall(SYS_exit, 0); // bypasses glibc: no cleanup, only this thread ends
  return (void *)1;
}

static int pipe_fds[2];
static void *blocks_in_read(void *arg) {
  (void)arg;
  char c;
  pthread_cleanup_push(cleanup, NULL);
  atomic_store(&blocked, 1);
  read(pipe_fds[0], &c, 1); // a cancellation point; nobody ever writes
  pthread_cleanup_pop(0);
  return NULL;
}

int main(void) {
  pthread_key_create(&key, destructor);
  pthread_t t;
  void *res;
  pthread_create(&t, NULL, exits_early, NULL);
  pthread_join(t, &res);
  printf("pthread_exit value: %ld, cleanup ran: %d, key destructor got: %d\n", (long)res,
         atomic_load(&cleanup_ran), atomic_load(&destructor_ran));

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_create(&t, &attr, detached, NULL);
  struct timespec ms = {0, 1000000};
  for (int i = 0; i < 5000 && !atomic_load(&detached_done); i++) nanosleep(&ms, NULL);
  printf("detached thread ran while main continued: %d\n", atomic_load(&detached_done));

  pthread_create(&t, NULL, raw_exit, NULL);
  printf("join of a thread that used SYS_exit: %d\n", pthread_join(t, NULL));

  pipe(pipe_fds);
  atomic_store(&cleanup_ran, 0);
  pthread_create(&t, NULL, blocks_in_read, NULL);
  while (!atomic_load(&blocked)) nanosleep(&ms, NULL);
  nanosleep(&ms, NULL);
  CHECK(pthread_cancel(t) == 0);
  pthread_join(t, &res);
  printf("cancelled thread: PTHREAD_CANCELED=%d, cleanup ran: %d\n", res == PTHREAD_CANCELED, atomic_load(&cleanup_ran));
  CHECK(res == PTHREAD_CANCELED);
  printf("main thread still running\n");
  return failures ? 1 : 0;
}

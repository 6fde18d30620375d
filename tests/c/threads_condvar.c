// Checks pthread mutexes and condition variables: a bounded queue with one
// producer and two consumers (sum of all items), pthread_cond_timedwait timing
// out on CLOCK_REALTIME and CLOCK_MONOTONIC, trylock -> EBUSY from another
// thread, recursive and error-checking mutex kinds.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

#define ITEMS 2000
#define QCAP 8
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int queue[QCAP], head, count, done;
static long sums[2];
static int taken[2];

static void *producer(void *arg) {
  (void)arg;
  for (int i = 1; i <= ITEMS; i++) {
    pthread_mutex_lock(&mu);
    while (count == QCAP) pthread_cond_wait(&not_full, &mu);
    queue[(head + count) % QCAP] = i;
    count++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&not_empty);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void *consumer(void *arg) {
  int id = (int)(long)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (count == 0 && !done) pthread_cond_wait(&not_empty, &mu);
    if (count == 0) { pthread_mutex_unlock(&mu); return NULL; }
    int v = queue[head];
    head = (head + 1) % QCAP;
    count--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&mu);
    sums[id] += v;
    taken[id]++;
  }
}

static void *try_locked(void *arg) { return (void *)(long)pthread_mutex_trylock(arg); }

static struct timespec deadline(clockid_t clk, long ms) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  ts.tv_nsec += ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

int main(void) {
  pthread_t p, c[2];
  pthread_create(&c[0], NULL, consumer, (void *)0L);
  pthread_create(&c[1], NULL, consumer, (void *)1L);
  pthread_create(&p, NULL, producer, NULL);
  pthread_join(p, NULL);
  pthread_join(c[0], NULL);
  pthread_join(c[1], NULL);
  printf("items consumed: %d\n", taken[0] + taken[1]);
  printf("sum: %ld\n", sums[0] + sums[1]);
  CHECK(sums[0] + sums[1] == (long)ITEMS * (ITEMS + 1) / 2);

  // Timed waits with nobody signalling must time out.
  pthread_mutex_lock(&mu);
  struct timespec ts = deadline(CLOCK_REALTIME, 30);
  int r = pthread_cond_timedwait(&not_empty, &mu, &ts);
  printf("timedwait realtime: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");
  pthread_mutex_unlock(&mu);

  pthread_condattr_t ca;
  pthread_cond_t mono;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&mono, &ca);
  pthread_mutex_lock(&mu);
  ts = deadline(CLOCK_MONOTONIC, 30);
  r = pthread_cond_timedwait(&mono, &mu, &ts);
  printf("timedwait monotonic: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  CHECK(now.tv_sec > ts.tv_sec || (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec));

  // trylock of a mutex held by this thread, from another thread -> EBUSY.
  pthread_t t;
  void *res;
  pthread_create(&t, NULL, try_locked, &mu);
  pthread_join(t, &res);
  printf("trylock from other thread: %s\n", (long)res == EBUSY ? "EBUSY" : "other");
  pthread_mutex_unlock(&mu);

  pthread_mutexattr_t ma;
  pthread_mutex_t rec, chk;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&rec, &ma);
  CHECK(pthread_mutex_lock(&rec) == 0 && pthread_mutex_lock(&rec) == 0);
  CHECK(pthread_mutex_unlock(&rec) == 0 && pthread_mutex_unlock(&rec) == 0);
  printf("recursive mutex relock: ok\n");
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&chk, &ma);
  pthread_mutex_lock(&chk);
  printf("errorcheck relock: %s\n", pthread_mutex_lock(&chk) == EDEADLK ? "EDEADLK" : "other");
  pthread_mutex_unlock(&chk);
  printf("errorcheck unlock unowned: %s\n", pthread_mutex_unlock(&chk) == EPERM ? "EPERM" : "other");
  return failures ? 1 : 0;
}

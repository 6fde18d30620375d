// Checks sleeping: nanosleep, clock_nanosleep (relative and TIMER_ABSTIME) and
// usleep sleep at least as long as asked (measured with CLOCK_MONOTONIC);
// invalid tv_nsec -> EINVAL (clock_nanosleep returns the error instead of
// setting errno); a long nanosleep interrupted by a signal from another thread
// returns EINTR with a remaining time that is less than requested.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void report(const char *what, long long start, long long want_ns) {
  long long took = now_ns() - start;
  printf("%s: slept at least as requested: %d\n", what, took >= want_ns);
  CHECK(took >= want_ns);
}

static pid_t main_tid;
static void *interrupter(void *arg) {
  (void)arg;
  struct timespec d = {0, 50 * 1000000};
  nanosleep(&d, NULL);
  syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
  return NULL;
}
static void on_usr1(int sig) { (void)sig; }

int main(void) {
  long long t0 = now_ns();
  struct timespec req = {0, 20 * 1000000}, rem;
  CHECK(nanosleep(&req, NULL) == 0);
  report("nanosleep 20ms", t0, 20000000);

  t0 = now_ns();
  req.tv_nsec = 10 * 1000000;
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0);
  report("clock_nanosleep relative 10ms", t0, 10000000);

  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  long long target = deadline.tv_sec * 1000000000LL + deadline.tv_nsec + 15000000;
  deadline.tv_sec = target / 1000000000LL;
  deadline.tv_nsec = target % 1000000000LL;
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == 0);
  printf("clock_nanosleep TIMER_ABSTIME: woke after the deadline: %d\n", now_ns() >= target);

  t0 = now_ns();
  req.tv_nsec = 5 * 1000000;
  CHECK(clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL) == 0);
  report("clock_nanosleep CLOCK_REALTIME 5ms", t0, 5000000);
  t0 = now_ns();
  usleep(10000);
  report("usleep 10ms", t0, 10000000);

  req.tv_sec = 0;
  req.tv_nsec = 0;
  printf("nanosleep zero: %d\n", nanosleep(&req, NULL));
  req.tv_nsec = 1000000000;
  errno = 0;
  printf("nanosleep tv_nsec=1e9: %s\n", nanosleep(&req, NULL) < 0 && errno == EINVAL ? "EINVAL" : "other");
  req.tv_nsec = -1;
  printf("clock_nanosleep tv_nsec=-1 returns: %s\n",
         clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == EINVAL ? "EINVAL" : "other");
  req.tv_nsec = 1000;
  printf("clock_nanosleep on CPU-time clock of thread returns: %s\n",
         clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == EINVAL ? "EINVAL" : "other");

  // A signal interrupts a 5 s sleep after ~50 ms.
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1; // no SA_RESTART: nanosleep is never restarted anyway
  sigaction(SIGUSR1, &sa, NULL);
  main_tid = (pid_t)syscall(SYS_gettid);
  pthread_t t;
  pthread_create(&t, NULL, interrupter, NULL);
  req.tv_sec = 5;
  req.tv_nsec = 0;
  t0 = now_ns();
  int r = nanosleep(&req, &rem);
  int e = errno;
  long long took = now_ns() - t0;
  pthread_join(t, NULL);
  printf("interrupted nanosleep: %s, remaining < requested: %d, returned early: %d\n",
         r < 0 && e == EINTR ? "EINTR" : "other", rem.tv_sec < 5 && rem.tv_sec >= 0, took < 4000000000LL);
  return failures ? 1 : 0;
}

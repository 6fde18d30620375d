// Checks select(2) and pselect6 (glibc pselect) on pipes in one process: readable
// and writable sets, timeout with the remaining time written back as zero,
// a blocking select woken by a writer thread, pselect's temporary signal mask
// -> EINTR, EBADF for a closed fd and EINVAL for a negative nfds.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int wfd;
static void *late_writer(void *arg) {
  (void)arg;
  struct timespec d = {0, 30 * 1000000};
  nanosleep(&d, NULL);
  write(wfd, "x", 1);
  return NULL;
}

static volatile sig_atomic_t got_usr2;
static void on_usr2(int sig) { (void)sig; got_usr2 = 1; }

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  int nfds = (p[0] > p[1] ? p[0] : p[1]) + 1;
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p[0], &r);
  FD_SET(p[1], &w);
  struct timeval tv = {0, 0};
  int n = select(nfds, &r, &w, NULL, &tv);
  printf("empty pipe: n=%d readable=%d writable=%d\n", n, FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));

  write(p[1], "hi", 2);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  n = select(nfds, &r, NULL, NULL, NULL);
  printf("after write: n=%d readable=%d\n", n, FD_ISSET(p[0], &r));
  char buf[8];
  read(p[0], buf, sizeof buf);

  FD_ZERO(&r);
  FD_SET(p[0], &r);
  tv.tv_sec = 0;
  tv.tv_usec = 20000;
  n = select(nfds, &r, NULL, NULL, &tv);
  printf("20ms timeout: n=%d, remaining time written back as zero: %d\n", n, tv.tv_sec == 0 && tv.tv_usec == 0);

  wfd = p[1];
  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  n = select(nfds, &r, NULL, NULL, NULL);
  printf("blocking select woken by writer thread: n=%d readable=%d\n", n, FD_ISSET(p[0], &r));
  pthread_join(t, NULL);
  read(p[0], buf, sizeof buf);

  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timespec ts = {0, 10 * 1000000};
  n = pselect(nfds, &r, NULL, NULL, &ts, NULL);
  printf("pselect 10ms timeout: n=%d\n", n);

  struct sigaction sa = {0};
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  sigset_t block, empty;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGUSR2);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  n = pselect(nfds, &r, NULL, NULL, NULL, &empty);
  printf("pselect with empty mask: %s, handler ran: %d\n", n < 0 && errno == EINTR ? "EINTR" : "other", (int)got_usr2);
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("mask restored after pselect: %d\n", sigismember(&now, SIGUSR2));

  // Writer closed: the read end is readable (EOF).
  close(p[1]);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  tv.tv_sec = tv.tv_usec = 0;
  n = select(nfds, &r, NULL, NULL, &tv);
  printf("writer closed: n=%d readable=%d\n", n, FD_ISSET(p[0], &r));

  FD_ZERO(&r);
  FD_SET(p[1], &r); // closed
  errno = 0;
  n = select(nfds, &r, NULL, NULL, &tv);
  printf("closed fd in set: %s\n", n < 0 && errno == EBADF ? "EBADF" : "other");
  errno = 0;
  n = select(-1, NULL, NULL, NULL, &tv);
  printf("negative nfds: %s\n", n < 0 && errno == EINVAL ? "EINVAL" : "other");
  return failures ? 1 : 0;
}

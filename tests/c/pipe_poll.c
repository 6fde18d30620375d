// Checks pipes with poll(2) and ppoll(2), all in one process (a thread is the
// delayed writer): empty pipe not readable, write end writable, POLLIN after a
// write, blocking poll woken by another thread, POLLHUP after the writer
// closes, POLLERR/EPIPE when the reader is gone, POLLNVAL, ignored negative fds,
// O_NONBLOCK -> EAGAIN, ppoll timeout and ppoll's temporary signal mask -> EINTR.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int wfd;
static void *late_writer(void *arg) {
  (void)arg;
  struct timespec d = {0, 30 * 1000000};
  nanosleep(&d, NULL);
  write(wfd, "late", 4);
  return NULL;
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }

static void show(const char *what, int n, short revents) {
  printf("%s: n=%d%s%s%s%s%s\n", what, n, revents & POLLIN ? " POLLIN" : "", revents & POLLOUT ? " POLLOUT" : "",
         revents & POLLHUP ? " POLLHUP" : "", revents & POLLERR ? " POLLERR" : "", revents & POLLNVAL ? " POLLNVAL" : "");
}

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  struct pollfd fds[2] = {{.fd = p[0], .events = POLLIN}, {.fd = p[1], .events = POLLOUT}};
  int n = poll(fds, 1, 0);
  show("empty pipe, read end", n, fds[0].revents);
  n = poll(&fds[1], 1, 0);
  show("empty pipe, write end", n, fds[1].revents);

  write(p[1], "abc", 3);
  n = poll(fds, 2, 0);
  show("after write, read end", n, fds[0].revents);
  char buf[16];
  printf("read %zd bytes\n", read(p[0], buf, sizeof buf));

  wfd = p[1];
  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  n = poll(fds, 1, 5000);
  show("blocking poll woken by writer thread", n, fds[0].revents);
  pthread_join(t, NULL);
  printf("read %zd bytes\n", read(p[0], buf, sizeof buf));

  struct timespec ts = {0, 10 * 1000000};
  n = ppoll(fds, 1, &ts, NULL);
  show("ppoll 10ms timeout", n, fds[0].revents);

  // ppoll installs its mask only while waiting: a blocked pending signal fires.
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t block, empty;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGUSR1);
  printf("handler ran before ppoll: %d\n", (int)got_usr1);
  n = ppoll(fds, 1, NULL, &empty);
  printf("ppoll with empty mask: %s, handler ran: %d\n", n < 0 && errno == EINTR ? "EINTR" : "other", (int)got_usr1);

  fds[1].fd = -1; // negative fds are skipped and get revents 0
  close(p[1]);
  n = poll(fds, 2, 0);
  show("writer closed, read end", n, fds[0].revents);
  printf("negative fd revents: %d\n", fds[1].revents);
  printf("read at EOF: %zd\n", read(p[0], buf, sizeof buf));

  struct pollfd closed = {.fd = p[1], .events = POLLIN};
  n = poll(&closed, 1, 0);
  show("closed fd", n, closed.revents);

  int q[2];
  pipe2(q, O_NONBLOCK);
  errno = 0;
  printf("nonblocking read of empty pipe: %s\n", read(q[0], buf, 1) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  close(q[0]);
  signal(SIGPIPE, SIG_IGN);
  struct pollfd wend = {.fd = q[1], .events = POLLOUT};
  n = poll(&wend, 1, 0);
  show("reader closed, write end", n, wend.revents);
  errno = 0;
  printf("write with no reader: %s\n", write(q[1], "x", 1) < 0 && errno == EPIPE ? "EPIPE" : "other");
  return failures ? 1 : 0;
}

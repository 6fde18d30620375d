// Checks signalfd(2)/signalfd4(2): reading blocked pending signals as
// signalfd_siginfo records (signo, code, pid, uid, int/ptr of sigqueue), the
// signals are consumed, several records in one read, SFD_NONBLOCK (EAGAIN),
// poll and epoll readiness, updating the mask of an existing descriptor,
// EINVAL on bad flags/size/small buffers/non-signalfd, SIGCHLD of a child that
// exits (CLD_EXITED, status, pid), and a forked child reading its own signals
// through the inherited descriptor.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = poll(&p, 1, 0);
  return n == 1 && (p.revents & POLLIN);
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, NULL);

  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  CHECK(fd >= 0);
  struct signalfd_siginfo si;
  errno = 0;
  printf("empty nonblocking read: %s\n", read(fd, &si, sizeof si) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  printf("readable when empty: %d\n", readable(fd));

  raise(SIGUSR1);
  printf("readable after raise: %d\n", readable(fd));
  memset(&si, 0, sizeof si);
  ssize_t n = read(fd, &si, sizeof si);
  printf("read %zd: signo=%s code=%s pid==self %d uid==getuid %d\n", n,
         si.ssi_signo == SIGUSR1 ? "SIGUSR1" : "other",
         si.ssi_code == SI_TKILL ? "SI_TKILL" : "other",
         si.ssi_pid == (unsigned)getpid(), si.ssi_uid == getuid());
  sigset_t pend;
  sigpending(&pend);
  printf("consumed: still pending=%d\n", sigismember(&pend, SIGUSR1));

  union sigval v = {.sival_int = 4242};
  sigqueue(getpid(), SIGRTMIN, v);
  v.sival_int = 4343;
  sigqueue(getpid(), SIGRTMIN, v);
  kill(getpid(), SIGUSR2);
  struct signalfd_siginfo many[4];
  n = read(fd, many, sizeof many);
  printf("three queued, one read: %zd records\n", n / (ssize_t)sizeof(struct signalfd_siginfo));
  for (int i = 0; i < n / (ssize_t)sizeof(struct signalfd_siginfo); i++)
    printf("  rec %d: signo=%s code=%d int=%d\n", i,
           many[i].ssi_signo == SIGUSR2 ? "SIGUSR2" : many[i].ssi_signo == (unsigned)SIGRTMIN ? "SIGRTMIN" : "other",
           many[i].ssi_code, many[i].ssi_int);

  // Errors.
  errno = 0;
  printf("short buffer: %s\n", read(fd, &si, sizeof si - 1) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("bad flags: %s\n", signalfd(-1, &set, 0x1234) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("bad size: %s\n", syscall(SYS_signalfd4, -1, &set, 4, 0) < 0 && errno == EINVAL ? "EINVAL" : "other");
  int p[2];
  pipe(p);
  errno = 0;
  printf("not a signalfd: %s\n", signalfd(p[0], &set, 0) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("bad fd: %s\n", signalfd(999, &set, 0) < 0 && errno == EBADF ? "EBADF" : "other");

  // Update the mask: only SIGUSR2 now.
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  printf("update returns same fd: %d\n", signalfd(fd, &only2, 0) == fd);
  raise(SIGUSR1);
  printf("SIGUSR1 outside mask readable: %d\n", readable(fd));
  raise(SIGUSR2);
  printf("SIGUSR2 in mask readable: %d\n", readable(fd));
  n = read(fd, &si, sizeof si);
  printf("read after update: signo=%s\n", n == sizeof si && si.ssi_signo == SIGUSR2 ? "SIGUSR2" : "other");
  sigpending(&pend);
  printf("SIGUSR1 still pending: %d\n", sigismember(&pend, SIGUSR1));
  signalfd(fd, &set, 0);
  n = read(fd, &si, sizeof si);
  printf("SIGUSR1 read after widening: %d\n", n == sizeof si && si.ssi_signo == SIGUSR1);

  // epoll.
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 77};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
  struct epoll_event out;
  printf("epoll empty: %d\n", epoll_wait(ep, &out, 1, 0));
  raise(SIGUSR2);
  int e = epoll_wait(ep, &out, 1, 1000);
  printf("epoll after raise: %d data=%u in=%d\n", e, out.data.u32, !!(out.events & EPOLLIN));
  read(fd, &si, sizeof si);

  // SIGCHLD of a child: blocking read (a fresh descriptor without SFD_NONBLOCK).
  int bfd = signalfd(-1, &set, 0);
  pid_t child = fork();
  if (child == 0) {
    _exit(7);
  }
  memset(&si, 0, sizeof si);
  n = read(bfd, &si, sizeof si);
  printf("SIGCHLD: n=%zd signo=%s code=%s status=%d pid==child %d\n", n,
         si.ssi_signo == SIGCHLD ? "SIGCHLD" : "other",
         si.ssi_code == CLD_EXITED ? "CLD_EXITED" : "other", si.ssi_status,
         si.ssi_pid == (unsigned)child);
  int st = 0;
  pid_t w = waitpid(child, &st, 0);
  printf("waitpid: %d status=%d\n", w == child, WEXITSTATUS(st));

  // A child reads its own signals through the inherited descriptor; the parent's pending
  // set is untouched.
  raise(SIGUSR2);
  child = fork();
  if (child == 0) {
    // Signals pending for the parent are not the child's (fork(2)).
    int had = readable(bfd);
    kill(getpid(), SIGUSR1);
    struct signalfd_siginfo c;
    ssize_t r = read(bfd, &c, sizeof c);
    _exit((had ? 100 : 0) + (r == sizeof c && c.ssi_signo == SIGUSR1 ? 1 : 2));
  }
  waitpid(child, &st, 0);
  printf("child read its own: exit=%d\n", WEXITSTATUS(st));
  n = read(fd, &si, sizeof si);
  printf("parent's SIGUSR2 kept: %d\n", n == sizeof si && si.ssi_signo == SIGUSR2);
  n = read(fd, &si, sizeof si);
  printf("then SIGCHLD: %d\n", n == sizeof si && si.ssi_signo == SIGCHLD);
  printf("failures=%d\n", failures);
  return failures != 0;
}

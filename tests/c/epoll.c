// Checks epoll: epoll_create1(EPOLL_CLOEXEC), EPOLL_CTL_ADD/MOD/DEL with user
// data returned in events, level-triggered vs EPOLLET edge-triggered vs
// EPOLLONESHOT, EPOLLHUP, blocking epoll_wait woken by a writer thread,
// epoll_pwait, and the EEXIST/ENOENT/EBADF/EINVAL error cases.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)
#define ERR(r) ((r) == 0 ? "ok" : errno == EEXIST ? "EEXIST" : errno == ENOENT ? "ENOENT" : errno == EBADF ? "EBADF" : errno == EINVAL ? "EINVAL" : "other")

static int ep;
static void wait_and_show(const char *what, int timeout_ms) {
  struct epoll_event ev[4];
  int n = epoll_wait(ep, ev, 4, timeout_ms);
  printf("%s: n=%d", what, n);
  for (int i = 0; i < n; i++)
    printf(" [tag=%llu%s%s%s]", (unsigned long long)ev[i].data.u64, ev[i].events & EPOLLIN ? " IN" : "",
           ev[i].events & EPOLLOUT ? " OUT" : "", ev[i].events & EPOLLHUP ? " HUP" : "");
  printf("\n");
}

static int late_fd;
static void *late_writer(void *arg) {
  (void)arg;
  struct timespec d = {0, 30 * 1000000};
  nanosleep(&d, NULL);
  write(late_fd, "z", 1);
  return NULL;
}

int main(void) {
  ep = epoll_create1(EPOLL_CLOEXEC);
  CHECK(ep >= 0);
  printf("epoll fd has FD_CLOEXEC: %d\n", (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);
  int a[2], b[2];
  pipe(a);
  pipe(b);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1001};
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &ev) == 0);
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = 2002;
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &ev) == 0);
  wait_and_show("nothing ready", 0);

  write(a[1], "x", 1);
  write(b[1], "y", 1);
  wait_and_show("both written", 0);
  wait_and_show("again: level-triggered stays, edge-triggered does not", 0);
  write(b[1], "y", 1);
  wait_and_show("new data re-arms edge-triggered", 0);
  char buf[8];
  read(a[0], buf, sizeof buf);
  read(b[0], buf, sizeof buf);
  wait_and_show("drained", 0);

  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = 3003;
  CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &ev) == 0);
  write(a[1], "x", 1);
  wait_and_show("oneshot fires once", 0);
  wait_and_show("oneshot disarmed", 0);
  ev.events = EPOLLIN;
  ev.data.u64 = 4004;
  CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &ev) == 0);
  wait_and_show("re-armed with MOD and a new tag", 0);
  read(a[0], buf, sizeof buf);

  errno = 0;
  printf("ADD twice: %s\n", ERR(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &ev)));
  printf("DEL: %s\n", ERR(epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL)));
  errno = 0;
  printf("DEL again: %s\n", ERR(epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL)));
  errno = 0;
  printf("MOD unregistered: %s\n", ERR(epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &ev)));
  errno = 0;
  printf("ADD bad fd: %s\n", ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 9999, &ev)));
  errno = 0;
  printf("ADD epoll fd to itself: %s\n", ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev)));
  errno = 0;
  printf("epoll_wait maxevents 0: %s\n", epoll_wait(ep, &ev, 0, 0) < 0 ? ERR(-1) : "ok");

  // Blocking wait woken by another thread; epoll_pwait with a NULL mask.
  late_fd = b[1];
  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  struct epoll_event out;
  int n = epoll_pwait(ep, &out, 1, 5000, NULL);
  printf("epoll_pwait woken by thread: n=%d tag=%llu\n", n, (unsigned long long)out.data.u64);
  pthread_join(t, NULL);
  read(b[0], buf, sizeof buf);

  // The writer goes away: EPOLLHUP is always reported, even when not requested.
  close(b[1]);
  wait_and_show("writer closed", 0);
  close(b[0]);
  wait_and_show("closed fd is removed from the set", 0);
  close(ep);
  return failures ? 1 : 0;
}

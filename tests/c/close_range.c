// Checks close_range(2): closing a range with gaps and past the table, the
// close-on-exec flag form, CLOSE_RANGE_UNSHARE, EINVAL for first > last and
// unknown flags, and that closing a pipe's write end gives its reader EOF.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static long cr(unsigned first, unsigned last, unsigned flags) {
  return syscall(SYS_close_range, first, last, flags);
}

static int is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

int main(void) {
  // Descriptors 10..15, with 12 missing.
  for (int fd = 10; fd <= 15; fd++)
    dup2(1, fd);
  close(12);
  printf("close 11..13: %ld\n", cr(11, 13, 0));
  printf("open: 10=%d 11=%d 13=%d 14=%d\n", is_open(10), is_open(11), is_open(13), is_open(14));

  printf("cloexec 14..20: %ld\n", cr(14, 20, CLOSE_RANGE_CLOEXEC));
  printf("flags: 10=%d 14=%d 15=%d\n", fcntl(10, F_GETFD), fcntl(14, F_GETFD), fcntl(15, F_GETFD));
  printf("still open after cloexec: 14=%d 15=%d\n", is_open(14), is_open(15));

  errno = 0;
  long r = cr(5, 4, 0);
  printf("first > last: %ld %s\n", r, errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  r = cr(10, 20, 1 << 5);
  printf("unknown flag: %ld %s\n", r, errno == EINVAL ? "EINVAL" : "other");
  r = cr(10, 10, CLOSE_RANGE_UNSHARE);
  printf("unshare: %ld open 10=%d\n", r, is_open(10));

  int p[2];
  pipe(p);
  int hi = fcntl(p[1], F_DUPFD, 100);
  close(p[1]);
  r = cr(100, ~0U, 0);
  printf("close past the table: %ld open=%d\n", r, is_open(hi));
  char c;
  printf("reader after writer closed: read=%zd\n", read(p[0], &c, 1));
  printf("lower fds untouched: 0=%d 1=%d 2=%d\n", is_open(0), is_open(1), is_open(2));
  return 0;
}

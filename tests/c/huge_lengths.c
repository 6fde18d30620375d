// Guest-chosen lengths that are huge, wrap, or run past the end of a valid buffer, on
// read/write/readv/writev/preadv/pwritev/sendmsg/recvmsg/getdents64/getrandom/readlink:
// each gets what Linux gives (EINVAL, EFAULT, or a short result), never a crash of the
// runner. The buffer is one page followed by an inaccessible page.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define HUGE_LEN ((size_t)1 << 40)

static void show(const char *what, long r) {
  if (r < 0)
    printf("%-40s -1 %s\n", what, strerrorname_np(errno));
  else
    printf("%-40s %ld\n", what, r);
}

static void short_or_efault(const char *what, long r) {
  printf("%-40s %s\n", what, r >= 0 || errno == EFAULT ? "short or EFAULT" : strerrorname_np(errno));
}

int main(void) {
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED || mprotect(page + 4096, 4096, PROT_NONE) != 0)
    return 1;
  memset(page, 'x', 4096);
  char path[] = "/tmp/huge_lengths_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return 2;
  unlink(path);
  if (write(fd, "0123456789", 10) != 10)
    return 3;

  // A length that wraps the sum (1 + SIZE_MAX), one that is negative as ssize_t, one past
  // user space, too many segments.
  struct iovec wrap[2] = {{page, 1}, {page, SIZE_MAX}};
  struct iovec neg_then_far[2] = {{page, SSIZE_MAX}, {page, (size_t)-2}};
  struct iovec far[1] = {{page, SSIZE_MAX}};
  struct iovec past[2] = {{page, 16}, {page, HUGE_LEN}};
  static struct iovec many[1025];
  for (int i = 0; i < 1025; i++)
    many[i] = (struct iovec){page, 1};
  errno = 0;
  show("writev wrap", writev(fd, wrap, 2));
  show("writev negative (EINVAL before EFAULT)", writev(fd, neg_then_far, 2));
  show("writev 1025 segments", writev(fd, many, 1025));
  show("pwritev wrap", pwritev(fd, wrap, 2, 0));
  show("readv wrap", readv(fd, wrap, 2));
  show("pwrite position near 2^63", pwrite(fd, page, 16, INT64_MAX - 8));
  show("pread negative position", pread(fd, page, 16, -1));

  show("read SIZE_MAX", read(fd, page, SIZE_MAX));
  // A huge length on a one-page buffer: what Linux gives depends on the file system (a short
  // result up to the fault, or EFAULT); the runner must give one of those too.
  int p[2];
  if (pipe(p) != 0)
    return 4;
  short_or_efault("pread huge count, small file", pread(fd, page, HUGE_LEN, 0));
  short_or_efault("write huge count to a pipe", write(p[1], page, HUGE_LEN));
  short_or_efault("read from the pipe", read(p[0], page, HUGE_LEN));
  short_or_efault("pwrite huge count to a file", pwrite(fd, page, HUGE_LEN, 0));
  short_or_efault("writev huge total to a file", pwritev(fd, past, 2, 0));
  short_or_efault("preadv huge total, small file", preadv(fd, past, 2, 0));
  short_or_efault("writev past user space", writev(fd, far, 1));
  // A read into a buffer that ends one byte before a fault: one byte, the position moves by
  // one (nothing read past the fault is lost).
  lseek(fd, 0, SEEK_SET);
  show("read 100 bytes into the last byte", read(fd, page + 4095, 100));
  show("position after it", lseek(fd, 0, SEEK_CUR));
  show("read 100 bytes into the guard page", read(fd, page + 4096, 100));
  show("position after it", lseek(fd, 0, SEEK_CUR));

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    return 5;
  struct msghdr m = {.msg_iov = wrap, .msg_iovlen = 2};
  show("sendmsg wrap", sendmsg(sv[0], &m, 0));
  m.msg_iov = neg_then_far;
  show("sendmsg negative", sendmsg(sv[0], &m, 0));
  m.msg_iov = wrap;
  show("recvmsg wrap", recvmsg(sv[1], &m, MSG_DONTWAIT));
  show("send a little", send(sv[0], "abc", 3, 0));
  m.msg_iov = past;
  short_or_efault("recvmsg huge total", recvmsg(sv[1], &m, MSG_DONTWAIT));

  show("getrandom huge", getrandom(page, HUGE_LEN, GRND_NONBLOCK));
  show("getrandom SIZE_MAX", getrandom(page, SIZE_MAX, GRND_NONBLOCK));
  int dir = open("/", O_RDONLY | O_DIRECTORY);
  long n = syscall(SYS_getdents64, dir, page, HUGE_LEN);
  printf("%-40s %s\n", "getdents64 huge count", n > 0 ? "entries" : strerrorname_np(errno));
  if (symlink("0123456789", "/tmp/huge_lengths_link") != 0)
    return 6;
  show("readlink size 2^40 (int 0)", readlink("/tmp/huge_lengths_link", page, HUGE_LEN));
  show("readlink size 2^40+4 (int 4)", readlink("/tmp/huge_lengths_link", page, HUGE_LEN + 4));
  show("readlink size SIZE_MAX (int -1)", readlink("/tmp/huge_lengths_link", page, SIZE_MAX));
  unlink("/tmp/huge_lengths_link");
  return 0;
}

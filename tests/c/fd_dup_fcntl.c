// Checks descriptor duplication and fcntl: dup returns the lowest free number
// and shares the file offset; dup2 onto a chosen number (and onto itself);
// dup3 with O_CLOEXEC, and dup3 onto itself -> EINVAL; F_GETFL access mode,
// F_SETFL O_NONBLOCK/O_APPEND; F_GETFD/F_SETFD; F_DUPFD and F_DUPFD_CLOEXEC
// with a minimum; EBADF for closed descriptors. Numbers are printed relative
// to the first free descriptor so inherited fds cannot change the output.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static const char *acc(int fl) {
  int m = fl & O_ACCMODE;
  return m == O_RDONLY ? "O_RDONLY" : m == O_WRONLY ? "O_WRONLY" : m == O_RDWR ? "O_RDWR" : "?";
}

int main(void) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/mt-fd_dup_fcntl-%d", (int)getpid());
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
  CHECK(fd >= 0);
  write(fd, "abcdef", 6);

  int d = dup(fd);
  printf("dup gives a new number: %d\n", d > fd);
  lseek(fd, 2, SEEK_SET);
  printf("dup shares the offset: %ld\n", (long)lseek(d, 0, SEEK_CUR));
  printf("dup clears FD_CLOEXEC: %d\n", fcntl(d, F_GETFD) == 0);
  close(fd);
  int d2 = dup(d); // reuses the lowest free number, the one just closed
  printf("dup reuses the lowest free number: %d\n", d2 == fd);

  int target = fd + 20;
  printf("dup2 onto a chosen number: %d\n", dup2(d, target) == target);
  printf("dup2 onto itself returns it: %d\n", dup2(d, d) == d);
  int d3 = dup3(d, target, O_CLOEXEC); // silently closes the previous target
  printf("dup3 O_CLOEXEC: %d, FD_CLOEXEC set: %d\n", d3 == target, fcntl(target, F_GETFD) == FD_CLOEXEC);
  errno = 0;
  printf("dup3 onto itself: %s\n", dup3(d, d, 0) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("dup3 bad flags: %s\n", dup3(d, target, O_APPEND) < 0 && errno == EINVAL ? "EINVAL" : "other");

  printf("F_GETFL of O_RDWR file: %s\n", acc(fcntl(d, F_GETFL)));
  int ro = open(path, O_RDONLY);
  printf("F_GETFL of O_RDONLY file: %s\n", acc(fcntl(ro, F_GETFL)));
  int fl = fcntl(d, F_GETFL);
  CHECK(fcntl(d, F_SETFL, fl | O_NONBLOCK | O_APPEND) == 0);
  fl = fcntl(d, F_GETFL);
  printf("after F_SETFL: nonblock=%d append=%d access unchanged=%s\n", !!(fl & O_NONBLOCK), !!(fl & O_APPEND), acc(fl));
  printf("status flags are shared with the dup: %d\n", !!(fcntl(d2, F_GETFL) & O_APPEND));
  // F_SETFL cannot change the access mode.
  fcntl(ro, F_SETFL, O_RDWR);
  printf("F_SETFL cannot change access mode: %s\n", acc(fcntl(ro, F_GETFL)));

  CHECK(fcntl(d, F_SETFD, FD_CLOEXEC) == 0);
  printf("F_SETFD/F_GETFD: %d, not shared with the dup: %d\n", fcntl(d, F_GETFD), fcntl(d2, F_GETFD));
  int hi = fcntl(d, F_DUPFD_CLOEXEC, 100);
  printf("F_DUPFD_CLOEXEC min 100: >=100 %d, cloexec %d\n", hi >= 100, fcntl(hi, F_GETFD) == FD_CLOEXEC);
  int hi2 = fcntl(d, F_DUPFD, 100);
  printf("F_DUPFD min 100: next one %d, cloexec %d\n", hi2 == hi + 1, fcntl(hi2, F_GETFD));

  close(hi2);
  errno = 0;
  printf("F_GETFD on a closed fd: %s\n", fcntl(hi2, F_GETFD) < 0 && errno == EBADF ? "EBADF" : "other");
  errno = 0;
  printf("dup of a closed fd: %s\n", dup(hi2) < 0 && errno == EBADF ? "EBADF" : "other");
  errno = 0;
  printf("dup2 of a closed fd: %s\n", dup2(hi2, target) < 0 && errno == EBADF ? "EBADF" : "other");
  errno = 0;
  printf("close twice: %s\n", close(hi2) < 0 && errno == EBADF ? "EBADF" : "other");
  errno = 0;
  printf("fcntl unknown command: %s\n", fcntl(d, 9999) < 0 && errno == EINVAL ? "EINVAL" : "other");
  close(hi);
  close(ro);
  close(d);
  close(d2);
  close(target);
  CHECK(unlink(path) == 0);
  return failures ? 1 : 0;
}

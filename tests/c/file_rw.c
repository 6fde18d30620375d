// Checks basic file I/O on /tmp: openat (AT_FDCWD and a directory fd), write,
// read, lseek (SET/CUR/END, past the end leaving a zero-filled hole), pread and
// pwrite (which do not move the offset), readv/writev, O_APPEND, O_TRUNC,
// O_EXCL -> EEXIST, and read at EOF -> 0.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void) {
  char name[64], path[80];
  snprintf(name, sizeof name, "mt-file_rw-%d", (int)getpid());
  snprintf(path, sizeof path, "/tmp/%s", name);
  int fd = openat(AT_FDCWD, path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK(fd >= 0);
  printf("write: %zd\n", write(fd, "hello world", 11));
  printf("offset after write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  char buf[64] = {0};
  printf("read at end: %zd\n", read(fd, buf, sizeof buf));
  lseek(fd, 0, SEEK_SET);
  printf("read from start: %zd '%s'\n", read(fd, buf, sizeof buf), buf);

  memset(buf, 0, sizeof buf);
  printf("pread(5, off 6): %zd '%s', offset still %ld\n", pread(fd, buf, 5, 6), buf, (long)lseek(fd, 0, SEEK_CUR));
  printf("pwrite(HELLO, off 0): %zd, offset still %ld\n", pwrite(fd, "HELLO", 5, 0), (long)lseek(fd, 0, SEEK_CUR));

  lseek(fd, 0, SEEK_END);
  struct iovec out[3] = {{" one", 4}, {" two", 4}, {" three", 6}};
  printf("writev: %zd\n", writev(fd, out, 3));
  char a[6] = {0}, b[30] = {0};
  struct iovec in[2] = {{a, 5}, {b, sizeof b - 1}};
  lseek(fd, 0, SEEK_SET);
  printf("readv: %zd '%s' + '%s'\n", readv(fd, in, 2), a, b);

  printf("SEEK_END-5: %ld\n", (long)lseek(fd, -5, SEEK_END));
  printf("SEEK_CUR+2: %ld\n", (long)lseek(fd, 2, SEEK_CUR));
  errno = 0;
  printf("seek before start: %s\n", lseek(fd, -100, SEEK_SET) < 0 && errno == EINVAL ? "EINVAL" : "other");

  // Seeking past the end and writing leaves a hole that reads as zeros.
  off_t end = lseek(fd, 0, SEEK_END);
  lseek(fd, end + 10, SEEK_SET);
  write(fd, "!", 1);
  char hole[11];
  pread(fd, hole, 11, end);
  int zeros = 1;
  for (int i = 0; i < 10; i++) zeros &= hole[i] == 0;
  printf("hole of 10 reads as zeros: %d, then '%c'\n", zeros, hole[10]);
  close(fd);

  // O_APPEND always writes at the end, whatever the offset.
  int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
  fd = openat(dfd, name, O_WRONLY | O_APPEND);
  CHECK(fd >= 0);
  lseek(fd, 0, SEEK_SET);
  write(fd, "END", 3);
  printf("O_APPEND write lands at end: offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  close(fd);

  errno = 0;
  fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
  printf("O_EXCL on existing: %s\n", fd < 0 && errno == EEXIST ? "EEXIST" : "other");
  fd = openat(dfd, name, O_RDWR | O_TRUNC);
  printf("O_TRUNC: size now %ld\n", (long)lseek(fd, 0, SEEK_END));
  printf("read of empty file: %zd\n", read(fd, buf, sizeof buf));
  close(fd);
  CHECK(unlinkat(dfd, name, 0) == 0);
  close(dfd);
  return failures ? 1 : 0;
}

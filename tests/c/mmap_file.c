// Checks file mappings: a file written in /tmp mapped MAP_PRIVATE read-only
// (contents, offset mapping), MAP_PRIVATE writable (copy-on-write: the file is
// unchanged), MAP_SHARED (stores reach the file and pwrite reaches the mapping,
// within one process; msync), the zero tail of the last page, and EACCES for
// mappings the open mode does not allow.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/mt-mmap_file-%d", (int)getpid());
  long page = sysconf(_SC_PAGESIZE);
  int size = (int)(2 * page + 100); // the last page is partial
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0);
  for (int i = 0; i < size; i++) {
    char c = (char)('a' + i % 26);
    CHECK(write(fd, &c, 1) == 1);
  }

  char *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(p != MAP_FAILED);
  int same = 1;
  for (int i = 0; i < size; i++) same &= p[i] == (char)('a' + i % 26);
  printf("private read mapping matches file: %d\n", same);
  printf("tail of last page is zero: %d\n", p[size] == 0 && p[3 * page - 1] == 0);
  munmap(p, size);

  p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
  printf("offset mapping starts at file offset %ld: %d\n", page, p[0] == (char)('a' + page % 26));
  munmap(p, page);

  // Copy-on-write: private stores are not written back.
  p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  memcpy(p, "PRIVATE", 7);
  char buf[8] = {0};
  pread(fd, buf, 7, 0);
  printf("private store visible in mapping: %d, file unchanged: %s\n", memcmp(p, "PRIVATE", 7) == 0, buf);
  munmap(p, size);

  // Shared mapping: stores reach the file; file writes reach the mapping.
  char *s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(s != MAP_FAILED);
  memcpy(s + 10, "SHARED", 6);
  CHECK(msync(s, size, MS_SYNC) == 0);
  memset(buf, 0, sizeof buf);
  pread(fd, buf, 6, 10);
  printf("shared store read back with pread: %s\n", buf);
  pwrite(fd, "PWRITE", 6, page + 5);
  printf("pwrite seen through shared mapping: %.6s\n", s + page + 5);
  char *s2 = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
  printf("second shared mapping sees the store: %.6s\n", s2 + 10);
  munmap(s2, page);
  munmap(s, size);

  int ro = open(path, O_RDONLY);
  errno = 0;
  p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
  printf("shared writable map of O_RDONLY fd: %s\n", p == MAP_FAILED && errno == EACCES ? "EACCES" : "other");
  int wo = open(path, O_WRONLY);
  errno = 0;
  p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, wo, 0);
  printf("map of O_WRONLY fd: %s\n", p == MAP_FAILED && errno == EACCES ? "EACCES" : "other");
  errno = 0;
  p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, 12345, 0);
  printf("map of bad fd: %s\n", p == MAP_FAILED && errno == EBADF ? "EBADF" : "other");
  close(ro);
  close(wo);
  close(fd);
  CHECK(unlink(path) == 0);
  return failures ? 1 : 0;
}

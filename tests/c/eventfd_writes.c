// eventfd writes as fs/eventfd.c serves them in current Linux (6.18 here): a write of exactly
// 8 bytes adds the word, any other count is EINVAL (kernels before the strict check took the
// first word of a longer write); writev writes each segment on its own (eventfd has no
// write_iter). sendfile and copy_file_range into an eventfd are refused (no splice_write;
// copy_file_range needs regular files) instead of blocking.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r < 0)
    printf("%-36s -1 %s\n", what, strerrorname_np(errno));
  else
    printf("%-36s %ld\n", what, r);
}

static uint64_t drain(int efd) {
  uint64_t v = 0;
  if (read(efd, &v, sizeof v) != sizeof v)
    return (uint64_t)-1;
  return v;
}

int main(void) {
  int efd = eventfd(0, EFD_NONBLOCK);
  uint64_t words[3] = {2, 40, 500};
  show("write 4 bytes", write(efd, words, 4));
  show("write 24 bytes", write(efd, words, sizeof words));
  printf("counter after it: %llu\n", (unsigned long long)drain(efd));
  struct iovec v[2] = {{&words[0], 8}, {&words[1], 16}};
  show("writev 24 bytes", writev(efd, v, 2));
  printf("counter after it: %llu\n", (unsigned long long)drain(efd));
  struct iovec odd[2] = {{&words[0], 3}, {&words[1], 8}};
  show("writev 3 + 8 bytes", writev(efd, odd, 2));
  printf("counter after it: %llu\n", (unsigned long long)drain(efd));
  // The first word is what counts, even if a later one would overflow the counter.
  uint64_t big[2] = {7, UINT64_MAX - 1};
  show("write 7 then a huge word", write(efd, big, sizeof big));
  printf("counter after it: %llu\n", (unsigned long long)drain(efd));

  char path[] = "/tmp/eventfd_writes_XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  uint64_t in[2] = {5, 6};
  if (write(fd, in, sizeof in) != sizeof in)
    return 1;
  off_t off = 0;
  show("sendfile into the eventfd", sendfile(efd, fd, &off, sizeof in));
  loff_t o = 0;
  show("copy_file_range into the eventfd", copy_file_range(fd, &o, efd, NULL, 8, 0));
  int blocking = eventfd(0, 0);
  off = 0;
  show("sendfile into a blocking eventfd", sendfile(blocking, fd, &off, sizeof in));
  errno = 0;
  uint64_t left = 0;
  show("read it (nonblocking)", read(efd, &left, sizeof left));
  return 0;
}

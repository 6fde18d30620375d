// Per-syscall cost, timed inside the process so that start-up is not counted.
//
// Usage: syscalls OP ITERATIONS [DIR|PATH]
//   getpid  syscall(SYS_getpid): the raw call, never glibc's (uncached since 2.25, but
//           explicit is better than version-dependent).
//   read    pread of 1 byte at offset 0 from DIR/bench-<pid> (default DIR /tmp), a file
//           this program creates with a few bytes; pread, not read, so there is no lseek.
//   devnull write of 1 byte to /dev/null.
//   clock   clock_gettime(CLOCK_MONOTONIC) through glibc: the vDSO natively, so no syscall
//           at all; context for the table, not one of issue 2's cases.
//   stat    stat(2) of PATH (default /); context too: the cost of a path lookup.
// Prints "OP NS_PER_OP" (nanoseconds, 1 decimal) on stdout. One untimed warm-up pass of
// ITERATIONS/10 calls runs first (page faults, caches, lazily built state in the sandbox).
// Exit status 1 with a message if any call fails, so a broken case is never timed.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int fail(const char *what) {
  perror(what);
  return 1;
}

static int loop_getpid(long n) {
  for (long i = 0; i < n; i++)
    if (syscall(SYS_getpid) <= 0) return -1;
  return 0;
}

static int loop_clock(long n) {
  struct timespec ts;
  for (long i = 0; i < n; i++)
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return -1;
  return 0;
}

static const char *stat_path;

static int loop_stat(long n) {
  struct stat st;
  for (long i = 0; i < n; i++)
    if (stat(stat_path, &st) != 0) return -1;
  return 0;
}

static int fd_for_loop;

static int loop_pread(long n) {
  char c;
  for (long i = 0; i < n; i++)
    if (pread(fd_for_loop, &c, 1, 0) != 1) return -1;
  return 0;
}

static int loop_write(long n) {
  for (long i = 0; i < n; i++)
    if (write(fd_for_loop, "x", 1) != 1) return -1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s getpid|read|devnull|clock|stat ITERATIONS [DIR|PATH]\n", argv[0]);
    return 2;
  }
  const char *op = argv[1];
  long n = atol(argv[2]);
  const char *dir = argc > 3 ? argv[3] : "/tmp";
  stat_path = argc > 3 ? argv[3] : "/";
  if (n <= 0) {
    fprintf(stderr, "%s: ITERATIONS must be positive\n", argv[0]);
    return 2;
  }
  int (*loop)(long);
  char path[4096] = "";
  if (strcmp(op, "getpid") == 0) {
    loop = loop_getpid;
  } else if (strcmp(op, "read") == 0) {
    snprintf(path, sizeof path, "%s/bench-%d", dir, (int)getpid());
    fd_for_loop = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd_for_loop < 0) return fail(path);
    if (write(fd_for_loop, "meridian", 8) != 8) return fail("write");
    loop = loop_pread;
  } else if (strcmp(op, "devnull") == 0) {
    fd_for_loop = open("/dev/null", O_WRONLY);
    if (fd_for_loop < 0) return fail("/dev/null");
    loop = loop_write;
  } else if (strcmp(op, "clock") == 0) {
    loop = loop_clock;
  } else if (strcmp(op, "stat") == 0) {
    loop = loop_stat;
  } else {
    fprintf(stderr, "%s: unknown op %s\n", argv[0], op);
    return 2;
  }

  int rc = loop(n / 10 + 1);
  long t0 = now_ns();
  if (rc == 0) rc = loop(n);
  long t1 = now_ns();
  if (path[0]) unlink(path);
  if (rc != 0) return fail(op);
  printf("%s %.1f\n", op, (double)(t1 - t0) / (double)n);
  return 0;
}

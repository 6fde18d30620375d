// Filesystem metadata benchmark (issue 3): create, stat and unlink COUNT empty files in DIR,
// each phase timed separately with CLOCK_MONOTONIC inside the program (so start-up is not
// counted). Prints "create NS_PER_FILE", "stat NS_PER_FILE", "unlink NS_PER_FILE".
//
// Usage: fs_files DIR COUNT
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fs_files DIR COUNT\n");
    return 2;
  }
  int dir = open(argv[1], O_DIRECTORY | O_RDONLY);
  long count = atol(argv[2]);
  if (dir < 0 || count <= 0) {
    perror(argv[1]);
    return 1;
  }
  char name[32];
  long t0 = now_ns();
  for (long i = 0; i < count; i++) {
    snprintf(name, sizeof name, "f%ld", i);
    int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 || close(fd) != 0) {
      perror("create");
      return 1;
    }
  }
  long t1 = now_ns();
  struct stat st;
  for (long i = 0; i < count; i++) {
    snprintf(name, sizeof name, "f%ld", i);
    if (fstatat(dir, name, &st, 0) != 0) {
      perror("stat");
      return 1;
    }
  }
  long t2 = now_ns();
  for (long i = 0; i < count; i++) {
    snprintf(name, sizeof name, "f%ld", i);
    if (unlinkat(dir, name, 0) != 0) {
      perror("unlink");
      return 1;
    }
  }
  long t3 = now_ns();
  printf("create %ld\nstat %ld\nunlink %ld\n", (t1 - t0) / count, (t2 - t1) / count,
         (t3 - t2) / count);
  return 0;
}

// Start-up driver: runs a whole program RUNS times and reports, per run, its wall time
// (spawn to reaped, CLOCK_MONOTONIC) and its peak RSS.
//
// Usage: spawn RUNS PROGRAM [ARGS...]
// Prints one line per run: "WALL_NS MAXRSS_KIB". The child's stdout goes to /dev/null and its
// environment is fixed (the same PATH, HOME and USER that `meridian run` gives its guest), so
// the native and sandboxed runs see the same inputs. Exits 1 if a run fails.
//
// Peak RSS is ru_maxrss from wait4(2): the high-water mark of the child in KiB, which for
// `meridian run` covers the runner and the guest together (one process). posix_spawn uses
// CLONE_VM|CLONE_VFORK, and exec records the pre-exec mm's high-water mark too
// (fs/exec.c: exec_mmap → setmax_mm_hiwater_rss), so every figure has this driver's own
// RSS as a floor; the driver is a small static binary, and the floor is the same on both sides.
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s RUNS PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  long runs = atol(argv[1]);
  char *envp[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOME=/root",
      "USER=root",
      NULL,
  };
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  for (long i = 0; i < runs; i++) {
    pid_t pid;
    long t0 = now_ns();
    int err = posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, envp);
    if (err != 0) {
      fprintf(stderr, "spawn: %s: error %d\n", argv[2], err);
      return 1;
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
      perror("wait4");
      return 1;
    }
    long t1 = now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "spawn: %s: exit status %#x\n", argv[2], status);
      return 1;
    }
    printf("%ld %ld\n", t1 - t0, ru.ru_maxrss);
  }
  return 0;
}

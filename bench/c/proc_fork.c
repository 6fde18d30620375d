// Process creation benchmark (issue 4): ITERATIONS times fork, _exit(0) in the child,
// waitpid in the parent, timed as a whole with CLOCK_MONOTONIC inside the program (start-up
// not counted). Prints "fork NS_PER_ITERATION". Exits 1 if a fork or a wait fails.
//
// Usage: proc_fork ITERATIONS
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long iters = argc == 2 ? atol(argv[1]) : 0;
  if (iters <= 0) {
    fprintf(stderr, "usage: proc_fork ITERATIONS\n");
    return 2;
  }
  long start = now_ns();
  for (long i = 0; i < iters; i++) {
    pid_t pid = fork();
    if (pid == 0)
      _exit(0);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
      perror("fork/waitpid");
      return 1;
    }
  }
  long elapsed = now_ns() - start;
  printf("fork %ld\n", elapsed / iters);
  return 0;
}

// Pipe ping-pong benchmark (issue 4): a parent and a forked child pass a 4-byte counter back
// and forth ROUNDS times through two pipes, each side adding one; timed inside the program
// from the first write to the last read. Prints "pingpong ROUND_TRIPS_PER_SECOND NS_PER_ROUND_TRIP".
// Exits 1 on a short read or a wrong value.
//
// Usage: proc_pingpong ROUNDS
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
  long rounds = argc == 2 ? atol(argv[1]) : 0;
  if (rounds <= 0) {
    fprintf(stderr, "usage: proc_pingpong ROUNDS\n");
    return 2;
  }
  int down[2], up[2];
  if (pipe(down) || pipe(up)) {
    perror("pipe");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    unsigned v;
    while (read(down[0], &v, sizeof v) == sizeof v) {
      v++;
      if (write(up[1], &v, sizeof v) != sizeof v)
        _exit(1);
    }
    _exit(0);
  }
  close(down[0]);
  close(up[1]);
  unsigned v = 0;
  long start = now_ns();
  for (long i = 0; i < rounds; i++) {
    unsigned sent = v;
    if (write(down[1], &v, sizeof v) != sizeof v || read(up[0], &v, sizeof v) != sizeof v ||
        v != sent + 1) {
      fprintf(stderr, "ping-pong broke at round %ld\n", i);
      return 1;
    }
  }
  long elapsed = now_ns() - start;
  close(down[1]);
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "child failed\n");
    return 1;
  }
  printf("pingpong %.0f %ld\n", rounds * 1e9 / elapsed, elapsed / rounds);
  return 0;
}

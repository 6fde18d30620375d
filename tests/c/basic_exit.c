// meridian-test: exit=42
// Smoke test: stdio and raw write(2) reach stdout in order, argc is 1, stderr is
// separate from stdout, and the value returned from main becomes the exit status.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  (void)argv;
  printf("hello from meridian\n");
  printf("argc is 1: %d\n", argc == 1);
  fflush(stdout);
  const char raw[] = "raw write(2) to fd 1\n";
  if (write(1, raw, strlen(raw)) != (ssize_t)strlen(raw)) return 1;
  // stderr is not compared by the harness; this must not show up on stdout.
  fprintf(stderr, "this goes to stderr\n");
  puts("puts works");
  return 42;
}

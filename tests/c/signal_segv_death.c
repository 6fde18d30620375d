// meridian-test: exit=139
// Checks that an unhandled fault kills the process: a write through a null
// pointer with the default SIGSEGV action ends it with status 128+11, and the
// output flushed before the fault is kept.
#include <stdio.h>
#include <sys/resource.h>

int main(void) {
  // No core file; the result is ignored because only the exit status matters.
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  printf("about to write through a null pointer\n");
  fflush(stdout);
  volatile int *volatile p = NULL; // both volatile, or gcc may drop the store
  *p = 42;
  printf("FAIL: survived the fault\n");
  return 1;
}

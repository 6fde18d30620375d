// meridian-test: exit=134
// Checks abort(): a SIGABRT handler that returns runs first, then abort()
// restores the default action and the process dies by SIGABRT (status 128+6).
// Output written before abort() must survive (stdout is flushed explicitly,
// because death by signal does not flush stdio buffers).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void handler(int sig) {
  (void)sig;
  const char msg[] = "SIGABRT handler ran and returned\n";
  write(1, msg, strlen(msg));
}

int main(void) {
  // No core file; the result is ignored because only the exit status matters.
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(SIGABRT, handler);
  printf("calling abort\n");
  fflush(stdout);
  abort();
  printf("FAIL: abort returned\n");
  return 1;
}

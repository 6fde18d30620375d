// meridian-test: exit=143
// Checks default and ignored dispositions: SIGCHLD, SIGURG, SIGWINCH and
// SIGCONT are ignored by default; SIG_IGN discards SIGUSR1, but a blocked
// ignored signal still becomes pending (kernel/signal.c sig_ignored(): blocked
// signals are never ignored) and is dropped on unblock; finally the default
// action of SIGTERM terminates the process, seen as status 128+15.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  int ignored_by_default[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};
  for (unsigned i = 0; i < sizeof ignored_by_default / sizeof ignored_by_default[0]; i++) {
    int r = raise(ignored_by_default[i]);
    printf("raise(%d) with default action returned %d, still alive\n", ignored_by_default[i], r);
  }

  signal(SIGUSR1, SIG_IGN);
  raise(SIGUSR1);
  printf("raise(SIGUSR1) with SIG_IGN: still alive\n");

  sigset_t s, pend;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  raise(SIGUSR1);
  sigpending(&pend);
  printf("ignored signal left pending while blocked: %d\n", sigismember(&pend, SIGUSR1));
  sigprocmask(SIG_UNBLOCK, &s, NULL);

  // Back to the default action: terminate.
  signal(SIGUSR1, SIG_DFL);
  printf("raising SIGTERM\n");
  fflush(stdout);
  raise(SIGTERM);
  printf("FAIL: survived SIGTERM\n");
  return 1;
}

// Checks signal state across execve(2) (signal(7), "Signal disposition"; execve(2)): a
// caught signal goes back to SIG_DFL, an ignored one stays ignored (SIGCHLD too), action
// flags and masks are cleared; the signal mask is kept, and so is a blocked pending signal;
// the alternate signal stack is gone.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static void handler(int sig) { (void)sig; }

static const char *disposition(int sig) {
  struct sigaction sa;
  if (sigaction(sig, NULL, &sa) != 0) return "error";
  if (sa.sa_handler == SIG_DFL) return "default";
  if (sa.sa_handler == SIG_IGN) return "ignored";
  return "handler";
}

static int child(void) {
  printf("SIGUSR1 %s\n", disposition(SIGUSR1));
  printf("SIGUSR2 %s\n", disposition(SIGUSR2));
  printf("SIGCHLD %s\n", disposition(SIGCHLD));
  printf("SIGINT %s\n", disposition(SIGINT));
  printf("SIGHUP %s\n", disposition(SIGHUP));
  struct sigaction sa;
  CHECK(sigaction(SIGUSR2, NULL, &sa) == 0);
  CHECK(!sigismember(&sa.sa_mask, SIGINT));
  sigset_t mask, pending;
  CHECK(sigprocmask(SIG_SETMASK, NULL, &mask) == 0);
  printf("blocked: TERM=%d USR1=%d QUIT=%d\n", sigismember(&mask, SIGTERM), sigismember(&mask, SIGUSR1), sigismember(&mask, SIGQUIT));
  CHECK(sigpending(&pending) == 0);
  printf("pending: TERM=%d QUIT=%d\n", sigismember(&pending, SIGTERM), sigismember(&pending, SIGQUIT));
  stack_t ss;
  CHECK(sigaltstack(NULL, &ss) == 0);
  printf("altstack disabled: %d\n", (ss.ss_flags & SS_DISABLE) != 0);
  // The pending SIGTERM is still there to take.
  int sig = 0;
  CHECK(sigwait(&mask, &sig) == 0);
  printf("took signal %s\n", sig == SIGTERM ? "SIGTERM" : "other");
  printf("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "child") == 0) return child();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART | SA_ONSTACK;
  sigaddset(&sa.sa_mask, SIGINT);
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  CHECK(sigaction(SIGHUP, &sa, NULL) == 0);
  sa.sa_handler = SIG_IGN;
  CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
  CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
  static char altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  CHECK(sigaltstack(&ss, NULL) == 0);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
  CHECK(kill(getpid(), SIGTERM) == 0);
  if (failures) return 1;
  char *nargv[] = {argv[0], "child", NULL};
  fflush(stdout);
  execv("/proc/self/exe", nargv);
  perror("execv");
  return 1;
}

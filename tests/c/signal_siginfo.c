// Checks sigaction(SA_SIGINFO) handlers and the siginfo filled in for signals a
// process sends itself: raise (SI_TKILL), kill (SI_USER), raw tgkill (SI_TKILL),
// sigqueue (SI_QUEUE + value); the handler's signal is blocked while it runs and
// sa_mask adds more; SA_RESETHAND; the old action is returned; bad signals -> EINVAL.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static volatile sig_atomic_t hits, signo, code, pid_ok, value, self_blocked, extra_blocked;

static void handler(int sig, siginfo_t *si, void *uctx) {
  (void)uctx;
  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  hits++;
  signo = si->si_signo;
  code = si->si_code;
  pid_ok = si->si_pid == getpid();
  value = si->si_value.sival_int;
  self_blocked = sigismember(&cur, sig);
  extra_blocked = sigismember(&cur, SIGWINCH);
}

static void other_handler(int sig) { (void)sig; }

static const char *code_name(int c) {
  switch (c) {
  case SI_USER: return "SI_USER";
  case SI_TKILL: return "SI_TKILL";
  case SI_QUEUE: return "SI_QUEUE";
  default: return "other";
  }
}

static void report(const char *how) {
  printf("%s: hits=%d signo=%d code=%s sender_is_self=%d self_blocked=%d\n", how, (int)hits, (int)signo,
         code_name(code), (int)pid_ok, (int)self_blocked);
  hits = 0;
}

int main(void) {
  struct sigaction sa = {0}, old;
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGWINCH);
  CHECK(sigaction(SIGUSR1, &sa, &old) == 0);
  printf("previous action was SIG_DFL: %d\n", old.sa_handler == SIG_DFL);

  raise(SIGUSR1);
  report("raise");
  printf("sa_mask signal blocked in handler: %d\n", (int)extra_blocked);
  kill(getpid(), SIGUSR1);
  report("kill");
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
  report("tgkill");
  union sigval v = {.sival_int = 1234};
  sigqueue(getpid(), SIGUSR1, v);
  report("sigqueue");
  printf("sigqueue value: %d\n", (int)value);

  // Replacing the action returns the previous one.
  struct sigaction sa2 = {0};
  sa2.sa_handler = other_handler;
  sigaction(SIGUSR1, &sa2, &old);
  printf("old action is the SA_SIGINFO handler: %d\n",
         old.sa_sigaction == handler && (old.sa_flags & SA_SIGINFO) != 0);

  // SA_RESETHAND: one delivery, then the disposition is back to default.
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  report("raise SIGUSR2 with SA_RESETHAND");
  sigaction(SIGUSR2, NULL, &old);
  printf("disposition reset to SIG_DFL: %d\n", old.sa_handler == SIG_DFL);

  // SA_NODEFER: the signal is not blocked while its handler runs.
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  report("raise with SA_NODEFER");

  errno = 0;
  printf("sigaction(SIGKILL): %s\n", sigaction(SIGKILL, &sa, NULL) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("sigaction(SIGSTOP): %s\n", sigaction(SIGSTOP, &sa, NULL) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("sigaction(65): %s\n", sigaction(65, &sa, NULL) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("kill(self, 0) probes: %d\n", kill(getpid(), 0) == 0);
  printf("kill(self, 99): %s\n", kill(getpid(), 99) < 0 && errno == EINVAL ? "EINVAL" : "other");
  return failures ? 1 : 0;
}

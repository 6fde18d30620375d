// Checks signal blocking: sigprocmask holds a raised signal pending (sigpending)
// until unblocked, then it is delivered before sigprocmask returns; standard
// signals coalesce while real-time ones queue in order with their values;
// lowest-numbered first when both are pending; sigsuspend -> EINTR; sigtimedwait
// consumes a blocked signal without running the handler, and times out with EAGAIN.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static volatile sig_atomic_t order[16], norder;

static void handler(int sig, siginfo_t *si, void *uctx) {
  (void)uctx;
  int tag = sig == SIGRTMIN ? 100 + si->si_value.sival_int : sig;
  if (norder < 16) order[norder++] = tag;
}

static void print_order(const char *what) {
  printf("%s: delivered %d:", what, (int)norder);
  for (int i = 0; i < norder; i++) printf(" %d", (int)order[i]);
  printf("\n");
  norder = 0;
}

static void block(int sig, int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(how, &s, NULL);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask); // handlers run with everything blocked: delivery order is then serial
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGRTMIN, &sa, NULL);

  block(SIGUSR1, SIG_BLOCK);
  raise(SIGUSR1);
  raise(SIGUSR1);
  sigset_t pend;
  sigpending(&pend);
  printf("blocked SIGUSR1 pending: %d, delivered so far: %d\n", sigismember(&pend, SIGUSR1), (int)norder);
  block(SIGUSR1, SIG_UNBLOCK);
  print_order("after unblock (standard signals coalesce)");
  sigpending(&pend);
  printf("still pending: %d\n", sigismember(&pend, SIGUSR1));

  block(SIGRTMIN, SIG_BLOCK);
  for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
  block(SIGRTMIN, SIG_UNBLOCK);
  print_order("real-time signals queue in order (100+value)");

  sigset_t both, old;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  sigprocmask(SIG_BLOCK, &both, &old);
  raise(SIGUSR2);
  raise(SIGUSR1);
  sigprocmask(SIG_SETMASK, &old, NULL);
  print_order("SIGUSR2 then SIGUSR1 raised while blocked");

  // sigsuspend: atomically unblock and wait; returns -1/EINTR after the handler.
  block(SIGUSR1, SIG_BLOCK);
  raise(SIGUSR1);
  sigset_t empty;
  sigemptyset(&empty);
  int r = sigsuspend(&empty);
  printf("sigsuspend: %s\n", r == -1 && errno == EINTR ? "EINTR" : "other");
  print_order("sigsuspend ran");
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("mask restored after sigsuspend: %d\n", sigismember(&now, SIGUSR1));

  // sigtimedwait takes a blocked pending signal without running its handler.
  block(SIGUSR2, SIG_BLOCK);
  raise(SIGUSR2);
  sigset_t w;
  sigemptyset(&w);
  sigaddset(&w, SIGUSR2);
  siginfo_t si;
  struct timespec ts = {0, 10000000};
  r = sigtimedwait(&w, &si, &ts);
  printf("sigtimedwait got SIGUSR2: %d, handler ran: %d\n", r == SIGUSR2 && si.si_signo == SIGUSR2, (int)norder);
  r = sigtimedwait(&w, &si, &ts);
  printf("sigtimedwait with nothing pending: %s\n", r == -1 && errno == EAGAIN ? "EAGAIN" : "other");
  CHECK(norder == 0);

  // SIGKILL/SIGSTOP cannot be blocked: the kernel silently drops them from the mask.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  sigprocmask(SIG_SETMASK, NULL, &now);
  printf("SIGKILL blockable: %d, SIGSTOP blockable: %d\n", sigismember(&now, SIGKILL), sigismember(&now, SIGSTOP));
  errno = 0;
  printf("sigprocmask bad how: %s\n", sigprocmask(99, &all, NULL) < 0 && errno == EINVAL ? "EINVAL" : "other");
  return failures ? 1 : 0;
}

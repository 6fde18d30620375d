// Checks SIGFPE: integer division by zero and INT_MIN / -1 raise SIGFPE with
// si_code FPE_INTDIV (x86 #DE), recovered with siglongjmp; floating-point
// division by zero does not trap (default MXCSR masks it) and yields infinity.
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static sigjmp_buf env;
static volatile int sig_seen, code_seen, hits;

static void handler(int sig, siginfo_t *si, void *uctx) {
  (void)uctx;
  hits++;
  sig_seen = sig;
  code_seen = si->si_code;
  siglongjmp(env, 1);
}

static void divide(const char *what, volatile int a, volatile int b) {
  if (sigsetjmp(env, 1) == 0) {
    volatile int q = a / b;
    printf("%s: no trap, q=%d\n", what, q);
    failures++;
    return;
  }
  printf("%s: signal=%s code=%s\n", what, sig_seen == SIGFPE ? "SIGFPE" : "other",
         code_seen == FPE_INTDIV ? "FPE_INTDIV" : "other");
  CHECK(sig_seen == SIGFPE && code_seen == FPE_INTDIV);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGFPE, &sa, NULL);

  divide("7 / 0", 7, 0);
  divide("INT_MIN / -1", INT_MIN, -1);
  divide("again after recovery: 1 / 0", 1, 0);

  volatile int q = 0;
  if (sigsetjmp(env, 1) == 0) q = 84 / 2;
  printf("84 / 2 = %d\n", q);

  volatile double zero = 0.0, one = 1.0;
  double inf = one / zero;
  printf("1.0 / 0.0 is +inf: %d\n", isinf(inf) && inf > 0);
  printf("handler ran %d times\n", hits);
  CHECK(hits == 3);
  return failures ? 1 : 0;
}

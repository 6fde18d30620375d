// Checks SIGILL from the ud2 instruction: si_code ILL_ILLOPN, si_addr and the
// saved RIP point at the instruction. First recovery: the handler advances RIP
// in its ucontext past ud2 and returns (exercises rt_sigreturn with an edited
// context); second recovery: siglongjmp.
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

extern char ud2_site[];
__attribute__((noinline)) static int run_ud2(void) {
  int after = 0;
  __asm__ volatile(".globl ud2_site\nud2_site: ud2\n\tmovl $1, %0" : "=r"(after));
  return after;
}

static sigjmp_buf env;
static volatile int use_longjmp, hits, code_ok, addr_ok, rip_ok;

static void handler(int sig, siginfo_t *si, void *uctx) {
  (void)sig;
  ucontext_t *uc = uctx;
  hits++;
  code_ok = si->si_code == ILL_ILLOPN;
  addr_ok = si->si_addr == (void *)ud2_site;
  rip_ok = uc->uc_mcontext.gregs[REG_RIP] == (greg_t)ud2_site;
  if (use_longjmp) siglongjmp(env, 1);
  uc->uc_mcontext.gregs[REG_RIP] += 2; // ud2 is 0f 0b
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGILL, &sa, NULL);

  int after = run_ud2();
  printf("skip via RIP: continued after ud2=%d code ILL_ILLOPN=%d si_addr=%d rip=%d\n", after, code_ok, addr_ok,
         rip_ok);
  CHECK(after == 1 && code_ok && addr_ok && rip_ok);

  use_longjmp = 1;
  if (sigsetjmp(env, 1) == 0) {
    run_ud2();
    printf("siglongjmp: not reached\n");
    failures++;
  } else {
    printf("siglongjmp: recovered, code ILL_ILLOPN=%d\n", code_ok);
  }
  printf("handler ran %d times\n", hits);
  CHECK(hits == 2);
  return failures ? 1 : 0;
}

// Checks SIGSEGV delivery and recovery: a write through a null pointer
// (SEGV_MAPERR, si_addr 0), a write to a read-only page and a read of a
// PROT_NONE page (SEGV_ACCERR, exact si_addr), and a read of an unmapped page;
// each is recovered with siglongjmp, which also restores the signal mask.
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static sigjmp_buf env;
static void *volatile fault_addr;
static volatile int fault_code, faults;

static void handler(int sig, siginfo_t *si, void *uctx) {
  (void)sig;
  (void)uctx;
  faults++;
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  siglongjmp(env, 1);
}

static const char *code_name(int c) {
  return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

// Runs one access that must fault at `expect`, recovering via siglongjmp.
static void try_access(const char *what, volatile char *p, int write, void *expect) {
  if (sigsetjmp(env, 1) == 0) {
    if (write) *p = 1;
    else (void)*p;
    printf("%s: no fault\n", what);
    failures++;
    return;
  }
  printf("%s: faulted code=%s addr_matches=%d\n", what, code_name(fault_code), fault_addr == expect);
  CHECK(fault_addr == expect);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  long page = sysconf(_SC_PAGESIZE);

  char *volatile null_ptr = NULL;
  try_access("null write", null_ptr, 1, NULL);

  char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("read-only page readable: %d\n", ((volatile char *)ro)[16] == 0);
  try_access("write to PROT_READ", ro + 16, 1, ro + 16);

  char *none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  try_access("read of PROT_NONE", none + 100, 0, none + 100);

  // mprotect makes the page usable; then unmap it and touch it again.
  mprotect(none, page, PROT_READ | PROT_WRITE);
  none[100] = 7;
  printf("after mprotect RW: value=%d\n", none[100]);
  munmap(none, page);
  try_access("read of unmapped page", none + 8, 0, none + 8);

  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
  printf("faults handled: %d\n", faults);
  CHECK(faults == 4);
  return failures ? 1 : 0;
}

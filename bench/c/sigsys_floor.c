// The floor of the trap approach on this machine: what a seccomp SECCOMP_RET_TRAP round trip
// (filter → SIGSYS delivery → a handler that only sets the return value → rt_sigreturn)
// costs with no library OS behind it. Runs natively; never under `meridian run`.
//
// Usage: sigsys_floor ITERATIONS
// Prints "CASE NS_PER_OP" lines, in this order (one process, since a filter cannot be removed):
//   native_getpid       syscall(SYS_getpid), no filter installed
//   filtered_getppid    getppid with the filter installed, which allows it (filter cost)
//   trap_getpid         getpid trapped; handler on the thread's stack, SA_SIGINFO only
//   trap_getpid_altstack getpid trapped; handler on an alternate stack with SA_ONSTACK and
//                       SA_NODEFER, as Meridian installs it
// and "xsave_bytes N": the size of the FPU/extended state the kernel saves in each signal
// frame (sigcontext fpstate, sw_reserved.extended_size), a large part of the delivery cost.
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

// The trapped getpid's result, set by the handler: proves each call was trapped, not run.
#define FAKE_PID 4242

static volatile uint32_t xsave_bytes;

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void on_sigsys(int sig, siginfo_t *info, void *ucv) {
  (void)sig;
  (void)info;
  ucontext_t *uc = ucv;
  uc->uc_mcontext.gregs[REG_RAX] = FAKE_PID;
  if (xsave_bytes == 0 && uc->uc_mcontext.fpregs) {
    // struct _fpx_sw_bytes sits at byte 464 of the fxsave area (asm/sigcontext.h).
    const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
    uint32_t magic, size;
    memcpy(&magic, fp + 464, 4);
    memcpy(&size, fp + 468, 4);
    xsave_bytes = magic == FP_XSTATE_MAGIC1 ? size : 512;
  }
}

static double time_calls(long nr, long n, long expect) {
  for (long i = 0; i < n / 10 + 1; i++) syscall(nr);
  long t0 = now_ns();
  for (long i = 0; i < n; i++) {
    long r = syscall(nr);
    if (expect && r != expect) {
      fprintf(stderr, "sigsys_floor: syscall %ld returned %ld, expected %ld\n", nr, r, expect);
      exit(1);
    }
  }
  return (double)(now_ns() - t0) / (double)n;
}

static void handler(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSYS, &sa, NULL) != 0) {
    perror("sigaction");
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || atol(argv[1]) <= 0) {
    fprintf(stderr, "usage: %s ITERATIONS\n", argv[0]);
    return 2;
  }
  long n = atol(argv[1]);
  printf("native_getpid %.1f\n", time_calls(SYS_getpid, n, 0));

  // The architecture check first, as in any real filter (and Meridian's).
  struct sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = {.len = sizeof prog / sizeof prog[0], .filter = prog};
  handler(0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
    perror("seccomp");
    return 1;
  }
  printf("filtered_getppid %.1f\n", time_calls(SYS_getppid, n, 0));
  printf("trap_getpid %.1f\n", time_calls(SYS_getpid, n, FAKE_PID));

  static char alt[1 << 16];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) {
    perror("sigaltstack");
    return 1;
  }
  handler(SA_ONSTACK | SA_NODEFER);
  printf("trap_getpid_altstack %.1f\n", time_calls(SYS_getpid, n, FAKE_PID));
  printf("xsave_bytes %u\n", xsave_bytes);
  return 0;
}

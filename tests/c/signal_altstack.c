// Checks sigaltstack: initially disabled; an SA_ONSTACK handler runs on the
// alternate stack and sees SS_ONSTACK; a handler without SA_ONSTACK does not;
// a too-small stack -> ENOMEM; and a stack overflow in a thread (SIGSEGV on the
// guard page) is caught on that thread's alternate stack and recovered with siglongjmp.
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

#define ALT_SIZE (64 * 1024)
static char *alt_base;
static volatile sig_atomic_t on_alt, flag_onstack;

static void handler(int sig) {
  (void)sig;
  char local;
  stack_t cur;
  sigaltstack(NULL, &cur);
  on_alt = (uintptr_t)&local >= (uintptr_t)alt_base && (uintptr_t)&local < (uintptr_t)alt_base + ALT_SIZE;
  flag_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
}

static sigjmp_buf overflow_env;
static volatile sig_atomic_t overflow_on_alt;
static char *thread_alt;

static void overflow_handler(int sig) {
  char local;
  overflow_on_alt = (uintptr_t)&local >= (uintptr_t)thread_alt && (uintptr_t)&local < (uintptr_t)thread_alt + ALT_SIZE;
  siglongjmp(overflow_env, sig);
}

static int recurse(int depth) {
  volatile char pad[512];
  pad[0] = (char)depth;
  if (depth < 0) return 0; // never true; keeps -Winfinite-recursion quiet
  return recurse(depth + 1) + pad[0]; // not a tail call: every level keeps its frame
}

static void *overflow_thread(void *arg) {
  (void)arg;
  thread_alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  stack_t ss = {.ss_sp = thread_alt, .ss_size = ALT_SIZE, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  int sig = sigsetjmp(overflow_env, 1);
  if (sig == 0) recurse(0);
  return (void *)(long)sig;
}

int main(void) {
  stack_t ss, old;
  sigaltstack(NULL, &old);
  printf("initially disabled: %d\n", (old.ss_flags & SS_DISABLE) != 0);

  alt_base = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ss.ss_sp = alt_base;
  ss.ss_size = 1024;
  ss.ss_flags = 0;
  errno = 0;
  printf("too small stack: %s\n", sigaltstack(&ss, NULL) < 0 && errno == ENOMEM ? "ENOMEM" : "other");
  ss.ss_size = ALT_SIZE;
  CHECK(sigaltstack(&ss, NULL) == 0);
  sigaltstack(NULL, &old);
  printf("installed: sp matches=%d size matches=%d onstack now=%d\n", old.ss_sp == alt_base,
         old.ss_size == ALT_SIZE, (old.ss_flags & SS_ONSTACK) != 0);

  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("SA_ONSTACK handler: on alt stack=%d, SS_ONSTACK=%d\n", (int)on_alt, (int)flag_onstack);

  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  printf("plain handler: on alt stack=%d, SS_ONSTACK=%d\n", (int)on_alt, (int)flag_onstack);

  ss.ss_flags = SS_DISABLE;
  CHECK(sigaltstack(&ss, NULL) == 0);
  sigaltstack(NULL, &old);
  printf("disabled again: %d\n", (old.ss_flags & SS_DISABLE) != 0);

  // Overflow a small thread stack; the handler can only run on the alternate stack.
  sa.sa_handler = overflow_handler;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGSEGV, &sa, NULL);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t t;
  void *res;
  pthread_create(&t, &attr, overflow_thread, NULL);
  pthread_join(t, &res);
  printf("thread stack overflow caught: signal=%ld on alt stack=%d\n", (long)res, (int)overflow_on_alt);
  CHECK((long)res == SIGSEGV && overflow_on_alt);
  return failures ? 1 : 0;
}

// Checks thread-local storage (the FS base set up with arch_prctl/clone
// CLONE_SETTLS): each thread sees its own copy of initialised and
// zero-initialised __thread variables, starting from the initial image;
// addresses differ between threads; ARCH_GET_FS equals pthread_self() and
// %fs:0 (the TCB self pointer) in every thread.
#include <asm/prctl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static __thread int counter = 5;
static __thread char name[16] = "initial";
static __thread long zeroed;
#define N 4
static uintptr_t addrs[N];

static int fs_consistent(void) {
  unsigned long fs = 0, self = 0;
  if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) != 0) return 0;
  __asm__("mov %%fs:0, %0" : "=r"(self));
  return fs == (unsigned long)pthread_self() && self == fs;
}

static void *worker(void *arg) {
  long idx = (long)arg;
  int ok = counter == 5 && name[0] == 'i' && zeroed == 0; // fresh copy of the initial image
  for (int i = 0; i < 1000; i++) counter += (int)idx;
  snprintf(name, sizeof name, "thread-%ld", idx);
  zeroed = idx;
  addrs[idx] = (uintptr_t)&counter;
  ok = ok && counter == 5 + 1000 * idx && zeroed == idx && fs_consistent();
  return (void *)(long)ok;
}

int main(void) {
  counter = 100;
  snprintf(name, sizeof name, "main");
  pthread_t t[N];
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  int all_ok = 1;
  for (int i = 0; i < N; i++) {
    void *res;
    pthread_join(t[i], &res);
    printf("thread %d saw the initial image and kept its own values: %ld\n", i, (long)res);
    all_ok &= (long)res == 1;
  }
  int distinct = 1;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < i; j++)
      if (addrs[i] == addrs[j]) distinct = 0;
  printf("TLS addresses differ between threads: %d\n", distinct);
  printf("main's copies untouched: counter=%d name=%s zeroed=%ld\n", counter, name, zeroed);
  printf("main: ARCH_GET_FS == pthread_self == %%fs:0: %d\n", fs_consistent());
  CHECK(all_ok && distinct && counter == 100 && fs_consistent());
  return failures ? 1 : 0;
}

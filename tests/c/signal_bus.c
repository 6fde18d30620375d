// Checks SIGBUS: touching a MAP_SHARED file mapping beyond the end of the file
// (a whole page past EOF) raises SIGBUS with BUS_ADRERR and the exact si_addr;
// after ftruncate grows the file the same page reads as zeros.
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static sigjmp_buf env;
static void *volatile fault_addr;
static volatile int fault_code;

static void handler(int sig, siginfo_t *si, void *uctx) {
  (void)sig;
  (void)uctx;
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  siglongjmp(env, 1);
}

int main(void) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/mt-signal_bus-%d", (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0);
  long page = sysconf(_SC_PAGESIZE);
  CHECK(ftruncate(fd, page) == 0);

  char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  m[0] = 'x';
  printf("first page usable: %d\n", m[0] == 'x');

  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
  if (sigsetjmp(env, 1) == 0) {
    volatile char c = m[page + 10];
    printf("read past EOF: no signal (%d)\n", c);
    failures++;
  } else {
    printf("read past EOF: SIGBUS code=%s addr_matches=%d\n", fault_code == BUS_ADRERR ? "BUS_ADRERR" : "other",
           fault_addr == m + page + 10);
    CHECK(fault_addr == m + page + 10);
  }

  CHECK(ftruncate(fd, 2 * page) == 0);
  if (sigsetjmp(env, 1) == 0) {
    printf("after ftruncate grow: second page reads %d\n", ((volatile char *)m)[page + 10]);
  } else {
    printf("after ftruncate grow: still SIGBUS\n");
    failures++;
  }
  munmap(m, 2 * page);
  close(fd);
  unlink(path);
  return failures ? 1 : 0;
}

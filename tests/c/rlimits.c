// Checks resource limits: getrlimit(RLIMIT_NOFILE/RLIMIT_STACK) succeed with
// soft <= hard; raw prlimit64 reads the same values; lowering the soft
// RLIMIT_NOFILE to 32 takes effect (opening more files fails with EMFILE) and
// raising it back works; soft > hard -> EINVAL; an unknown resource -> EINVAL.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int soft_le_hard(struct rlimit r) {
  return r.rlim_max == RLIM_INFINITY || (r.rlim_cur != RLIM_INFINITY && r.rlim_cur <= r.rlim_max);
}

int main(void) {
  struct rlimit nofile, stack, raw;
  CHECK(getrlimit(RLIMIT_NOFILE, &nofile) == 0);
  CHECK(getrlimit(RLIMIT_STACK, &stack) == 0);
  printf("RLIMIT_NOFILE soft <= hard: %d\n", soft_le_hard(nofile));
  printf("RLIMIT_STACK soft <= hard: %d\n", soft_le_hard(stack));
  printf("RLIMIT_NOFILE soft >= 64: %d\n", nofile.rlim_cur >= 64);

  long r = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &raw);
  printf("prlimit64 read: ret=%ld same as getrlimit: %d\n", r,
         raw.rlim_cur == nofile.rlim_cur && raw.rlim_max == nofile.rlim_max);
  r = syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &raw);
  printf("prlimit64 stack: ret=%ld same: %d\n", r, raw.rlim_cur == stack.rlim_cur);
  CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &raw) == 0);

  struct rlimit low = {32, nofile.rlim_max};
  CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
  getrlimit(RLIMIT_NOFILE, &raw);
  printf("soft RLIMIT_NOFILE now: %lu\n", (unsigned long)raw.rlim_cur);
  int fds[64], n = 0, err = 0;
  while (n < 64) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) { err = errno; break; }
    fds[n++] = fd;
  }
  printf("opening past the limit: %s, stopped below 32 fds: %d\n", err == EMFILE ? "EMFILE" : "other", n < 32);
  while (n > 0) close(fds[--n]);
  errno = 0;
  printf("dup2 onto fd 40 >= limit: %s\n", dup2(0, 40) < 0 && errno == EBADF ? "EBADF" : "other");
  errno = 0;
  printf("F_DUPFD min 40 >= limit: %s\n", fcntl(0, F_DUPFD, 40) < 0 && errno == EINVAL ? "EINVAL" : "other");

  struct rlimit inverted = {nofile.rlim_max == RLIM_INFINITY ? 100 : nofile.rlim_max, 50};
  errno = 0;
  printf("soft > hard: %s\n", setrlimit(RLIMIT_NOFILE, &inverted) < 0 && errno == EINVAL ? "EINVAL" : "other");
  CHECK(setrlimit(RLIMIT_NOFILE, &nofile) == 0);
  getrlimit(RLIMIT_NOFILE, &raw);
  printf("restored: %d\n", raw.rlim_cur == nofile.rlim_cur);
  errno = 0;
  printf("unknown resource: %s\n", getrlimit(999, &raw) < 0 && errno == EINVAL ? "EINVAL" : "other");
  return failures ? 1 : 0;
}

// Checks randomness: getrandom fills the whole buffer with bytes that are not
// all zero, two calls differ, GRND_NONBLOCK works, a zero-length request
// returns 0, unknown flags -> EINVAL, a bad buffer -> EFAULT, and /dev/urandom
// is readable too.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int nonzero(const unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (b[i]) return 1;
  return 0;
}

int main(void) {
  unsigned char a[32], b[32];
  ssize_t na = getrandom(a, sizeof a, 0);
  ssize_t nb = getrandom(b, sizeof b, 0);
  printf("getrandom filled 32 bytes twice: %d\n", na == 32 && nb == 32);
  printf("not all zero: %d\n", nonzero(a, sizeof a) && nonzero(b, sizeof b));
  printf("two calls differ: %d\n", memcmp(a, b, sizeof a) != 0);
  CHECK(na == 32 && nb == 32 && memcmp(a, b, sizeof a) != 0);

  unsigned char big[4096];
  ssize_t nbig = getrandom(big, sizeof big, GRND_NONBLOCK);
  printf("GRND_NONBLOCK 4096 bytes: %d\n", nbig == (ssize_t)sizeof big);
  printf("zero-length request: %zd\n", getrandom(a, 0, 0));
  errno = 0;
  printf("unknown flag: %s\n", getrandom(a, 8, 0x100) < 0 && errno == EINVAL ? "EINVAL" : "other");
  void *volatile bad = (void *)8; // volatile: keeps gcc from flagging the deliberate bad pointer
  errno = 0;
  printf("bad buffer: %s\n", getrandom(bad, 8, 0) < 0 && errno == EFAULT ? "EFAULT" : "other");

  int fd = open("/dev/urandom", O_RDONLY);
  memset(a, 0, sizeof a);
  ssize_t nu = fd >= 0 ? read(fd, a, sizeof a) : -1;
  printf("/dev/urandom read 32 non-zero bytes: %d\n", nu == 32 && nonzero(a, sizeof a));
  if (fd >= 0) close(fd);
  return failures ? 1 : 0;
}

// Checks ioctl on pipes and /dev/null: TCGETS -> ENOTTY (so isatty is 0),
// FIONREAD counts the unread bytes, FIONBIO toggles non-blocking mode,
// FIOCLEX/FIONCLEX set and clear FD_CLOEXEC, and a bad fd -> EBADF.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  struct termios tio;
  errno = 0;
  printf("TCGETS on a pipe: %s\n", ioctl(p[0], TCGETS, &tio) < 0 && errno == ENOTTY ? "ENOTTY" : "other");
  errno = 0;
  int tty = isatty(p[0]);
  printf("isatty(pipe): %d errno ENOTTY: %d\n", tty, errno == ENOTTY);

  int n = -1;
  CHECK(ioctl(p[0], FIONREAD, &n) == 0);
  printf("FIONREAD on empty pipe: %d\n", n);
  write(p[1], "hello", 5);
  ioctl(p[0], FIONREAD, &n);
  printf("FIONREAD after writing 5: %d\n", n);
  char buf[8];
  read(p[0], buf, 2);
  ioctl(p[0], FIONREAD, &n);
  printf("FIONREAD after reading 2: %d\n", n);
  read(p[0], buf, 3);

  int on = 1;
  CHECK(ioctl(p[0], FIONBIO, &on) == 0);
  printf("FIONBIO sets O_NONBLOCK: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
  errno = 0;
  printf("read on empty non-blocking pipe: %s\n", read(p[0], buf, 1) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  on = 0;
  ioctl(p[0], FIONBIO, &on);
  printf("FIONBIO 0 clears it: %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) == 0);

  CHECK(ioctl(p[1], FIOCLEX) == 0);
  printf("FIOCLEX: %d\n", fcntl(p[1], F_GETFD) == FD_CLOEXEC);
  CHECK(ioctl(p[1], FIONCLEX) == 0);
  printf("FIONCLEX: %d\n", fcntl(p[1], F_GETFD) == 0);

  int null = open("/dev/null", O_RDWR);
  errno = 0;
  printf("TCGETS on /dev/null: %s\n", ioctl(null, TCGETS, &tio) < 0 && errno == ENOTTY ? "ENOTTY" : "other");
  close(null);
  errno = 0;
  printf("ioctl on a bad fd: %s\n", ioctl(999, FIONREAD, &n) < 0 && errno == EBADF ? "EBADF" : "other");
  close(p[0]);
  close(p[1]);
  return failures ? 1 : 0;
}

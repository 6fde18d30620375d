// Checks descriptors across execve(2): a plain descriptor stays open with its offset and
// flags, an O_CLOEXEC one and an FD_CLOEXEC (fcntl) one are closed, a dup of a
// close-on-exec descriptor without the flag stays, and a pipe whose only write end was
// close-on-exec reads end-of-file in the new image (the exec closed the writer). A failed
// execve closes nothing.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int child(char **argv) {
  int plain = atoi(argv[2]), cloexec = atoi(argv[3]), fcntl_cloexec = atoi(argv[4]);
  int dup_kept = atoi(argv[5]), pipe_read = atoi(argv[6]), pipe_write = atoi(argv[7]);
  CHECK(fcntl(plain, F_GETFD) == 0);
  CHECK((fcntl(plain, F_GETFL) & O_ACCMODE) == O_RDWR);
  CHECK(lseek(plain, 0, SEEK_CUR) == 6);
  errno = 0;
  CHECK(fcntl(cloexec, F_GETFD) == -1 && errno == EBADF);
  errno = 0;
  CHECK(fcntl(fcntl_cloexec, F_GETFD) == -1 && errno == EBADF);
  errno = 0;
  CHECK(fcntl(pipe_write, F_GETFD) == -1 && errno == EBADF);
  CHECK(fcntl(dup_kept, F_GETFD) == 0);
  char buf[16] = {0};
  CHECK(pread(dup_kept, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0);
  CHECK(read(pipe_read, buf, sizeof buf) == 4 && memcmp(buf, "data", 4) == 0);
  CHECK(read(pipe_read, buf, sizeof buf) == 0);
  CHECK(write(plain, "!", 1) == 1);
  CHECK(pread(plain, buf, 7, 0) == 7 && memcmp(buf, "hello !", 7) == 0);
  // The lowest free descriptor is the first one the exec closed.
  int fresh = open("/dev/null", O_RDONLY);
  printf("fresh=%d (closed one: %d)\n", fresh, fresh == cloexec || fresh == fcntl_cloexec || fresh == pipe_write);
  printf("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 8 && strcmp(argv[1], "child") == 0) return child(argv);
  char path[] = "/tmp/exec_fds_XXXXXX";
  int plain = mkstemp(path);
  CHECK(plain >= 0);
  unlink(path);
  CHECK(write(plain, "hello ", 6) == 6);
  int cloexec = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int fcntl_cloexec = dup(plain);
  CHECK(fcntl(fcntl_cloexec, F_SETFD, FD_CLOEXEC) == 0);
  int dup_kept = dup(fcntl_cloexec);
  int p[2];
  CHECK(pipe(p) == 0);
  CHECK(fcntl(p[1], F_SETFD, FD_CLOEXEC) == 0);
  CHECK(write(p[1], "data", 4) == 4);
  // A failed exec changes nothing.
  char *none[] = {"x", NULL};
  CHECK(execve("/nonexistent/program", none, none) == -1 && errno == ENOENT);
  CHECK(fcntl(cloexec, F_GETFD) == FD_CLOEXEC);
  char a[7][16];
  int fds[6] = {plain, cloexec, fcntl_cloexec, dup_kept, p[0], p[1]};
  for (int i = 0; i < 6; i++) snprintf(a[i], sizeof a[i], "%d", fds[i]);
  char *nargv[] = {argv[0], "child", a[0], a[1], a[2], a[3], a[4], a[5], NULL};
  if (failures) return 1;
  execv("/proc/self/exe", nargv);
  perror("execv");
  return 1;
}

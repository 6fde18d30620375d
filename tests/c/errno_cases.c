// Checks that failing calls set the right errno, printed by name and with
// strerror: missing file -> ENOENT, bad fd -> EBADF, mkdir existing -> EEXIST,
// rmdir non-empty -> ENOTEMPTY, write to O_RDONLY -> EBADF, bad lseek whence ->
// EINVAL, unknown syscall -> ENOSYS, bad user pointer -> EFAULT, and a few more
// (ENOTDIR, EISDIR, ESPIPE, ENAMETOOLONG).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

static const char *name(int e) {
  switch (e) {
  case 0: return "0";
  case ENOENT: return "ENOENT";
  case EBADF: return "EBADF";
  case EEXIST: return "EEXIST";
  case ENOTEMPTY: return "ENOTEMPTY";
  case EINVAL: return "EINVAL";
  case ENOSYS: return "ENOSYS";
  case EFAULT: return "EFAULT";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case ESPIPE: return "ESPIPE";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  default: return "unexpected";
  }
}

// Prints the errno left by `ret` (which must be -1) and checks it is `want`.
static void expect(const char *what, long ret, int want) {
  int e = ret == -1 ? errno : 0;
  printf("%-34s -> %s (%s)\n", what, name(e), e ? strerror(e) : "no error");
  if (e != want) {
    printf("FAIL: %s: wanted %s\n", what, name(want));
    failures++;
  }
}

int main(void) {
  char dir[64], file[96], path[128];
  snprintf(dir, sizeof dir, "/tmp/mt-errno_cases-%d", (int)getpid());
  snprintf(file, sizeof file, "%s/file", dir);
  mkdir(dir, 0755);
  int fd = open(file, O_CREAT | O_WRONLY, 0644);
  close(fd);

  errno = 0;
  expect("open missing file", open("/tmp/mt-errno_cases-no/such", O_RDONLY), ENOENT);
  errno = 0;
  char buf[16];
  expect("read from fd -1", read(-1, buf, sizeof buf), EBADF);
  errno = 0;
  expect("read from unused fd 4000", read(4000, buf, sizeof buf), EBADF);
  errno = 0;
  expect("mkdir existing", mkdir(dir, 0755), EEXIST);
  errno = 0;
  expect("rmdir non-empty", rmdir(dir), ENOTEMPTY);
  fd = open(file, O_RDONLY);
  errno = 0;
  expect("write to O_RDONLY fd", write(fd, "x", 1), EBADF);
  errno = 0;
  expect("lseek whence 99", lseek(fd, 0, 99), EINVAL);
  close(fd);
  fd = open("/tmp", O_RDONLY);
  errno = 0;
  expect("syscall(1000)", syscall(1000), ENOSYS);
  errno = 0;
  expect("syscall(-1)", syscall(-1L), ENOSYS);
  close(fd);

  int p[2];
  void *volatile bad = (void *)8; // volatile: keeps gcc from flagging the deliberate bad pointer
  pipe(p);
  write(p[1], "data", 4);
  errno = 0;
  expect("read from pipe into bad pointer", read(p[0], bad, 4), EFAULT);
  errno = 0;
  expect("write from bad pointer", write(p[1], bad, 4), EFAULT);
  errno = 0;
  expect("open with bad path pointer", open(bad, O_RDONLY), EFAULT);
  errno = 0;
  expect("lseek on a pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
  close(p[0]);
  close(p[1]);

  errno = 0;
  expect("open file as directory", open(file, O_RDONLY | O_DIRECTORY), ENOTDIR);
  snprintf(path, sizeof path, "%s/x", file);
  errno = 0;
  expect("path through a file", open(path, O_RDONLY), ENOTDIR);
  errno = 0;
  expect("open directory for writing", open(dir, O_WRONLY), EISDIR);
  errno = 0;
  expect("unlink a directory", unlink(dir), EISDIR);
  errno = 0;
  expect("rmdir a file", rmdir(file), ENOTDIR);
  char longname[300];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  errno = 0;
  expect("open with a 299-byte name", open(longname, O_RDONLY), ENAMETOOLONG);
  errno = 0;
  expect("close fd -1", close(-1), EBADF);

  unlink(file);
  rmdir(dir);
  return failures ? 1 : 0;
}

// Checks the errors of execve(2)/execveat(2), each of which must leave the process as it
// was: ENOENT (missing file, missing directory, empty path), ENOTDIR (a file used as a
// directory), EACCES (no execute bit, a directory, a character device), ENOEXEC (an executable file in no
// known format, a truncated ELF header), EFAULT (bad path, bad argv array, bad argv
// string, bad envp), E2BIG (one string of MAX_ARG_STRLEN bytes; a huge environment),
// EINVAL (unknown execveat flags), EBADF (a relative path on a bad descriptor), ELOOP
// (AT_SYMLINK_NOFOLLOW on a symbolic link), and ENOENT for an ELF whose interpreter is
// missing.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static char *none[] = {"x", NULL};

static void expect(const char *what, long r, int err) {
  int e = errno;
  printf("%-28s %s\n", what, r == -1 ? strerror(e) : "succeeded?!");
  CHECK(r == -1 && e == err);
}

static long execveat_(int dirfd, const char *path, char **argv, char **envp, int flags) {
  return syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}

static void put(const char *name, const void *data, size_t len, mode_t mode) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
  CHECK(fd >= 0);
  CHECK(write(fd, data, len) == (ssize_t)len);
  close(fd);
}

int main(void) {
  char dir[] = "/tmp/exec_errors_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  CHECK(chdir(dir) == 0);
  put("noexec", "#!/bin/sh\n", 10, 0644);
  put("garbage", "hello, world\n", 13, 0755);
  put("short-elf", "\177ELF\2\1\1", 7, 0755);
  CHECK(symlink("/proc/self/exe", "link") == 0);
  CHECK(mkdir("subdir", 0755) == 0);
  // An ELF executable whose PT_INTERP names a missing file: a copy of this program (if
  // dynamic) with the interpreter path bytes changed.
  int self = open("/proc/self/exe", O_RDONLY);
  off_t size = lseek(self, 0, SEEK_END);
  char *image = malloc(size);
  CHECK(pread(self, image, size, 0) == size);
  close(self);
  char *interp = memmem(image, size < 4096 ? size : 4096, "/lib64/ld-linux", 15);
  if (interp) {
    memcpy(interp, "/nonexistent/ld", 15);
    put("badinterp", image, size, 0755);
  }
  free(image);

  errno = 0; expect("missing file", execve("./missing", none, none), ENOENT);
  errno = 0; expect("missing directory", execve("/nonexistent/dir/prog", none, none), ENOENT);
  errno = 0; expect("empty path", execve("", none, none), ENOENT);
  errno = 0; expect("file as directory", execve("./garbage/x", none, none), ENOTDIR);
  errno = 0; expect("no execute bit", execve("./noexec", none, none), EACCES);
  errno = 0; expect("directory", execve("./subdir", none, none), EACCES);
  errno = 0; expect("character device", execve("/dev/null", none, none), EACCES);
  errno = 0; expect("unknown format", execve("./garbage", none, none), ENOEXEC);
  errno = 0; expect("truncated ELF", execve("./short-elf", none, none), ENOEXEC);
  if (interp) {
    errno = 0; expect("missing ELF interpreter", execve("./badinterp", none, none), ENOENT);
  } else {
    printf("%-28s %s\n", "missing ELF interpreter", strerror(ENOENT));
  }

  // A page that is not mapped, for EFAULT.
  char *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(hole != MAP_FAILED);
  char *bad_string[] = {"x", hole, NULL};
  errno = 0; expect("bad path pointer", execve(hole, none, none), EFAULT);
  errno = 0; expect("bad argv array", execve("/proc/self/exe", (char **)hole, none), EFAULT);
  errno = 0; expect("bad argv string", execve("/proc/self/exe", bad_string, none), EFAULT);
  errno = 0; expect("bad envp array", execve("/proc/self/exe", none, (char **)hole), EFAULT);
  // The file is checked before the arguments are read.
  errno = 0; expect("missing file, bad argv", execve("./missing", (char **)hole, none), ENOENT);

  // MAX_ARG_STRLEN is 32 pages including the NUL.
  size_t big = 32 * 4096;
  char *huge = malloc(big + 1);
  memset(huge, 'a', big);
  huge[big] = 0;
  char *big_argv[] = {"x", huge, NULL};
  errno = 0; expect("argument too long", execve("/proc/self/exe", big_argv, none), E2BIG);
  // 64 strings of 120 KiB: 7.5 MiB, past any limit (at most 6 MiB whatever the stack).
  huge[120 * 1024] = 0;
  char *big_env[65];
  for (int i = 0; i < 64; i++) big_env[i] = huge;
  big_env[64] = NULL;
  errno = 0; expect("environment too big", execve("/proc/self/exe", none, big_env), E2BIG);
  free(huge);

  errno = 0; expect("execveat bad flags", execveat_(AT_FDCWD, "/proc/self/exe", none, none, 0x4), EINVAL);
  errno = 0; expect("execveat bad dirfd", execveat_(99, "relative", none, none, 0), EBADF);
  errno = 0; expect("execveat nofollow link", execveat_(AT_FDCWD, "./link", none, none, AT_SYMLINK_NOFOLLOW), ELOOP);
  errno = 0; expect("execveat empty, no flag", execveat_(AT_FDCWD, "", none, none, 0), ENOENT);
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  errno = 0; expect("execveat directory fd", execveat_(dfd, "", none, none, AT_EMPTY_PATH), EACCES);
  errno = 0; expect("execveat file as dirfd", execveat_(open("garbage", O_RDONLY), "x", none, none, 0), ENOTDIR);

  // The process is intact: descriptors, cwd, memory.
  CHECK(fcntl(dfd, F_GETFD) == 0);
  char cwd[256];
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0);
  printf("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}

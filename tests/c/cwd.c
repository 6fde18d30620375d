// Checks the working directory: chdir/getcwd for "/", "/usr" and a directory
// created in /tmp, relative chdir into a subdirectory and back with "..",
// fchdir, relative paths resolving against the new cwd, getcwd with a short
// buffer -> ERANGE, and chdir to a missing path -> ENOENT / to a file -> ENOTDIR.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void) {
  char cwd[4096], dir[64], sub[80];
  snprintf(dir, sizeof dir, "/tmp/mt-cwd-%d", (int)getpid());
  snprintf(sub, sizeof sub, "%s/sub", dir);
  CHECK(mkdir(dir, 0755) == 0);
  CHECK(mkdir(sub, 0755) == 0);

  CHECK(chdir("/") == 0);
  printf("after chdir(/): %s\n", getcwd(cwd, sizeof cwd));
  CHECK(chdir("/usr") == 0);
  printf("after chdir(/usr): %s\n", getcwd(cwd, sizeof cwd));
  CHECK(chdir("..") == 0);
  printf("after chdir(..): %s\n", getcwd(cwd, sizeof cwd));

  CHECK(chdir(dir) == 0);
  getcwd(cwd, sizeof cwd);
  printf("getcwd in the /tmp directory matches its path: %d\n", strcmp(cwd, dir) == 0);
  CHECK(chdir("sub") == 0);
  getcwd(cwd, sizeof cwd);
  printf("relative chdir(sub): %d\n", strcmp(cwd, sub) == 0);
  CHECK(chdir("..") == 0);
  getcwd(cwd, sizeof cwd);
  printf("chdir(..) back: %d\n", strcmp(cwd, dir) == 0);

  // A relative create lands in the cwd.
  int fd = open("rel-file", O_CREAT | O_WRONLY, 0644);
  char abs[128];
  snprintf(abs, sizeof abs, "%s/rel-file", dir);
  printf("relative open created the file in the cwd: %d\n", fd >= 0 && access(abs, F_OK) == 0);
  close(fd);

  int usr = open("/usr", O_RDONLY | O_DIRECTORY);
  CHECK(fchdir(usr) == 0);
  printf("after fchdir(/usr fd): %s\n", getcwd(cwd, sizeof cwd));
  close(usr);
  int subfd = open(sub, O_RDONLY | O_DIRECTORY);
  CHECK(fchdir(subfd) == 0);
  getcwd(cwd, sizeof cwd);
  printf("fchdir to the subdirectory: %d\n", strcmp(cwd, sub) == 0);
  close(subfd);

  char tiny[4];
  errno = 0;
  printf("getcwd with a 4-byte buffer: %s\n", getcwd(tiny, sizeof tiny) == NULL && errno == ERANGE ? "ERANGE" : "other");
  errno = 0;
  printf("chdir to missing: %s\n", chdir("/tmp/mt-cwd-missing/x") < 0 && errno == ENOENT ? "ENOENT" : "other");
  errno = 0;
  printf("chdir to a file: %s\n", chdir(abs) < 0 && errno == ENOTDIR ? "ENOTDIR" : "other");
  int filefd = open(abs, O_RDONLY);
  errno = 0;
  printf("fchdir to a file: %s\n", fchdir(filefd) < 0 && errno == ENOTDIR ? "ENOTDIR" : "other");
  close(filefd);

  CHECK(chdir("/") == 0);
  CHECK(unlink(abs) == 0);
  CHECK(rmdir(sub) == 0);
  CHECK(rmdir(dir) == 0);
  return failures ? 1 : 0;
}

// Checks execveat(2) on descriptors: AT_EMPTY_PATH runs the file a descriptor refers to
// (fexecve(3)); a relative path resolves against a directory descriptor. The new image's
// AT_EXECFN is "/dev/fd/N" and "/dev/fd/N/name" respectively, and its comm is the file's
// own name (fs/exec.c: the name of the dentry when the path came from a descriptor). A
// script opened O_CLOEXEC cannot be run that way (its interpreter could not open it):
// ENOENT.
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static long execveat_(int dirfd, const char *path, char **argv, char **envp, int flags) {
  return syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}

static void show_image(const char *stage) {
  char comm[64] = {0};
  int fd = open("/proc/self/comm", O_RDONLY);
  ssize_t n = read(fd, comm, sizeof comm - 1);
  close(fd);
  if (n > 0 && comm[n - 1] == '\n') comm[n - 1] = 0;
  printf("%s: execfn=%s comm=%s\n", stage, (const char *)getauxval(AT_EXECFN), comm);
}

int main(int argc, char **argv, char **envp) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  CHECK(n > 0);
  self[n > 0 ? n : 0] = 0;
  if (argc == 2 && strcmp(argv[1], "stage3") == 0) {
    show_image("stage 3");
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
  }
  if (argc == 3 && strcmp(argv[1], "stage2") == 0) {
    show_image("stage 2");
    // The descriptor that stage 1 ran is still open (it was not close-on-exec).
    CHECK(fcntl(atoi(argv[2]), F_GETFD) == 0);
    char copy[4096];
    strcpy(copy, self);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    CHECK(dfd == 4);
    strcpy(copy, self);
    char *nargv[] = {"three", "stage3", NULL};
    fflush(stdout);
    execveat_(dfd, basename(copy), nargv, envp, 0);
    perror("execveat dirfd");
    return 1;
  }
  char dir[] = "/tmp/exec_at_fd_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  CHECK(chdir(dir) == 0);
  int sfd = open("script.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755);
  CHECK(write(sfd, "#!/bin/sh\necho script\n", 22) == 22);
  close(sfd);
  sfd = open("script.sh", O_RDONLY | O_CLOEXEC);
  char *none[] = {"x", NULL};
  errno = 0;
  CHECK(execveat_(sfd, "", none, envp, AT_EMPTY_PATH) == -1 && errno == ENOENT);
  close(sfd);
  int fd = open(self, O_RDONLY);
  CHECK(fd == 3);
  char fdname[16];
  snprintf(fdname, sizeof fdname, "%d", fd);
  char *nargv[] = {"two", "stage2", fdname, NULL};
  if (failures) return 1;
  fflush(stdout);
  execveat_(fd, "", nargv, envp, AT_EMPTY_PATH);
  perror("execveat AT_EMPTY_PATH");
  return 1;
}

// Checks `#!` scripts under execve(2) (fs/binfmt_script.c): a shell script gets argv
// [interpreter, script path, args...]; the optional interpreter argument is passed as ONE
// argument (spaces kept, trailing blanks trimmed); an interpreter may itself be a script;
// a script naming itself loops (ELOOP); a missing interpreter is ENOENT. Scripts are
// written to a fresh directory under /tmp and run by relative path, so the output is the
// same natively and in the sandbox.
//
// One process can exec only once per image, so the run is a chain:
//   stage 1 (this program): error cases, then exec ./greet.sh with arguments
//   greet.sh (/bin/sh): prints its argv, then execs this program again for stage 2
//   stage 2: exec ./nested.sh, whose interpreter ./inner.sh is a script run by /bin/sh,
//   which prints its argv and execs ./echo.sh ("#!/bin/echo -n  hello there  "), whose
//   output ends the test.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static void put(const char *name, const char *text) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  CHECK(fd >= 0);
  CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  close(fd);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "stage2") == 0) {
    printf("stage 2: argc=%d\n", argc);
    fflush(stdout);
    char *nargv[] = {"nested-zero", "n1", "n 2", NULL};
    execv("./nested.sh", nargv);
    perror("execv nested");
    return 1;
  }
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  CHECK(n > 0);
  self[n > 0 ? n : 0] = 0;
  char dir[] = "/tmp/exec_script_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  CHECK(chdir(dir) == 0);
  put("greet.sh", "#!/bin/sh\necho \"sh: 0=$0 #=$# 1=$1 2=$2 3=<$3>\"\nexec \"$EXEC_SCRIPT_PROG\" stage2 \"$@\"\n");
  put("inner.sh", "#!/bin/sh\necho \"inner: 0=$0 1=$1 2=$2 3=$3\"\nexec ./echo.sh \"$@\"\n");
  put("nested.sh", "#!./inner.sh\nnot read by anyone\n");
  put("echo.sh", "#!/bin/echo -n  hello there  \t\n");
  put("loop.sh", "#!./loop.sh\n");
  put("lost.sh", "#!/nonexistent/interpreter\n");
  char *none[] = {"x", NULL};
  errno = 0;
  CHECK(execv("./loop.sh", none) == -1 && errno == ELOOP);
  errno = 0;
  CHECK(execv("./lost.sh", none) == -1 && errno == ENOENT);
  setenv("EXEC_SCRIPT_PROG", self, 1);
  if (failures) return 1;
  char *nargv[] = {"greet-zero", "one", "two words", "", NULL};
  fflush(stdout);
  execv("./greet.sh", nargv);
  perror("execv greet");
  return 1;
}

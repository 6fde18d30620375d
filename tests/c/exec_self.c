// Checks execve(2) of the program itself (through /proc/self/exe) with a new argv and
// envp: the new image sees exactly the argv and envp given (empty strings and spaces kept),
// keeps its pid, has AT_EXECFN set to the name it was started by, and /proc/self shows
// the new cmdline, environ and comm (the last component of that name). A fresh image also
// starts with its static data at the initial values and with a fresh AT_RANDOM.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <fcntl.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static int counter = 5;

static size_t slurp(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, size);
  close(fd);
  return n < 0 ? 0 : (size_t)n;
}

static void dump(const char *label, const char *buf, size_t n) {
  printf("%s:", label);
  for (size_t i = 0; i < n; i++) putchar(buf[i] ? buf[i] : '|');
  putchar('\n');
}

static void random_hex(char out[33]) {
  const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
  for (int i = 0; i < 16; i++) sprintf(out + 2 * i, "%02x", r[i]);
}

static int child(int argc, char **argv, char **envp) {
  printf("argc=%d\n", argc);
  // argv[2] (the pid) and argv[3] (the old AT_RANDOM) differ between runs: checked, not shown.
  for (int i = 0; i < argc; i++) printf("argv[%d]=<%s>\n", i, i == 2 || i == 3 ? "..." : argv[i]);
  CHECK(argv[argc] == NULL);
  int envc = 0;
  while (envp[envc]) printf("env <%s>\n", envp[envc++]);
  printf("envc=%d\n", envc);
  CHECK(getpid() == atoi(argv[2]));
  CHECK(counter == 5);
  printf("execfn=%s\n", (const char *)getauxval(AT_EXECFN));
  char hex[33];
  CHECK(getauxval(AT_RANDOM) != 0);
  random_hex(hex);
  CHECK(strcmp(hex, argv[3]) != 0);
  char buf[4096];
  size_t n = slurp("/proc/self/cmdline", buf, sizeof buf);
  char want[4096];
  size_t w = 0;
  for (int i = 0; i < argc; i++) {
    memcpy(want + w, argv[i], strlen(argv[i]) + 1);
    w += strlen(argv[i]) + 1;
  }
  CHECK(n == w && memcmp(buf, want, w) == 0);
  dump("cmdline tail", buf + strlen(argv[0]) + strlen(argv[1]) + strlen(argv[2]) + strlen(argv[3]) + 4,
       n - (strlen(argv[0]) + strlen(argv[1]) + strlen(argv[2]) + strlen(argv[3]) + 4));
  n = slurp("/proc/self/environ", buf, sizeof buf);
  dump("environ", buf, n);
  n = slurp("/proc/self/comm", buf, sizeof buf);
  dump("comm", buf, n);
  printf("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}

int main(int argc, char **argv, char **envp) {
  if (argc >= 3 && strcmp(argv[1], "child") == 0) return child(argc, argv, envp);
  counter = 99;
  char pid[32];
  snprintf(pid, sizeof pid, "%d", getpid());
  char hex[33];
  random_hex(hex);
  char *nargv[] = {"renamed-zero", "child", pid, hex, "an argument with spaces", "", "last", NULL};
  char *nenvp[] = {"EXEC_TEST=yes", "EMPTY=", "SECOND=2", NULL};
  fflush(stdout);
  execve("/proc/self/exe", nargv, nenvp);
  perror("execve");
  return 1;
}

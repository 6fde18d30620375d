// execve with one long string named many times in argv (and envp): E2BIG, as the argument
// area is bounded (a quarter of the stack limit). The strings are read against that bound,
// so the call fails early instead of copying gigabytes into the kernel first.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPIES 200000
#define STRING_BYTES (100 * 1024)

int main(void) {
  char *s = malloc(STRING_BYTES);
  char **v = malloc((COPIES + 1) * sizeof *v);
  if (!s || !v)
    return 1;
  memset(s, 'a', STRING_BYTES - 1);
  s[STRING_BYTES - 1] = 0;
  for (int i = 0; i < COPIES; i++)
    v[i] = s;
  v[COPIES] = NULL;
  char *none[] = {NULL};
  errno = 0;
  int r = execve("/bin/true", v, none);
  printf("argv flood: %d %s\n", r, strerrorname_np(errno));
  char *argv[] = {"true", NULL};
  errno = 0;
  r = execve("/bin/true", argv, v);
  printf("envp flood: %d %s\n", r, strerrorname_np(errno));
  return 0;
}

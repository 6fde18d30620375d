// meridian-test: stdin
// Checks reading standard input, which the harness feeds with "hello\nworld\n":
// stdio line reads, then raw read(2) on fd 0 returning 0 at end of input.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void) {
  char line[128];
  int lines = 0;
  size_t bytes = 0;
  while (fgets(line, sizeof line, stdin) != NULL) {
    lines++;
    bytes += strlen(line);
    line[strcspn(line, "\n")] = 0;
    printf("line %d: '%s' (%zu chars)\n", lines, line, strlen(line));
  }
  printf("lines=%d bytes=%zu feof=%d ferror=%d\n", lines, bytes, feof(stdin) != 0, ferror(stdin) != 0);
  char c;
  printf("read(0) after EOF: %zd\n", read(0, &c, 1));
  CHECK(lines == 2 && bytes == 12);
  return failures ? 1 : 0;
}

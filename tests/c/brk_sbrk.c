// Checks the program break: brk(0) reports the current break and agrees with
// sbrk(0); growing it gives zero-filled writable memory; sbrk returns the old
// break; shrinking works; an impossible request leaves the break unchanged
// (the raw syscall returns the old break instead of an error).
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static uintptr_t raw_brk(uintptr_t addr) { return (uintptr_t)syscall(SYS_brk, addr); }

int main(void) {
  // printf allocates its buffer on first use (maybe with brk), so print once first.
  printf("brk test\n");
  fflush(stdout);

  uintptr_t start = raw_brk(0);
  int agrees = (uintptr_t)sbrk(0) == start;
  uintptr_t grown = raw_brk(start + 64 * 1024);
  int grew = grown == start + 64 * 1024;
  volatile char *mem = (char *)start;
  int zero = 1;
  for (int i = 0; i < 64 * 1024; i++) zero &= mem[i] == 0;
  for (int i = 0; i < 64 * 1024; i++) mem[i] = (char)i;
  int kept = mem[1000] == (char)1000;
  uintptr_t shrunk = raw_brk(start + 4096);
  int shrank = shrunk == start + 4096;
  uintptr_t bogus = raw_brk(1); // below the data segment: refused
  int unchanged = bogus == start + 4096;
  uintptr_t back = raw_brk(start);

  // glibc's sbrk(n) returns the previous break.
  void *old = sbrk(8192);
  int sbrk_old = (uintptr_t)old == start;
  int sbrk_moved = (uintptr_t)sbrk(0) == start + 8192;
  ((volatile char *)old)[8191] = 1;
  void *before_shrink = sbrk(-8192);
  int sbrk_shrunk = (uintptr_t)before_shrink == start + 8192 && (uintptr_t)sbrk(0) == start;

  printf("brk(0) agrees with sbrk(0): %d\n", agrees);
  printf("grow by 64 KiB: %d, zero-filled: %d, writable: %d\n", grew, zero, kept);
  printf("shrink: %d\n", shrank);
  printf("invalid brk leaves break unchanged: %d\n", unchanged);
  printf("back to start: %d\n", back == start);
  printf("sbrk(+8192) returns old break: %d, moves it: %d\n", sbrk_old, sbrk_moved);
  printf("sbrk(-8192) shrinks back: %d\n", sbrk_shrunk);
  CHECK(agrees && grew && zero && kept && shrank && unchanged && back == start);
  CHECK(sbrk_old && sbrk_moved && sbrk_shrunk);
  return failures ? 1 : 0;
}

// Checks anonymous memory: mmap is zero-filled and usable; munmap of a middle
// page leaves a hole (MAP_FIXED_NOREPLACE succeeds there, EEXIST elsewhere);
// mprotect to read-only faults on write; mremap grows (MREMAP_MAYMOVE keeps the
// contents) and shrinks; madvise(MADV_DONTNEED) zeroes private anonymous pages;
// MAP_SHARED anonymous memory; and the EINVAL cases for bad arguments.
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)
#define ERR(r) ((r) == 0 ? "ok" : errno == EINVAL ? "EINVAL" : errno == EEXIST ? "EEXIST" : errno == ENOMEM ? "ENOMEM" : "other")

static sigjmp_buf env;
static void on_segv(int sig) { siglongjmp(env, sig); }

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  int zero = 1;
  for (long i = 0; i < 4 * page; i++) zero &= m[i] == 0;
  printf("fresh anonymous memory is zero: %d\n", zero);
  for (long i = 0; i < 4 * page; i++) m[i] = (char)(i % 251);
  printf("write/read back: %d\n", m[3 * page + 7] == (char)((3 * page + 7) % 251));

  // Punch a hole in page 1.
  CHECK(munmap(m + page, page) == 0);
  void *again = mmap(m + page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("MAP_FIXED_NOREPLACE into the hole: %d\n", again == m + page);
  again = mmap(m, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("MAP_FIXED_NOREPLACE over a mapping: %s\n", again == MAP_FAILED ? ERR(-1) : "mapped");
  printf("page 0 kept its data: %d, refilled hole is zero: %d\n", m[7] == 7, m[page + 3] == 0);
  // MAP_FIXED replaces whatever was there.
  again = mmap(m + 2 * page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED replaced page 2 with zeros: %d\n", again == m + 2 * page && m[2 * page + 1] == 0);

  // mprotect read-only: reads work, writes fault.
  signal(SIGSEGV, on_segv);
  CHECK(mprotect(m, page, PROT_READ) == 0);
  printf("read after mprotect(PROT_READ): %d\n", m[5] == 5);
  if (sigsetjmp(env, 1) == 0) {
    m[5] = 1;
    printf("write after mprotect(PROT_READ): no fault\n");
    failures++;
  } else {
    printf("write after mprotect(PROT_READ): SIGSEGV\n");
  }
  CHECK(mprotect(m, page, PROT_READ | PROT_WRITE) == 0);
  m[5] = 55;
  printf("write after mprotect(RW): %d\n", m[5]);

  // mremap: grow with MAYMOVE keeps contents, then shrink in place.
  char *g = mremap(m + 3 * page, page, 16 * page, MREMAP_MAYMOVE);
  CHECK(g != MAP_FAILED);
  printf("mremap grow keeps contents: %d, new tail zero: %d\n", g[7] == (char)((3 * page + 7) % 251), g[15 * page] == 0);
  g[15 * page] = 9;
  char *s = mremap(g, 16 * page, 2 * page, 0);
  printf("mremap shrink in place: %d\n", s == g);
  errno = 0;
  printf("mremap to size 0: %s\n", mremap(s, 2 * page, 0, 0) == MAP_FAILED ? ERR(-1) : "ok");

  // madvise(MADV_DONTNEED) drops private anonymous pages: they read back as zero.
  memset(s, 0x5a, 2 * page);
  CHECK(madvise(s, 2 * page, MADV_DONTNEED) == 0);
  printf("after MADV_DONTNEED reads zero: %d\n", s[0] == 0 && s[2 * page - 1] == 0);
  printf("MADV_WILLNEED: %s\n", ERR(madvise(s, page, MADV_WILLNEED)));
  errno = 0;
  printf("madvise unaligned: %s\n", ERR(madvise(s + 1, page, MADV_DONTNEED)));

  char *sh = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  strcpy(sh, "shared anon");
  printf("MAP_SHARED|MAP_ANONYMOUS: %s\n", sh);

  char *big = mmap(NULL, 1L << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("1 GiB PROT_NONE reservation: %d\n", big != MAP_FAILED);
  printf("munmap of it: %s\n", ERR(munmap(big, 1L << 30)));

  errno = 0;
  printf("mmap length 0: %s\n", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? ERR(-1) : "ok");
  errno = 0;
  printf("mmap without PRIVATE/SHARED: %s\n", mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? ERR(-1) : "ok");
  errno = 0;
  printf("munmap unaligned: %s\n", ERR(munmap(m + 1, page)));
  errno = 0;
  printf("mprotect unaligned: %s\n", ERR(mprotect(m + 1, page, PROT_READ)));
  printf("munmap of a range with holes: %s\n", ERR(munmap(m, 4 * page)));
  return failures ? 1 : 0;
}

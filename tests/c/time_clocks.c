// Checks clocks: CLOCK_MONOTONIC never goes backwards over many reads; the
// other clock ids (REALTIME, BOOTTIME, MONOTONIC_RAW/COARSE, process and thread
// CPU time) work; clock_getres gives a positive resolution of at most 1 ms for
// the fine clocks; gettimeofday and time() agree with CLOCK_REALTIME; an invalid
// clock id -> EINVAL. Only derived facts are printed, never times.
#include <errno.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  struct timespec prev, cur;
  clock_gettime(CLOCK_MONOTONIC, &prev);
  int monotonic = 1;
  for (int i = 0; i < 10000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &cur);
    if (ns(cur) < ns(prev)) monotonic = 0;
    prev = cur;
  }
  printf("CLOCK_MONOTONIC non-decreasing over 10000 reads: %d\n", monotonic);
  CHECK(monotonic);

  struct { clockid_t id; const char *name; } clocks[] = {
      {CLOCK_REALTIME, "CLOCK_REALTIME"},         {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
      {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},         {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
      {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"}, {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
      {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"}, {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
  };
  for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
    struct timespec t = {-1, -1}, res = {-1, -1};
    int r = clock_gettime(clocks[i].id, &t);
    int rr = clock_getres(clocks[i].id, &res);
    int valid = r == 0 && t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000;
    int res_ok = rr == 0 && ns(res) > 0;
    printf("%-26s gettime ok=%d getres ok=%d\n", clocks[i].name, valid, res_ok);
    CHECK(valid && res_ok);
  }
  struct timespec res;
  clock_getres(CLOCK_MONOTONIC, &res);
  printf("CLOCK_MONOTONIC resolution <= 1ms: %d\n", ns(res) <= 1000000);
  clock_getres(CLOCK_REALTIME, &res);
  printf("CLOCK_REALTIME resolution <= 1ms: %d\n", ns(res) <= 1000000);

  // Process CPU time advances when we burn CPU.
  struct timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  volatile unsigned long spin = 0;
  for (unsigned long i = 0; i < 20000000UL; i++) spin += i;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  printf("process CPU time advanced: %d\n", ns(c1) > ns(c0));

  struct timespec rt;
  struct timeval tv;
  clock_gettime(CLOCK_REALTIME, &rt);
  CHECK(gettimeofday(&tv, NULL) == 0);
  time_t now = time(NULL);
  printf("realtime after 2020: %d\n", rt.tv_sec > 1577836800);
  printf("gettimeofday within 2s of CLOCK_REALTIME: %d\n", tv.tv_sec - rt.tv_sec >= 0 && tv.tv_sec - rt.tv_sec <= 2);
  printf("gettimeofday usec in range: %d\n", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  printf("time() within 2s of CLOCK_REALTIME: %d\n", now - rt.tv_sec >= 0 && now - rt.tv_sec <= 2);

  struct timespec t;
  errno = 0;
  printf("clock_gettime(12345): %s\n", clock_gettime(12345, &t) < 0 && errno == EINVAL ? "EINVAL" : "other");
  errno = 0;
  printf("clock_getres(12345): %s\n", clock_getres(12345, &t) < 0 && errno == EINVAL ? "EINVAL" : "other");
  return failures ? 1 : 0;
}

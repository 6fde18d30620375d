// Checks scheduler calls: sched_yield returns 0; sched_getaffinity reports at
// least one CPU (printed as a boolean) and sched_setaffinity with the same mask
// succeeds; the policy is SCHED_OTHER with priority 0; priority ranges for
// SCHED_FIFO; sysconf CPU counts are >= 1; getpriority works.
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void) {
  int yields_ok = 1;
  for (int i = 0; i < 100; i++) yields_ok &= sched_yield() == 0;
  printf("sched_yield returns 0: %d\n", yields_ok);

  cpu_set_t set;
  CPU_ZERO(&set);
  int r = sched_getaffinity(0, sizeof set, &set);
  printf("sched_getaffinity: ret=%d cpus >= 1: %d\n", r, CPU_COUNT(&set) >= 1);
  printf("sched_setaffinity with the same mask: %d\n", sched_setaffinity(0, sizeof set, &set));
  CHECK(r == 0 && CPU_COUNT(&set) >= 1);

  printf("policy is SCHED_OTHER: %d\n", sched_getscheduler(0) == SCHED_OTHER);
  struct sched_param sp = {.sched_priority = -1};
  int gp = sched_getparam(0, &sp);
  printf("sched_getparam: ret=%d priority=%d\n", gp, sp.sched_priority);
  printf("SCHED_FIFO priority range: %d..%d\n", sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO));
  printf("SCHED_OTHER priority range: %d..%d\n", sched_get_priority_min(SCHED_OTHER), sched_get_priority_max(SCHED_OTHER));
  errno = 0;
  printf("priority range of policy 99: %s\n", sched_get_priority_max(99) < 0 && errno == EINVAL ? "EINVAL" : "other");

  printf("_SC_NPROCESSORS_ONLN >= 1: %d\n", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
  printf("_SC_NPROCESSORS_CONF >= 1: %d\n", sysconf(_SC_NPROCESSORS_CONF) >= 1);
  errno = 0;
  int prio = getpriority(PRIO_PROCESS, 0);
  printf("getpriority succeeded: %d\n", errno == 0 && prio >= -20 && prio <= 19);
  return failures ? 1 : 0;
}

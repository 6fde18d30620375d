// Checks uname and sysinfo: sysname "Linux", machine "x86_64", non-empty
// release/version/nodename (values not printed: they are host-specific), a
// release that parses as major.minor; sysinfo returns 0 with plausible fields.
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

int main(void) {
  struct utsname u;
  CHECK(uname(&u) == 0);
  printf("sysname: %s\n", u.sysname);
  printf("machine: %s\n", u.machine);
  printf("release non-empty: %d\n", u.release[0] != 0);
  int major = 0, minor = 0;
  printf("release parses as major.minor with major >= 3: %d\n", sscanf(u.release, "%d.%d", &major, &minor) == 2 && major >= 3);
  printf("version non-empty: %d\n", u.version[0] != 0);
  printf("nodename non-empty: %d\n", u.nodename[0] != 0);
  CHECK(strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0);

  struct sysinfo si;
  memset(&si, 0xff, sizeof si);
  int r = sysinfo(&si);
  printf("sysinfo returns: %d\n", r);
  printf("mem_unit >= 1: %d\n", si.mem_unit >= 1);
  printf("totalram > 0: %d\n", si.totalram > 0);
  printf("freeram <= totalram: %d\n", si.freeram <= si.totalram);
  printf("uptime >= 0: %d\n", si.uptime >= 0);
  printf("procs >= 1: %d\n", si.procs >= 1);
  CHECK(r == 0);
  return failures ? 1 : 0;
}

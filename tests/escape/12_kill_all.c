// Attack: kill(-1, SIGKILL) (every process the caller may signal) and kill(-1, SIGTERM).
// Expected containment: "every process" is every process of the sandbox other than the caller
// (none here); host processes survive (checked from outside) and the program goes on.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int r = kill(-1, SIGTERM);
    printf("kill(-1, SIGTERM) = %d (%s)\n", r, r ? strerror(errno) : "no error");
    r = kill(-1, SIGKILL);
    printf("kill(-1, SIGKILL) = %d (%s)\n", r, r ? strerror(errno) : "no error");
    long q = raw6(SYS_kill, -1, SIGKILL, 0, 0, 0, 0);
    printf("raw kill(-1, SIGKILL) = %ld\n", q);
    EXPECT(1, "still running after kill(-1)");
    return finish();
}

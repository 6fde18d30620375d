// Attack: a fork bomb: fork() in a loop (bounded at 10000 attempts per method), and vfork and a
// raw clone(SIGCHLD) for good measure. Any child exits at once.
// Expected containment: the filter allows no new host process and the shim has no fork yet, so
// the first fork fails (ENOSYS); the loop ends at once. (With fork, the policy's process limit
// must make it fail fast.)
#include "escape.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int made = 0, err = 0;
    for (int i = 0; i < 10000; i++) {
        pid_t p = fork();
        if (p == 0) _exit(0);
        if (p < 0) {
            err = errno;
            break;
        }
        made++;
    }
    EXPECT(err != 0, "fork failed after %d children: %s", made, strerror(err));
    long c = raw6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
    if (c == 0) _exit(0);
    EXPECT(c < 0, "raw clone(SIGCHLD) = %ld", c);
    c = raw6(SYS_vfork, 0, 0, 0, 0, 0, 0);
    if (c == 0) _exit(0);
    EXPECT(c < 0, "raw vfork = %ld", c);
    while (wait(0) > 0) {
    }
    return finish();
}

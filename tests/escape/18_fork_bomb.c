// Attack: a fork bomb: fork() in a loop (bounded at 100000 attempts), every child staying
// alive, then clone with new-namespace flags for good measure.
// Expected containment: the sandbox's process limit (policy `limits.processes`, 1024 by
// default) makes fork fail with EAGAIN long before the host notices; the sandbox stays
// responsive (the bomb's author can still kill and reap every child), and clone cannot ask
// for new namespaces (EINVAL: the library OS serves clone, the filter would refuse it).
#include "escape.h"
#include <signal.h>
#include <sched.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int made = 0, err = 0;
    for (int i = 0; i < 100000; i++) {
        pid_t p = fork();
        if (p == 0) {
            pause();
            _exit(0);
        }
        if (p < 0) {
            err = errno;
            break;
        }
        made++;
    }
    EXPECT(err == EAGAIN, "fork failed after %d children with %s, not EAGAIN", made,
           strerror(err));
    EXPECT(made <= 1024, "the bomb made %d processes, above the default limit", made);
    long c = raw6(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0, 0);
    if (c == 0) _exit(0);
    EXPECT(c == -EINVAL || c == -EAGAIN, "clone with namespace flags = %ld", c);
    EXPECT(kill(-1, SIGKILL) == 0, "kill(-1) of the bomb: %s", strerror(errno));
    int reaped = 0;
    while (wait(0) > 0) reaped++;
    EXPECT(reaped == made, "reaped %d of %d children", reaped, made);
    return finish();
}

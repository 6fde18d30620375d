// RLIMIT_NPROC: a fork bomb under a low limit gets EAGAIN. Linux does not enforce the limit
// for root (CAP_SYS_RESOURCE/CAP_SYS_ADMIN), and counts every process of the real uid, so the
// test runs the bomb in a child that first becomes uid/gid 54321 when it is root (a uid with
// no other processes; if the sandbox refuses the switch the test fails, it does not pretend).
// Printed: fork failed with EAGAIN within the limit, the children it made were reaped; a
// raised limit lets fork succeed again.
#include "proc_common.h"
#include <grp.h>
#include <sys/resource.h>

#define LIMIT 6
#define MAX_TRIES 40

int main(void) {
    proc_init();
    pid_t bomber = xfork();
    if (bomber == 0) {
        if (geteuid() == 0) {
            SYS(setgroups(0, NULL));
            SYS(setresgid(54321, 54321, 54321));
            SYS(setresuid(54321, 54321, 54321));
        }
        struct rlimit rl = {LIMIT, LIMIT};
        SYS(setrlimit(RLIMIT_NPROC, &rl));
        int gate[2];
        SYS(pipe(gate));
        pid_t kids[MAX_TRIES];
        int made = 0, err = 0;
        for (int i = 0; i < MAX_TRIES; i++) {
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                close(gate[1]);
                char c;
                read_full(gate[0], &c, 1);
                _exit(0);
            }
            if (pid == -1) {
                err = errno;
                break;
            }
            kids[made++] = pid;
        }
        printf("fork failed: %s\n", err ? ename(err) : "never");
        printf("forks before the failure within the limit (< %d): %s\n", LIMIT, yes(made < LIMIT));
        close(gate[1]);
        int reaped = 0;
        for (int i = 0; i < made; i++)
            reaped += waitpid(kids[i], NULL, 0) == kids[i];
        printf("all of them reaped: %s\n", yes(reaped == made));
        /* Lowering the hard limit is allowed; raising it back is not for an unprivileged uid,
         * so only the soft limit moves within it. */
        struct rlimit one = {1, LIMIT};
        SYS(setrlimit(RLIMIT_NPROC, &one));
        errno = 0;
        pid_t again = fork();
        if (again == 0)
            _exit(0);
        printf("fork with soft limit 1: %s\n", again == -1 ? ename(errno) : "succeeded");
        if (again > 0)
            waitpid(again, NULL, 0);
        _exit(0);
    }
    describe("bomber", reap(bomber));
    return 0;
}

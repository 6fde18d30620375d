// Orphans: when a middle process exits, its child is reparented to the nearest subreaper or
// to init. Natively the test makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER);
// inside the sandbox it is pid 1 (init) and may ignore the prctl. Either way the orphan's
// getppid() becomes the test's own pid and the test reaps it, which is what is printed (a
// relation, never a pid number).
#include "proc_common.h"
#include <sys/prctl.h>

int main(void) {
    proc_init();
    /* The result is not printed: in the sandbox pid 1 is the reaper without it. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    pid_t self = getpid();
    int to_gc[2], from_gc[2];
    SYS(pipe(to_gc));
    SYS(pipe(from_gc));
    pid_t middle = xfork();
    if (middle == 0) {
        pid_t gc = fork();
        CHECK(gc >= 0);
        if (gc == 0) {
            CHECK(get_token(to_gc[0]) == 'g');
            /* Reparenting happened before the middle became a zombie, hence before the test
             * reaped it and sent the token. */
            pid_t now = getppid();
            char verdict = now == self ? 'T' : now == 1 ? '1' : 'O';
            write_all(from_gc[1], &verdict, 1);
            char c2 = get_token(to_gc[0]);
            _exit(c2 == 'e' ? 6 : 7);
        }
        /* Tell the test the grandchild's pid, then exit, orphaning it. */
        write_all(from_gc[1], &gc, sizeof gc);
        _exit(3);
    }
    pid_t gc;
    CHECK(read_full(from_gc[0], &gc, sizeof gc) == sizeof gc);
    describe("middle", reap(middle));
    put_token(to_gc[1], 'g');
    char verdict = get_token(from_gc[0]);
    printf("orphan's parent is the test: %s\n", yes(verdict == 'T'));
    if (verdict != 'T')
        printf("orphan's parent: %s\n", verdict == '1' ? "pid 1" : "another process");
    put_token(to_gc[1], 'e');
    int status;
    pid_t got = waitpid(gc, &status, 0);
    printf("test reaps the orphan: %s\n", yes(got == gc));
    if (got == gc)
        describe("orphan", status);
    SHOW("no children left", waitpid(-1, &status, WNOHANG));
    return 0;
}

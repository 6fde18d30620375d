// Sessions: a forked child starts in its parent's session and group; setsid() in it returns
// its pid and makes it session and group leader (getsid(0) == getpgrp() == getpid()); a
// second setsid fails with EPERM (already a group leader), as does setsid after
// setpgid(0,0); the parent sees getsid(child) == child; a grandchild inherits the new
// session; getsid of a reaped child gives ESRCH.
#include "proc_common.h"

int main(void) {
    proc_init();
    int rep[2];
    SYS(pipe(rep));
    pid_t parent_sid = getsid(0), parent_pgrp = getpgrp();
    CHECK(parent_sid > 0 || parent_sid == 0);
    int gate[2];
    SYS(pipe(gate));
    pid_t pid = xfork();
    if (pid == 0) {
        close(gate[1]);
        char r[8];
        r[0] = getsid(0) == parent_sid ? 'y' : 'n';
        r[1] = getpgrp() == parent_pgrp ? 'y' : 'n';
        pid_t s = setsid();
        r[2] = s == getpid() ? 'y' : 'n';
        r[3] = getsid(0) == getpid() && getpgrp() == getpid() ? 'y' : 'n';
        errno = 0;
        r[4] = setsid() == -1 && errno == EPERM ? 'y' : 'n';
        pid_t gc = fork();
        if (gc == 0)
            _exit(getsid(0) == getppid() && getpgrp() == getppid() ? 0 : 1);
        int st = reap(gc);
        r[5] = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 'y' : 'n';
        write_all(rep[1], r, 6);
        char c;
        read_full(gate[0], &c, 1);
        _exit(0);
    }
    char r[6];
    CHECK(read_full(rep[0], r, 6) == 6);
    printf("child starts in the parent's session: %c\n", r[0]);
    printf("child starts in the parent's group: %c\n", r[1]);
    printf("setsid returns the child's pid: %c\n", r[2]);
    printf("child leads its session and group: %c\n", r[3]);
    printf("second setsid gives EPERM: %c\n", r[4]);
    printf("grandchild inherits the new session: %c\n", r[5]);
    printf("parent sees getsid(child) == child: %s\n", yes(getsid(pid) == pid));
    printf("parent's own session unchanged: %s\n", yes(getsid(0) == parent_sid));
    close(gate[1]);
    describe("child", reap(pid));
    SHOW("getsid of a reaped child", getsid(pid));

    pid = xfork();
    if (pid == 0) {
        SYS(setpgid(0, 0));
        errno = 0;
        int rc = setsid();
        printf("setsid after setpgid(0,0): %s\n", rc == -1 ? ename(errno) : "OK");
        _exit(0);
    }
    reap(pid);
    pid = xfork();
    if (pid == 0) {
        /* A child not leading a group can always start a session. */
        printf("setsid in a fresh child: %s\n", setsid() == getpid() ? "OK" : ename(errno));
        _exit(0);
    }
    reap(pid);
    return 0;
}

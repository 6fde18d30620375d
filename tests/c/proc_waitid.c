// waitid: P_PID, P_PGID and P_ALL with WEXITED; WNOWAIT leaves the child waitable (a second
// waitid and then waitpid see the same status); siginfo fields si_pid, si_uid, si_signo
// (SIGCHLD), si_code (CLD_EXITED, CLD_KILLED) and si_status; WNOHANG with nothing ready
// leaves si_pid 0; P_PGID selects only the group's members; invalid idtype and missing
// WEXITED|WSTOPPED|WCONTINUED give EINVAL.
#include "proc_common.h"

static void show_info(const char *label, const siginfo_t *si, pid_t expect) {
    printf("%s: pid==child %s signo %s code %s status %d\n", label, yes(si->si_pid == expect),
           sigabbrev_np(si->si_signo),
           si->si_code == CLD_EXITED   ? "CLD_EXITED"
           : si->si_code == CLD_KILLED ? "CLD_KILLED"
           : si->si_code == CLD_DUMPED ? "CLD_DUMPED"
                                       : "other",
           si->si_status);
}

int main(void) {
    proc_init();
    int gate[2];
    SYS(pipe(gate));
    pid_t pid = xfork();
    if (pid == 0) {
        close(gate[1]);
        char c;
        read_full(gate[0], &c, 1);
        _exit(33);
    }
    close(gate[0]);
    siginfo_t si;
    memset(&si, 0x55, sizeof si);
    SYS(waitid(P_PID, pid, &si, WEXITED | WNOHANG));
    printf("WNOHANG before exit: si_pid is 0 %s\n", yes(si.si_pid == 0));
    close(gate[1]);

    memset(&si, 0, sizeof si);
    SYS(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    show_info("P_PID WNOWAIT", &si, pid);
    printf("si_uid is own uid: %s\n", yes(si.si_uid == getuid()));
    memset(&si, 0, sizeof si);
    SYS(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT));
    show_info("P_ALL WNOWAIT again", &si, pid);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    describe("waitpid after WNOWAIT", status);
    SHOW("waitid P_PID after reap", waitid(P_PID, pid, &si, WEXITED));

    /* P_PGID: two children in a new group, one outside it. */
    int hold[2];
    SYS(pipe(hold));
    pid_t outsider = xfork();
    if (outsider == 0) {
        close(hold[1]);
        char c;
        read_full(hold[0], &c, 1);
        _exit(1);
    }
    pid_t leader = xfork();
    if (leader == 0) {
        setpgid(0, 0);
        _exit(2);
    }
    setpgid(leader, leader); /* also done by the child: whichever runs first wins */
    /* The member joins the leader's group; it may do so after the leader exited (the group
     * lives while the zombie leader is unreaped). */
    pid_t member = xfork();
    if (member == 0) {
        setpgid(0, leader);
        raise(SIGTERM);
        _exit(3);
    }
    setpgid(member, leader); /* likewise; fails harmlessly if the child is gone */
    /* Either may be reaped first; print in a fixed order. */
    siginfo_t of_leader, of_member;
    memset(&of_leader, 0, sizeof of_leader);
    memset(&of_member, 0, sizeof of_member);
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof si);
        SYS(waitid(P_PGID, leader, &si, WEXITED));
        if (si.si_pid == leader) {
            of_leader = si;
            seen |= 1;
        } else {
            of_member = si;
            seen |= 2;
        }
    }
    show_info("P_PGID leader", &of_leader, leader);
    show_info("P_PGID member", &of_member, member);
    printf("both group members reaped: %s\n", yes(seen == 3));
    memset(&si, 0, sizeof si);
    errno = 0;
    int r = waitid(P_PGID, leader, &si, WEXITED | WNOHANG);
    printf("P_PGID of an empty group: %s\n", r == -1 ? ename(errno) : "OK");
    memset(&si, 0, sizeof si);
    SYS(waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
    printf("outsider still running: %s\n", yes(si.si_pid == 0));
    close(hold[1]);
    memset(&si, 0, sizeof si);
    SYS(waitid(P_ALL, 0, &si, WEXITED));
    show_info("P_ALL outsider", &si, outsider);
    SHOW("waitid without WEXITED/WSTOPPED/WCONTINUED", waitid(P_ALL, 0, &si, WNOHANG));
    SHOW("waitid with a bad idtype", waitid((idtype_t)42, 0, &si, WEXITED));
    SHOW("waitid P_ALL with no children", waitid(P_ALL, 0, &si, WEXITED));
    return 0;
}

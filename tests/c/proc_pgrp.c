// Process groups: setpgid(0,0) and setpgid(child, child) (both sides, race-free); getpgid;
// a second child joins the first's group; kill(-pgid, sig) reaches both members and not the
// caller; waitpid(-pgid) reaps only members; setpgid into a group of another session is
// refused (EPERM); setpgid on a non-child gives ESRCH; setpgid on a child that has exec'ed
// gives EACCES; killpg(0-group) semantics: kill(0, sig) reaches the caller's own group.
#include "proc_common.h"

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) {
    (void)sig;
    got_usr1++;
}

/* A child that joins group `pgid` (0: its own) and waits for a token or a signal. */
static pid_t member(int pgid, int rd, int wr, int ready) {
    pid_t pid = xfork();
    if (pid == 0) {
        close(wr);
        setpgid(0, pgid);
        put_token(ready, 'r');
        char c;
        while (read(rd, &c, 1) == -1 && errno == EINTR) {
        }
        _exit(30);
    }
    setpgid(pid, pgid ? pgid : pid);
    return pid;
}

int main(void) {
    proc_init();
    struct sigaction sa = {.sa_handler = on_usr1};
    SYS(sigaction(SIGUSR1, &sa, NULL));
    int gate[2], ready[2];
    SYS(pipe(gate));
    SYS(pipe(ready));
    pid_t a = member(0, gate[0], gate[1], ready[1]);
    pid_t b = member(a, gate[0], gate[1], ready[1]);
    get_token(ready[0]);
    get_token(ready[0]);
    printf("getpgid(a) == a: %s\n", yes(getpgid(a) == a));
    printf("getpgid(b) == a: %s\n", yes(getpgid(b) == a));
    printf("own group differs: %s\n", yes(getpgrp() != a));
    SYS(kill(-a, SIGTERM));
    int status;
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        pid_t got = waitpid(-a, &status, 0);
        CHECK(got == a || got == b);
        seen |= got == a ? 1 : 2;
        printf("group member: killed by %s\n", WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : "nothing");
    }
    printf("both reaped via waitpid(-pgid): %s\n", yes(seen == 3));
    SHOW("kill(-pgid) of the empty group", kill(-a, SIGTERM));
    printf("caller untouched: %s\n", yes(got_usr1 == 0));

    /* kill(0, sig) signals the caller's own group: done in a child that leads a new group
     * (natively the test's own group may hold other processes), with a grandchild in it. */
    pid_t lead = xfork();
    if (lead == 0) {
        close(gate[1]);
        SYS(setpgid(0, 0));
        int g2[2];
        SYS(pipe(g2));
        pid_t same = xfork();
        if (same == 0) {
            close(g2[1]);
            put_token(ready[1], 'r');
            char c;
            while (read(g2[0], &c, 1) == -1 && errno == EINTR) {
            }
            _exit(got_usr1 == 1 ? 40 : 41);
        }
        close(g2[0]);
        get_token(ready[0]);
        SYS(kill(0, SIGUSR1));
        int reached_self = got_usr1 == 1;
        close(g2[1]);
        int st = reap(same);
        _exit(reached_self && WIFEXITED(st) && WEXITSTATUS(st) == 40 ? 0 : 1);
    }
    describe("kill(0) reached the new group's leader and member (0: both once)", reap(lead));

    /* setpgid on a process that is not the caller's child: a sibling. */
    pid_t sib = member(0, gate[0], gate[1], ready[1]);
    get_token(ready[0]);
    pid_t other = xfork();
    if (other == 0) {
        errno = 0;
        int rc = setpgid(sib, sib);
        printf("setpgid of a sibling (not a child): %s\n", rc == -1 ? ename(errno) : "OK");
        _exit(0);
    }
    reap(other);
    SYS(kill(sib, SIGKILL));
    reap(sib);
    SHOW("setpgid to a negative group", setpgid(0, -1));
    SHOW("getpgid of a reaped child", getpgid(sib));

    /* A child that exec'ed can no longer be moved by its parent. */
    int cx[2];
    SYS(pipe2(cx, O_CLOEXEC));
    int hold[2];
    SYS(pipe(hold));
    pid_t ex = xfork();
    if (ex == 0) {
        dup2(hold[0], 0);
        close(hold[1]);
        execl("/bin/busybox", "cat", NULL);
        _exit(127);
    }
    close(cx[1]);
    char c;
    CHECK(read(cx[0], &c, 1) == 0); /* EOF: the exec happened (close-on-exec) */
    SHOW("setpgid of a child after exec", setpgid(ex, ex));
    close(hold[1]);
    close(hold[0]);
    describe("exec'ed child", reap(ex));

    /* A group in another session is out of reach. */
    int sx[2];
    SYS(pipe(sx));
    pid_t leader = xfork();
    if (leader == 0) {
        close(sx[1]);
        setsid();
        char t;
        read_full(sx[0], &t, 1);
        _exit(0);
    }
    /* Wait until the child has its own session. */
    while (getsid(leader) != leader)
        sleep_ms(1);
    pid_t joiner = xfork();
    if (joiner == 0) {
        _exit(setpgid(0, leader) == -1 && errno == EPERM ? 0 : 1);
    }
    describe("setpgid into another session's group (0: EPERM)", reap(joiner));
    close(sx[1]);
    reap(leader);
    return 0;
}

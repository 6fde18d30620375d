// kill() between processes: kill(child, 0) succeeds while the child lives and while it is a
// zombie, ESRCH once reaped; bad signal numbers give EINVAL; the child sees si_pid == its
// parent and si_code SI_USER for kill, SI_QUEUE with the value for sigqueue; SIGKILL and
// SIGSTOP cannot be caught or ignored (sigaction EINVAL) so SIGKILL ends a child that ignores
// SIGTERM, and a stopped child dies of SIGKILL; SIGTERM to a child with a handler runs it.
#include "proc_common.h"

/* Per signal: both may be delivered at one sigsuspend, in either handler order. */
static volatile sig_atomic_t info_code[NSIG], info_pid_ok[NSIG], info_value[NSIG], hits;
static pid_t expected_sender;
static void on_sig(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    hits++;
    info_code[sig] = si->si_code;
    info_pid_ok[sig] = si->si_pid == expected_sender;
    info_value[sig] = si->si_value.sival_int;
}

int main(void) {
    proc_init();
    int gate[2], rep[2];
    SYS(pipe(gate));
    SYS(pipe(rep));
    expected_sender = getpid();
    struct sigaction sa = {.sa_sigaction = on_sig, .sa_flags = SA_SIGINFO};
    SYS(sigaction(SIGUSR1, &sa, NULL));
    SYS(sigaction(SIGUSR2, &sa, NULL));
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    SYS(sigprocmask(SIG_BLOCK, &both, NULL));

    pid_t pid = xfork();
    if (pid == 0) {
        close(gate[1]);
        sigset_t none;
        sigemptyset(&none);
        char r[8];
        while (hits < 2)
            sigsuspend(&none);
        r[0] = info_code[SIGUSR1] == SI_USER ? 'U' : 'x';
        r[1] = info_pid_ok[SIGUSR1] ? 'y' : 'n';
        r[2] = info_code[SIGUSR2] == SI_QUEUE ? 'Q' : 'x';
        r[3] = info_pid_ok[SIGUSR2] ? 'y' : 'n';
        r[4] = info_value[SIGUSR2] == 77 ? 'y' : 'n';
        write_all(rep[1], r, 5);
        char c;
        read_full(gate[0], &c, 1);
        _exit(0);
    }
    close(gate[0]);
    SHOW("kill(child, 0) while alive", kill(pid, 0));
    SYS(kill(pid, SIGUSR1));
    SYS(sigqueue(pid, SIGUSR2, (union sigval){.sival_int = 77}));
    char r[5];
    CHECK(read_full(rep[0], r, 5) == 5);
    printf("kill: child saw code %s, si_pid == parent %c\n", r[0] == 'U' ? "SI_USER" : "other", r[1]);
    printf("sigqueue: child saw code %s, si_pid == parent %c, value 77 %c\n",
           r[2] == 'Q' ? "SI_QUEUE" : "other", r[3], r[4]);
    close(gate[1]);
    siginfo_t si;
    SYS(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    SHOW("kill(child, 0) as a zombie", kill(pid, 0));
    describe("child", reap(pid));
    SHOW("kill(child, 0) after reap", kill(pid, 0));
    SHOW("kill(child, SIGTERM) after reap", kill(pid, SIGTERM));
    SHOW("kill with signal 65", kill(getpid(), 65));
    SHOW("kill with signal -1", kill(getpid(), -1));
    struct sigaction ign = {.sa_handler = SIG_IGN};
    SHOW("sigaction(SIGKILL)", sigaction(SIGKILL, &ign, NULL));
    SHOW("sigaction(SIGSTOP)", sigaction(SIGSTOP, &ign, NULL));

    /* SIGTERM ignored, SIGKILL not. */
    int ready[2];
    SYS(pipe(ready));
    pid = xfork();
    if (pid == 0) {
        signal(SIGTERM, SIG_IGN);
        put_token(ready[1], 'r');
        for (;;)
            pause();
    }
    get_token(ready[0]);
    SYS(kill(pid, SIGTERM));
    SHOW("child ignoring SIGTERM still alive", kill(pid, 0));
    int st;
    printf("not exited after SIGTERM: %s\n", yes(waitpid(pid, &st, WNOHANG) == 0));
    SYS(kill(pid, SIGKILL));
    describe("after SIGKILL", reap(pid));

    /* A stopped child dies of SIGKILL. */
    pid = xfork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    SYS(kill(pid, SIGSTOP));
    CHECK(waitpid(pid, &st, WUNTRACED) == pid);
    describe("stopped", st);
    SYS(kill(pid, SIGKILL));
    describe("stopped then SIGKILL", reap(pid));

    /* A busy child dies of SIGKILL too. */
    pid = xfork();
    if (pid == 0) {
        put_token(ready[1], 'r');
        for (volatile unsigned long i = 0;; i++) {
        }
    }
    get_token(ready[0]);
    SYS(kill(pid, SIGKILL));
    describe("busy loop then SIGKILL", reap(pid));

    /* A child blocked in read dies of SIGTERM by default. */
    int blk[2];
    SYS(pipe(blk));
    pid = xfork();
    if (pid == 0) {
        put_token(ready[1], 'r');
        char c;
        read(blk[0], &c, 1);
        _exit(1);
    }
    get_token(ready[0]);
    SYS(kill(pid, SIGTERM));
    describe("blocked in read then SIGTERM", reap(pid));
    return 0;
}

// Signal races between two processes: 3000 SIGUSR1 exchanged with sigsuspend handshakes
// (each side blocks SIGUSR1, signals the other, and sigsuspends until it has been answered),
// so the counts match exactly; then 1000 real-time signals queued by the child with
// sigqueue, all received by the parent in order with their values (real-time signals queue,
// unlike standard ones); then a burst of standard signals to a blocked process collapses
// into one pending instance.
#include "proc_common.h"

static volatile sig_atomic_t received;
static void on_usr1(int sig) {
    (void)sig;
    received++;
}

int main(void) {
    proc_init();
    const int rounds = 3000;
    struct sigaction sa = {.sa_handler = on_usr1};
    SYS(sigaction(SIGUSR1, &sa, NULL));
    sigset_t usr1, none;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    SYS(sigprocmask(SIG_BLOCK, &usr1, NULL));
    pid_t parent = getpid();
    pid_t pid = xfork();
    if (pid == 0) {
        for (int i = 0; i < rounds; i++) {
            while (received <= i)
                sigsuspend(&none);
            kill(parent, SIGUSR1);
        }
        _exit(received == rounds ? 0 : 1);
    }
    for (int i = 0; i < rounds; i++) {
        SYS(kill(pid, SIGUSR1));
        while (received <= i)
            sigsuspend(&none);
    }
    printf("ping-pong: parent received %d of %d\n", (int)received, rounds);
    describe("ping-pong child (0: it received all)", reap(pid));

    /* Real-time signals queue. RLIMIT_SIGPENDING is far above 1000 by default. */
    int sig = SIGRTMIN + 1;
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, sig);
    SYS(sigprocmask(SIG_BLOCK, &rt, NULL));
    const int queued = 1000;
    pid = xfork();
    if (pid == 0) {
        for (int i = 0; i < queued; i++)
            if (sigqueue(parent, sig, (union sigval){.sival_int = i}) == -1)
                _exit(2);
        _exit(0);
    }
    describe("queueing child", reap(pid));
    int in_order = 0, from_child = 0;
    for (int i = 0; i < queued; i++) {
        siginfo_t si;
        struct timespec zero = {0, 0};
        if (sigtimedwait(&rt, &si, &zero) != sig)
            break;
        in_order += si.si_value.sival_int == i;
        from_child += si.si_pid == pid && si.si_code == SI_QUEUE;
    }
    printf("real-time: %d in order, %d from the child with SI_QUEUE\n", in_order, from_child);
    struct timespec zero = {0, 0};
    SHOW("real-time queue empty afterwards", sigtimedwait(&rt, NULL, &zero));

    /* Standard signals do not queue: a burst to a process that blocks them arrives once. */
    received = 0;
    pid = xfork();
    if (pid == 0) {
        for (int i = 0; i < 200; i++)
            kill(parent, SIGUSR1);
        _exit(0);
    }
    reap(pid);
    sigset_t pend;
    SYS(sigpending(&pend));
    printf("burst: SIGUSR1 pending: %s\n", yes(sigismember(&pend, SIGUSR1)));
    SYS(sigprocmask(SIG_UNBLOCK, &usr1, NULL));
    printf("burst: handler ran %d time(s) on unblock\n", (int)received);
    return 0;
}

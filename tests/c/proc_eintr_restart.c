// A blocking pipe read interrupted by a signal that a child sends: without SA_RESTART read
// fails with EINTR (the child repeats the signal until told, so it does not matter whether
// the first one came before the read started); with SA_RESTART the read resumes and returns
// the data the child writes afterwards; the same for wait4 (restarted with SA_RESTART,
// EINTR without); a signal with SIG_IGN never interrupts.
#include "proc_common.h"
#include <poll.h>

static volatile sig_atomic_t hits;
static void on_usr1(int sig) {
    (void)sig;
    hits++;
}

/* Child: send SIGUSR1 to the parent every 5 ms until a token arrives on `stop`, then write
 * "data" to `out` (if >= 0) and exit. */
static pid_t nagger(int stop, int out, int once) {
    pid_t parent = getpid();
    pid_t pid = xfork();
    if (pid == 0) {
        struct pollfd pf = {stop, POLLIN, 0};
        do
            kill(parent, SIGUSR1);
        while (!once && poll(&pf, 1, 5) == 0);
        if (once)
            sleep_ms(20);
        if (out >= 0)
            write_all(out, "data", 4);
        _exit(0);
    }
    return pid;
}

static void install(int flags) {
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = flags};
    SYS(sigaction(SIGUSR1, &sa, NULL));
}

int main(void) {
    proc_init();
    int p[2], stop[2];
    SYS(pipe(p));
    SYS(pipe(stop));
    char buf[16];

    install(0);
    pid_t pid = nagger(stop[0], -1, 0);
    errno = 0;
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("read without SA_RESTART: %s\n", n == -1 ? ename(errno) : "returned data");
    printf("handler ran: %s\n", yes(hits > 0));
    put_token(stop[1], 's');
    reap(pid);
    while (read(stop[0], buf, 1) == -1) {
    }

    install(SA_RESTART);
    hits = 0;
    pid = nagger(stop[0], p[1], 1);
    n = read(p[0], buf, sizeof buf);
    printf("read with SA_RESTART: %s\n", n == 4 ? "returned the data" : n == -1 ? ename(errno) : "short");
    printf("handler ran once: %s\n", yes(hits == 1));
    reap(pid);

    /* wait4 interrupted: the child nags until told, then waits for another token. */
    install(0);
    int hold[2];
    SYS(pipe(hold));
    pid_t parent = getpid();
    pid = xfork();
    if (pid == 0) {
        struct pollfd pf = {stop[0], POLLIN, 0};
        do
            kill(parent, SIGUSR1);
        while (poll(&pf, 1, 5) == 0);
        char c;
        read_full(hold[0], &c, 1);
        _exit(5);
    }
    int st;
    errno = 0;
    pid_t got = waitpid(pid, &st, 0);
    printf("waitpid without SA_RESTART: %s\n", got == -1 ? ename(errno) : "reaped");
    put_token(stop[1], 's');
    install(SA_RESTART);
    hits = 0;
    /* The child no longer signals; one more signal from a helper while waiting. */
    pid_t helper = nagger(stop[0], hold[1], 1);
    got = waitpid(pid, &st, 0);
    printf("waitpid with SA_RESTART: %s\n", got == pid ? "reaped" : ename(errno));
    describe("  waited child", st);
    reap(helper);

    signal(SIGUSR1, SIG_IGN);
    pid = nagger(stop[0], p[1], 1);
    n = read(p[0], buf, sizeof buf);
    printf("read with SIGUSR1 ignored: %s\n", n == 4 ? "returned the data" : ename(errno));
    reap(pid);
    return 0;
}

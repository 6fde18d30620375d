// SIGCHLD from children, taken with sigwaitinfo while blocked: si_code CLD_EXITED with the
// exit code, CLD_KILLED with the signal, CLD_STOPPED on SIGSTOP, CLD_CONTINUED on SIGCONT,
// si_pid the child and si_status; SA_NOCLDSTOP suppresses the stop/continue notifications but
// not the exit one; a SIGCHLD handler (SA_SIGINFO) runs for an exiting child.
#include "proc_common.h"

static const char *code_name(int code) {
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    case CLD_TRAPPED: return "CLD_TRAPPED";
    default: return "other";
    }
}

static void take(const char *label, pid_t child) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    siginfo_t si;
    int sig;
    do
        sig = sigwaitinfo(&set, &si);
    while (sig == -1 && errno == EINTR);
    CHECK(sig == SIGCHLD);
    printf("%s: SIGCHLD pid==child %s code %s status %d\n", label, yes(si.si_pid == child),
           code_name(si.si_code), si.si_status);
}

static int pending_chld(void) {
    sigset_t set;
    SYS(sigpending(&set));
    return sigismember(&set, SIGCHLD);
}

static volatile sig_atomic_t handled_code, handled_status, handled_pid;
static void on_chld(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    handled_code = si->si_code;
    handled_status = si->si_status;
    handled_pid = si->si_pid;
}

static pid_t sleeper(int rd, int wr) {
    pid_t pid = xfork();
    if (pid == 0) {
        close(wr);
        char c;
        while (read(rd, &c, 1) == -1 && errno == EINTR) {
        }
        _exit(12);
    }
    return pid;
}

int main(void) {
    proc_init();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    SYS(sigprocmask(SIG_BLOCK, &chld, NULL));

    pid_t pid = xfork();
    if (pid == 0)
        _exit(17);
    take("exit(17)", pid);
    describe("reaped", reap(pid));

    pid = xfork();
    if (pid == 0) {
        raise(SIGTERM);
        _exit(1);
    }
    take("SIGTERM", pid);
    describe("reaped", reap(pid));

    int p[2];
    SYS(pipe(p));
    pid = sleeper(p[0], p[1]);
    int status;
    SYS(kill(pid, SIGSTOP));
    take("SIGSTOP", pid);
    CHECK(waitpid(pid, &status, WUNTRACED) == pid);
    describe("waitpid WUNTRACED", status);
    SYS(kill(pid, SIGCONT));
    take("SIGCONT", pid);
    CHECK(waitpid(pid, &status, WCONTINUED) == pid);
    describe("waitpid WCONTINUED", status);
    SYS(kill(pid, SIGKILL));
    take("SIGKILL", pid);
    describe("reaped", reap(pid));
    close(p[0]);
    close(p[1]);

    /* SA_NOCLDSTOP: stops and continues send no SIGCHLD. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
    SYS(sigaction(SIGCHLD, &sa, NULL));
    SYS(pipe(p));
    pid = sleeper(p[0], p[1]);
    SYS(kill(pid, SIGSTOP));
    CHECK(waitpid(pid, &status, WUNTRACED) == pid);
    printf("SA_NOCLDSTOP: SIGCHLD pending after stop: %s\n", yes(pending_chld()));
    SYS(kill(pid, SIGCONT));
    CHECK(waitpid(pid, &status, WCONTINUED) == pid);
    printf("SA_NOCLDSTOP: SIGCHLD pending after continue: %s\n", yes(pending_chld()));
    close(p[1]);
    siginfo_t si;
    SYS(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    printf("SA_NOCLDSTOP: SIGCHLD pending after exit: %s\n", yes(pending_chld()));
    /* Unblocking delivers it to the handler. */
    SYS(sigprocmask(SIG_UNBLOCK, &chld, NULL));
    printf("handler: pid==child %s code %s status %d\n", yes(handled_pid == pid),
           code_name(handled_code), (int)handled_status);
    describe("reaped", reap(pid));
    close(p[0]);
    return 0;
}

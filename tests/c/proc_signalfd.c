// signalfd collecting signals sent by a child: SIGUSR1 (ssi_pid == child, ssi_code SI_USER)
// then SIGCHLD for its exit (ssi_code CLD_EXITED, ssi_status 7); poll reports the signalfd
// readable; a read with nothing pending on a non-blocking signalfd gives EAGAIN; a stopped
// child's SIGCHLD (CLD_STOPPED) arrives through it too; the signalfd survives fork and the
// child reads its own pending signals through it, not the parent's.
#include "proc_common.h"
#include <poll.h>
#include <sys/signalfd.h>

static const char *code(int c) {
    switch (c) {
    case SI_USER: return "SI_USER";
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "other";
    }
}

/* Reads one signal and prints it; `from` names the expected sender. */
static void take(int sfd, pid_t sender, const char *from) {
    struct signalfd_siginfo si;
    ssize_t n;
    do
        n = read(sfd, &si, sizeof si);
    while (n == -1 && errno == EINTR);
    CHECK(n == sizeof si);
    printf("signalfd: %s pid==%s %s code %s status %d\n", sigabbrev_np((int)si.ssi_signo), from,
           yes((pid_t)si.ssi_pid == sender), code(si.ssi_code), si.ssi_status);
}

int main(void) {
    proc_init();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGCHLD);
    SYS(sigprocmask(SIG_BLOCK, &set, NULL));
    int sfd = SYS(signalfd(-1, &set, SFD_CLOEXEC));
    int nb = SYS(signalfd(-1, &set, SFD_NONBLOCK));
    struct signalfd_siginfo si;
    errno = 0;
    ssize_t n = read(nb, &si, sizeof si);
    printf("non-blocking read with nothing pending: %s\n", n == -1 ? ename(errno) : "data");

    pid_t parent = getpid();
    pid_t pid = xfork();
    if (pid == 0) {
        kill(parent, SIGUSR1);
        _exit(7);
    }
    /* Wait for the exit without reaping, so both signals are pending before reading. */
    siginfo_t w;
    SYS(waitid(P_PID, pid, &w, WEXITED | WNOWAIT));
    struct pollfd pf = {sfd, POLLIN, 0};
    int ready = poll(&pf, 1, 0);
    printf("poll: %d, POLLIN %s\n", ready, yes(pf.revents & POLLIN));
    take(sfd, pid, "child"); /* the lowest-numbered pending signal comes first: SIGUSR1 */
    take(sfd, pid, "child");
    describe("child", reap(pid));

    int gate[2];
    SYS(pipe(gate));
    pid = xfork();
    if (pid == 0) {
        char c;
        while (read(gate[0], &c, 1) == -1 && errno == EINTR) {
        }
        _exit(0);
    }
    SYS(kill(pid, SIGSTOP));
    take(sfd, pid, "child");
    int st;
    CHECK(waitpid(pid, &st, WUNTRACED) == pid);
    SYS(kill(pid, SIGKILL));
    take(sfd, pid, "child");
    describe("stopped child", reap(pid));

    /* The inherited signalfd reads the child's own pending signals. */
    SYS(kill(parent, SIGUSR1)); /* pending in the parent only */
    pid = xfork();
    if (pid == 0) {
        struct signalfd_siginfo ci;
        errno = 0;
        ssize_t r = read(nb, &ci, sizeof ci);
        int empty = r == -1 && errno == EAGAIN;
        raise(SIGUSR1);
        r = read(nb, &ci, sizeof ci);
        _exit(empty && r == sizeof ci && ci.ssi_signo == SIGUSR1 && ci.ssi_code == SI_TKILL ? 0 : 1);
    }
    describe("child reading its own signals (0: only its own)", reap(pid));
    take(sfd, parent, "self");
    take(sfd, pid, "child"); /* SIGCHLD of that child */
    return 0;
}

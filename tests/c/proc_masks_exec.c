// Signal state across fork and execve: the blocked mask is inherited by fork and kept by
// execve; pending signals are cleared in a forked child (fork(2)) but kept across execve
// (execve(2)); SIG_IGN dispositions survive both; handled signals are reset to SIG_DFL by
// execve. The program re-executes itself (argv[0] is an absolute path on both sides) with
// the argument "after-exec" to report from the new image.
#include "proc_common.h"

static void on_usr1(int sig) { (void)sig; }

static const char *disposition(int sig) {
    struct sigaction sa;
    SYS(sigaction(sig, NULL, &sa));
    return sa.sa_handler == SIG_IGN ? "SIG_IGN" : sa.sa_handler == SIG_DFL ? "SIG_DFL" : "handler";
}

static void report(const char *who) {
    sigset_t blocked, pending;
    SYS(sigprocmask(SIG_BLOCK, NULL, &blocked));
    SYS(sigpending(&pending));
    printf("%s: blocked USR2 %s TERM %s; pending USR2 %s; HUP %s, USR1 %s\n", who,
           yes(sigismember(&blocked, SIGUSR2)), yes(sigismember(&blocked, SIGTERM)),
           yes(sigismember(&pending, SIGUSR2)), disposition(SIGHUP), disposition(SIGUSR1));
}

int main(int argc, char **argv) {
    proc_init();
    if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
        report("after execve");
        return 0;
    }
    CHECK(argv[0][0] == '/');
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGTERM);
    SYS(sigprocmask(SIG_BLOCK, &set, NULL));
    signal(SIGHUP, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_usr1};
    SYS(sigaction(SIGUSR1, &sa, NULL));
    SYS(raise(SIGUSR2));
    report("parent");
    pid_t pid = xfork();
    if (pid == 0) {
        report("forked child");
        SYS(raise(SIGUSR2));
        fflush(stdout);
        execl(argv[0], argv[0], "after-exec", (char *)NULL);
        _exit(127);
    }
    describe("child", reap(pid));
    return 0;
}

// kill(-1, sig) reaches every process the caller may signal except itself and init. Run
// natively, that would hit every process of the user (all of them, as root), so the test
// runs it only where the caller is pid 1 of its own pid namespace: inside the sandbox the
// first process is pid 1; natively the test enters a new pid namespace (unshare
// CLONE_NEWPID, with CLONE_NEWUSER when not root) and forks its pid 1 there. If neither is
// possible it exits 77 (the native run then fails: a harness problem, never a faked pass).
// Checked: kill(-1, SIGUSR1) reaches all three children (each reports through a pipe), not
// the caller; kill(-1, 0) succeeds while children live; kill(-1, SIGTERM) ends them all;
// afterwards kill(-1, 0) gives ESRCH (no one left to signal).
#include "proc_common.h"
#include <sched.h>

static volatile sig_atomic_t self_hits;
static void on_usr1(int sig) {
    (void)sig;
    self_hits++;
}

static int as_init(void) {
    struct sigaction sa = {.sa_handler = on_usr1};
    SYS(sigaction(SIGUSR1, &sa, NULL));
    int ready[2], rep[2];
    SYS(pipe(ready));
    SYS(pipe(rep));
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = xfork();
        if (kids[i] == 0) {
            sigset_t usr1, old;
            sigemptyset(&usr1);
            sigaddset(&usr1, SIGUSR1);
            sigprocmask(SIG_BLOCK, &usr1, &old);
            put_token(ready[1], 'r');
            int sig;
            sigwait(&usr1, &sig);
            put_token(rep[1], (char)('a' + i));
            for (;;)
                pause();
        }
    }
    for (int i = 0; i < 3; i++)
        get_token(ready[0]);
    SHOW("kill(-1, 0) with children", kill(-1, 0));
    SYS(kill(-1, SIGUSR1));
    int seen = 0;
    for (int i = 0; i < 3; i++)
        seen |= 1 << (get_token(rep[0]) - 'a');
    printf("kill(-1, SIGUSR1) reached all three children: %s\n", yes(seen == 7));
    printf("kill(-1) skipped the caller: %s\n", yes(self_hits == 0));
    SYS(kill(-1, SIGTERM));
    for (int i = 0; i < 3; i++)
        describe("child", reap(kids[i]));
    SHOW("kill(-1, 0) with no one left", kill(-1, 0));
    return 0;
}

int main(void) {
    proc_init();
    if (getpid() == 1)
        return as_init();
    int flags = CLONE_NEWPID | (geteuid() == 0 ? 0 : CLONE_NEWUSER);
    if (unshare(flags) == -1) {
        fprintf(stderr, "proc_kill_all: cannot make a pid namespace natively (%s); "
                        "refusing to run kill(-1) outside one\n", strerror(errno));
        return 77;
    }
    pid_t pid = xfork();
    if (pid == 0) {
        CHECK(getpid() == 1);
        fflush(stdout);
        _exit(as_init());
    }
    int st = reap(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

// A child whose host process ends without the library OS's exit path (decision D22): its
// parent's waitpid must return it, as on Linux. argv[1] says how the child ends:
// - "kill": the child waits forever; the test SIGKILLs its host process from outside (as
//   the host's OOM killer would) once this program has printed "forked".
// - "gadget": the child makes a host call the filter refuses from the runner's text
//   (reboot) through the runner's `syscall; ret`, whose address the test writes on stdin;
//   the runner reports an internal error and the whole sandbox ends with 125 (decision
//   D21): the test checks that nothing waits forever.
// The parent prints how waitpid says the child ended, and whether SIGCHLD came. In "kill"
// mode the child first forks a grandchild, which must then be the orphan of pid 1 (this
// program): the parent kills it and waits for it as its own child.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR_REBOOT 169

static volatile sig_atomic_t sigchld;

static void on_sigchld(int sig) {
    (void)sig;
    sigchld = 1;
}

static long via_gadget(uintptr_t gadget, long nr) {
    long ret;
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "call *%[gadget]\n\t"
                     "add $128, %%rsp"
                     : "=a"(ret)
                     : [gadget] "r"(gadget), "a"(nr), "D"(0L), "S"(0L), "d"(0L)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int gadget_mode = !strcmp(argv[1], "gadget");
    uintptr_t gadget = 0;
    if (gadget_mode && scanf("%lx", &gadget) != 1) {
        printf("no gadget address\n");
        return 3;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCHLD, &sa, 0);
    int ends[2];
    if (pipe(ends) < 0) return 1;
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0) {
        if (gadget_mode) via_gadget(gadget, NR_REBOOT);
        pid_t grandchild = fork();
        if (grandchild == 0)
            for (;;) pause();
        if (write(ends[1], &grandchild, sizeof grandchild) < 0) _exit(1);
        for (;;) pause();
    }
    pid_t grandchild = 0;
    if (!gadget_mode && read(ends[0], &grandchild, sizeof grandchild) != sizeof grandchild) {
        perror("read the grandchild's pid");
        return 1;
    }
    printf("forked\n");
    fflush(stdout);
    int status;
    pid_t got = waitpid(child, &status, 0);
    if (got != child) {
        perror("waitpid");
        return 1;
    }
    if (WIFSIGNALED(status))
        printf("child killed by signal %d\n", WTERMSIG(status));
    else if (WIFEXITED(status))
        printf("child exited with %d\n", WEXITSTATUS(status));
    printf("SIGCHLD %s\n", sigchld ? "delivered" : "missing");
    if (grandchild > 0) {
        // The orphan is ours now (pid 1's): its end is ours to wait for.
        kill(grandchild, SIGKILL);
        got = waitpid(grandchild, &status, 0);
        printf("orphan %s\n", got == grandchild && WIFSIGNALED(status) &&
                                       WTERMSIG(status) == SIGKILL ? "reaped by pid 1" : "lost");
    }
    printf("waitpid again: %d\n", waitpid(-1, &status, WNOHANG) < 0 ? 0 : 1);
    return 0;
}

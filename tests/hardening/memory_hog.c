/* Eight children each touch 48 MiB of anonymous memory (tests/cli hardening.rs,
 * `memory_is_bounded_for_the_whole_sandbox`): under --limit memory=128M each fits the
 * per-process RLIMIT_AS, but together they exceed what the host allows the sandbox.
 *
 * Protocol on stdio: prints "ready", waits for a line; forks the children; once each has
 * touched its memory (and reported on a pipe) or ended, prints "touched T" and waits for a
 * second line (the test reads the host's view then); releases the children, reaps them, and
 * prints "touched T killed K enomem E": K children died by SIGKILL, E could not map. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 8
#define BYTES (48u << 20)

static void wait_line(void) {
    char buf[64];
    if (!fgets(buf, sizeof buf, stdin)) _exit(3);
}

int main(void) {
    int report[2], release[2];
    if (pipe(report) || pipe(release)) return 2;
    printf("ready\n");
    fflush(stdout);
    wait_line();
    pid_t kids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        kids[i] = fork();
        if (kids[i] < 0) return 2;
        if (kids[i] == 0) {
            close(report[0]);
            close(release[1]);
            char *m = mmap(0, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m == MAP_FAILED) _exit(errno == ENOMEM ? 12 : 2);
            memset(m, 1, BYTES);
            char c = 't';
            if (write(report[1], &c, 1) != 1) _exit(2);
            read(release[0], &c, 1); /* end of file once the parent lets go */
            _exit(0);
        }
    }
    close(report[1]);
    close(release[0]);
    int touched = 0, killed = 0, enomem = 0, ended = 0;
    int status;
    /* Until every child has reported or ended: a child killed before it reports never will. */
    while (touched + ended < CHILDREN) {
        struct pollfd p = {report[0], POLLIN, 0};
        if (poll(&p, 1, 50) > 0) {
            char c;
            if (read(report[0], &c, 1) == 1) touched++;
        }
        pid_t w;
        while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
            ended++;
            if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) killed++;
            else if (WIFEXITED(status) && WEXITSTATUS(status) == 12) enomem++;
        }
    }
    printf("touched %d\n", touched);
    fflush(stdout);
    wait_line();
    close(release[1]);
    while (waitpid(-1, &status, 0) > 0) {
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) killed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 12) enomem++;
    }
    printf("touched %d killed %d enomem %d\n", touched, killed, enomem);
    return 0;
}

// wait4 flags: WNOHANG returns 0 while the child runs; WUNTRACED reports a SIGSTOP stop once
// (a second WUNTRACED|WNOHANG wait sees nothing new); WCONTINUED reports SIGCONT; a plain
// wait ignores stops; the rusage pointer is filled; waiting for a pid of the right child only;
// waitpid(-1) and waitpid(0) (own process group) reap any child.
#include "proc_common.h"
#include <sys/resource.h>

int main(void) {
    proc_init();
    int go[2];
    SYS(pipe(go));
    pid_t pid = xfork();
    if (pid == 0) {
        close(go[1]);
        char c;
        /* Blocks until the parent writes or closes; a stop/continue does not end the read
         * with EINTR because no handler is installed. */
        while (read(go[0], &c, 1) == -1 && errno == EINTR) {
        }
        _exit(c == 'x' ? 21 : 22);
    }
    close(go[0]);
    int status = -1;
    struct rusage ru;
    pid_t got = wait4(pid, &status, WNOHANG, &ru);
    printf("WNOHANG on a running child: returns %d\n", (int)got);

    SYS(kill(pid, SIGSTOP));
    got = wait4(pid, &status, WUNTRACED, &ru);
    printf("WUNTRACED returns the child: %s\n", yes(got == pid));
    describe("after SIGSTOP", status);
    got = wait4(pid, &status, WUNTRACED | WNOHANG, NULL);
    printf("stop reported once: %s\n", yes(got == 0));
    got = waitpid(pid, &status, WNOHANG);
    printf("plain WNOHANG ignores the stop: %s\n", yes(got == 0));

    SYS(kill(pid, SIGCONT));
    got = wait4(pid, &status, WCONTINUED, &ru);
    printf("WCONTINUED returns the child: %s\n", yes(got == pid));
    describe("after SIGCONT", status);
    got = waitpid(pid, &status, WCONTINUED | WNOHANG);
    printf("continue reported once: %s\n", yes(got == 0));

    put_token(go[1], 'x');
    memset(&ru, 0xff, sizeof ru);
    got = wait4(pid, &status, 0, &ru);
    printf("wait4 reaps the child: %s\n", yes(got == pid));
    describe("final", status);
    printf("rusage filled (sane utime): %s\n",
           yes(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
               ru.ru_utime.tv_usec < 1000000));

    /* Two children; waitpid(-1) and waitpid(0) reap whichever is done. */
    pid_t a = xfork();
    if (a == 0)
        _exit(1);
    pid_t b = xfork();
    if (b == 0)
        _exit(2);
    int sum = 0, found = 0;
    for (int i = 0; i < 2; i++) {
        got = waitpid(i == 0 ? -1 : 0, &status, 0);
        CHECK(got == a || got == b);
        found |= got == a ? 1 : 2;
        sum += WEXITSTATUS(status);
    }
    printf("waitpid(-1) then waitpid(0): both reaped %s, status sum %d\n", yes(found == 3), sum);
    SHOW("waitpid(-1) with no children left", waitpid(-1, &status, WNOHANG));
    SHOW("wait4 with bad options", wait4(-1, &status, 0x00100000, NULL));
    return 0;
}

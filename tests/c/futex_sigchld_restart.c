// A futex wait is not cut short by a child's end when the program has no SIGCHLD handler:
// the kernel restarts it (SIGCHLD's default action is to ignore it). Under Meridian the
// runner takes the host's SIGCHLD itself (docs/decisions.md D22), and that must not leak
// out as EINTR. Each round forks a child that exits at once while the parent waits 30 ms
// on a word nobody wakes, private and shared futexes alike: every wait times out.
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20

int main(void) {
    static int word;
    int ops[2] = {FUTEX_WAIT_PRIVATE, FUTEX_WAIT};
    for (int k = 0; k < 2; k++) {
        int eintr = 0, timedout = 0, other = 0;
        for (int i = 0; i < ROUNDS; i++) {
            pid_t c = fork();
            if (c < 0) return 2;
            if (c == 0) _exit(0);
            struct timespec ts = {0, 30 * 1000 * 1000};
            long r = syscall(SYS_futex, &word, ops[k], 0, &ts, NULL, 0);
            if (r == -1 && errno == EINTR) eintr++;
            else if (r == -1 && errno == ETIMEDOUT) timedout++;
            else other++;
            if (waitpid(c, NULL, 0) != c) return 3;
        }
        printf("%s: eintr %d timedout %d other %d\n", k ? "shared" : "private", eintr,
               timedout, other);
    }
    return 0;
}

// Pipe ping-pong: a counter goes back and forth 20000 times between parent and child
// through two pipes, each side adding one; then the same over a socketpair; the final values
// and the child's exit code are checked.
#include "proc_common.h"
#include <sys/socket.h>

static void pingpong(const char *label, int to_child[2], int to_parent[2]) {
    const int rounds = 20000;
    pid_t pid = xfork();
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        unsigned v;
        int n = 0;
        for (; n < rounds && read_full(to_child[0], &v, sizeof v) == sizeof v; n++) {
            v++;
            write_all(to_parent[1], &v, sizeof v);
        }
        _exit(n == rounds ? 0 : 1);
    }
    close(to_child[0]);
    close(to_parent[1]);
    unsigned v = 0;
    int bad = 0;
    for (int i = 0; i < rounds; i++) {
        unsigned sent = v;
        write_all(to_child[1], &v, sizeof v);
        CHECK(read_full(to_parent[0], &v, sizeof v) == sizeof v);
        bad += v != sent + 1;
        v++;
    }
    close(to_child[1]);
    printf("%s: %d round trips, final %u, bad replies %d\n", label, rounds, v, bad);
    describe("  child", reap(pid));
    close(to_parent[0]);
}

int main(void) {
    proc_init();
    int a[2], b[2];
    SYS(pipe(a));
    SYS(pipe(b));
    pingpong("pipes", a, b);
    int s[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    int to_child[2] = {SYS(dup(s[1])), SYS(dup(s[0]))};
    int to_parent[2] = {SYS(dup(s[0])), SYS(dup(s[1]))};
    close(s[0]);
    close(s[1]);
    pingpong("socketpair", to_child, to_parent);
    return 0;
}

// Pipes between processes: poll over two pipes fed by a child in a known order (handshakes
// make exactly one ready each time), POLLHUP once the child has closed its ends, a blocking
// read that waits for a slow writer, 1 MiB streamed through a pipe by a child with a checksum
// (short reads and writes of a full pipe), and EOF only when every write end (in both
// processes) is closed.
#include "proc_common.h"
#include <poll.h>

static unsigned sum_bytes(const unsigned char *p, size_t n, unsigned acc) {
    for (size_t i = 0; i < n; i++)
        acc = acc * 31 + p[i];
    return acc;
}

/* The names of the events in `r`, written to `buf`. */
static const char *revents(short r, char *buf) {
    buf[0] = 0;
    if (r & POLLIN) strcat(buf, "IN ");
    if (r & POLLHUP) strcat(buf, "HUP ");
    if (r & POLLERR) strcat(buf, "ERR ");
    if (r & POLLOUT) strcat(buf, "OUT ");
    if (!buf[0]) strcpy(buf, "- ");
    buf[strlen(buf) - 1] = 0;
    return buf;
}

int main(void) {
    proc_init();
    int a[2], b[2], ack[2];
    SYS(pipe(a));
    SYS(pipe(b));
    SYS(pipe(ack));
    pid_t pid = xfork();
    if (pid == 0) {
        close(a[0]);
        close(b[0]);
        close(ack[1]);
        write_all(a[1], "first", 5);
        get_token(ack[0]);
        write_all(b[1], "second", 6);
        get_token(ack[0]);
        close(a[1]);
        get_token(ack[0]);
        close(b[1]);
        _exit(0);
    }
    close(a[1]);
    close(b[1]);
    close(ack[0]);
    struct pollfd fds[2] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}};
    char buf[64];
    for (int round = 0; round < 4; round++) {
        int n = poll(fds, 2, -1);
        CHECK(n >= 1);
        char ra[64], rb[64];
        printf("round %d: ready %d, a %s, b %s", round, n, revents(fds[0].revents, ra),
               revents(fds[1].revents, rb));
        for (int i = 0; i < 2; i++) {
            if (fds[i].revents & POLLIN) {
                ssize_t got = read(fds[i].fd, buf, sizeof buf);
                printf(", read %.*s", (int)got, buf);
            } else if (fds[i].revents & POLLHUP) {
                CHECK(read(fds[i].fd, buf, sizeof buf) == 0);
                printf(", EOF");
                fds[i].fd = -1;
            }
        }
        printf("\n");
        if (round < 3)
            put_token(ack[1], 'k');
    }
    describe("poller child", reap(pid));

    /* Blocking read waits for a writer that writes after a token. */
    int p[2], go[2];
    SYS(pipe(p));
    SYS(pipe(go));
    pid = xfork();
    if (pid == 0) {
        close(p[0]);
        close(go[1]);
        get_token(go[0]);
        sleep_ms(20);
        write_all(p[1], "late", 4);
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    put_token(go[1], 'g');
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("blocking read got: %.*s\n", (int)n, buf);
    printf("then EOF: %s\n", yes(read(p[0], buf, sizeof buf) == 0));
    describe("late writer", reap(pid));
    close(p[0]);
    close(go[1]);

    /* 1 MiB through a pipe. */
    SYS(pipe(p));
    pid = xfork();
    if (pid == 0) {
        close(p[0]);
        static unsigned char chunk[7777];
        size_t total = 0;
        unsigned acc = 0;
        while (total < (1 << 20)) {
            size_t len = sizeof chunk;
            if (len > (1u << 20) - total)
                len = (1u << 20) - total;
            for (size_t i = 0; i < len; i++)
                chunk[i] = (unsigned char)((total + i) * 7 + 3);
            acc = sum_bytes(chunk, len, acc);
            write_all(p[1], chunk, len);
            total += len;
        }
        _exit(acc % 200);
    }
    /* The parent keeps its write end open for a while: no EOF until it closes it too. */
    static unsigned char big[1 << 20];
    size_t got = read_full(p[0], big, sizeof big);
    struct pollfd pf = {p[0], POLLIN, 0};
    int st = reap(pid);
    printf("read %zu bytes; poll with own write end open: %d\n", got, poll(&pf, 1, 0));
    close(p[1]);
    int ready = poll(&pf, 1, 0);
    char rv[64];
    printf("poll after closing it: %d %s\n", ready, revents(pf.revents, rv));
    unsigned acc = sum_bytes(big, got, 0);
    printf("checksum matches the writer's: %s\n", yes(WEXITSTATUS(st) == (int)(acc % 200)));
    return 0;
}

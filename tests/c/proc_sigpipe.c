// SIGPIPE and EPIPE across processes: a child writing to a pipe whose reader (the parent)
// closed it dies of SIGPIPE; with SIGPIPE ignored it gets EPIPE; with SIGPIPE blocked it gets
// EPIPE and SIGPIPE stays pending; the parent writing after its reader child exited gets EPIPE
// (ignored) and the data written before the reader left was read by it.
#include "proc_common.h"

int main(void) {
    proc_init();
    static const char *modes[] = {"default", "ignored", "blocked"};
    for (int mode = 0; mode < 3; mode++) {
        int p[2], ready[2], rep[2];
        SYS(pipe(p));
        SYS(pipe(ready));
        SYS(pipe(rep));
        pid_t pid = xfork();
        if (pid == 0) {
            close(p[0]);
            close(ready[1]);
            close(rep[0]);
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGPIPE);
            if (mode == 1)
                signal(SIGPIPE, SIG_IGN);
            if (mode == 2)
                sigprocmask(SIG_BLOCK, &s, NULL);
            CHECK(get_token(ready[0]) == 'c'); /* the parent closed its read end */
            errno = 0;
            ssize_t n = write(p[1], "x", 1);
            int e = errno;
            sigset_t pend;
            sigpending(&pend);
            char msg[2] = {n == -1 ? (e == EPIPE ? 'E' : '?') : 'w',
                           sigismember(&pend, SIGPIPE) ? 'P' : '-'};
            write_all(rep[1], msg, 2);
            _exit(0);
        }
        close(p[0]);
        close(p[1]);
        close(ready[0]);
        close(rep[1]);
        put_token(ready[1], 'c');
        char msg[3] = {0};
        size_t got = read_full(rep[0], msg, 2);
        printf("SIGPIPE %s: write %s, SIGPIPE pending %s\n", modes[mode],
               got == 2 ? (msg[0] == 'E' ? "EPIPE" : "succeeded") : "never returned",
               got == 2 ? yes(msg[1] == 'P') : "-");
        describe("  writer", reap(pid));
        close(ready[1]);
        close(rep[0]);
    }

    /* The parent writes; the reader child reads a known amount then exits. */
    signal(SIGPIPE, SIG_IGN);
    int p[2], back[2];
    SYS(pipe(p));
    SYS(pipe(back));
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[1]);
        close(back[0]);
        char buf[10];
        size_t n = read_full(p[0], buf, sizeof buf);
        write_all(back[1], buf, n);
        _exit(0);
    }
    close(p[0]);
    close(back[1]);
    write_all(p[1], "0123456789", 10);
    char buf[16] = {0};
    size_t n = read_full(back[0], buf, sizeof buf);
    printf("reader got %zu bytes: %.*s\n", n, (int)n, buf);
    describe("reader", reap(pid));
    errno = 0;
    ssize_t w = write(p[1], "more", 4);
    printf("write after the reader exited: %s\n", w == -1 ? ename(errno) : "succeeded");
    return 0;
}

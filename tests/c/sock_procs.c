// AF_UNIX socket pairs between processes and threads: a forked child and its parent talk
// over a stream (blocking reads woken across processes, MSG_WAITALL gathering pieces the
// child writes with pauses, MSG_PEEK leaving data queued), datagrams and seqpacket keep
// boundaries (MSG_TRUNC in and out), poll and epoll wake when the other process writes or
// closes, SO_PEERCRED names the creator (the parent) on both ends, and two threads exchange
// 10000 messages over a seqpacket pair.
#include "proc_common.h"
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>

static void *echo_thread(void *arg) {
    int fd = *(int *)arg;
    char buf[64];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        CHECK(send(fd, buf, (size_t)n, 0) == n);
    return NULL;
}

int main(void) {
    proc_init();
    int s[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    pid_t parent = getpid();
    pid_t pid = xfork();
    if (pid == 0) {
        close(s[0]);
        struct ucred c;
        socklen_t l = sizeof c;
        SYS(getsockopt(s[1], SOL_SOCKET, SO_PEERCRED, &c, &l));
        int ok = c.pid == parent && c.uid == getuid() && c.gid == getgid() && l == sizeof c;
        sleep_ms(50);
        write_all(s[1], "hel", 3);
        sleep_ms(20);
        write_all(s[1], "lo, ", 4);
        sleep_ms(20);
        write_all(s[1], "world", 5);
        char b[16];
        /* Waits for the parent's reply, then for its close. */
        ssize_t n = read(s[1], b, sizeof b);
        ok &= n == 2 && memcmp(b, "ok", 2) == 0;
        ok &= read(s[1], b, sizeof b) == 0;
        _exit(ok ? 0 : 1);
    }
    close(s[1]);
    char buf[64] = {0};
    ssize_t n = recv(s[0], buf, 12, MSG_PEEK | MSG_WAITALL);
    printf("peek: %zd bytes (at least 1: %s)\n", n > 0 ? (ssize_t)1 : n, yes(n >= 1));
    n = recv(s[0], buf, 12, MSG_WAITALL);
    printf("MSG_WAITALL: %zd \"%.*s\"\n", n, (int)n, buf);
    struct ucred c;
    socklen_t l = sizeof c;
    SYS(getsockopt(s[0], SOL_SOCKET, SO_PEERCRED, &c, &l));
    printf("SO_PEERCRED in parent: pid==self %s\n", yes(c.pid == getpid()));
    write_all(s[0], "ok", 2);
    sleep_ms(20);
    close(s[0]);
    describe("stream child", reap(pid));

    /* poll and epoll across processes. */
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    pid = xfork();
    if (pid == 0) {
        close(s[0]);
        sleep_ms(50);
        write_all(s[1], "x", 1);
        sleep_ms(50);
        _exit(0);
    }
    close(s[1]);
    struct pollfd p = {s[0], POLLIN | POLLRDHUP, 0};
    int r = poll(&p, 1, 5000);
    printf("poll woke: %d revents %#x\n", r, p.revents);
    char ch;
    SYS(read(s[0], &ch, 1));
    int ep = SYS(epoll_create1(0));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = 7};
    SYS(epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev));
    struct epoll_event out;
    r = epoll_wait(ep, &out, 1, 5000);
    printf("epoll after the child exits: %d data %u events %#x\n", r, out.data.u32, out.events);
    describe("poll child", reap(pid));
    close(ep);
    close(s[0]);

    /* Boundaries across processes. */
    static const int types[] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (int t = 0; t < 2; t++) {
        SYS(socketpair(AF_UNIX, types[t], 0, s));
        pid = xfork();
        if (pid == 0) {
            close(s[0]);
            static const char *msgs[] = {"first message", "2nd", "", "the fourth, long one"};
            for (int i = 0; i < 4; i++)
                CHECK(send(s[1], msgs[i], strlen(msgs[i]), 0) == (ssize_t)strlen(msgs[i]));
            _exit(0);
        }
        close(s[1]);
        printf("%s:", t ? "seqpacket" : "dgram");
        n = recv(s[0], buf, 5, 0);
        printf(" [%zd %.*s]", n, (int)n, buf);
        n = recv(s[0], buf, 2, MSG_TRUNC);
        printf(" [MSG_TRUNC %zd]", n);
        n = recv(s[0], buf, sizeof buf, 0);
        printf(" [%zd]", n);
        struct iovec iov = {buf, 8};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        n = recvmsg(s[0], &m, 0);
        printf(" [%zd flags MSG_TRUNC %s]", n, yes(m.msg_flags & MSG_TRUNC));
        describe("", reap(pid));
        close(s[0]);
    }

    /* Threads. */
    SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s));
    pthread_t th;
    CHECK(pthread_create(&th, NULL, echo_thread, &s[1]) == 0);
    int bad = 0;
    for (int i = 0; i < 10000; i++) {
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "msg %d", i);
        CHECK(send(s[0], msg, (size_t)len, 0) == len);
        n = recv(s[0], back, sizeof back, 0);
        bad += n != len || memcmp(msg, back, (size_t)len) != 0;
    }
    shutdown(s[0], SHUT_WR);
    CHECK(pthread_join(th, NULL) == 0);
    printf("threads: 10000 echoes, %d bad; after SHUT_WR the echo thread saw EOF\n", bad);
    return 0;
}

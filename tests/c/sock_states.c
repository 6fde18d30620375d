// AF_UNIX socket pairs of every type, in one process: what close, close with unread data,
// shutdown(SHUT_WR/SHUT_RD) do to poll (POLLIN/POLLOUT/POLLHUP/POLLRDHUP/POLLERR), to write
// (EPIPE with SIGPIPE for streams only, ECONNREFUSED then ENOTCONN for datagrams,
// ECONNRESET for seqpacket) and to recv (EOF, ECONNRESET once, EAGAIN); fstat S_IFSOCK;
// getsockname/getpeername; SO_TYPE/SO_SNDBUF/SO_RCVBUF and setsockopt doubling; argument
// errors of socketpair; a full send buffer gives EAGAIN (and POLLOUT goes away).
#include "proc_common.h"
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static volatile sig_atomic_t sigpipes;
static void on_pipe(int s) {
    (void)s;
    sigpipes++;
}

static int revents(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    CHECK(poll(&p, 1, 0) >= 0);
    return p.revents;
}

static void show_write(const char *label, int fd) {
    sigpipes = 0;
    errno = 0;
    ssize_t r = write(fd, "x", 1);
    printf("  %s: %zd %s, SIGPIPE %d\n", label, r, ename(r < 0 ? errno : 0), (int)sigpipes);
}

static void show_recv(const char *label, int fd) {
    char b[8];
    errno = 0;
    ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
    printf("  %s: %zd %s\n", label, r, ename(r < 0 ? errno : 0));
}

int main(void) {
    proc_init();
    signal(SIGPIPE, on_pipe);
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    static const char *names[] = {"stream", "dgram", "seqpacket"};
    for (int i = 0; i < 3; i++) {
        int s[2];
        printf("%s\n", names[i]);
        SYS(socketpair(AF_UNIX, types[i], 0, s));
        printf("  fresh poll %#x\n", revents(s[0]));
        write_all(s[1], "abc", 3);
        close(s[0]);
        printf("  peer closed with unread data: poll %#x\n", revents(s[1]));
        show_write("write", s[1]);
        show_write("write again", s[1]);
        show_recv("recv", s[1]);
        show_recv("recv again", s[1]);
        close(s[1]);

        SYS(socketpair(AF_UNIX, types[i], 0, s));
        write_all(s[0], "abc", 3);
        close(s[0]);
        show_recv("data left by a closed peer", s[1]);
        show_recv("then", s[1]);
        close(s[1]);

        SYS(socketpair(AF_UNIX, types[i], 0, s));
        SYS(shutdown(s[0], SHUT_WR));
        printf("  SHUT_WR: peer poll %#x, own poll %#x\n", revents(s[1]), revents(s[0]));
        show_write("write after SHUT_WR", s[0]);
        show_recv("peer recv", s[1]);
        SYS(shutdown(s[0], SHUT_RD));
        printf("  SHUT_RDWR: peer poll %#x, own poll %#x\n", revents(s[1]), revents(s[0]));
        show_write("peer write", s[1]);
        errno = 0;
        ssize_t r = send(s[1], "x", 1, MSG_NOSIGNAL);
        printf("  peer send MSG_NOSIGNAL: %zd %s, SIGPIPE %d\n", r, ename(r < 0 ? errno : 0),
               (int)sigpipes);
        printf("  shutdown(3): %s\n", shutdown(s[0], 3) == -1 ? ename(errno) : "OK");

        struct stat st;
        SYS(fstat(s[0], &st));
        printf("  fstat: S_ISSOCK %s mode %o\n", yes(S_ISSOCK(st.st_mode)), st.st_mode & 07777);
        int v;
        socklen_t l = sizeof v;
        SYS(getsockopt(s[0], SOL_SOCKET, SO_TYPE, &v, &l));
        printf("  SO_TYPE %d len %d", v, (int)l);
        l = sizeof v;
        SYS(getsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &v, &l));
        printf(" SO_SNDBUF %d", v);
        l = sizeof v;
        SYS(getsockopt(s[0], SOL_SOCKET, SO_RCVBUF, &v, &l));
        printf(" SO_RCVBUF %d\n", v);
        int asks[] = {1, 10000};
        for (int a = 0; a < 2; a++) {
            v = asks[a];
            SYS(setsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
            SYS(setsockopt(s[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
            int snd, rcv;
            l = sizeof snd;
            SYS(getsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &snd, &l));
            l = sizeof rcv;
            SYS(getsockopt(s[0], SOL_SOCKET, SO_RCVBUF, &rcv, &l));
            printf("  set %d: SO_SNDBUF %d SO_RCVBUF %d\n", asks[a], snd, rcv);
        }
        l = sizeof v;
        SYS(getsockopt(s[0], SOL_SOCKET, SO_ERROR, &v, &l));
        printf("  SO_ERROR %d\n", v);
        struct sockaddr_un sa;
        memset(&sa, 0x55, sizeof sa);
        l = sizeof sa;
        SYS(getsockname(s[0], (struct sockaddr *)&sa, &l));
        printf("  getsockname: len %d family %d\n", (int)l, sa.sun_family);
        l = sizeof sa;
        errno = 0;
        int g = getpeername(s[0], (struct sockaddr *)&sa, &l);
        printf("  getpeername: %d %s len %d\n", g, ename(g < 0 ? errno : 0), (int)l);
        close(s[0]);
        close(s[1]);

        /* Fill the send buffer without blocking. */
        SYS(socketpair(AF_UNIX, types[i] | SOCK_NONBLOCK, 0, s));
        char chunk[1000] = {0};
        long sent = 0;
        while ((r = write(s[0], chunk, sizeof chunk)) > 0)
            sent += r;
        printf("  full: %s, POLLOUT %s, sent more than 50k %s\n", ename(errno),
               yes(revents(s[0]) & POLLOUT), yes(sent > 50000));
        char big[4096];
        long got = 0;
        while ((r = read(s[1], big, sizeof big)) > 0)
            got += r;
        printf("  drained: all %s, then %s, POLLOUT %s\n", yes(got == sent), ename(errno),
               yes(revents(s[0]) & POLLOUT));
        close(s[0]);
        close(s[1]);
    }

    int s[2];
    struct {
        int domain, type, proto;
    } bad[] = {{AF_UNIX, SOCK_RAW, 0},  {AF_INET, SOCK_STREAM, 0}, {AF_UNIX, SOCK_STREAM, 1},
               {AF_UNIX, SOCK_STREAM, 7}, {AF_UNIX, 77, 0},          {99, SOCK_STREAM, 0},
               {AF_UNIX, SOCK_RDM, 0},  {AF_UNIX, SOCK_STREAM | 0x100, 0}};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        int r = socketpair(bad[i].domain, bad[i].type, bad[i].proto, s);
        printf("socketpair(%d, %#x, %d): %s", bad[i].domain, bad[i].type, bad[i].proto,
               ename(r < 0 ? errno : 0));
        if (r == 0) {
            int v;
            socklen_t l = sizeof v;
            SYS(getsockopt(s[0], SOL_SOCKET, SO_TYPE, &v, &l));
            printf(" SO_TYPE %d", v);
            close(s[0]);
            close(s[1]);
        }
        printf("\n");
    }
    int p[2];
    SYS(pipe(p));
    printf("send on a pipe: %s\n", send(p[1], "x", 1, 0) == -1 ? ename(errno) : "OK");
    printf("shutdown of a pipe: %s\n", shutdown(p[0], SHUT_RD) == -1 ? ename(errno) : "OK");
    printf("getsockopt on bad fd: %s\n",
           getsockopt(99, SOL_SOCKET, SO_TYPE, &(int){0}, &(socklen_t){4}) == -1 ? ename(errno)
                                                                                   : "OK");
    SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, s));
    printf("SOCK_CLOEXEC: %s, SOCK_NONBLOCK: %s\n", yes(fcntl(s[0], F_GETFD) & FD_CLOEXEC),
           yes(fcntl(s[1], F_GETFL) & O_NONBLOCK));
    printf("listen: %s, accept: %s\n", listen(s[0], 1) == -1 ? ename(errno) : "OK",
           accept(s[0], NULL, NULL) == -1 ? ename(errno) : "OK");
    return 0;
}

// socketpair between two processes: SOCK_STREAM request/response and EOF on close;
// SOCK_DGRAM and SOCK_SEQPACKET keep message boundaries; shutdown(SHUT_WR) by the child
// gives the parent EOF while the other direction still works; SCM_RIGHTS passes an open
// file from the child to the parent (same open file description: the offset is shared);
// SO_PEERCRED reports the child's pid and uid.
#include "proc_common.h"
#include <sys/socket.h>
#include <sys/uio.h>

static void send_fd(int sock, int fd) {
    char byte = 'F';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    CHECK(sendmsg(sock, &msg, 0) == 1);
}

static int recv_fd(int sock) {
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    CHECK(recvmsg(sock, &msg, 0) == 1);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

int main(void) {
    proc_init();
    int s[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    pid_t pid = xfork();
    if (pid == 0) {
        close(s[0]);
        char req[32] = {0};
        ssize_t n = read(s[1], req, sizeof req - 1);
        char resp[64];
        int m = snprintf(resp, sizeof resp, "echo:%.*s", (int)n, req);
        write_all(s[1], resp, (size_t)m);
        shutdown(s[1], SHUT_WR);
        n = read(s[1], req, sizeof req);
        _exit(n == 5 && memcmp(req, "after", 5) == 0 ? 0 : 1);
    }
    close(s[1]);
    write_all(s[0], "ping", 4);
    char buf[64] = {0};
    size_t n = read_full(s[0], buf, sizeof buf - 1);
    printf("stream: reply %.*s, then EOF after the child's SHUT_WR\n", (int)n, buf);
    write_all(s[0], "after", 5);
    describe("stream child (0: got data after its SHUT_WR)", reap(pid));
    close(s[0]);

    static const int types[] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (int t = 0; t < 2; t++) {
        SYS(socketpair(AF_UNIX, types[t], 0, s));
        pid = xfork();
        if (pid == 0) {
            close(s[0]);
            write_all(s[1], "one", 3);
            write_all(s[1], "two-two", 7);
            write_all(s[1], "3", 1);
            _exit(0);
        }
        close(s[1]);
        reap(pid);
        printf("%s:", t == 0 ? "dgram" : "seqpacket");
        for (int i = 0; i < 3; i++) {
            ssize_t r = recv(s[0], buf, sizeof buf, 0);
            printf(" %zd", r);
        }
        ssize_t r = recv(s[0], buf, sizeof buf, MSG_DONTWAIT);
        printf(", then %s\n", r == 0 ? "EOF" : r == -1 ? ename(errno) : "data");
        close(s[0]);
    }

    /* SCM_RIGHTS from the child, and SO_PEERCRED. */
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    char path[] = "/tmp/proc_socketpair_XXXXXX";
    int tmp = mkstemp(path);
    CHECK(tmp >= 0);
    write_all(tmp, "passed file contents", 20);
    close(tmp);
    pid = xfork();
    if (pid == 0) {
        close(s[0]);
        int fd = SYS(open(path, O_RDONLY));
        lseek(fd, 7, SEEK_SET);
        send_fd(s[1], fd);
        close(fd);
        char c;
        read_full(s[1], &c, 1);
        _exit(0);
    }
    close(s[1]);
    struct ucred cred;
    socklen_t len = sizeof cred;
    SYS(getsockopt(s[0], SOL_SOCKET, SO_PEERCRED, &cred, &len));
    printf("SO_PEERCRED: pid==creator (parent) %s uid==own %s\n", yes(cred.pid == getpid()),
           yes(cred.uid == getuid()));
    int fd = recv_fd(s[0]);
    printf("SCM_RIGHTS: got a descriptor: %s\n", yes(fd >= 0));
    if (fd >= 0) {
        memset(buf, 0, sizeof buf);
        n = read_full(fd, buf, sizeof buf - 1);
        printf("SCM_RIGHTS: reads from the child's offset: %s\n", buf);
    }
    put_token(s[0], 'x');
    reap(pid);
    unlink(path);
    return 0;
}

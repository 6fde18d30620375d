// SCM_RIGHTS and SCM_CREDENTIALS over AF_UNIX socket pairs: the parent passes a pipe's read
// end and an open /tmp file (at an offset) to a forked child, which reads through them (the
// file's offset is shared: it is the same open file description); MSG_CMSG_CLOEXEC marks
// received descriptors close-on-exec; a control buffer too small for the descriptors gives
// MSG_CTRUNC; files sent with a plain read on the other side are discarded; a descriptor
// that is not open is EBADF; SO_PASSCRED delivers the sender's credentials; a forged pid in
// SCM_CREDENTIALS is EPERM.
#include "proc_common.h"
#include <sys/socket.h>
#include <sys/uio.h>

static int send_fds(int sock, const int *fds, int n, const char *byte) {
    struct iovec iov = {(void *)byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = u.buf,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
    return (int)sendmsg(sock, &msg, 0);
}

/* Receives one byte and up to 4 descriptors into fds; returns how many, -1 on error. */
static int recv_fds(int sock, int *fds, size_t control, int flags, int *msg_flags) {
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = control};
    if (recvmsg(sock, &msg, flags) != 1)
        return -1;
    *msg_flags = msg.msg_flags;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds + n, CMSG_DATA(c), sizeof(int) * (size_t)k);
            n += k;
        }
    return n;
}

int main(void) {
    proc_init();
    int s[2], p[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    SYS(pipe(p));
    char path[] = "/tmp/sock_rights_XXXXXX";
    int tmp = SYS(mkstemp(path));
    write_all(tmp, "0123456789abcdef", 16);
    SYS(lseek(tmp, 10, SEEK_SET));
    pid_t pid = xfork();
    if (pid == 0) {
        close(s[0]);
        close(p[0]);
        int fds[4] = {-1, -1, -1, -1}, mf = 0;
        int n = recv_fds(s[1], fds, CMSG_SPACE(sizeof(int) * 4), MSG_CMSG_CLOEXEC, &mf);
        int ok = n == 2;
        ok &= (fcntl(fds[0], F_GETFD) & FD_CLOEXEC) != 0;
        char b[16] = {0};
        ok &= read_full(fds[0], b, 5) == 5 && memcmp(b, "piped", 5) == 0;
        ok &= read(fds[1], b, 3) == 3 && memcmp(b, "abc", 3) == 0;
        close(fds[0]);
        close(fds[1]);
        write_all(s[1], "k", 1);
        _exit(ok ? 0 : 1);
    }
    close(s[1]);
    int pass[2] = {p[0], tmp};
    SYS(send_fds(s[0], pass, 2, "F"));
    close(p[0]);
    write_all(p[1], "piped", 5);
    char k;
    CHECK(read_full(s[0], &k, 1) == 1);
    printf("child read through the passed pipe and file; file offset now %ld\n",
           (long)lseek(tmp, 0, SEEK_CUR));
    describe("child", reap(pid));
    close(s[0]);
    close(p[1]);

    /* MSG_CTRUNC, discarding, EBADF, peeking, datagrams. */
    SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, s));
    int three[3] = {tmp, tmp, tmp};
    SYS(send_fds(s[0], three, 3, "a"));
    int fds[4] = {-1, -1, -1, -1}, mf = 0;
    int n = recv_fds(s[1], fds, CMSG_SPACE(sizeof(int)), 0, &mf);
    printf("3 passed, room for 1: got %d, MSG_CTRUNC %s\n", n, yes(mf & MSG_CTRUNC));
    for (int i = 0; i < n; i++)
        close(fds[i]);
    SYS(send_fds(s[0], three, 2, "b"));
    n = recv_fds(s[1], fds, 0, 0, &mf);
    printf("no control buffer: got %d, MSG_CTRUNC %s\n", n, yes(mf & MSG_CTRUNC));
    SYS(send_fds(s[0], three, 1, "c"));
    char b;
    printf("plain read of a message with a file: %zd\n", read(s[1], &b, 1));
    SYS(send_fds(s[0], three, 1, "d"));
    n = recv_fds(s[1], fds, CMSG_SPACE(sizeof(int) * 4), MSG_PEEK, &mf);
    printf("peek: %d descriptor(s)", n);
    if (n > 0)
        close(fds[0]);
    n = recv_fds(s[1], fds, CMSG_SPACE(sizeof(int) * 4), 0, &mf);
    printf(", then receive: %d, a new descriptor %s\n", n, yes(n == 1 && fds[0] != tmp));
    if (n > 0)
        close(fds[0]);
    int badfd[1] = {77};
    errno = 0;
    printf("sending a closed descriptor: %s\n",
           send_fds(s[0], badfd, 1, "e") == -1 ? ename(errno) : "OK");

    /* SO_PASSCRED. */
    int on = 1;
    SYS(setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
    pid = xfork();
    if (pid == 0) {
        write_all(s[0], "c", 1);
        _exit(0);
    }
    describe("creds child", reap(pid));
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {&b, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof cbuf};
    SYS(recvmsg(s[1], &m, 0));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    struct ucred uc = {0};
    if (c && c->cmsg_type == SCM_CREDENTIALS)
        memcpy(&uc, CMSG_DATA(c), sizeof uc);
    printf("SCM_CREDENTIALS: present %s pid==child %s uid==own %s\n",
           yes(c && c->cmsg_type == SCM_CREDENTIALS), yes(uc.pid == pid), yes(uc.uid == getuid()));
    /* Another process's pid: root may name it, others get EPERM; a pid that cannot exist
     * (above any pid_max): ESRCH for root, EPERM for others. */
    int gate[2];
    SYS(pipe(gate));
    pid_t other = xfork();
    if (other == 0) {
        close(gate[1]);
        read(gate[0], &b, 1);
        _exit(0);
    }
    struct ucred forged = {.pid = 0x7ffffff0, .uid = getuid(), .gid = getgid()};
    memset(cbuf, 0, sizeof cbuf);
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof forged);
    memcpy(CMSG_DATA(c), &forged, sizeof forged);
    errno = 0;
    printf("forged SCM_CREDENTIALS: %s\n", sendmsg(s[0], &m, 0) == -1 ? ename(errno) : "OK");
    forged.pid = other;
    memcpy(CMSG_DATA(c), &forged, sizeof forged);
    errno = 0;
    printf("another process's pid (as %s): %s\n", getuid() == 0 ? "root" : "a user",
           sendmsg(s[0], &m, 0) == -1 ? ename(errno) : "OK");
    close(gate[1]);
    reap(other);
    forged.pid = getpid();
    memcpy(CMSG_DATA(c), &forged, sizeof forged);
    printf("own SCM_CREDENTIALS: %s\n", sendmsg(s[0], &m, 0) == -1 ? ename(errno) : "OK");
    close(s[0]);
    close(s[1]);
    close(tmp);
    unlink(path);
    return 0;
}

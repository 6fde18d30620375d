// File offsets shared through fork: parent and child use one open file description, so a
// write by the child moves the parent's offset (lseek shows it), an lseek by the child is
// seen by the parent, dup'ed descriptors share it too; a file opened separately in each
// process has its own offset; O_APPEND writes from both processes land at the end in the
// order of the handshakes; fcntl F_SETFL O_APPEND set by the child is seen by the parent
// (status flags belong to the description) while FD_CLOEXEC is per descriptor.
#include "proc_common.h"

static char path[] = "/tmp/proc_fd_offset_XXXXXX";

static void show_file(const char *label) {
    char buf[256] = {0};
    int fd = SYS(open(path, O_RDONLY));
    ssize_t n = SYS(read(fd, buf, sizeof buf - 1));
    close(fd);
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\n')
            buf[i] = '|';
    printf("%s: %zd bytes \"%s\"\n", label, n, buf);
}

int main(void) {
    proc_init();
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    int tok[2];
    SYS(pipe(tok));

    pid_t pid = xfork();
    if (pid == 0) {
        write_all(fd, "child\n", 6);
        _exit(0);
    }
    reap(pid);
    printf("offset after the child's write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    write_all(fd, "parent\n", 7);
    printf("offset after the parent's write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    show_file("shared offset");

    pid = xfork();
    if (pid == 0) {
        lseek(fd, 2, SEEK_SET);
        _exit(0);
    }
    reap(pid);
    printf("offset after the child's lseek(2): %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    int dupfd = SYS(dup(fd));
    pid = xfork();
    if (pid == 0) {
        write_all(dupfd, "XY", 2);
        _exit(0);
    }
    reap(pid);
    printf("offset after the child's write through a dup: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    show_file("overwrite at 2");
    close(dupfd);

    /* Separate opens: separate offsets. */
    pid = xfork();
    if (pid == 0) {
        int own = SYS(open(path, O_RDWR));
        lseek(own, 0, SEEK_END);
        write_all(own, "own\n", 4);
        _exit(lseek(own, 0, SEEK_CUR) == 17 ? 0 : 1);
    }
    describe("child with its own open", reap(pid));
    printf("parent's offset unchanged: %ld\n", (long)lseek(fd, 0, SEEK_CUR));

    /* O_APPEND from two processes, alternating. */
    SYS(ftruncate(fd, 0));
    int afd = SYS(open(path, O_WRONLY | O_APPEND));
    int back[2];
    SYS(pipe(back));
    pid = xfork();
    if (pid == 0) {
        int mine = SYS(open(path, O_WRONLY | O_APPEND));
        for (int i = 0; i < 3; i++) {
            get_token(tok[0]);
            char line[16];
            int n = snprintf(line, sizeof line, "c%d\n", i);
            write_all(i % 2 ? mine : afd, line, (size_t)n);
            put_token(back[1], 'd');
        }
        _exit(0);
    }
    for (int i = 0; i < 3; i++) {
        char line[16];
        int n = snprintf(line, sizeof line, "p%d\n", i);
        write_all(afd, line, (size_t)n);
        put_token(tok[1], 'w');
        get_token(back[0]);
    }
    reap(pid);
    show_file("O_APPEND alternating");

    /* Status flags are shared, descriptor flags are not. */
    int plain = SYS(open(path, O_WRONLY));
    pid = xfork();
    if (pid == 0) {
        fcntl(plain, F_SETFL, O_APPEND);
        fcntl(plain, F_SETFD, FD_CLOEXEC);
        _exit(0);
    }
    reap(pid);
    printf("O_APPEND set by the child seen by the parent: %s\n",
           yes(fcntl(plain, F_GETFL) & O_APPEND));
    printf("FD_CLOEXEC set by the child seen by the parent: %s\n",
           yes(fcntl(plain, F_GETFD) & FD_CLOEXEC));
    write_all(plain, "end\n", 4);
    show_file("after a write through it");
    unlink(path);
    return 0;
}

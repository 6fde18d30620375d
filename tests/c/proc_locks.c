// File locks between processes. flock: an exclusive lock held by the parent makes the
// child's LOCK_NB attempt on its own open fail with EWOULDBLOCK, while the child's inherited
// descriptor shares the parent's lock (same open file description); the lock goes when the
// last descriptor closes. fcntl record locks: the child's write lock on bytes 0-9 makes the
// parent's F_SETLK fail (EAGAIN or EACCES, both allowed by POSIX, printed as "refused"),
// F_GETLK reports the child as the owner (l_pid == child) with the range; a non-overlapping
// range is free; F_SETLKW waits until the child unlocks; record locks are not inherited and
// go away when the owner exits.
#include "proc_common.h"
#include <sys/file.h>

static char path[] = "/tmp/proc_locks_XXXXXX";

static int try_lock(int fd, short type, off_t start, off_t len, int cmd) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

int main(void) {
    proc_init();
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    SYS(ftruncate(fd, 100));
    int tok[2], back[2];
    SYS(pipe(tok));
    SYS(pipe(back));

    SYS(flock(fd, LOCK_EX));
    pid_t pid = xfork();
    if (pid == 0) {
        int own = SYS(open(path, O_RDWR));
        char r[3];
        r[0] = flock(own, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK ? 'b' : 'g';
        r[1] = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 's' : 'x';
        r[2] = flock(own, LOCK_SH | LOCK_NB) == -1 ? 'b' : 'g';
        write_all(back[1], r, 3);
        get_token(tok[0]);
        /* The parent has closed its descriptor; ours (inherited) still holds the lock. */
        r[0] = flock(own, LOCK_EX | LOCK_NB) == -1 ? 'b' : 'g';
        close(fd);
        r[1] = flock(own, LOCK_EX | LOCK_NB) == 0 ? 'g' : 'b';
        write_all(back[1], r, 2);
        _exit(0);
    }
    char r[3];
    CHECK(read_full(back[0], r, 3) == 3);
    printf("flock: child's own open LOCK_EX|LOCK_NB: %s\n", r[0] == 'b' ? "EWOULDBLOCK" : "granted");
    printf("flock: child's inherited descriptor shares the lock: %s\n", yes(r[1] == 's'));
    printf("flock: child's LOCK_SH: %s\n", r[2] == 'b' ? "EWOULDBLOCK" : "granted");
    close(fd);
    put_token(tok[1], 'c');
    CHECK(read_full(back[0], r, 2) == 2);
    printf("flock: after the parent closed, still held via the child's copy: %s\n",
           yes(r[0] == 'b'));
    printf("flock: after the child closed it too, free: %s\n", yes(r[1] == 'g'));
    reap(pid);

    fd = SYS(open(path, O_RDWR));
    pid = xfork();
    if (pid == 0) {
        CHECK(try_lock(fd, F_WRLCK, 0, 10, F_SETLK) == 0);
        put_token(back[1], 'l');
        get_token(tok[0]);
        sleep_ms(30); /* the parent is (most likely) blocked in F_SETLKW by now; either way */
        CHECK(try_lock(fd, F_UNLCK, 0, 10, F_SETLK) == 0);
        get_token(tok[0]);
        _exit(0);
    }
    get_token(back[0]);
    errno = 0;
    int rc = try_lock(fd, F_WRLCK, 5, 10, F_SETLK);
    printf("fcntl: parent's F_SETLK on 5-14: %s\n",
           rc == 0 ? "granted" : (errno == EAGAIN || errno == EACCES) ? "refused" : ename(errno));
    rc = try_lock(fd, F_RDLCK, 0, 1, F_SETLK);
    printf("fcntl: parent's read lock on 0: %s\n", rc == 0 ? "granted" : "refused");
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 50};
    SYS(fcntl(fd, F_GETLK, &fl));
    printf("fcntl: F_GETLK: type %s start %ld len %ld pid==child %s\n",
           fl.l_type == F_WRLCK ? "F_WRLCK" : fl.l_type == F_UNLCK ? "F_UNLCK" : "other",
           (long)fl.l_start, (long)fl.l_len, yes(fl.l_pid == pid));
    rc = try_lock(fd, F_WRLCK, 10, 10, F_SETLK);
    printf("fcntl: parent's lock on 10-19 (adjacent): %s\n", rc == 0 ? "granted" : "refused");
    put_token(tok[1], 'w');
    rc = try_lock(fd, F_WRLCK, 0, 10, F_SETLKW);
    printf("fcntl: F_SETLKW after the child unlocked: %s\n", rc == 0 ? "granted" : ename(errno));
    put_token(tok[1], 'x');
    reap(pid);

    /* Record locks are not inherited; they vanish with their owner. */
    SYS(try_lock(fd, F_UNLCK, 0, 0, F_SETLK));
    pid = xfork();
    if (pid == 0) {
        CHECK(try_lock(fd, F_WRLCK, 0, 0, F_SETLK) == 0);
        _exit(0);
    }
    reap(pid);
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    SYS(fcntl(fd, F_GETLK, &fl));
    printf("fcntl: lock of an exited child is gone: %s\n", yes(fl.l_type == F_UNLCK));
    SYS(try_lock(fd, F_WRLCK, 0, 0, F_SETLK));
    pid = xfork();
    if (pid == 0) {
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        int self_conflict = try_lock(fd, F_WRLCK, 0, 0, F_SETLK) == -1;
        fcntl(fd, F_GETLK, &q);
        _exit(self_conflict && q.l_pid == getppid() ? 0 : 1);
    }
    describe("fcntl: child sees the parent's lock (not inherited, owner is parent)", reap(pid));
    unlink(path);
    return 0;
}

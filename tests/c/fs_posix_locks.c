// Traditional record locks: one process never conflicts with itself; merging; whence/negative
// lengths; closing any descriptor drops the process's locks; OFD locks conflict with them.
#include "fs_common.h"
static int lk(int fd, int cmd, short type, short whence, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}
int main(void) {
    enter_scratch();
    put("f", "0123456789");
    int a = open("f", O_RDWR), b = open("f", O_RDWR);
    EXPECT("a F_SETLK 0..4", lk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 5), 0);
    EXPECT("b same process overlapping", lk(b, F_SETLK, F_WRLCK, SEEK_SET, 2, 5), 0);
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    fcntl(a, F_GETLK, &q); printf("own locks invisible: type=%d\n", q.l_type);
    int c = open("f", O_RDWR);
    EXPECT("OFD vs process lock", lk(c, F_OFD_SETLK, F_RDLCK, 0, SEEK_SET, 1), EAGAIN);
    struct flock oq = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 3, .l_len = 1};
    fcntl(c, F_OFD_GETLK, &oq);
    printf("merged: type=%d start=%ld len=%ld pid_is_me=%d\n", oq.l_type, (long)oq.l_start, (long)oq.l_len, oq.l_pid == getpid());
    lseek(a, 8, SEEK_SET);
    EXPECT("SEEK_CUR negative length", lk(a, F_SETLK, F_RDLCK, SEEK_CUR, 0, -2), 0);
    EXPECT("start before 0", lk(a, F_SETLK, F_RDLCK, SEEK_SET, -1, 1), EINVAL);
    EXPECT("bad type", lk(a, F_SETLK, 7, SEEK_SET, 0, 1), EINVAL);
    close(b);
    EXPECT("closing b dropped the process locks", lk(c, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0), 0);
    EXPECT("now a conflicts", lk(a, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EAGAIN);
    return finish();
}

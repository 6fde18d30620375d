// Open file description locks (F_OFD_*): conflicts between two opens in one process, F_GETLK.
#include "fs_common.h"
static int lk(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}
int main(void) {
    enter_scratch();
    put("f", "0123456789");
    int a = open("f", O_RDWR), b = open("f", O_RDWR);
    EXPECT("a write-lock 0..9", lk(a, F_OFD_SETLK, F_WRLCK, 0, 10), 0);
    EXPECT("b read-lock 5", lk(b, F_OFD_SETLK, F_RDLCK, 5, 1), EAGAIN);
    EXPECT("b lock past range", lk(b, F_OFD_SETLK, F_WRLCK, 10, 5), 0);
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    EXPECT("b getlk", fcntl(b, F_OFD_GETLK, &q), 0);
    printf("conflict type=%d start=%ld len=%ld pid=%d\n", q.l_type, (long)q.l_start, (long)q.l_len, q.l_pid);
    EXPECT("a unlock middle", lk(a, F_OFD_SETLK, F_UNLCK, 3, 4), 0);
    EXPECT("b lock freed middle", lk(b, F_OFD_SETLK, F_WRLCK, 3, 4), 0);
    EXPECT("b lock 2 still a's", lk(b, F_OFD_SETLK, F_WRLCK, 2, 1), EAGAIN);
    struct flock q2 = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    fcntl(a, F_OFD_GETLK, &q2);
    printf("a sees type=%d start=%ld len=%ld\n", q2.l_type, (long)q2.l_start, (long)q2.l_len);
    int ro = open("f", O_RDONLY);
    EXPECT("write lock on read-only fd", lk(ro, F_OFD_SETLK, F_WRLCK, 0, 1), EBADF);
    struct flock bad = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 5};
    EXPECT("OFD with l_pid set", fcntl(ro, F_OFD_SETLK, &bad), EINVAL);
    close(a);
    EXPECT("a's locks gone with it", lk(b, F_OFD_SETLK, F_WRLCK, 0, 3), 0);
    return finish();
}

// dup2(2) over a descriptor closes it, and closing any descriptor of a file drops the
// process's record locks on it (fcntl(2)). Observed through an open file description lock
// query on another description of the file, which conflicts with the process's record lock.
#include "fs_common.h"
static const char *lock_state(int fd) {
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(fd, F_OFD_GETLK, &q) != 0) return ename(errno);
    return q.l_type == F_UNLCK ? "unlocked" : q.l_type == F_WRLCK ? "write-locked" : "read-locked";
}
int main(void) {
    enter_scratch();
    int fd1 = open("f", O_CREAT | O_RDWR, 0644);
    int fd2 = open("f", O_RDWR);
    int other = open("g", O_CREAT | O_RDWR, 0644);
    CHECK(fd1 >= 0 && fd2 >= 0 && other >= 0);
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    EXPECT("F_SETLK write 0..10", fcntl(fd1, F_SETLK, &l), 0);
    printf("seen from another description: %s\n", lock_state(fd2));
    int dupe = dup(fd1);
    CHECK(dupe >= 0);
    EXPECT("dup2 other over the dup", dup2(other, dupe), 0);
    printf("after dup2 replaced a descriptor of f: %s\n", lock_state(fd2));
    EXPECT("F_SETLK again", fcntl(fd1, F_SETLK, &l), 0);
    printf("locked again: %s\n", lock_state(fd2));
    EXPECT("dup3 over fd1", dup3(other, fd1, O_CLOEXEC), 0);
    printf("after dup3 replaced fd1: %s\n", lock_state(fd2));
    return finish();
}

// O_TMPFILE: unnamed file, linked later through /proc/self/fd or AT_EMPTY_PATH.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    int fd = open(".", O_TMPFILE | O_RDWR, 0600);
    CHECK(fd >= 0);
    struct stat st; fstat(fd, &st);
    printf("nlink=%d mode=%o\n", (int)st.st_nlink, st.st_mode & 07777);
    CHECK(write(fd, "data", 4) == 4);
    char p[64]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    EXPECT("linkat via /proc", linkat(AT_FDCWD, p, AT_FDCWD, "named", AT_SYMLINK_FOLLOW), 0);
    stat("named", &st); printf("named size=%lld nlink=%d\n", (long long)st.st_size, (int)st.st_nlink);
    int fd2 = open(".", O_TMPFILE | O_WRONLY, 0644);
    EXPECT("linkat AT_EMPTY_PATH", linkat(fd2, "", AT_FDCWD, "second", AT_EMPTY_PATH), 0);
    fstat(fd2, &st); printf("second nlink=%d\n", (int)st.st_nlink);
    EXPECT("O_TMPFILE read-only", open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
    EXPECT("O_TMPFILE on file", open("named", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
    close(fd); close(fd2);
    return finish();
}

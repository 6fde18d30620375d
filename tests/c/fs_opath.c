// O_PATH descriptors: fstat, fchdir, *at bases and /proc/self/fd work; I/O and fchmod give EBADF.
#include "fs_common.h"
#include <sys/file.h>
int main(void) {
    enter_scratch();
    mkdir("d", 0755); put("d/f", "hello"); chmod("d/f", 0);
    int dfd = open("d", O_PATH | O_DIRECTORY);
    int ffd = open("d/f", O_PATH);
    CHECK(dfd >= 0 && ffd >= 0);
    struct stat st;
    EXPECT("fstat O_PATH", fstat(ffd, &st), 0);
    printf("size=%lld\n", (long long)st.st_size);
    char b[8];
    EXPECT("read O_PATH", read(ffd, b, 1), EBADF);
    EXPECT("write O_PATH", write(ffd, "x", 1), EBADF);
    EXPECT("fchmod O_PATH", fchmod(ffd, 0644), EBADF);
    EXPECT("fchown O_PATH", fchown(ffd, 0, 0), EBADF);
    EXPECT("ftruncate O_PATH", ftruncate(ffd, 0), EBADF);
    EXPECT("flock O_PATH", flock(ffd, LOCK_SH), EBADF);
    EXPECT("fstatat via dir O_PATH", fstatat(dfd, "f", &st, 0), 0);
    EXPECT("fstatat AT_EMPTY_PATH", fstatat(ffd, "", &st, AT_EMPTY_PATH), 0);
    EXPECT("openat via O_PATH dir", openat(dfd, "f", O_RDONLY), 0);
    char p[64], t[256]; snprintf(p, sizeof p, "/proc/self/fd/%d", ffd);
    ssize_t n = readlink(p, t, sizeof t - 1); t[n > 0 ? n : 0] = 0;
    printf("fd link ends with /d/f: %d\n", n > 4 && !strcmp(t + n - 4, "/d/f"));
    EXPECT("fchdir O_PATH dir", fchdir(dfd), 0);
    EXPECT("relative after fchdir", access("f", F_OK), 0);
    int fl = fcntl(ffd, F_GETFL);
    printf("F_GETFL has O_PATH: %d\n", (fl & O_PATH) != 0);
    return finish();
}

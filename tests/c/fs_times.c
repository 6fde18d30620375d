// Timestamps: write updates mtime/ctime, chmod ctime only, utimensat UTIME_NOW/UTIME_OMIT, futimens.
#include "fs_common.h"
#include <time.h>
static int ts_eq(struct timespec a, struct timespec b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }
static int ts_le(struct timespec a, struct timespec b) { return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec); }
int main(void) {
    enter_scratch();
    put("f", "x");
    struct timespec t[2] = {{1000, 5}, {2000, 7}};
    EXPECT("utimensat explicit", utimensat(AT_FDCWD, "f", t, 0), 0);
    struct stat st; stat("f", &st);
    printf("atime=%ld.%ld mtime=%ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {3000, 0}};
    utimensat(AT_FDCWD, "f", omit, 0); stat("f", &st);
    printf("omit atime kept=%d mtime=%ld\n", st.st_atim.tv_sec == 1000, (long)st.st_mtim.tv_sec);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    utimensat(AT_FDCWD, "f", now, 0); stat("f", &st);
    printf("now atime recent=%d mtime kept=%d\n", st.st_atim.tv_sec > 1000000000, st.st_mtim.tv_sec == 3000);
    struct stat before = st;
    int fd = open("f", O_WRONLY);
    CHECK(write(fd, "y", 1) == 1);
    fstat(fd, &st);
    printf("write: mtime moved=%d ctime==mtime=%d\n", !ts_eq(st.st_mtim, before.st_mtim), ts_eq(st.st_ctim, st.st_mtim));
    struct timespec m = st.st_mtim;
    fchmod(fd, 0600); fstat(fd, &st);
    printf("chmod: mtime same=%d ctime>=mtime=%d\n", ts_eq(st.st_mtim, m), ts_le(m, st.st_ctim));
    struct timespec ft[2] = {{10, 0}, {20, 0}};
    EXPECT("futimens", futimens(fd, ft), 0);
    fstat(fd, &st); printf("futimens %ld %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    EXPECT("bad nsec", utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
    symlink("f", "l");
    struct timespec lt[2] = {{50, 0}, {60, 0}};
    EXPECT("utimensat nofollow", utimensat(AT_FDCWD, "l", lt, AT_SYMLINK_NOFOLLOW), 0);
    lstat("l", &st); printf("link mtime %ld\n", (long)st.st_mtim.tv_sec);
    stat("f", &st); printf("target mtime %ld\n", (long)st.st_mtim.tv_sec);
    mkdir("d", 0755); stat("d", &before);
    put("d/n", "z"); stat("d", &st);
    printf("dir mtime moved on create=%d\n", !ts_eq(st.st_mtim, before.st_mtim));
    close(fd);
    return finish();
}

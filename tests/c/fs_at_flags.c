// *at flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_REMOVEDIR, bad flags; dirfd not a directory.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    put("f", "abc"); symlink("f", "l"); mkdir("d", 0755);
    struct stat st;
    EXPECT("fstatat nofollow", fstatat(AT_FDCWD, "l", &st, AT_SYMLINK_NOFOLLOW), 0);
    printf("is link %d\n", S_ISLNK(st.st_mode));
    EXPECT("fstatat follow", fstatat(AT_FDCWD, "l", &st, 0), 0);
    printf("is reg %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    int fd = open("f", O_RDONLY);
    EXPECT("empty path without flag", fstatat(fd, "", &st, 0), ENOENT);
    EXPECT("AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
    EXPECT("relative to file dirfd", fstatat(fd, "x", &st, 0), ENOTDIR);
    EXPECT("absolute ignores bad dirfd", fstatat(fd, "/", &st, 0), 0);
    EXPECT("bad flag", fstatat(AT_FDCWD, "f", &st, 0x8000000), EINVAL);
    EXPECT("unlinkat dir without AT_REMOVEDIR", unlinkat(AT_FDCWD, "d", 0), EISDIR);
    EXPECT("unlinkat file with AT_REMOVEDIR", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
    EXPECT("unlinkat bad flag", unlinkat(AT_FDCWD, "f", 1), EINVAL);
    EXPECT("faccessat nofollow on link", faccessat(AT_FDCWD, "l", F_OK, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT("fchownat nofollow", fchownat(AT_FDCWD, "l", 5, 5, AT_SYMLINK_NOFOLLOW), 0);
    lstat("l", &st); printf("link uid %d\n", (int)st.st_uid);
    stat("f", &st); printf("file uid %d\n", (int)st.st_uid);
    EXPECT("fchownat AT_EMPTY_PATH", fchownat(fd, "", 7, 7, AT_EMPTY_PATH), 0);
    fstat(fd, &st); printf("fd uid %d\n", (int)st.st_uid);
    EXPECT("linkat no follow gives link", linkat(AT_FDCWD, "l", AT_FDCWD, "l2", 0), 0);
    lstat("l2", &st); printf("l2 is link %d\n", S_ISLNK(st.st_mode));
    EXPECT("linkat follow", linkat(AT_FDCWD, "l", AT_FDCWD, "f2", AT_SYMLINK_FOLLOW), 0);
    lstat("f2", &st); printf("f2 is reg %d nlink %d\n", S_ISREG(st.st_mode), (int)st.st_nlink);
    EXPECT("rmdir .", rmdir("d/."), EINVAL);
    EXPECT("rmdir non-empty", (put("d/x", ""), rmdir("d")), ENOTEMPTY);
    close(fd);
    return finish();
}

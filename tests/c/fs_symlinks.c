// Symbolic links: relative, absolute, loops, O_NOFOLLOW, lstat, readlink truncation.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    mkdir("d", 0755); put("d/f", "x");
    symlink("d/f", "rel"); symlink("../d", "d/up"); symlink("loop2", "loop1"); symlink("loop1", "loop2");
    char abs[128]; snprintf(abs, sizeof abs, "%s/d", scratch); symlink(abs, "abs");
    EXPECT("open rel", open("rel", O_RDONLY), 0);
    EXPECT("open via abs", open("abs/f", O_RDONLY), 0);
    EXPECT("open via up", open("d/up/f", O_RDONLY), 0);
    EXPECT("loop", open("loop1", O_RDONLY), ELOOP);
    EXPECT("O_NOFOLLOW final link", open("rel", O_RDONLY | O_NOFOLLOW), ELOOP);
    EXPECT("O_NOFOLLOW middle link ok", open("abs/f", O_RDONLY | O_NOFOLLOW), 0);
    struct stat st; lstat("rel", &st);
    printf("lstat link: islnk=%d size=%lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
    char buf[8]; ssize_t n = readlink("rel", buf, 2);
    printf("readlink truncated n=%zd %.2s\n", n, buf);
    EXPECT("readlink non-link", readlink("d/f", buf, 8), EINVAL);
    EXPECT("symlink empty target", symlink("", "e"), ENOENT);
    EXPECT("trailing slash on file link", open("rel/", O_RDONLY), ENOTDIR);
    EXPECT("dir via link with slash", open("abs/", O_RDONLY | O_DIRECTORY), 0);
    EXPECT("O_DIRECTORY on file", open("rel", O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT("O_PATH|O_NOFOLLOW on link", open("rel", O_PATH | O_NOFOLLOW), 0);
    return finish();
}

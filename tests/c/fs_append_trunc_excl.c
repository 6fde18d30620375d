// O_APPEND writes at the end whatever the offset; O_TRUNC empties; O_EXCL refuses existing names.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    put("f", "hello");
    int fd = open("f", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    CHECK(write(fd, "++", 2) == 2);
    printf("pos after append=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    struct stat st; stat("f", &st); printf("size=%lld\n", (long long)st.st_size);
    EXPECT("O_EXCL existing", open("f", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
    symlink("nowhere", "dangling");
    EXPECT("O_EXCL on dangling link", open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
    fd = open("dangling", O_CREAT | O_WRONLY, 0600);
    printf("create through dangling link: %s\n", fd >= 0 ? "OK" : ename(errno));
    close(fd);
    EXPECT("target exists", access("nowhere", F_OK), 0);
    fd = open("f", O_RDWR | O_TRUNC);
    fstat(fd, &st); printf("after O_TRUNC size=%lld\n", (long long)st.st_size);
    close(fd);
    EXPECT("O_TRUNC|O_RDONLY on dir", open(".", O_RDONLY | O_TRUNC), EISDIR);
    EXPECT("O_WRONLY dir", open(".", O_WRONLY), EISDIR);
    EXPECT("O_CREAT trailing slash", open("newdir/", O_CREAT | O_WRONLY, 0600), EISDIR);
    return finish();
}

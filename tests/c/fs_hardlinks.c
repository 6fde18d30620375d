// Hard links: link counts, unlink of open files, links to directories refused.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    put("a", "content");
    EXPECT("link", link("a", "b"), 0);
    struct stat st, st2; stat("a", &st); stat("b", &st2);
    printf("nlink=%d same_ino=%d\n", (int)st.st_nlink, st.st_ino == st2.st_ino);
    int fd = open("a", O_RDONLY);
    unlink("a"); unlink("b");
    fstat(fd, &st); printf("after unlink nlink=%d\n", (int)st.st_nlink);
    char buf[16] = {0}; CHECK(read(fd, buf, 15) == 7); printf("still reads %s\n", buf);
    close(fd);
    mkdir("d", 0755);
    EXPECT("link dir", link("d", "d2"), EPERM);
    EXPECT("link missing", link("nope", "x"), ENOENT);
    put("c", "x");
    EXPECT("link onto existing", link("c", "d"), EEXIST);
    stat("d", &st); printf("dir nlink=%d\n", (int)st.st_nlink);
    mkdir("d/sub", 0755); stat("d", &st); printf("dir nlink with sub=%d\n", (int)st.st_nlink);
    return finish();
}

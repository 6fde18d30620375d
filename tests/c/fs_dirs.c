// Directories: mkdir/rmdir rules, link counts, removed cwd, EEXIST before EACCES.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    EXPECT("mkdir", mkdir("a", 0755), 0);
    EXPECT("mkdir exists", mkdir("a", 0755), EEXIST);
    EXPECT("mkdir trailing slash", mkdir("b/", 0755), 0);
    EXPECT("mkdir missing parent", mkdir("x/y", 0755), ENOENT);
    put("f", "");
    EXPECT("mkdir under file", mkdir("f/y", 0755), ENOTDIR);
    EXPECT("mkdir over file", mkdir("f", 0755), EEXIST);
    EXPECT("rmdir file", rmdir("f"), ENOTDIR);
    EXPECT("unlink dir", unlink("a"), EISDIR);
    EXPECT("rmdir /", rmdir("/"), EBUSY);
    char long_name[300]; memset(long_name, 'n', 256); long_name[256] = 0;
    EXPECT("name too long", mkdir(long_name, 0755), ENAMETOOLONG);
    mkdir("c", 0755); chdir("c");
    EXPECT("rmdir cwd", rmdir("../c"), 0);
    EXPECT("create in removed cwd", open("z", O_CREAT | O_WRONLY, 0600), ENOENT);
    chdir(scratch);
    struct stat st; stat(".", &st); printf("nlink=%d\n", (int)st.st_nlink);
    return finish();
}

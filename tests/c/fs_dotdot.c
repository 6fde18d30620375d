// `..` resolution: through links (from the link's target), at the root, with chdir.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    mkdir("a", 0755); mkdir("a/b", 0755); mkdir("c", 0755); put("c/x", "x");
    symlink("a/b", "lb");
    EXPECT("lb/../b exists (a/b/..=a)", access("lb/../b", F_OK), 0);
    EXPECT("lb/../../c/x", access("lb/../../c/x", F_OK), 0);
    EXPECT("/../../.. is root", access("/../../..", F_OK), 0);
    struct stat r1, r2; stat("/", &r1); stat("/..", &r2);
    printf("root..=root %d\n", r1.st_ino == r2.st_ino && r1.st_dev == r2.st_dev);
    chdir("lb");
    char buf[256]; getcwd(buf, sizeof buf);
    printf("cwd ends with a/b: %d\n", strlen(buf) > 4 && !strcmp(buf + strlen(buf) - 4, "/a/b"));
    EXPECT("../../c/x from cwd", access("../../c/x", F_OK), 0);
    chdir(scratch);
    EXPECT("file/..", access("c/x/..", F_OK), ENOTDIR);
    EXPECT("missing/..", access("nope/..", F_OK), ENOENT);
    return finish();
}

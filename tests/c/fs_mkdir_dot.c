// mkdir/mknod of names that already exist by construction: `.`, `..`, `/`, `d/.` (busybox
// tar extracts an archive's `./` entry with mkdir("./")), and unlink/rmdir of them.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    EXPECT("mkdir .", mkdir(".", 0755), EEXIST);
    EXPECT("mkdir ./", mkdir("./", 0755), EEXIST);
    EXPECT("mkdir ..", mkdir("..", 0755), EEXIST);
    EXPECT("mkdir /", mkdir("/", 0755), EEXIST);
    EXPECT("mkdir d", mkdir("d", 0755), 0);
    EXPECT("mkdir d/.", mkdir("d/.", 0755), EEXIST);
    EXPECT("mkdir d/..", mkdir("d/..", 0755), EEXIST);
    EXPECT("mkdir nope/.", mkdir("nope/.", 0755), ENOENT);
    EXPECT("mknod fifo .", mknod(".", S_IFIFO | 0644, 0), EEXIST);
    EXPECT("unlink .", unlink("."), EISDIR);
    EXPECT("rmdir d/.", rmdir("d/."), EINVAL);
    EXPECT("rmdir d/..", rmdir("d/.."), ENOTEMPTY);
    EXPECT("rmdir d", rmdir("d"), 0);
    return finish();
}

// The current directory removed under the process: getcwd and creating in it give ENOENT.
// (Not covered: "." itself still resolves natively, as the removed directory lives on while
// it is the cwd; the sandbox keeps the cwd as a path, so "." there is ENOENT.)
#include "fs_common.h"
int main(void) {
    enter_scratch();
    char buf[256];
    EXPECT("mkdir d", mkdir("d", 0755), 0);
    EXPECT("chdir d", chdir("d"), 0);
    EXPECT("getcwd", getcwd(buf, sizeof buf) ? 0 : -1, 0);
    EXPECT("rmdir ../d", rmdir("../d"), 0);
    EXPECT("getcwd after rmdir", getcwd(buf, sizeof buf) ? 0 : -1, ENOENT);
    EXPECT("create in removed cwd", open("x", O_CREAT | O_WRONLY, 0644), ENOENT);
    EXPECT("chdir back", chdir(scratch), 0);
    EXPECT("getcwd again", getcwd(buf, sizeof buf) ? 0 : -1, 0);
    return finish();
}

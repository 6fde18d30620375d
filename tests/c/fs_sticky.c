// Sticky directories: only owners (of file or directory) remove entries.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    chmod(".", 0755);
    mkdir("t", 01777);
    chmod("t", 01777);
    put("t/roots", "r");
    put("t/users", "u"); chown("t/users", 1000, 1000);
    chmod("t/roots", 0666);
    EXPECT("setresgid", setresgid(1000, 1000, 1000), 0);
    EXPECT("setresuid keep saved 0", setresuid(1000, 1000, 0), 0);
    uid_t r, e, s; getresuid(&r, &e, &s); printf("res %d %d %d\n", (int)r, (int)e, (int)s);
    EXPECT("unlink other's in sticky", unlink("t/roots"), EPERM);
    EXPECT("rename other's in sticky", rename("t/roots", "t/x"), EPERM);
    EXPECT("write other's 0666", open("t/roots", O_WRONLY), 0);
    EXPECT("unlink own in sticky", unlink("t/users"), 0);
    EXPECT("create in sticky", open("t/mine", O_CREAT | O_WRONLY, 0600), 0);
    EXPECT("back to root via saved", seteuid(0), 0);
    EXPECT("root unlinks", unlink("t/roots"), 0);
    return finish();
}

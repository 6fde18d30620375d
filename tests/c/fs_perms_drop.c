// Dropping root: owner/group/other bits, search permission, root bypass lost, chmod/chown rules.
#include "fs_common.h"
#include <grp.h>
int main(void) {
    enter_scratch();
    chmod(".", 0777);
    put("secret", "s"); chmod("secret", 0600);
    put("grp", "g"); chmod("grp", 0640); chown("grp", 0, 100);
    put("pub", "p"); chmod("pub", 0604);
    mkdir("closed", 0700); put("closed/x", "x"); chmod("closed/x", 0666);
    put("mine", "m"); chown("mine", 1000, 1000); chmod("mine", 0600);
    EXPECT("root reads 0600", open("secret", O_RDONLY), 0);
    EXPECT("root exec non-exec file", access("secret", X_OK), EACCES);
    gid_t groups[] = {100};
    EXPECT("setgroups", setgroups(1, groups), 0);
    EXPECT("setresgid", setresgid(1000, 1000, 1000), 0);
    EXPECT("setresuid keeping saved root", setresuid(1000, 1000, 0), 0);
    printf("ids %d %d %d %d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
    EXPECT("read 0600 other's", open("secret", O_RDONLY), EACCES);
    EXPECT("read group 0640", open("grp", O_RDONLY), 0);
    EXPECT("write group 0640", open("grp", O_WRONLY), EACCES);
    EXPECT("read other 0604", open("pub", O_RDONLY), 0);
    EXPECT("search 0700 dir", open("closed/x", O_RDONLY), EACCES);
    EXPECT("stat through 0700 dir", access("closed/x", F_OK), EACCES);
    EXPECT("read own 0600", open("mine", O_RDONLY), 0);
    EXPECT("chmod other's", chmod("secret", 0777), EPERM);
    EXPECT("chmod own", chmod("mine", 0644), 0);
    EXPECT("chown own to root", chown("mine", 0, -1), EPERM);
    EXPECT("chgrp own to member group", chown("mine", -1, 100), 0);
    EXPECT("chgrp own to other group", chown("mine", -1, 5), EPERM);
    EXPECT("setresuid to a stranger", setresuid(-1, 4242, -1), EPERM);
    EXPECT("setgroups unprivileged", setgroups(0, 0), EPERM);
    EXPECT("truncate other's", truncate("secret", 0), EACCES);
    EXPECT("utimes now on other's (no write)", utimensat(AT_FDCWD, "secret", 0, 0), EACCES);
    EXPECT("create in 0777 dir", open("new", O_CREAT | O_WRONLY, 0644), 0);
    struct stat st; stat("new", &st);
    printf("new owner %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    EXPECT("seteuid back through saved uid", seteuid(0), 0);
    return finish();
}

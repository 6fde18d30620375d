// umask, set-group-ID directories (group and bit inherited), chown clearing setuid bits.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    umask(027);
    int fd = open("f", O_CREAT | O_WRONLY, 0777); close(fd);
    mkdir("d", 0777); mkfifo("p", 0666); 
    struct stat st;
    stat("f", &st); printf("file %o\n", st.st_mode & 07777);
    stat("d", &st); printf("dir %o\n", st.st_mode & 07777);
    stat("p", &st); printf("fifo %o\n", st.st_mode & 07777);
    umask(0);
    mkdir("g", 0775); chown("g", 0, 123); chmod("g", 02775);
    mkdir("g/sub", 0755); put("g/file", "x");
    stat("g/sub", &st); printf("sub gid=%d mode=%o\n", (int)st.st_gid, st.st_mode & 07777);
    stat("g/file", &st); printf("file gid=%d\n", (int)st.st_gid);
    put("s", "x"); chmod("s", 06755);
    chown("s", 5, 6);
    stat("s", &st); printf("after chown %d:%d mode=%o\n", (int)st.st_uid, (int)st.st_gid, st.st_mode & 07777);
    chmod("s", 02745); chown("s", 7, -1);
    stat("s", &st); printf("sgid without gx kept: %o\n", st.st_mode & 07777);
    symlink("f", "l"); EXPECT("lchown", lchown("l", 9, 9), 0);
    lstat("l", &st); printf("link owner %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    stat("f", &st); printf("target owner %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    fd = open("f", O_RDONLY); EXPECT("fchown", fchown(fd, 3, 4), 0); close(fd);
    return finish();
}

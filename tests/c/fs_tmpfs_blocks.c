// st_blocks and st_size on a tmpfs as du(1) sees them: directories hold no blocks (their size
// is 20 bytes per entry, shmem's BOGO_DIRENT_SIZE); a symbolic link holds none while its
// target and NUL fit the inode (mm/shmem.c, SHORT_SYMLINK_LEN = 128), else one page; regular
// files count the pages they hold.
#include "fs_common.h"

static void show(const char *name) {
    struct stat st;
    if (lstat(name, &st)) { printf("%s: %s\n", name, ename(errno)); failures++; return; }
    printf("%s: size %lld blocks %lld\n", name, (long long)st.st_size, (long long)st.st_blocks);
}

static void link_of(const char *name, size_t len) {
    char target[4096];
    memset(target, 'x', len);
    target[len] = 0;
    CHECK(symlink(target, name) == 0);
    show(name);
}

static void file_of(const char *name, size_t len) {
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    char buf[9000];
    memset(buf, 'y', sizeof buf);
    CHECK(write(fd, buf, len) == (ssize_t)len);
    close(fd);
    show(name);
}

int main(void) {
    enter_scratch();
    CHECK(mkdir("d", 0755) == 0);
    show("d");
    CHECK(mkdir("d/sub", 0755) == 0);
    close(open("d/f", O_CREAT | O_WRONLY, 0644));
    show("d");
    link_of("l1", 1);
    link_of("l126", 126);
    link_of("l127", 127);
    link_of("l128", 128);
    link_of("l4000", 4000);
    file_of("f0", 0);
    file_of("f1", 1);
    file_of("f4096", 4096);
    file_of("f8193", 8193);
    CHECK(mkfifo("fifo", 0644) == 0);
    show("fifo");
    return finish();
}

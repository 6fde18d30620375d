// meridian volumes test: every way of writing to argv[1] (which holds `file`, `dir` and the
// link `link` -> file), each reported as ok or its errno name. On a read-only volume, natively
// on a read-only bind mount, each must fail with EROFS; as a user without permission, with
// EACCES.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void report(const char *what, long r) {
    if (r < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: ok\n", what);
}

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) return 2;
    int fd = open("file", O_RDONLY);
    report("open O_RDONLY", fd);
    char buf[32];
    report("read", fd < 0 ? -1 : read(fd, buf, sizeof buf));
    report("open O_WRONLY", open("file", O_WRONLY));
    report("open O_RDWR", open("file", O_RDWR));
    report("open O_TRUNC", open("file", O_RDONLY | O_TRUNC));
    report("open O_CREAT new", open("new", O_WRONLY | O_CREAT, 0644));
    report("open O_CREAT existing O_WRONLY", open("file", O_WRONLY | O_CREAT, 0644));
    report("mkdir", mkdir("newdir", 0755));
    report("mkdir in dir", mkdir("dir/newdir", 0755));
    report("unlink", unlink("file"));
    report("rmdir", rmdir("dir"));
    report("rename", rename("file", "renamed"));
    report("rename into dir", rename("file", "dir/file"));
    report("link", link("file", "hard"));
    report("symlink", symlink("file", "sym"));
    report("chmod", chmod("file", 0600));
    report("chmod through link", chmod("link", 0600));
    report("truncate", truncate("file", 0));
    report("utime", utimes("file", NULL));
    report("utimensat", utimensat(AT_FDCWD, "file", NULL, 0));
    report("mkfifo", mkfifo("fifo", 0644));
    report("ftruncate of a read-only fd", fd < 0 ? -1 : ftruncate(fd, 0));
    return 0;
}

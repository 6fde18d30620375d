// meridian volumes test: every way of changing a directory, run natively on a host directory
// and in the sandbox on a read-write volume (argv[1]); the test compares stdout and then the
// two directories' contents, modes, links and times on the host.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void report(const char *what, int r) {
    if (r < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: ok\n", what);
}

static void show(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("stat %s: %s\n", path, strerrorname_np(errno));
        return;
    }
    printf("stat %s: mode %o size %lld nlink %lu\n", path, st.st_mode, (long long)st.st_size,
           (unsigned long)st.st_nlink);
}

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) return 2;
    setvbuf(stdout, 0, _IOLBF, 0);
    umask(022);
    int fd = open("file", O_WRONLY | O_CREAT | O_EXCL, 0666);
    report("create file", fd);
    report("write", (int)write(fd, "hello, volume\n", 14));
    report("pwrite", (int)pwrite(fd, "HELLO", 5, 0));
    report("fsync", fsync(fd));
    report("fdatasync", fdatasync(fd));
    report("close", close(fd));
    report("create again O_EXCL", open("file", O_WRONLY | O_CREAT | O_EXCL, 0644));
    fd = open("file", O_WRONLY | O_APPEND);
    report("append", (int)write(fd, "appended\n", 9));
    close(fd);
    umask(0);
    report("create 0604 with umask 0", fd = open("modes", O_RDWR | O_CREAT, 0604));
    report("fchmod 0640", fchmod(fd, 0640));
    report("ftruncate 100", ftruncate(fd, 100));
    report("fallocate 4096", fallocate(fd, 0, 0, 4096));
    close(fd);
    umask(027);
    report("mkdir 0777 with umask 027", mkdir("dir", 0777));
    report("mkdir again", mkdir("dir", 0755));
    report("mkdir nested", mkdir("dir/sub", 0700));
    report("symlink", symlink("../file", "dir/link"));
    report("symlink dangling", symlink("nowhere", "dangling"));
    report("symlink again", symlink("x", "dangling"));
    report("hard link", link("file", "dir/hard"));
    report("hard link of a directory", link("dir", "dirlink"));
    report("hard link of a symlink", link("dir/link", "linklink"));
    report("rename file", rename("modes", "dir/sub/modes"));
    report("rename over a file", rename("dir/hard", "dir/sub/modes"));
    report("renameat2 noreplace",
           renameat2(AT_FDCWD, "file", AT_FDCWD, "dir/sub/modes", RENAME_NOREPLACE));
    report("rename dir into itself", rename("dir", "dir/sub/x"));
    report("rename dir", rename("dir", "moved"));
    report("rename missing", rename("dir", "again"));
    report("rmdir non-empty", rmdir("moved"));
    report("unlink a dir", unlink("moved/sub"));
    report("rmdir a file", rmdir("file"));
    report("chmod file 0600", chmod("file", 0600));
    report("chmod dir 0750", chmod("moved/sub", 0750));
    report("truncate path", truncate("moved/sub/modes", 3));
    struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
    report("utimensat", utimensat(AT_FDCWD, "moved/sub/modes", times, 0));
    report("utimensat nofollow", utimensat(AT_FDCWD, "moved/link", times, AT_SYMLINK_NOFOLLOW));
    report("create and unlink", fd = open("gone", O_CREAT | O_WRONLY, 0644));
    close(fd);
    report("unlink", unlink("gone"));
    report("unlink missing", unlink("gone"));
    report("mkdir and rmdir", mkdir("empty", 0755));
    report("rmdir", rmdir("empty"));
    // The last changes: those the known differences of crates/cli/tests/volumes.rs name.
    int x1 = open("x1", O_CREAT | O_WRONLY, 0644), x2 = open("x2", O_CREAT | O_WRONLY, 0644);
    report("write x1", (int)write(x1, "one\n", 4));
    report("write x2", (int)write(x2, "two\n", 4));
    report("fallocate keep size", fallocate(x1, FALLOC_FL_KEEP_SIZE, 0, 8192));
    close(x1);
    close(x2);
    report("renameat2 exchange", renameat2(AT_FDCWD, "x1", AT_FDCWD, "x2", RENAME_EXCHANGE));
    report("mkfifo", mkfifo("fifo", 0644));
    report("O_CREAT through a dangling link", fd = open("linklink", O_CREAT | O_WRONLY, 0644));
    if (fd >= 0) close(fd);
    char buf[64] = {0};
    fd = open("moved/link", O_RDONLY);
    report("read through a link", (int)read(fd, buf, sizeof buf - 1));
    close(fd);
    printf("content: %s", buf);
    const char *paths[] = {"file", "moved", "moved/sub", "moved/sub/modes", "moved/link",
                           "dangling", "linklink", "nowhere"};
    for (unsigned i = 0; i < sizeof paths / sizeof *paths; i++) show(paths[i]);
    return 0;
}

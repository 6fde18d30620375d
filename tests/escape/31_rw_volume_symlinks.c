// Attack: write through symlinks in the read-write volume /w that point outside it: links the
// test planted on the host (abs_victim -> the victim's absolute host path, dir_link -> its host
// directory, up_link -> ../../outside, relative) and links the guest makes itself (absolute,
// and `../` chains deep enough to climb out of any host path). Each is used to open for
// writing, truncate, create through, chmod, utime, mkdir in, rename onto and unlink beneath.
// Expected containment: the library OS resolves every link inside the sandbox root, where the
// targets do not exist (ENOENT) or are read-only; the host kernel would refuse to follow a link
// anyway (one name at a time, RESOLVE_NO_SYMLINKS, AT_SYMLINK_NOFOLLOW). Checked from outside:
// the victim's content, mode and times are unchanged, and the secret is never read.
#include "escape.h"
#include <sys/time.h>

// `beneath_link`: the path goes through a link to a directory, so unlinking it would remove
// a host file outside the volume; otherwise the path is the link itself, which the guest may
// remove (it is the volume's).
static void attempt(const char *what, const char *path, int beneath_link) {
    int fd = open(path, O_WRONLY | O_TRUNC);
    EXPECT(fd < 0, "%s: open(%s, O_WRONLY|O_TRUNC) fails: %s", what, path, strerror(errno));
    if (fd >= 0) {
        if (write(fd, "PWNED\n", 6) < 0) perror("write");
        close(fd);
    }
    EXPECT(truncate(path, 0) != 0, "%s: truncate fails: %s", what, strerror(errno));
    EXPECT(chmod(path, 0777) != 0, "%s: chmod fails: %s", what, strerror(errno));
    struct timeval tv[2] = {{1, 0}, {1, 0}};
    EXPECT(utimes(path, tv) != 0, "%s: utimes fails: %s", what, strerror(errno));
    if (beneath_link)
        EXPECT(unlink(path) != 0, "%s: unlink fails: %s", what, strerror(errno));
    int r = try_read(path);
    EXPECT(r != 0, "%s: read fails: %s", what, strerror(r));
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    char buf[4096];
    attempt("planted absolute link", "/w/abs_victim", 0);
    snprintf(buf, sizeof buf, "/w/dir_link/%s", strrchr(victim_path, '/') + 1);
    attempt("planted directory link", buf, 1);
    snprintf(buf, sizeof buf, "/w/up_link/%s", strrchr(victim_path, '/') + 1);
    attempt("planted relative link", buf, 1);

    EXPECT(symlink(victim_path, "/w/my_abs") == 0, "symlink to the victim's host path made");
    attempt("own absolute link", "/w/my_abs", 0);
    char climb[4096] = "";
    for (int i = 0; i < 32; i++) strcat(climb, "../");
    strcat(climb, victim_path + 1);
    EXPECT(symlink(climb, "/w/my_rel") == 0, "relative climbing symlink made");
    attempt("own relative link", "/w/my_rel", 0);
    EXPECT(symlink("../../../../../../../../../..", "/w/my_up") == 0, "symlink to .. chain made");
    snprintf(buf, sizeof buf, "/w/my_up%s", victim_path);
    attempt("own .. link as a directory", buf, 1);
    snprintf(buf, sizeof buf, "/w/my_up%s", secret_path);
    int r = try_read(buf);
    EXPECT(r != 0, "secret through the .. link: %s", strerror(r));

    // Creating through links: O_CREAT on a dangling link creates its target, inside the sandbox.
    snprintf(buf, sizeof buf, "/w/dir_link/created_by_guest");
    int fd = open(buf, O_WRONLY | O_CREAT, 0644);
    EXPECT(fd < 0, "create beneath the planted directory link fails: %s", strerror(errno));
    EXPECT(mkdir("/w/dir_link/newdir", 0755) != 0, "mkdir beneath it fails: %s", strerror(errno));
    EXPECT(mkdir("/w/up_link/newdir", 0755) != 0, "mkdir beneath up_link fails: %s",
           strerror(errno));
    fd = open("/w/mine.txt", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) close(fd);
    snprintf(buf, sizeof buf, "/w/dir_link/%s", strrchr(victim_path, '/') + 1);
    EXPECT(rename("/w/mine.txt", buf) != 0, "rename onto the victim through a link fails: %s",
           strerror(errno));
    EXPECT(rename("/w/mine.txt", "/w/abs_victim") == 0,
           "rename onto the planted link replaces the link itself");
    return finish();
}

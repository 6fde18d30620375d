// Attack: leave the read-write volume /w by `..`: from its root, from a directory made inside
// it, from a working directory in it, and through /proc/self/root, /proc/self/cwd and
// /proc/self/fd/N of a descriptor of /w; each used to write, create, rename onto and unlink the
// host victim (its host path under the sandbox root) and to read the secret.
// Expected containment: `..` stops at the sandbox root (the library OS resolves paths), where
// the victim's and secret's host paths do not exist: ENOENT each time. Checked from outside:
// the victim is unchanged and the secret unread.
#include "escape.h"

static void write_at(const char *what, const char *path) {
    int fd = open(path, O_WRONLY | O_TRUNC);
    EXPECT(fd < 0, "%s: open for writing fails: %s", what, strerror(errno));
    if (fd >= 0) close(fd);
    EXPECT(unlink(path) != 0, "%s: unlink fails: %s", what, strerror(errno));
    int src = open("/w/tmp.txt", O_WRONLY | O_CREAT, 0644);
    if (src >= 0) close(src);
    EXPECT(rename("/w/tmp.txt", path) != 0, "%s: rename onto it fails: %s", what,
           strerror(errno));
    EXPECT(link("/w/tmp.txt", path) != 0, "%s: link onto it fails: %s", what, strerror(errno));
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    char buf[8192], dots[4096] = "";
    for (int i = 0; i < 40; i++) strcat(dots, "../");
    snprintf(buf, sizeof buf, "/w/%s%s", dots, victim_path + 1);
    write_at("from the volume root", buf);
    EXPECT(mkdir("/w/d", 0755) == 0 || errno == EEXIST, "a directory in the volume");
    snprintf(buf, sizeof buf, "/w/d/%s%s", dots, victim_path + 1);
    write_at("from a directory in the volume", buf);
    EXPECT(chdir("/w/d") == 0, "chdir into the volume");
    snprintf(buf, sizeof buf, "%s%s", dots, victim_path + 1);
    write_at("relative to the cwd", buf);
    snprintf(buf, sizeof buf, "/proc/self/root%s", victim_path);
    write_at("through /proc/self/root", buf);
    snprintf(buf, sizeof buf, "/proc/self/cwd/%s%s", dots, victim_path + 1);
    write_at("through /proc/self/cwd", buf);
    int dfd = open("/w", O_RDONLY | O_DIRECTORY);
    snprintf(buf, sizeof buf, "/proc/self/fd/%d/%s%s", dfd, dots, victim_path + 1);
    write_at("through /proc/self/fd of the volume", buf);
    snprintf(buf, sizeof buf, "%s%s", dots, victim_path + 1);
    int fd = openat(dfd, buf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT(fd < 0, "openat(volume fd, ../.. victim, O_CREAT) fails: %s", strerror(errno));
    if (fd >= 0) close(fd);
    snprintf(buf, sizeof buf, "/w/%s%s", dots, secret_path + 1);
    int r = try_read(buf);
    EXPECT(r != 0, "the secret by ..: %s", strerror(r));
    snprintf(buf, sizeof buf, "/proc/self/root%s", secret_path);
    r = try_read(buf);
    EXPECT(r != 0, "the secret through /proc/self/root: %s", strerror(r));
    return finish();
}

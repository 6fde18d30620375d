// Attack: make a hard link in the read-write volume /w to a file outside it, or move a file of
// the volume out of it: link the secret's and the victim's host paths; linkat with
// AT_EMPTY_PATH of descriptors of files outside /w (the read-only volume's hard link to an
// outside file, /v/victim.txt, /t's binary, an in-memory file) and through /proc/self/fd/N
// with AT_SYMLINK_FOLLOW; rename /w files into /v, /tmp and the host victim's path, and
// RENAME_EXCHANGE with /v/victim.txt.
// Expected containment: paths resolve inside the sandbox (ENOENT for host paths); links and
// renames between mounts are EXDEV (or EROFS into the read-only volume); a host-side hard link
// of an outside file is never made by the guest. Checked from outside: the victims are
// unchanged, no file of /w shares an inode with the secret or a victim, the file the test put
// in /w (keep.txt) is still there.
#include "escape.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

static void no_link_from_fd(const char *what, int fd, const char *name) {
    if (fd < 0) {
        printf("note: %s could not be opened: %s\n", what, strerror(errno));
        return;
    }
    EXPECT(linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH) != 0,
           "linkat(AT_EMPTY_PATH) of %s fails: %s", what, strerror(errno));
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    EXPECT(linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) != 0,
           "link of %s through /proc/self/fd fails: %s", what, strerror(errno));
    close(fd);
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    EXPECT(link(secret_path, "/w/stolen_secret") != 0, "link of the secret's host path: %s",
           strerror(errno));
    EXPECT(link(victim_path, "/w/stolen_victim") != 0, "link of the victim's host path: %s",
           strerror(errno));
    no_link_from_fd("/v/hard.txt (a hard link to an outside file)", open("/v/hard.txt", O_RDONLY),
                    "/w/from_hard");
    no_link_from_fd("/v/victim.txt", open("/v/victim.txt", O_RDONLY), "/w/from_v");
    no_link_from_fd("/t's program", open(argv[0], O_RDONLY), "/w/from_t");
    int tmp = open("/tmp/mem.txt", O_RDWR | O_CREAT, 0644);
    no_link_from_fd("an in-memory file", tmp, "/w/from_tmp");
    EXPECT(link("/v/hard.txt", "/w/hard_again") != 0, "link from the read-only volume: %s",
           strerror(errno));

    int fd = open("/w/moving.txt", O_WRONLY | O_CREAT, 0644);
    EXPECT(fd >= 0, "a file in the volume");
    if (fd >= 0) close(fd);
    EXPECT(rename("/w/keep.txt", "/v/keep.txt") != 0, "rename into the read-only volume: %s",
           strerror(errno));
    EXPECT(rename("/w/keep.txt", victim_path) != 0, "rename onto the victim's host path: %s",
           strerror(errno));
    EXPECT(renameat2(AT_FDCWD, "/w/keep.txt", AT_FDCWD, "/v/victim.txt", RENAME_EXCHANGE) != 0,
           "exchange with /v/victim.txt: %s", strerror(errno));
    int r = rename("/w/moving.txt", "/tmp/moved.txt");
    EXPECT(r != 0 && errno == EXDEV, "rename into /tmp is EXDEV: %s", strerror(errno));
    char buf[4096];
    snprintf(buf, sizeof buf, "/proc/self/root%s", victim_path);
    EXPECT(rename("/w/moving.txt", buf) != 0, "rename through /proc/self/root: %s",
           strerror(errno));
    return finish();
}

// Attack: a hard link in the read-only volume to a host file outside it (same filesystem).
// Expected containment: none is needed. A hard link is the same inode, so its content is part of
// the volume the policy granted: the guest reads it ("HARDLINK-VISIBLE ..."), and that is the
// only thing it reaches. It cannot write it (read-only volume) or reach the link's other names.
// The test skips with a note when the scratch dir and volume cannot share a filesystem.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    if (access("/v/hard.txt", F_OK) != 0) {
        printf("note: no hard link planted (different filesystems); skipped\n");
        return finish();
    }
    int err = try_read("/v/hard.txt");
    EXPECT(err == 0, "the hard link's content is readable: it is part of the volume");
    int fd = open("/v/hard.txt", O_WRONLY | O_APPEND);
    if (fd >= 0) write(fd, "tampered\n", 9);
    EXPECT(fd < 0, "the hard link is not writable: %s", strerror(errno));
    return finish();
}

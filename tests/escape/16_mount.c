// Attack: mount a tmpfs, bind-mount / elsewhere, unmount a volume, pivot_root, and the new mount
// API (fsopen, open_tree, move_mount).
// Expected containment: every call fails (EPERM/ENOSYS); the volumes stay as they were.
#include "escape.h"
#include <sys/mount.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    EXPECT(mount("none", "/tmp", "tmpfs", 0, 0) != 0, "mount(tmpfs): %s", strerror(errno));
    EXPECT(mount("/", "/tmp", 0, MS_BIND | MS_REC, 0) != 0, "bind mount of /: %s",
           strerror(errno));
    EXPECT(mount(0, "/v", 0, MS_REMOUNT, 0) != 0, "remount /v read-write: %s", strerror(errno));
    EXPECT(umount2("/v", MNT_DETACH) != 0, "umount2(/v): %s", strerror(errno));
    long r = raw6(SYS_pivot_root, (long)"/tmp", (long)"/tmp", 0, 0, 0, 0);
    EXPECT(r < 0, "pivot_root = %ld", r);
    r = raw6(SYS_fsopen, (long)"tmpfs", 0, 0, 0, 0, 0);
    EXPECT(r < 0, "fsopen(tmpfs) = %ld", r);
    r = raw6(SYS_open_tree, AT_FDCWD, (long)"/", 1 /* OPEN_TREE_CLONE */, 0, 0, 0);
    EXPECT(r < 0, "open_tree(/) = %ld", r);
    r = raw6(SYS_move_mount, AT_FDCWD, (long)"/v", AT_FDCWD, (long)"/tmp", 0, 0);
    EXPECT(r < 0, "move_mount = %ld", r);
    int err = try_read(secret_path);
    EXPECT(err != 0, "secret still ENOENT: %s", strerror(err));
    return finish();
}

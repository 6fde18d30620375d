// Attack: open, stat and openat2 the secret by its absolute host path (outside every mount).
// Expected containment: ENOENT for every call; the host path does not exist in the sandbox.
#include "escape.h"
#include <linux/openat2.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int err = try_read(secret_path);
    EXPECT(err != 0, "open(%s) fails: %s", secret_path, strerror(err));
    struct stat st;
    EXPECT(stat(secret_path, &st) != 0, "stat of the secret fails: %s", strerror(errno));
    struct open_how how = {.flags = O_RDONLY};
    long fd = syscall(SYS_openat2, AT_FDCWD, secret_path, &how, sizeof how);
    if (fd >= 0) dump_fd("openat2", fd);
    EXPECT(fd < 0, "openat2 of the secret fails: %s", strerror(errno));
    fd = open(secret_path, O_PATH);
    EXPECT(fd < 0, "O_PATH open of the secret fails: %s", strerror(errno));
    err = try_read(victim_path);
    EXPECT(err != 0, "open of the outside victim fails: %s", strerror(err));
    return finish();
}

// Attack: symlinks the test planted in the read-only host volume /v pointing outside it:
// abs_link -> the secret's absolute host path, rel_link -> ../../(x16)secret, dir_link -> the
// secret's host directory (absolute), up_link -> ../outside (relative, one level up).
// Expected containment: the library OS resolves every link inside the sandbox root, so the
// targets name sandbox paths that do not exist (ENOENT); the host kernel would refuse to
// follow them anyway (RESOLVE_NO_SYMLINKS beneath the volume root).
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    const char *links[] = {"/v/abs_link", "/v/rel_link", "/v/dir_link/secret.txt",
                           "/v/up_link/secret.txt"};
    for (unsigned i = 0; i < sizeof links / sizeof *links; i++) {
        int err = try_read(links[i]);
        EXPECT(err != 0, "open(%s) fails: %s", links[i], strerror(err));
        int fd = open(links[i], O_RDONLY | O_NOFOLLOW);
        if (fd >= 0) dump_fd(links[i], fd);
    }
    char target[4096];
    ssize_t n = readlink("/v/abs_link", target, sizeof target - 1);
    EXPECT(n > 0, "readlink(/v/abs_link) shows the volume's own link text (%zd bytes)", n);
    return finish();
}

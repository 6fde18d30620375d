// Attack: climb out with `..` chains: from the volume roots (/t/../../.., /v/../../..), from a
// working directory chdir'ed upwards twenty times, and openat() relative to a volume directory.
// Expected containment: `..` stops at the sandbox root; every open of the secret is ENOENT.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    const char *prefixes[] = {"/t/../../../..", "/v/../../../../..", "/..", "/proc/../..",
                              "/v/./../v/../../"};
    char path[4096];
    for (unsigned i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        snprintf(path, sizeof path, "%s%s", prefixes[i], secret_path);
        int err = try_read(path);
        EXPECT(err != 0, "open(%s) fails: %s", path, strerror(err));
    }
    chdir("/v");
    for (int i = 0; i < 20; i++) chdir("..");
    int err = try_read(secret_path + 1);
    EXPECT(err != 0, "open of the relative secret path after chdir(..) x20 fails: %s",
           strerror(err));
    int dir = open("/v", O_RDONLY | O_DIRECTORY);
    char rel[4096] = "";
    for (int i = 0; i < 16; i++) strcat(rel, "../");
    strcat(rel, secret_path + 1);
    int fd = openat(dir, rel, O_RDONLY);
    if (fd >= 0) dump_fd("openat", fd);
    EXPECT(fd < 0, "openat(/v, ../ x16 + secret) fails: %s", strerror(errno));
    return finish();
}

// Attack: the /proc magic links: /proc/self/root, /proc/thread-self/root, /proc/1/root,
// /proc/<host pid>/root and /proc/<host pid>/cwd, each followed by the secret's path.
// Expected containment: /proc is Meridian's own; self and 1 are the sandbox (root = the
// sandbox root), the host pid does not exist there. Every open fails.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    char pfx[64], path[4096];
    const char *fmts[] = {"/proc/self/root", "/proc/thread-self/root", "/proc/1/root",
                          "/proc/%ld/root", "/proc/%ld/cwd/../../../..", "/proc/self/cwd/../.."};
    for (unsigned i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        snprintf(pfx, sizeof pfx, fmts[i], host_pid);
        snprintf(path, sizeof path, "%s%s", pfx, secret_path);
        int err = try_read(path);
        EXPECT(err != 0, "open(%s) fails: %s", path, strerror(err));
    }
    snprintf(path, sizeof path, "/proc/%ld/environ", host_pid);
    int err = try_read(path);
    EXPECT(err != 0, "open(%s) fails: %s", path, strerror(err));
    return finish();
}

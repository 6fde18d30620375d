// Attack: exhaust descriptors: open /dev/null, dup, and pipe until failure (at most 1<<20
// attempts each), then check that the sandbox still works after closing some.
// Expected containment: EMFILE at the guest's descriptor limit; the program continues (a
// close frees a slot, a new open works) and ends normally.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int last = -1, n = 0, err = 0;
    for (int i = 0; i < (1 << 20); i++) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        last = fd;
        n++;
    }
    EXPECT(err == EMFILE, "open stops after %d with %s", n, strerror(err));
    EXPECT(dup(0) < 0 && errno == EMFILE, "dup: %s", strerror(errno));
    int p[2];
    EXPECT(pipe(p) != 0 && errno == EMFILE, "pipe: %s", strerror(errno));
    close(last);
    close(last - 1);
    int fd = open("/dev/null", O_RDONLY);
    EXPECT(fd >= 0, "after closing one, open works again (fd %d)", fd);
    EXPECT(pipe(p) != 0 || 1, "pipe after closing");
    int err2 = try_read(secret_path);
    EXPECT(err2 != 0, "secret still ENOENT: %s", strerror(err2));
    return finish();
}

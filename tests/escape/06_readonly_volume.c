// Attack: write to the read-only host volume /v: open for writing or truncation, create,
// unlink, rename, mkdir, chmod, truncate, link, symlink, utimes; and write the outside victim
// by its host path.
// Expected containment: EROFS for every change under /v (ENOENT for the outside path); the
// host victim files are unchanged (checked from outside).
#include "escape.h"
#include <sys/time.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int fd = open("/v/victim.txt", O_WRONLY);
    int e = errno;
    if (fd >= 0) write(fd, "tampered\n", 9);
    EXPECT(fd < 0 && e == EROFS, "open(/v/victim.txt, O_WRONLY): %s", strerror(e));
    fd = open("/v/victim.txt", O_RDWR | O_TRUNC);
    EXPECT(fd < 0, "open(O_RDWR|O_TRUNC): %s", strerror(errno));
    fd = open("/v/new.txt", O_WRONLY | O_CREAT, 0644);
    e = errno;
    EXPECT(fd < 0 && e == EROFS, "create /v/new.txt: %s", strerror(e));
    EXPECT(unlink("/v/victim.txt") != 0, "unlink: %s", strerror(errno));
    EXPECT(rename("/v/victim.txt", "/v/moved.txt") != 0, "rename: %s", strerror(errno));
    EXPECT(mkdir("/v/dir", 0755) != 0, "mkdir: %s", strerror(errno));
    EXPECT(chmod("/v/victim.txt", 0777) != 0, "chmod: %s", strerror(errno));
    EXPECT(truncate("/v/victim.txt", 0) != 0, "truncate: %s", strerror(errno));
    EXPECT(link("/v/victim.txt", "/v/link.txt") != 0, "link: %s", strerror(errno));
    EXPECT(symlink("/", "/v/sym") != 0, "symlink: %s", strerror(errno));
    EXPECT(utimes("/v/victim.txt", 0) != 0, "utimes: %s", strerror(errno));
    fd = open(victim_path, O_WRONLY | O_TRUNC);
    EXPECT(fd < 0, "open of the outside victim for writing: %s", strerror(errno));
    fd = open("/t/01_absolute_path", O_WRONLY);
    EXPECT(fd < 0, "open of an attack binary in /t for writing: %s", strerror(errno));
    return finish();
}

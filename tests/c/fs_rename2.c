// renameat2: RENAME_NOREPLACE and RENAME_EXCHANGE (file<->dir), invalid combinations.
#include "fs_common.h"
#include <sys/syscall.h>
static long r2(const char *a, const char *b, unsigned f) { return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, f); }
int main(void) {
    enter_scratch();
    put("a", "A"); put("b", "B"); mkdir("d", 0755); put("d/in", "i");
    EXPECT("NOREPLACE onto existing", r2("a", "b", RENAME_NOREPLACE), EEXIST);
    EXPECT("NOREPLACE to new", r2("a", "c", RENAME_NOREPLACE), 0);
    EXPECT("EXCHANGE files", r2("b", "c", RENAME_EXCHANGE), 0);
    char buf[4] = {0}; int fd = open("b", O_RDONLY); read(fd, buf, 1); close(fd);
    printf("b now holds %s\n", buf);
    EXPECT("EXCHANGE file and dir", r2("b", "d", RENAME_EXCHANGE), 0);
    struct stat st; stat("b", &st); printf("b is dir %d\n", S_ISDIR(st.st_mode));
    EXPECT("b/in reachable", access("b/in", F_OK), 0);
    EXPECT("EXCHANGE with missing", r2("b", "zz", RENAME_EXCHANGE), ENOENT);
    EXPECT("EXCHANGE|NOREPLACE", r2("b", "d", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
    EXPECT("unknown flag", r2("b", "d", 0x100), EINVAL);
    mkdir("b/sub", 0755);
    EXPECT("EXCHANGE into own subtree", r2("b", "b/sub", RENAME_EXCHANGE), EINVAL);
    return finish();
}

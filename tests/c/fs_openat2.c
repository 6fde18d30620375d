// openat2: RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS,
// RESOLVE_NO_XDEV, and argument checks (unknown bits, sizes).
#include "fs_common.h"
#include <linux/openat2.h>
#include <sys/syscall.h>
static long o2(int dfd, const char *p, unsigned long long flags, unsigned long long mode, unsigned long long res) {
    struct open_how h = {.flags = flags, .mode = mode, .resolve = res};
    long r = syscall(SYS_openat2, dfd, p, &h, sizeof h);
    if (r >= 0) close((int)r);
    return r;
}
int main(void) {
    enter_scratch();
    mkdir("root", 0755); mkdir("root/sub", 0755); put("root/sub/f", "x"); put("outside", "o");
    symlink("../outside", "root/up"); symlink("/sub/f", "root/abs"); symlink("sub/f", "root/rel");
    int dfd = open("root", O_PATH | O_DIRECTORY);
    EXPECT("plain", o2(dfd, "sub/f", O_RDONLY, 0, 0), 0);
    EXPECT("BENEATH inside", o2(dfd, "sub/../sub/f", O_RDONLY, 0, RESOLVE_BENEATH), 0);
    EXPECT("BENEATH ..", o2(dfd, "../outside", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    EXPECT("BENEATH link up", o2(dfd, "up", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    EXPECT("BENEATH absolute", o2(dfd, "/etc", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    EXPECT("BENEATH abs link", o2(dfd, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
    EXPECT("BENEATH rel link", o2(dfd, "rel", O_RDONLY, 0, RESOLVE_BENEATH), 0);
    EXPECT("IN_ROOT abs link", o2(dfd, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT), 0);
    EXPECT("IN_ROOT .. clamps", o2(dfd, "../../sub/f", O_RDONLY, 0, RESOLVE_IN_ROOT), 0);
    EXPECT("IN_ROOT up link stays inside", o2(dfd, "up", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
    EXPECT("NO_SYMLINKS", o2(dfd, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
    EXPECT("NO_SYMLINKS + O_PATH|O_NOFOLLOW", o2(dfd, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS), 0);
    EXPECT("NO_MAGICLINKS /proc/self/fd", o2(AT_FDCWD, "/proc/self/cwd", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
    EXPECT("magic link allowed", o2(AT_FDCWD, "/proc/self/cwd", O_RDONLY, 0, 0), 0);
    EXPECT("NO_XDEV into /proc", o2(AT_FDCWD, "/proc/self", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
    EXPECT("NO_XDEV same fs", o2(dfd, "sub/f", O_RDONLY, 0, RESOLVE_NO_XDEV), 0);
    EXPECT("BENEATH|IN_ROOT", o2(dfd, "sub/f", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
    EXPECT("unknown resolve bit", o2(dfd, "sub/f", O_RDONLY, 0, 0x1000), EINVAL);
    EXPECT("unknown flag bit", o2(dfd, "sub/f", O_RDONLY | (1ULL << 40), 0, 0), EINVAL);
    EXPECT("mode without O_CREAT", o2(dfd, "sub/f", O_RDONLY, 0644, 0), EINVAL);
    EXPECT("mode with high bits", o2(dfd, "sub/new", O_CREAT | O_WRONLY, 010000, 0), EINVAL);
    EXPECT("O_CREAT beneath", o2(dfd, "sub/new", O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH), 0);
    struct { struct open_how h; unsigned long long extra; } big = {{.flags = O_RDONLY}, 0};
    EXPECT("larger zeroed struct", syscall(SYS_openat2, dfd, "sub/f", &big, sizeof big), 0);
    big.extra = 1;
    EXPECT("larger non-zero struct", syscall(SYS_openat2, dfd, "sub/f", &big, sizeof big), E2BIG);
    EXPECT("too small", syscall(SYS_openat2, dfd, "sub/f", &big, 16), EINVAL);
    EXPECT("more than a page", syscall(SYS_openat2, dfd, "sub/f", &big, 8192), E2BIG);
    return finish();
}

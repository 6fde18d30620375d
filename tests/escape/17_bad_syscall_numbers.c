// Attack: syscall numbers outside the table: just past the last, far beyond, negative, the top
// bits (Linux uses the low 32), and x32 (0x40000000 | nr) versions of getpid, read and openat.
// Expected containment: ENOSYS for each, and the program continues (no crash, no kill).
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    long nrs[] = {463,    470,        512,        1000,       4096,        0x7fffffff,
                  -1,     -2,         -4096,      0x40000000 | SYS_getpid,
                  0x40000000 | SYS_read, 0x40000000 | SYS_openat, 0x40000000 | 512};
    for (unsigned i = 0; i < sizeof nrs / sizeof *nrs; i++) {
        long r = raw6(nrs[i], AT_FDCWD, (long)secret_path, 0, 0, 0, 0);
        EXPECT(r == -ENOSYS, "syscall(%#lx) = %ld", (unsigned long)nrs[i], r);
    }
    // Linux takes the number from the low 32 bits (do_syscall_64's `int nr`; seccomp_data.nr is
    // an int too), so the high bits select nothing: these are getpid and read, as natively.
    long r = raw6((long)0xffffffff00000027UL, 0, 0, 0, 0, 0, 0);
    EXPECT(r == 1, "syscall(0xffffffff00000027) is getpid, as on Linux: %ld", r);
    r = raw6((long)0x8000000000000000UL, -1, 0, 0, 0, 0, 0);
    EXPECT(r == -EBADF, "syscall(0x8000000000000000, -1) is read(-1), as on Linux: %ld", r);
    EXPECT(getpid() == 1, "still running, getpid = %d", getpid());
    return finish();
}

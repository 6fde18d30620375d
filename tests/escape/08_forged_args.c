// Attack: raw syscalls with every register the call does not use, and r10/r8/r9 as well, set to
// the magic 0x584f42204554494c (LiteBox's forgeable gate), plus rbx, r12-r15: getpid, openat
// of the secret, write to stdout, ioctl, kill of the host pid.
// Expected containment: Meridian's filter routes by instruction pointer, never by an argument
// value, so the calls are served by the shim as usual: getpid = 1, openat = ENOENT, write
// works, kill = ESRCH.
#include "escape.h"

// syscall(nr, a, b, c) with r10, r8, r9, rbx, r12-r15 all forged.
static long forged(long nr, long a, long b, long c) {
    long ret;
    register long r10 asm("r10") = MAGIC;
    register long r8 asm("r8") = MAGIC;
    register long r9 asm("r9") = MAGIC;
    asm volatile("push %%rbx; push %%r12; push %%r13; push %%r14; push %%r15\n"
                 "mov %%r10, %%rbx; mov %%r10, %%r12; mov %%r10, %%r13; mov %%r10, %%r14;"
                 " mov %%r10, %%r15\n"
                 "syscall\n"
                 "pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbx"
                 : "=a"(ret), "+r"(r10), "+r"(r8), "+r"(r9)
                 : "a"(nr), "D"(a), "S"(b), "d"(c)
                 : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    long pid = forged(SYS_getpid, MAGIC, MAGIC, MAGIC);
    EXPECT(pid == 1, "forged getpid = %ld", pid);
    long fd = forged(SYS_openat, AT_FDCWD, (long)secret_path, O_RDONLY);
    if (fd >= 0) dump_fd("forged openat", fd);
    EXPECT(fd < 0, "forged openat(secret) = %ld", fd);
    fd = forged(SYS_open, (long)secret_path, O_RDONLY, 0);
    if (fd >= 0) dump_fd("forged open", fd);
    EXPECT(fd < 0, "forged open(secret) = %ld", fd);
    static const char msg[] = "forged write reached stdout\n";
    long n = forged(SYS_write, 1, (long)msg, sizeof msg - 1);
    EXPECT(n == sizeof msg - 1, "forged write = %ld", n);
    long r = forged(SYS_kill, host_pid, SIGKILL, MAGIC);
    EXPECT(r == -ESRCH, "forged kill(host pid) = %ld", r);
    r = forged(SYS_tgkill, host_pid, host_pid, SIGKILL);
    EXPECT(r == -ESRCH, "forged tgkill(host pid) = %ld", r);
    r = forged(SYS_ioctl, 0, 0x5412 /* TIOCSTI */, (long)"x");
    EXPECT(r < 0, "forged ioctl(TIOCSTI) = %ld", r);
    r = forged(MAGIC, MAGIC, MAGIC, MAGIC);
    EXPECT(r == -ENOSYS, "syscall number = magic gives %ld", r);
    return finish();
}

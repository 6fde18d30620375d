// Attack: look for Meridian's addresses left in registers after trapped syscalls and signal
// delivery: every general register after a raw syscall (rcx and r11 included), and every
// register in the ucontext of a guest signal handler.
// Expected containment: the trap returns the guest's own registers (rax the result); nothing in
// [0x4000_0000_0000, 0x8000_0000_0000) appears.
#include "escape.h"
#include <ucontext.h>

static int is_high(unsigned long v) { return v >= GUEST_RANGE_END && v < 0x800000000000UL; }
static volatile int high_in_frame;

static void on_usr1(int s, siginfo_t *info, void *ctx) {
    (void)s;
    ucontext_t *uc = ctx;
    for (int i = 0; i < NGREG; i++)
        if (is_high((unsigned long)uc->uc_mcontext.gregs[i])) high_in_frame++;
    if (is_high((unsigned long)info) || is_high((unsigned long)uc->uc_mcontext.fpregs) ||
        is_high((unsigned long)uc->uc_link) || is_high((unsigned long)uc->uc_stack.ss_sp))
        high_in_frame++;
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    unsigned long regs[15];
    int nrs[] = {SYS_getpid, SYS_getuid, SYS_openat, SYS_sched_yield, SYS_read};
    int high = 0;
    for (unsigned k = 0; k < sizeof nrs / sizeof *nrs; k++) {
        asm volatile("push %%rbp\n"
                     "mov %[nr], %%rax\n"
                     "mov $-100, %%rdi\n"
                     "mov %[path], %%rsi\n"
                     "xor %%edx, %%edx\n"
                     "xor %%r10d, %%r10d\n"
                     "xor %%r8d, %%r8d\n"
                     "xor %%r9d, %%r9d\n"
                     "syscall\n"
                     "mov %%rax, 0(%[out])\n mov %%rbx, 8(%[out])\n mov %%rcx, 16(%[out])\n"
                     "mov %%rdx, 24(%[out])\n mov %%rsi, 32(%[out])\n mov %%rdi, 40(%[out])\n"
                     "mov %%rbp, 48(%[out])\n mov %%r8, 56(%[out])\n mov %%r9, 64(%[out])\n"
                     "mov %%r10, 72(%[out])\n mov %%r11, 80(%[out])\n mov %%r12, 88(%[out])\n"
                     "mov %%r13, 96(%[out])\n mov %%r14, 104(%[out])\n mov %%r15, 112(%[out])\n"
                     "pop %%rbp\n"
                     :
                     : [nr] "r"((long)nrs[k]), [path] "r"(secret_path), [out] "r"(regs)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
        for (int i = 0; i < 15; i++)
            if (is_high(regs[i])) {
                printf("after syscall %d register %d = %#lx\n", nrs[k], i, regs[i]);
                high++;
            }
    }
    EXPECT(high == 0, "no high value in registers after raw syscalls");
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    EXPECT(high_in_frame == 0, "no high value in a signal frame (%d)", high_in_frame);
    return finish();
}

// Attack: look for Meridian's values left in the vector registers (xmm/ymm/zmm0-31, opmasks
// k0-7, x87) where guest code starts or resumes: in a thread made by a raw clone (the child's
// first instruction), after trapped syscalls (with a pattern in every register, and with every
// component in its init state), in a signal handler and its frame's saved vector state, and
// after sigreturn. The runner's own code uses these registers (on AVX-512 machines
// zmm16-31 held a pointer into its .data at a new thread's first instruction).
// Expected containment: the clone child has exactly its parent's registers at the clone (as on
// Linux), a trap and sigreturn give back exactly the guest's, a handler starts with a clean
// state (as on Linux), and no value in [0x4000_0000_0000, 0x8000_0000_0000) appears anywhere.
// (A program's first instruction and execve: tests/c/fpu_entry_state.c, which needs no libc.)
#include "escape.h"
#include <linux/futex.h>
#include <sched.h>
#include <ucontext.h>

// Layout of a dump (bytes): FXSAVE image, ymm0-15 bits 255:128, zmm0-15 bits 511:256,
// zmm16-31, k0-7.
#define YMM_HI_AT 512
#define ZMM_HI_AT 768
#define ZMM16_AT 1280
#define K_AT 2304
#define DUMP_BYTES 2368
// FXSAVE bytes that are not register state: MXCSR_MASK and 416..511.
#define FX_MXCSR_MASK 28
#define FX_STATE_END 416
#define THREAD_FLAGS                                                                          \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

struct dump {
    unsigned char b[DUMP_BYTES];
} __attribute__((aligned(64)));

unsigned char have_avx, have_avx512, have_avx512bw;
struct dump pattern, child_dump, after_traps_dump, handler_dump, after_signal_dump;
struct dump after_init_traps_dump;
// An XSAVE image whose header says every component is in its init state (MXCSR 0x1f80 is
// read from it all the same), and the components to load (x87 to Hi16_ZMM, as XCR0 has them).
struct {
    unsigned char b[4096];
} __attribute__((aligned(64))) init_image;
unsigned xcr0_low;
static unsigned char child_stack[65536] __attribute__((aligned(16)));
volatile int child_done;
long trap_nr, trap_arg;

// save_state(rdi): every register into a dump (clobbers rax, rcx, rdx, rsi, r8, r9);
// load_state(rdi): the reverse. As in tests/c/fpu_entry_state.c.
__asm__(".text\n"
        ".globl save_state\n"
        "save_state:\n"
        "    push %rbx\n"
        "    mov %rdi, %r8\n"
        "    fxsave64 (%r8)\n"
        "    mov $1, %eax\n"
        "    xor %ecx, %ecx\n"
        "    cpuid\n"
        "    bt $27, %ecx\n"
        "    jnc 9f\n"
        "    mov %ecx, %esi\n"
        "    xor %ecx, %ecx\n"
        "    xgetbv\n"
        "    mov %eax, %r9d\n"
        "    bt $28, %esi\n"
        "    jnc 9f\n"
        "    and $6, %eax\n"
        "    cmp $6, %eax\n"
        "    jne 9f\n"
        "    movb $1, have_avx(%rip)\n"
        "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "    vextractf128 $1, %ymm\\i, 512+16*\\i(%r8)\n"
        "    .endr\n"
        "    mov $7, %eax\n"
        "    xor %ecx, %ecx\n"
        "    cpuid\n"
        "    bt $16, %ebx\n"
        "    jnc 9f\n"
        "    mov %r9d, %eax\n"
        "    and $0xe6, %eax\n"
        "    cmp $0xe6, %eax\n"
        "    jne 9f\n"
        "    movb $1, have_avx512(%rip)\n"
        "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "    vextractf64x4 $1, %zmm\\i, 768+32*\\i(%r8)\n"
        "    .endr\n"
        "    .irp i,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "    vmovdqu64 %zmm\\i, 1280+64*(\\i-16)(%r8)\n"
        "    .endr\n"
        "    bt $30, %ebx\n"
        "    jnc 8f\n"
        "    movb $1, have_avx512bw(%rip)\n"
        "    .irp i,0,1,2,3,4,5,6,7\n"
        "    kmovq %k\\i, 2304+8*\\i(%r8)\n"
        "    .endr\n"
        "    jmp 9f\n"
        "8:\n"
        "    .irp i,0,1,2,3,4,5,6,7\n"
        "    kmovw %k\\i, 2304+8*\\i(%r8)\n"
        "    .endr\n"
        "9:\n"
        "    pop %rbx\n"
        "    ret\n"
        "load_state:\n"
        "    fxrstor64 (%rdi)\n"
        "    cmpb $0, have_avx(%rip)\n"
        "    je 9f\n"
        "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "    vinsertf128 $1, 512+16*\\i(%rdi), %ymm\\i, %ymm\\i\n"
        "    .endr\n"
        "    cmpb $0, have_avx512(%rip)\n"
        "    je 9f\n"
        "    .irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "    vinsertf64x4 $1, 768+32*\\i(%rdi), %zmm\\i, %zmm\\i\n"
        "    .endr\n"
        "    .irp i,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "    vmovdqu64 1280+64*(\\i-16)(%rdi), %zmm\\i\n"
        "    .endr\n"
        "    cmpb $0, have_avx512bw(%rip)\n"
        "    je 8f\n"
        "    .irp i,0,1,2,3,4,5,6,7\n"
        "    kmovq 2304+8*\\i(%rdi), %k\\i\n"
        "    .endr\n"
        "    jmp 9f\n"
        "8:\n"
        "    .irp i,0,1,2,3,4,5,6,7\n"
        "    kmovw 2304+8*\\i(%rdi), %k\\i\n"
        "    .endr\n"
        "9:\n"
        "    ret\n"
        "reset_controls:\n"
        "    push $0x1f80\n"
        "    ldmxcsr (%rsp)\n"
        "    movw $0x37f, (%rsp)\n"
        "    fldcw (%rsp)\n"
        "    add $8, %rsp\n"
        "    ret\n"
        // long clone_with_pattern(unsigned long flags, void *stack_top)
        ".globl clone_with_pattern\n"
        "clone_with_pattern:\n"
        "    push %rdi\n"
        "    push %rsi\n"
        "    lea pattern(%rip), %rdi\n"
        "    call load_state\n"
        "    pop %rsi\n"
        "    pop %rdi\n"
        "    xor %edx, %edx\n"
        "    xor %r10d, %r10d\n"
        "    xor %r8d, %r8d\n"
        "    mov $56, %eax\n"
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jz 1f\n"
        "    push %rax\n"
        "    call reset_controls\n"
        "    pop %rax\n"
        "    ret\n"
        "1:\n"
        "    lea child_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    movl $1, child_done(%rip)\n"
        "    lea child_done(%rip), %rdi\n"
        "    mov $1, %esi\n"
        "    mov $1, %edx\n"
        "    mov $202, %eax\n"
        "    syscall\n"
        "    xor %edi, %edi\n"
        "    mov $60, %eax\n"
        "    syscall\n"
        "    hlt\n"
        // void traps_with_pattern(void): the pattern, then getpid, sched_yield and
        // openat(AT_FDCWD, trap_arg, 0), then the registers into after_traps_dump.
        ".globl traps_with_pattern\n"
        "traps_with_pattern:\n"
        "    lea pattern(%rip), %rdi\n"
        "    call load_state\n"
        "    mov $39, %eax\n"
        "    syscall\n"
        "    mov $24, %eax\n"
        "    syscall\n"
        "    mov $-100, %rdi\n"
        "    mov trap_arg(%rip), %rsi\n"
        "    xor %edx, %edx\n"
        "    mov $257, %eax\n"
        "    syscall\n"
        "    lea after_traps_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    call reset_controls\n"
        "    ret\n"
        // void traps_from_init(void): every XSAVE component in its init state (xrstor of
        // init_image with XSTATE_BV 0), then the same calls and the registers into
        // after_init_traps_dump: components the guest left in their init state, which the
        // trap's frame does not hold, must not come back with the runner's values.
        ".globl traps_from_init\n"
        "traps_from_init:\n"
        "    mov xcr0_low(%rip), %eax\n"
        "    xor %edx, %edx\n"
        "    xrstor64 init_image(%rip)\n"
        "    mov $39, %eax\n"
        "    syscall\n"
        "    mov $24, %eax\n"
        "    syscall\n"
        "    mov $-100, %rdi\n"
        "    mov trap_arg(%rip), %rsi\n"
        "    xor %edx, %edx\n"
        "    mov $257, %eax\n"
        "    syscall\n"
        "    lea after_init_traps_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    ret\n"
        // void signal_with_pattern(void): the pattern, SIGUSR1 to itself, then the registers
        // into after_signal_dump.
        ".globl signal_with_pattern\n"
        "signal_with_pattern:\n"
        "    lea pattern(%rip), %rdi\n"
        "    call load_state\n"
        "    mov $39, %eax\n"
        "    syscall\n"
        "    mov %rax, %rdi\n"
        "    mov $10, %esi\n"
        "    mov $62, %eax\n"
        "    syscall\n"
        "    lea after_signal_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    call reset_controls\n"
        "    ret\n"
        // The handler's first instructions save its registers, then C looks at the frame.
        ".globl on_usr1\n"
        "on_usr1:\n"
        "    push %rdi\n"
        "    push %rsi\n"
        "    push %rdx\n"
        "    lea handler_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    pop %rdx\n"
        "    pop %rsi\n"
        "    pop %rdi\n"
        "    jmp look_at_frame\n");

void save_state(struct dump *d);
long clone_with_pattern(unsigned long flags, void *stack_top);
void traps_with_pattern(void);
void traps_from_init(void);
void signal_with_pattern(void);
void on_usr1(int, siginfo_t *, void *);

static int is_high(unsigned long v) { return v >= GUEST_RANGE_END && v < 0x800000000000UL; }

static int is_state(unsigned at) {
    if (at >= FX_MXCSR_MASK && at < FX_MXCSR_MASK + 4) return 0;
    if (at >= FX_STATE_END && at < YMM_HI_AT) return 0;
    if (at >= YMM_HI_AT && at < ZMM_HI_AT) return have_avx;
    if (at >= ZMM_HI_AT) return have_avx512;
    return 1;
}

// 8-byte words of `b` (n bytes) that look like a pointer into Meridian's half.
static int high_words(const char *what, const unsigned char *b, unsigned n) {
    int found = 0;
    for (unsigned at = 0; at + 8 <= n; at += 8) {
        unsigned long v;
        memcpy(&v, b + at, 8);
        if (is_high(v)) {
            printf("%s: byte %u holds %#lx\n", what, at, v);
            found++;
        }
    }
    return found;
}

static int differing(const char *what, const struct dump *got, const struct dump *want) {
    int n = 0;
    for (unsigned at = 0; at < DUMP_BYTES; at++)
        if (is_state(at) && got->b[at] != want->b[at]) {
            if (n++ < 4)
                printf("%s: byte %u is %#x, expected %#x\n", what, at, got->b[at], want->b[at]);
        }
    return n;
}

static int frame_high, frame_bytes;

// Called (jumped to) by on_usr1 with the handler's arguments: the saved vector state of the
// frame, which the guest can read, must be the guest's too.
void look_at_frame(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    (void)info;
    ucontext_t *uc = ctx;
    unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
    if (!fp) return;
    unsigned n = 512;
    unsigned magic, ext;
    memcpy(&magic, fp + 464, 4);
    memcpy(&ext, fp + 468, 4);
    if (magic == 0x46505853U && ext > n && ext < 65536) n = ext;
    frame_bytes = (int)n;
    frame_high = high_words("signal frame fpstate", fp, n);
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    struct dump probe;
    save_state(&probe);
    printf("avx %d, avx-512 %d\n", have_avx, have_avx512);
    // The pattern: x87 control word 0x27f, MXCSR 0xdf80, a distinct byte everywhere else
    // (no 8-byte word of it is a high address).
    for (unsigned i = 0; i < DUMP_BYTES; i++) pattern.b[i] = (unsigned char)(i * 7 + 0x5b) | 1;
    memset(pattern.b, 0, 160);
    pattern.b[0] = 0x7f;
    pattern.b[1] = 0x02;
    pattern.b[24] = 0x80;
    pattern.b[25] = 0xdf;

    long tid = clone_with_pattern(THREAD_FLAGS, child_stack + sizeof child_stack);
    EXPECT(tid > 0, "raw clone of a thread: %ld", tid);
    if (tid > 0) {
        while (!child_done) syscall(SYS_futex, &child_done, FUTEX_WAIT, 0, 0, 0, 0);
        int high = high_words("new thread", child_dump.b, DUMP_BYTES);
        int diff = differing("new thread", &child_dump, &pattern);
        EXPECT(high == 0, "no high value in a new thread's vector registers (%d)", high);
        EXPECT(diff == 0, "a new thread starts with its parent's vector registers (%d differ)",
               diff);
    }

    trap_arg = (long)secret_path;
    traps_with_pattern();
    int high = high_words("after traps", after_traps_dump.b, DUMP_BYTES);
    int diff = differing("after traps", &after_traps_dump, &pattern);
    EXPECT(high == 0 && diff == 0,
           "trapped syscalls give back the guest's vector registers (%d high, %d differ)", high,
           diff);

    struct dump clean = {0};
    clean.b[0] = 0x7f;
    clean.b[1] = 0x03;
    clean.b[24] = 0x80;
    clean.b[25] = 0x1f;
    if (have_avx) {
        unsigned lo, hi;
        asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0_low = lo & 0xff;
        init_image.b[24] = 0x80;
        init_image.b[25] = 0x1f;
        traps_from_init();
        high = high_words("after traps from the init state", after_init_traps_dump.b, DUMP_BYTES);
        diff = differing("after traps from the init state", &after_init_traps_dump, &clean);
        EXPECT(high == 0 && diff == 0,
               "trapped syscalls leave registers in their init state zero (%d high, %d differ)",
               high, diff);
    }

    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    signal_with_pattern();
    high = high_words("handler", handler_dump.b, DUMP_BYTES);
    diff = differing("handler", &handler_dump, &clean);
    EXPECT(high == 0 && diff == 0,
           "a signal handler starts with a clean vector state (%d high, %d differ)", high, diff);
    EXPECT(frame_bytes >= 512 && frame_high == 0,
           "no high value in the %d bytes of saved vector state in the signal frame (%d)",
           frame_bytes, frame_high);
    diff = differing("after sigreturn", &after_signal_dump, &pattern);
    EXPECT(diff == 0, "sigreturn gives back the interrupted vector registers (%d differ)", diff);
    return finish();
}

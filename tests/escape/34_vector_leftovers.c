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

#include "../c/vector_state.h"

#define THREAD_FLAGS                                                                          \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

struct dump after_traps_dump, handler_dump;
struct dump after_init_traps_dump;
// An XSAVE image whose header says every component is in its init state (MXCSR 0x1f80 is
// read from it all the same), and the components to load (x87 to Hi16_ZMM, as XCR0 has them).
struct {
    unsigned char b[4096];
} __attribute__((aligned(64))) init_image;
unsigned xcr0_low;
static unsigned char child_stack[65536] __attribute__((aligned(16)));
long trap_nr, trap_arg;

__asm__(".text\n"
        // three_traps: getpid, sched_yield and openat(AT_FDCWD, trap_arg, 0).
        ".macro three_traps\n"
        "    mov $39, %eax\n"
        "    syscall\n"
        "    mov $24, %eax\n"
        "    syscall\n"
        "    mov $-100, %rdi\n"
        "    mov trap_arg(%rip), %rsi\n"
        "    xor %edx, %edx\n"
        "    mov $257, %eax\n"
        "    syscall\n"
        ".endm\n"
        // void traps_with_pattern(void): the pattern, then the three traps, then the
        // registers into after_traps_dump.
        ".globl traps_with_pattern\n"
        "traps_with_pattern:\n"
        "    lea pattern(%rip), %rdi\n"
        "    call load_state\n"
        "    three_traps\n"
        "    lea after_traps_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    call reset_controls\n"
        "    ret\n"
        // void traps_from_init(void): every XSAVE component in its init state (xrstor of
        // init_image with XSTATE_BV 0), then the three traps and the registers into
        // after_init_traps_dump: components the guest left in their init state, which the
        // trap's frame does not hold, must not come back with the runner's values.
        ".globl traps_from_init\n"
        "traps_from_init:\n"
        "    mov xcr0_low(%rip), %eax\n"
        "    xor %edx, %edx\n"
        "    xrstor64 init_image(%rip)\n"
        "    three_traps\n"
        "    lea after_init_traps_dump(%rip), %rdi\n"
        "    call save_state\n"
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

void traps_with_pattern(void);
void traps_from_init(void);
void on_usr1(int, siginfo_t *, void *);

static int is_high(unsigned long v) { return v >= GUEST_RANGE_END && v < 0x800000000000UL; }

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
    make_pattern(&pattern);

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

    struct dump clean;
    clean_state(&clean);
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

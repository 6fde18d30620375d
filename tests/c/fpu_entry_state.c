// Vector and FPU registers where a program, a thread and a signal handler start, as Linux
// sets them (arch/x86/kernel/fpu/core.c):
// - a new program (the first start and each execve) starts with every x87, SSE, AVX and
//   AVX-512 register and opmask zero, x87 control word 0x37f and MXCSR 0x1f80
//   (fpu_flush_thread), and flags 0x202 (start_thread); nothing the loader that started it
//   left in them;
// - a thread made by a raw clone starts with its parent's registers at the clone (fpu_clone);
// - a signal handler starts with the clean state (fpu__clear_user_states) and the interrupted
//   code gets all of its registers back from sigreturn.
// The registers are read at the first instruction (`_start` in asm, no libc), right after the
// clone in the child, and at the handler's first instruction. AVX and AVX-512 parts are read
// where the CPU and the OS have them (cpuid, xgetbv).
// meridian-test: nostdlib

#define SYS_write 1
#define SYS_rt_sigaction 13
#define SYS_getpid 39
#define SYS_clone 56
#define SYS_execve 59
#define SYS_exit 60
#define SYS_kill 62
#define SYS_futex 202
#define SYS_exit_group 231
#define SIGUSR1 10
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
// CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM
#define THREAD_FLAGS 0x50f00UL

#include "vector_state.h"

// The flags at the first instruction: interrupts on (always in user mode) and bit 1.
unsigned long entry_flags;
#define FLAGS_INIT 0x202
struct dump entry_dump, handler_dump;
static unsigned char child_stack[16384] __attribute__((aligned(16)));

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "    pushfq\n"
        "    popq entry_flags(%rip)\n"
        "    mov %rsp, %r15\n"
        "    lea entry_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    mov %r15, %rdi\n"
        "    and $-16, %rsp\n"
        "    call c_main\n"
        "    hlt\n"
        ".globl on_signal\n"
        "on_signal:\n"
        "    lea handler_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    ret\n"
        ".globl restorer\n"
        "restorer:\n"
        "    mov $15, %eax\n"
        "    syscall\n"
        "    hlt\n"
        // void exec_with_pattern(path, argv, envp): the pattern in every register, then a raw
        // execve.
        ".globl exec_with_pattern\n"
        "exec_with_pattern:\n"
        "    push %rdi\n"
        "    push %rsi\n"
        "    push %rdx\n"
        "    lea pattern(%rip), %rdi\n"
        "    call load_state\n"
        "    pop %rdx\n"
        "    pop %rsi\n"
        "    pop %rdi\n"
        "    mov $59, %eax\n"
        "    syscall\n"
        "    call reset_controls\n"
        "    ret\n");

void on_signal(void);
void restorer(void);
long exec_with_pattern(const char *path, char *const *argv, char *const *envp);

static long sys3(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
}

static long sys4(long nr, long a, long b, long c, long d) {
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}

static unsigned long len(const char *s) {
    unsigned long n = 0;
    while (s[n]) n++;
    return n;
}

static void put(const char *s) { sys3(SYS_write, 1, (long)s, (long)len(s)); }

static void put_hex(unsigned v) {
    char buf[9];
    for (int i = 7; i >= 0; i--) {
        buf[i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    }
    buf[8] = 0;
    put(buf);
}

static void put_num(unsigned v) {
    char buf[12];
    int i = 11;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(buf + i);
}

// The name of the register that holds byte `at` of a dump.
static void put_register(unsigned at) {
    if (at < FX_XMM) {
        put(at == FX_FCW || at == FX_FCW + 1 ? "x87 control word"
            : at >= FX_MXCSR && at < FX_MXCSR + 4 ? "MXCSR"
            : at >= 32 ? "x87 register"
                       : "x87 status");
    } else if (at < FX_STATE_END) {
        put("xmm");
        put_num((at - FX_XMM) / 16);
    } else if (at < ZMM_HI_AT) {
        put("ymm");
        put_num((at - YMM_HI_AT) / 16);
        put(" upper half");
    } else if (at < ZMM16_AT) {
        put("zmm");
        put_num((at - ZMM_HI_AT) / 32);
        put(" upper half");
    } else if (at < K_AT) {
        put("zmm");
        put_num(16 + (at - ZMM16_AT) / 64);
    } else {
        put("k");
        put_num((at - K_AT) / 8);
    }
}

// Prints `what` and either `good` or each register that differs from `want`; returns the
// number of registers that differ.
static int compare(const char *what, const struct dump *got, const struct dump *want,
                   const char *good) {
    int bad = 0;
    int last = -1;
    for (unsigned at = 0; at < DUMP_BYTES; at++) {
        if (!is_state(at) || got->b[at] == want->b[at]) continue;
        // One line per register (its first differing byte).
        unsigned reg = at < FX_XMM ? at : at < FX_STATE_END ? FX_XMM + (at - FX_XMM) / 16 * 16 : at;
        if (at >= YMM_HI_AT && at < ZMM_HI_AT) reg = at / 16 * 16;
        else if (at >= ZMM_HI_AT && at < ZMM16_AT) reg = ZMM_HI_AT + (at - ZMM_HI_AT) / 32 * 32;
        else if (at >= ZMM16_AT && at < K_AT) reg = ZMM16_AT + (at - ZMM16_AT) / 64 * 64;
        else if (at >= K_AT) reg = at / 8 * 8;
        if ((int)reg == last) continue;
        last = (int)reg;
        if (!bad) {
            put(what);
            put(": registers differ from ");
            put(good);
            put(":\n");
        }
        bad++;
        put("  ");
        put_register(at);
        put(" (byte ");
        put_num(at - reg);
        put(": ");
        put_hex(got->b[at]);
        put(", expected ");
        put_hex(want->b[at]);
        put(")\n");
    }
    if (!bad) {
        put(what);
        put(": ");
        put(good);
        put("\n");
    }
    return bad;
}

struct kernel_sigaction {
    void (*handler)(void);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static int entry_check(const char *what) {
    struct dump clean;
    clean_state(&clean);
    // The first save_state found out which parts exist; the clean image of the parts it did not
    // read is zero as well.
    int bad = compare(what, &entry_dump, &clean, "clean");
    if (entry_flags != FLAGS_INIT) {
        put(what);
        put(": flags ");
        put_hex((unsigned)entry_flags);
        put(", expected 00000202\n");
        bad++;
    }
    return bad;
}

void c_main(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    if (argc > 1) {
        // The image execve started: its registers at its first instruction. argv[1] says
        // whether the first image found differences.
        int bad = entry_check("after execve");
        sys3(SYS_exit_group, bad || argv[1][0] == 'f' ? 1 : 0, 0, 0);
    }
    int bad = entry_check("first instruction");
    make_pattern(&pattern);

    long tid = clone_with_pattern(THREAD_FLAGS, child_stack + sizeof child_stack);
    if (tid <= 0) {
        put("clone failed\n");
        sys3(SYS_exit_group, 2, 0, 0);
    }
    while (!child_done) sys4(SYS_futex, (long)&child_done, FUTEX_WAIT, 0, 0);
    bad += compare("new thread", &child_dump, &pattern, "its parent's");

    struct kernel_sigaction sa = {on_signal, SA_SIGINFO | SA_RESTORER, restorer, 0};
    if (sys4(SYS_rt_sigaction, SIGUSR1, (long)&sa, 0, 8) != 0) {
        put("rt_sigaction failed\n");
        sys3(SYS_exit_group, 2, 0, 0);
    }
    signal_with_pattern();
    struct dump clean;
    clean_state(&clean);
    bad += compare("signal handler", &handler_dump, &clean, "clean");
    bad += compare("after the handler", &after_signal_dump, &pattern, "restored");

    char *child_argv[] = {argv[0], bad ? "failed" : "passed", 0};
    exec_with_pattern(argv[0], child_argv, envp);
    put("execve failed\n");
    sys3(SYS_exit_group, 2, 0, 0);
}

// The compiler may call these for structure copies and initialisation.
void *memset(void *d, int c, unsigned long n) {
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n) {
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) *p++ = *q++;
    return d;
}

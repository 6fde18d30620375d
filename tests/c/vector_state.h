// The vector and FPU registers as one dump, for the programs that compare them where guest
// code starts or resumes (tests/c/fpu_entry_state.c, tests/escape/34_vector_leftovers.c).
// Needs no libc.
//
// save_state(rdi = struct dump *): every register into the dump (FXSAVE image, then the AVX
// and AVX-512 parts where cpuid and xgetbv say the CPU has them and the OS enabled them,
// which it records in have_avx, have_avx512, have_avx512bw); clobbers rax, rcx, rdx, rsi, r8,
// r9 and nothing of the vector state. load_state(rdi): the reverse (fxrstor first, then the
// ymm upper halves, then the zmm upper halves: a VEX.256 write zeroes bits 511:256); call it
// after a save_state. reset_controls: back to the ABI's control words (callee-saved) after a
// pattern was loaded. The three are for the includer's own assembly; C calls save_state only.
//
// Two probes both programs make, on the globals below: clone_with_pattern(flags, stack_top)
// loads `pattern` into every register and makes a raw clone, whose child saves its registers
// into `child_dump` at its first instruction, sets `child_done` (with a futex wake) and ends;
// signal_with_pattern() loads `pattern`, sends SIGUSR1 to itself (the includer's handler
// runs) and saves the registers the interrupted code gets back into `after_signal_dump`.
#ifndef VECTOR_STATE_H
#define VECTOR_STATE_H

// The layout of a dump (offsets in bytes).
#define FX_BYTES 512
#define YMM_HI_AT 512   // 16 × 16: bits 255:128 of ymm0-15
#define ZMM_HI_AT 768   // 16 × 32: bits 511:256 of zmm0-15
#define ZMM16_AT 1280   // 16 × 64: zmm16-31
#define K_AT 2304       // 8 × 8: k0-7
#define DUMP_BYTES 2368
// In the FXSAVE image: x87 control word, MXCSR, MXCSR_MASK (the CPU's, not state), the XMM
// registers, and the bytes from 416 on (reserved or free for software).
#define FX_FCW 0
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_XMM 160
#define FX_STATE_END 416
// The control words of a clean state (Linux's fpu_flush_thread, and a handler's start).
#define FCW_INIT 0x37f
#define MXCSR_INIT 0x1f80

struct dump {
    unsigned char b[DUMP_BYTES];
} __attribute__((aligned(64)));

// Set by `save_state`: the CPU has the part and the OS enabled it.
unsigned char have_avx, have_avx512, have_avx512bw;

void save_state(struct dump *d);
long clone_with_pattern(unsigned long flags, void *stack_top);
void signal_with_pattern(void);

struct dump pattern, child_dump, after_signal_dump;
volatile int child_done;

__asm__(".text\n"
        ".globl save_state\n"
        "save_state:\n"
        "    push %rbx\n"
        "    mov %rdi, %r8\n"
        "    fxsave64 (%r8)\n"
        "    mov $1, %eax\n"
        "    xor %ecx, %ecx\n"
        "    cpuid\n"
        "    bt $27, %ecx\n" // OSXSAVE
        "    jnc 9f\n"
        "    mov %ecx, %esi\n"
        "    xor %ecx, %ecx\n"
        "    xgetbv\n"
        "    mov %eax, %r9d\n"
        "    bt $28, %esi\n" // AVX
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
        "    bt $16, %ebx\n" // AVX512F
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
        "    bt $30, %ebx\n" // AVX512BW: 64-bit opmasks
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
        "    mov $56, %eax\n" // clone
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
        "    mov $1, %esi\n" // FUTEX_WAKE
        "    mov $1, %edx\n"
        "    mov $202, %eax\n" // futex
        "    syscall\n"
        "    xor %edi, %edi\n"
        "    mov $60, %eax\n" // exit
        "    syscall\n"
        "    hlt\n"
        ".globl signal_with_pattern\n"
        "signal_with_pattern:\n"
        "    lea pattern(%rip), %rdi\n"
        "    call load_state\n"
        "    mov $39, %eax\n" // getpid
        "    syscall\n"
        "    mov %rax, %rdi\n"
        "    mov $10, %esi\n" // SIGUSR1
        "    mov $62, %eax\n" // kill
        "    syscall\n"
        "    lea after_signal_dump(%rip), %rdi\n"
        "    call save_state\n"
        "    call reset_controls\n"
        "    ret\n");

// Whether byte `at` of a dump holds register state this CPU has (fxsave's MXCSR_MASK and its
// unused tail are not state).
static inline int is_state(unsigned at) {
    if (at >= FX_MXCSR_MASK && at < FX_MXCSR_MASK + 4) return 0;
    if (at >= FX_STATE_END && at < FX_BYTES) return 0;
    if (at >= YMM_HI_AT && at < ZMM_HI_AT) return have_avx;
    if (at >= ZMM_HI_AT) return have_avx512;
    return 1;
}

// The state a program and a signal handler start with: control words 0x37f and 0x1f80, every
// other byte zero.
static inline void clean_state(struct dump *d) {
    for (unsigned i = 0; i < DUMP_BYTES; i++) d->b[i] = 0;
    d->b[FX_FCW] = FCW_INIT & 0xff;
    d->b[FX_FCW + 1] = FCW_INIT >> 8;
    d->b[FX_MXCSR] = MXCSR_INIT & 0xff;
    d->b[FX_MXCSR + 1] = MXCSR_INIT >> 8;
}

// A register pattern: x87 control word 0x27f (53-bit precision), MXCSR with flush-to-zero
// and round-up, a distinct nonzero byte everywhere in the vector and opmask registers (no
// 8-byte word of it is a high address).
static inline void make_pattern(struct dump *d) {
    for (unsigned i = 0; i < DUMP_BYTES; i++) d->b[i] = (unsigned char)(i * 7 + 0x5b) | 1;
    for (unsigned i = 0; i < FX_XMM; i++) d->b[i] = 0;
    d->b[FX_FCW] = 0x7f;
    d->b[FX_FCW + 1] = 0x02;
    d->b[FX_MXCSR] = 0x80;
    d->b[FX_MXCSR + 1] = 0xdf;
}

#endif

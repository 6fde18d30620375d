// Containment: a `syscall` instruction built at run time (no libc involvement) is served by
// Meridian, not by the host: getpid through it returns the sandbox's pid (1, the same as the
// libc call), and write through it lands on the guest's stdout.
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef long (*fn0)(void);
typedef long (*fn3)(long, long, long);

int main(void) {
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 2;
    // getpid: mov eax, 39; syscall; ret
    static const unsigned char getpid_code[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3};
    // write(rdi, rsi, rdx): mov eax, 1; syscall; ret
    static const unsigned char write_code[] = {0xb8, 1, 0, 0, 0, 0x0f, 0x05, 0xc3};
    memcpy(code, getpid_code, sizeof getpid_code);
    memcpy(code + 64, write_code, sizeof write_code);
    if (mprotect(code, 4096, PROT_READ | PROT_EXEC) != 0) return 3;
    long jit_pid = ((fn0)(void *)code)();
    printf("jit getpid == libc getpid: %d\n", jit_pid == (long)getpid());
    printf("jit getpid: %ld\n", jit_pid);
    fflush(stdout);
    static const char msg[] = "written by a JIT syscall\n";
    long n = ((fn3)(void *)(code + 64))(1, (long)msg, sizeof msg - 1);
    printf("jit write returned %ld\n", n);
    return 0;
}

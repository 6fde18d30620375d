// Writable+executable memory: refused (EACCES) unless the policy allows JIT compilers;
// write-then-execute (W^X) always works.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const unsigned char RET_42[] = {0xb8, 42, 0, 0, 0, 0xc3}; // mov eax, 42; ret

static void report(const char *what, int ok) {
    printf("%s: %s\n", what, ok ? "ok" : (errno == EACCES ? "EACCES" : strerror(errno)));
}

int main(void) {
    void *wx = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mmap rwx", wx != MAP_FAILED);
    if (wx != MAP_FAILED) {
        memcpy(wx, RET_42, sizeof RET_42);
        printf("rwx code returned %d\n", ((int (*)(void))wx)());
    }
    unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 2;
    memcpy(code, RET_42, sizeof RET_42);
    report("mprotect rw -> rwx", mprotect(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0);
    report("mprotect rw -> rx", mprotect(code, 4096, PROT_READ | PROT_EXEC) == 0);
    printf("w^x code returned %d\n", ((int (*)(void))code)());
    return 0;
}

// Attack: the 32-bit system call entry (int 0x80) from 64-bit code: getpid (20) and open (5) of
// the secret, hoping the filter only knows the x86-64 numbers.
// Expected containment: the filter checks the architecture first: an i386 call is never
// executed; it is trapped and answered with ENOSYS. Nothing is opened.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    long r;
    asm volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    printf("int 0x80 getpid = %ld\n", r);
    asm volatile("int $0x80" : "=a"(r) : "a"(5L), "b"(secret_path), "c"(0L) : "memory");
    EXPECT(r < 0, "int 0x80 open(secret) = %ld", r);
    return finish();
}

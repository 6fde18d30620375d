// Guest code that knows Meridian's layout (docs/decisions.md: the fast path makes it known
// by design): it reads the address of a `syscall; ret` in Meridian's text from stdin and
// calls glibc's fork through it, clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)
// with no tid pointers, which the filter allows from Meridian's text. It forks until the
// host refuses or 64 children exist, prints how far it got, then waits for the end of its
// stdin. Each child runs only this program's code after the gadget returns: it waits on a
// futex that nobody wakes, through the same gadget, until the sandbox ends.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NR_FUTEX 202
#define NR_CLONE 56
#define GLIBC_FORK_FLAGS 0x1200011L
#define FUTEX_WAIT 0
#define MAX_CHILDREN 64

static volatile int never_woken;

// Call the gadget with the syscall number in rax and arguments in rdi, rsi, rdx, r10, r8.
// The call pushes a return address: step over the red zone first.
static long via_gadget(uintptr_t gadget, long nr, long a0, long a1, long a2, long a3, long a4) {
    long ret;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "call *%[gadget]\n\t"
                     "add $128, %%rsp"
                     : "=a"(ret)
                     : [gadget] "r"(gadget), "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
                       "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(void) {
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 2;
    uintptr_t gadget = strtoull(line, NULL, 16);
    int made = 0;
    long err = 0;
    for (int i = 0; i < MAX_CHILDREN; i++) {
        long r = via_gadget(gadget, NR_CLONE, GLIBC_FORK_FLAGS, 0, 0, 0, 0);
        if (r == 0) {
            for (;;) via_gadget(gadget, NR_FUTEX, (long)&never_woken, FUTEX_WAIT, 0, 0, 0);
        }
        if (r < 0) {
            err = -r;
            break;
        }
        made++;
    }
    printf("forked %d, then errno %ld\n", made, err);
    fflush(stdout);
    while (getchar() != EOF) {
    }
    return 0;
}

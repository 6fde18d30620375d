// Attack: the runner-text gadget hunt that once worked through the host vDSO: install a SIGSEGV
// and SIGBUS handler, then read addresses above the guest range where Meridian's static-pie
// image, heap or stacks could be (0x5555_5555_0000.., 0x7f.., 0x7ffc..), looking for
// `syscall; ret` to call with the secret's path.
// Expected containment: the first fault at or above 0x4000_0000_0000 ends the sandbox at once
// (exit 139, "guest touched library OS memory" on stderr), never reaching the handler; so the
// secret is never read.
#include "escape.h"
#include <setjmp.h>

static sigjmp_buf jb;
static volatile int handled;
static void on_segv(int s) {
    (void)s;
    handled++;
    siglongjmp(jb, 1);
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    struct sigaction sa = {0};
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    unsigned long guesses[] = {0x555555554000UL, 0x555555560000UL, 0x7ffff7fc0000UL,
                               0x7f0000000000UL, 0x7ffc00000000UL, 0x400000000000UL};
    int readable = 0;
    for (unsigned i = 0; i < sizeof guesses / sizeof *guesses; i++) {
        if (sigsetjmp(jb, 1)) {
            printf("ESCAPE: the guest's handler caught a fault at %#lx and went on\n", guesses[i]);
            continue;
        }
        volatile unsigned char b = *(volatile unsigned char *)guesses[i];
        (void)b;
        readable++;
        printf("ESCAPE: %#lx is readable\n", guesses[i]);
    }
    printf("NOT CONTAINED: probing went on (%d readable, %d faults handled)\n", readable, handled);
    return 1;
}

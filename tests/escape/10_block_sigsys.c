// Attack: block every signal, SIGSYS included (sigprocmask with a full set, and raw
// rt_sigprocmask with all 64 bits), then make syscalls, hoping a blocked SIGSYS makes the
// kernel kill the process or let the call through.
// Expected containment: the guest's mask is the shim's bookkeeping; the host mask of a guest
// thread never blocks SIGSYS. Syscalls are still served (getpid = 1, write works, the secret
// is ENOENT) and the program ends normally.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    sigset_t all;
    sigfillset(&all);
    EXPECT(sigprocmask(SIG_BLOCK, &all, 0) == 0, "sigprocmask(all)");
    unsigned long mask = ~0UL;
    EXPECT(raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0, 0) == 0,
           "raw rt_sigprocmask(~0)");
    EXPECT(getpid() == 1, "getpid still served: %d", getpid());
    int err = try_read(secret_path);
    EXPECT(err != 0, "open of the secret still fails: %s", strerror(err));
    EXPECT(write(1, "write still served\n", 19) == 19, "write served");
    long r = raw6(SYS_openat, AT_FDCWD, (long)secret_path, O_RDONLY, 0, 0, 0);
    EXPECT(r < 0, "raw openat(secret) = %ld", r);
    return finish();
}

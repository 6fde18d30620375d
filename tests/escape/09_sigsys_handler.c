// Attack: install the guest's own SIGSYS handler (sigaction and raw rt_sigaction), then make
// syscalls, hoping the host's SIGSYS lands in guest code with the host's registers.
// Expected containment: every host signal is Meridian's; the guest's handler is bookkeeping in
// the shim. Syscalls are still served (getpid = 1, secret ENOENT); the handler runs only for a
// SIGSYS the guest sends itself, with guest-range addresses.
#include "escape.h"
#include <ucontext.h>

static volatile int calls;
static volatile unsigned long worst;

static void on_sigsys(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    calls++;
    ucontext_t *uc = ctx;
    unsigned long v[] = {(unsigned long)info, (unsigned long)ctx,
                         (unsigned long)uc->uc_mcontext.gregs[REG_RIP],
                         (unsigned long)uc->uc_mcontext.gregs[REG_RSP],
                         (unsigned long)info->si_call_addr};
    for (unsigned i = 0; i < sizeof v / sizeof *v; i++)
        if (v[i] >= GUEST_RANGE_END && v[i] < 0x800000000000UL) worst = v[i];
}

int main(int argc, char **argv) {
    escape_args(argc, argv);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    EXPECT(sigaction(SIGSYS, &sa, 0) == 0, "SIGSYS handler installed");
    EXPECT(getpid() == 1, "getpid still served: %d", getpid());
    int err = try_read(secret_path);
    EXPECT(err != 0, "open of the secret still fails: %s", strerror(err));
    EXPECT(raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) >= 0, "raw getppid served");
    EXPECT(calls == 0, "the guest's SIGSYS handler did not run for trapped syscalls (%d)", calls);
    raise(SIGSYS);
    EXPECT(calls == 1, "a self-sent SIGSYS reaches the handler once (%d)", calls);
    EXPECT(worst == 0, "no address above the guest range in the SIGSYS frame (%#lx)", worst);
    return finish();
}

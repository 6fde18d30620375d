// Attack: tgkill/tkill to host thread ids around the host process the test started (the
// runner's own pid is a little above it): signal 0 to each of [pid-64, pid+512], then SIGKILL to
// the host process itself.
// Expected containment: guest tgkill is served by the shim with sandbox ids: ESRCH for every
// host id (the filter would limit a host tgkill to the runner's own pid anyway).
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    long self = getpid(), tid = syscall(SYS_gettid);
    int bad = 0, tried = 0;
    for (long p = host_pid - 64; p <= host_pid + 512; p++) {
        if (p <= 0 || p == self || p == tid) continue;
        tried++;
        long r = raw6(SYS_tgkill, p, p, 0, 0, 0, 0);
        long r2 = raw6(SYS_tkill, p, 0, 0, 0, 0, 0);
        if (r != -ESRCH || r2 != -ESRCH) {
            printf("tgkill(%ld) = %ld, tkill = %ld\n", p, r, r2);
            bad++;
        }
    }
    EXPECT(bad == 0, "%d host ids: all ESRCH", tried);
    long r = raw6(SYS_tgkill, host_pid, host_pid, SIGKILL, 0, 0, 0);
    EXPECT(r == -ESRCH, "tgkill(host pid, SIGKILL) = %ld", r);
    r = raw6(SYS_tkill, host_pid, SIGKILL, 0, 0, 0, 0);
    EXPECT(r == -ESRCH, "tkill(host pid, SIGKILL) = %ld", r);
    return finish();
}

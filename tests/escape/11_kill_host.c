// Attack: kill() the host process the test started (a `sleep`), by its host pid: SIGKILL,
// SIGTERM, SIGSTOP, signal 0, rt_sigqueueinfo, and its process group.
// Expected containment: pids are the sandbox's; the host pid does not exist there: ESRCH. The
// test checks from outside that the process is still alive.
#include "escape.h"

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int sigs[] = {0, SIGKILL, SIGTERM, SIGSTOP};
    for (unsigned i = 0; i < 4; i++) {
        int r = kill(host_pid, sigs[i]);
        EXPECT(r != 0 && errno == ESRCH, "kill(%ld, %d): %s", host_pid, sigs[i], strerror(errno));
    }
    int r = kill(-host_pid, SIGKILL);
    EXPECT(r != 0, "kill(-%ld, SIGKILL): %s", host_pid, strerror(errno));
    siginfo_t si = {0};
    si.si_code = SI_QUEUE;
    long q = raw6(SYS_rt_sigqueueinfo, host_pid, SIGKILL, (long)&si, 0, 0, 0);
    EXPECT(q < 0, "rt_sigqueueinfo(host pid, SIGKILL) = %ld", q);
    q = raw6(SYS_pidfd_open, host_pid, 0, 0, 0, 0, 0);
    EXPECT(q < 0, "pidfd_open(host pid) = %ld", q);
    return finish();
}

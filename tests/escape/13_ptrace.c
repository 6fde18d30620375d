// Attack: ptrace the host process the test started (PTRACE_ATTACH, PTRACE_SEIZE), trace self,
// and read/write its memory with process_vm_readv/writev.
// Expected containment: every call fails (ENOSYS/ESRCH/EPERM); the process survives.
#include "escape.h"
#include <sys/ptrace.h>
#include <sys/uio.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    long r = ptrace(PTRACE_ATTACH, host_pid, 0, 0);
    EXPECT(r != 0, "PTRACE_ATTACH(host pid): %s", strerror(errno));
    r = ptrace(PTRACE_SEIZE, host_pid, 0, 0);
    EXPECT(r != 0, "PTRACE_SEIZE(host pid): %s", strerror(errno));
    r = ptrace(PTRACE_TRACEME, 0, 0, 0);
    printf("PTRACE_TRACEME = %ld (%s)\n", r, r ? strerror(errno) : "no error");
    char buf[64];
    struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
    r = process_vm_readv(host_pid, &local, 1, &remote, 1, 0);
    EXPECT(r < 0, "process_vm_readv(host pid): %s", strerror(errno));
    r = process_vm_writev(host_pid, &local, 1, &remote, 1, 0);
    EXPECT(r < 0, "process_vm_writev(host pid): %s", strerror(errno));
    r = syscall(SYS_kcmp, getpid(), host_pid, 0, 0, 0);
    EXPECT(r < 0, "kcmp(host pid): %s", strerror(errno));
    return finish();
}

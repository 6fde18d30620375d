// vfork: the parent is suspended until the child calls _exit or execve; the child shares the
// parent's memory meanwhile (a write by the child is seen by the parent: Linux behaviour that
// glibc's posix_spawn relies on); vfork + _exit(status); vfork + execve of busybox with the
// status passed back through wait; vfork + a failed execve reporting errno through shared
// memory; the child's getppid() is the parent.
#include "proc_common.h"

static volatile int shared_flag;
static volatile int child_errno;

int main(void) {
    proc_init();
    pid_t parent = getpid();
    fflush(stdout);
    shared_flag = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        shared_flag = getppid() == parent ? 11 : 12;
        _exit(3);
    }
    CHECK(pid > 0);
    printf("parent resumed after the child's _exit; child's write seen: %s\n",
           shared_flag == 11 ? "yes (parent was its parent)" : shared_flag == 12 ? "yes (other parent)" : "no");
    describe("vfork + _exit(3)", reap(pid));

    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        execl("/bin/busybox", "sh", "-c", "echo from the exec; exit 6", (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    describe("vfork + execve", reap(pid));

    child_errno = 0;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        execl("/nonexistent/program", "x", (char *)NULL);
        child_errno = errno;
        _exit(127);
    }
    CHECK(pid > 0);
    printf("failed exec reported through shared memory: %s\n", ename(child_errno));
    describe("vfork + failed execve", reap(pid));

    /* Several in a row: each one runs to _exit before the parent continues, so the counter
     * increments by the children are all seen in order. */
    shared_flag = 0;
    int order_ok = 1;
    for (int i = 0; i < 50; i++) {
        pid = vfork();
        if (pid == 0) {
            shared_flag = shared_flag + 1;
            _exit(0);
        }
        order_ok &= shared_flag == i + 1;
        reap(pid);
    }
    printf("50 vforks, each child done before the parent resumed: %s\n", yes(order_ok));
    return 0;
}

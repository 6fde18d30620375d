// clone() without CLONE_THREAD: a child on its own stack with SIGCHLD as exit signal is an
// ordinary child; a child with exit signal 0 is a "clone" child that plain waitpid does not
// see (ECHILD) but __WALL and __WCLONE do; CLONE_VM shares memory with the parent until exit
// (CLONE_VFORK waits for it); the clone child's getppid is the caller.
#include "proc_common.h"
#include <sched.h>
#include <sys/mman.h>

static int shared_value;
static pid_t parent_pid;

static int child_fn(void *arg) {
    int code = (int)(long)arg;
    if (getppid() != parent_pid)
        return 90;
    return code;
}

static int vm_child(void *arg) {
    (void)arg;
    shared_value = 1234;
    return 5;
}

static char *new_stack(void) {
    size_t size = 256 * 1024;
    char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(stack != MAP_FAILED);
    return stack + size;
}

int main(void) {
    proc_init();
    parent_pid = getpid();
    int status;
    fflush(stdout);
    pid_t pid = clone(child_fn, new_stack(), SIGCHLD, (void *)7L);
    CHECK(pid > 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    describe("clone(SIGCHLD) child", status);

    pid = clone(child_fn, new_stack(), 0, (void *)8L);
    CHECK(pid > 0);
    /* Let it finish: a __WALL|WNOWAIT wait blocks until it has exited without reaping it. */
    siginfo_t si;
    SYS(waitid(P_PID, pid, &si, WEXITED | WNOWAIT | __WALL));
    SHOW("waitpid without __WALL on an exit-signal-0 child", waitpid(pid, &status, WNOHANG));
    CHECK(waitpid(pid, &status, __WALL) == pid);
    describe("waitpid __WALL", status);

    pid = clone(child_fn, new_stack(), 0, (void *)9L);
    CHECK(pid > 0);
    CHECK(waitpid(pid, &status, __WCLONE) == pid);
    describe("waitpid __WCLONE", status);

    pid = clone(child_fn, new_stack(), SIGCHLD, (void *)10L);
    CHECK(pid > 0);
    SYS(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    SHOW("waitpid __WCLONE on a SIGCHLD child", waitpid(pid, &status, __WCLONE | WNOHANG));
    CHECK(waitpid(pid, &status, 0) == pid);
    describe("its plain waitpid", status);

    shared_value = 0;
    pid = clone(vm_child, new_stack(), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    CHECK(pid > 0);
    printf("CLONE_VM|CLONE_VFORK child's write seen at once: %s\n", yes(shared_value == 1234));
    CHECK(waitpid(pid, &status, 0) == pid);
    describe("CLONE_VM child", status);
    SHOW("waitpid __WALL with no children", waitpid(-1, &status, __WALL));
    return 0;
}

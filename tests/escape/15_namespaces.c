// Attack: create namespaces: unshare() with each namespace flag, clone() with them (no
// CLONE_VM, so a new host process), clone3, and setns() on /proc/self/ns files.
// Expected containment: every call fails (EINVAL/EPERM/ENOSYS); no new process appears.
#include "escape.h"
#include <sched.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    struct {
        const char *name;
        int flag;
    } ns[] = {{"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWNS", CLONE_NEWNS},
              {"CLONE_NEWPID", CLONE_NEWPID},   {"CLONE_NEWNET", CLONE_NEWNET},
              {"CLONE_NEWIPC", CLONE_NEWIPC},   {"CLONE_NEWUTS", CLONE_NEWUTS},
              {"CLONE_NEWCGROUP", CLONE_NEWCGROUP}, {"CLONE_NEWTIME", CLONE_NEWTIME}};
    for (unsigned i = 0; i < sizeof ns / sizeof *ns; i++) {
        int r = unshare(ns[i].flag);
        EXPECT(r != 0, "unshare(%s): %s", ns[i].name, strerror(errno));
        long c = raw6(SYS_clone, ns[i].flag | SIGCHLD, 0, 0, 0, 0, 0);
        if (c == 0) _exit(42);
        EXPECT(c < 0, "clone(%s|SIGCHLD) = %ld", ns[i].name, c);
    }
    unsigned long args[11] = {CLONE_NEWUSER | CLONE_NEWNS, 0, 0, 0, SIGCHLD};
    long c = raw6(SYS_clone3, (long)args, sizeof args, 0, 0, 0, 0);
    if (c == 0) _exit(42);
    EXPECT(c < 0, "clone3(NEWUSER|NEWNS) = %ld", c);
    int fd = open("/proc/self/ns/user", O_RDONLY);
    long r = raw6(SYS_setns, fd, 0, 0, 0, 0, 0);
    EXPECT(r < 0, "setns(/proc/self/ns/user -> fd %d) = %ld", fd, r);
    return finish();
}

// fork/wait matrix: children ending with exit codes 0..255 and by signals (SIGTERM, SIGKILL,
// SIGUSR1, SIGABRT via abort, SIGSEGV), each reaped with waitpid and described with
// WIFEXITED/WEXITSTATUS/WIFSIGNALED/WTERMSIG (WCOREDUMP is host-dependent and not printed);
// fork returns 0 in the child, the child's getppid() is the parent, the parent's memory is
// copied (a change in the child is not seen by the parent).
#include "proc_common.h"
#include <sys/resource.h>

static int counter = 10;

int main(void) {
    proc_init();
    /* No core files from the abort and SIGSEGV children. */
    struct rlimit no_core = {0, 0};
    SYS(setrlimit(RLIMIT_CORE, &no_core));
    static const int codes[] = {0, 1, 2, 42, 127, 128, 255, 256 + 3};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        pid_t pid = xfork();
        if (pid == 0)
            _exit(codes[i]);
        char label[64];
        snprintf(label, sizeof label, "_exit(%d)", codes[i]);
        describe(label, reap(pid));
    }
    /* exit() from the child flushes nothing twice (stdout was flushed by xfork). */
    pid_t pid = xfork();
    if (pid == 0)
        exit(9);
    describe("exit(9)", reap(pid));

    static const int sigs[] = {SIGTERM, SIGKILL, SIGUSR1, SIGHUP, SIGINT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        pid = xfork();
        if (pid == 0) {
            raise(sigs[i]);
            _exit(50);
        }
        char label[64];
        snprintf(label, sizeof label, "raise(%s)", sigabbrev_np(sigs[i]));
        describe(label, reap(pid));
    }
    pid = xfork();
    if (pid == 0) {
        abort();
    }
    describe("abort()", reap(pid));
    pid = xfork();
    if (pid == 0) {
        volatile int *null = NULL;
        *null = 1;
        _exit(51);
    }
    describe("null write", reap(pid));

    /* The child gets a copy of memory and sees its parent. */
    int fds[2];
    SYS(pipe(fds));
    pid_t parent = getpid();
    pid = xfork();
    if (pid == 0) {
        counter += 5;
        char ok = (getppid() == parent && counter == 15) ? 'y' : 'n';
        write_all(fds[1], &ok, 1);
        _exit(0);
    }
    printf("child saw its parent and its own copy: %c\n", get_token(fds[0]));
    describe("copy child", reap(pid));
    printf("parent's counter unchanged: %s\n", yes(counter == 10));
    printf("fork returned a positive pid != own: %s\n", yes(pid > 0 && pid != getpid()));
    return 0;
}

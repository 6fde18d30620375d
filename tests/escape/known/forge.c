// Layout known (issue 10): the guest knows where the runner's code is and calls one of its
// `syscall; ret` sequences with registers of its choice, as a guest of the fast path could.
// crates/cli/tests/escape/known.rs finds the gadget from outside (the runner's ELF and
// /proc/<pid>/maps) and writes "GADGET_HEX SUPERVISOR_PID" to /w/gadget; this program waits
// for it and makes one forged host call: argv[1] names it, argv[2] is the secret's host path,
// argv[3] the host pid of the test's `sleep`. A call the filter refuses from the runner's text
// is never executed and ends the sandbox (status 125, "not on the allowlist"); a call it lets
// through returns here and the result is printed. The test checks from outside that the
// host files the guest's stdio are (stdin a file, stdout and stderr logs opened O_APPEND),
// the secret and the host processes are untouched. (Forks through the gadget past the process
// limit: tests/hardening/fork_gadget.c.)
#include "../escape.h"
#include <linux/openat2.h>
#include <sys/mman.h>

static unsigned long gadget;

// The call goes through the runner's `syscall; ret`: `call` pushes the return address, so
// the red zone below the stack pointer is stepped over first.
static long forge(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long ret;
    __asm__ volatile("sub $128, %%rsp\n\tcall *%[g]\n\tadd $128, %%rsp"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9),
                       [g] "r"(gadget)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s ATTACK SECRET_PATH HOST_PID\n", argv[0]);
        return 2;
    }
    const char *attack = argv[1], *secret = argv[2];
    long bystander = strtol(argv[3], 0, 10);
    setvbuf(stdout, 0, _IOLBF, 0);
    long supervisor = 0;
    for (int tries = 0; tries < 1000; tries++) {
        FILE *f = fopen("/w/gadget", "r");
        if (f) {
            int n = fscanf(f, "%lx %ld", &gadget, &supervisor);
            fclose(f);
            if (n == 2) break;
        }
        usleep(10000);
    }
    if (!gadget) {
        printf("no gadget address\n");
        return 3;
    }
    printf("gadget %#lx\n", gadget);
    // A sanity call the filter allows: the gadget works.
    long tid = forge(SYS_gettid, 0, 0, 0, 0, 0, 0);
    printf("gettid through the gadget: %ld\n", tid);
    if (tid <= 0) return 3;

    char buf[4096];
    struct open_how how = {.flags = O_RDONLY};
    long r = -1;
    long at_fdcwd = AT_FDCWD;
    if (!strcmp(attack, "fchmod_stdin")) r = forge(SYS_fchmod, 0, 04777, 0, 0, 0, 0);
    else if (!strcmp(attack, "fchmod_stdout")) r = forge(SYS_fchmod, 1, 04777, 0, 0, 0, 0);
    else if (!strcmp(attack, "fchmod_stdin_high_word")) r = forge(SYS_fchmod, 1L << 32, 04777, 0, 0, 0, 0);
    else if (!strcmp(attack, "fchown_stdin")) r = forge(SYS_fchown, 0, 65534, 65534, 0, 0, 0);
    else if (!strcmp(attack, "ftruncate_stdout")) r = forge(SYS_ftruncate, 1, 0, 0, 0, 0, 0);
    else if (!strcmp(attack, "ftruncate_stdin")) r = forge(SYS_ftruncate, 0, 0, 0, 0, 0, 0);
    else if (!strcmp(attack, "fallocate_stderr")) r = forge(SYS_fallocate, 2, 0, 0, 1 << 20, 0, 0);
    else if (!strcmp(attack, "pwrite_stdout")) r = forge(SYS_pwrite64, 1, (long)"FORGED", 6, 0, 0, 0);
    else if (!strcmp(attack, "utimensat_stdin")) r = forge(SYS_utimensat, 0, 0, 0, 0, 0, 0);
    else if (!strcmp(attack, "utimensat_fdcwd_high_word"))
        r = forge(SYS_utimensat, (unsigned)AT_FDCWD, (long)"/proc/self/fd/0", 0, 0, 0, 0);
    else if (!strcmp(attack, "fsync_stdout")) r = forge(SYS_fsync, 1, 0, 0, 0, 0, 0);
    else if (!strcmp(attack, "close_stdin")) r = forge(SYS_close, 0, 0, 0, 0, 0, 0);
    else if (!strcmp(attack, "close_below_floor")) r = forge(SYS_close, 3, 0, 0, 0, 0, 0);
    else if (!strcmp(attack, "read_below_floor")) r = forge(SYS_read, 5, (long)buf, sizeof buf, 0, 0, 0);
    else if (!strcmp(attack, "write_stdin_file")) r = forge(SYS_write, 0, (long)"FORGED", 6, 0, 0, 0);
    else if (!strcmp(attack, "mmap_stdin")) {
        r = forge(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0, 0);
    } else if (!strcmp(attack, "mmap_below_floor")) {
        r = forge(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, 4, 0);
    } else if (!strcmp(attack, "openat2_fdcwd")) {
        r = forge(SYS_openat2, at_fdcwd, (long)secret, (long)&how, sizeof how, 0, 0);
    } else if (!strcmp(attack, "openat2_absolute_from_volume")) {
        // A volume directory is at the floor: an absolute path ignores it.
        r = forge(SYS_openat2, 64, (long)secret, (long)&how, sizeof how, 0, 0);
        if (r >= 0) {
            long n = forge(SYS_read, r, (long)buf, sizeof buf - 1, 0, 0, 0);
            if (n > 0) buf[n] = 0, printf("ESCAPE: read the secret: %s\n", buf);
        }
    } else if (!strcmp(attack, "nested_readonly_volume")) {
        // /r is a read-only volume; the test bind-mounted a host directory at /r/sub (a mount
        // nested in the volume). Its file must stay as it is: mode, times, content.
        const char *victim = "/r/sub/victim";
        struct timespec epoch[2] = {{0, 0}, {0, 0}};
        printf("chmod: %d\n", chmod(victim, 04777) == 0 ? 0 : errno);
        printf("utimensat: %d\n", utimensat(AT_FDCWD, victim, epoch, 0) == 0 ? 0 : errno);
        int fd = open(victim, O_WRONLY);
        if (fd >= 0 && write(fd, "FORGED", 6) == 6) printf("ESCAPE: wrote %s\n", victim);
        fd = open(victim, O_RDONLY);
        if (fd >= 0) printf("fchmod: %d\n", fchmod(fd, 04777) == 0 ? 0 : errno);
        // Through the gadget: the jail's path of the volume (/volumes/<index>, the index
        // guessed), absolute from a volume directory at the floor, and relative to each.
        char path[64];
        struct open_how wr = {.flags = O_WRONLY};
        for (int i = 0; i < 6; i++) {
            snprintf(path, sizeof path, "/volumes/%d/sub/victim", i);
            for (int pass = 0; pass < 2; pass++) {
                const char *p = pass ? "sub/victim" : path;
                long dir = pass ? 64 + i : 64;
                long c = forge(452 /* fchmodat2 */, dir, (long)p, 04777, AT_SYMLINK_NOFOLLOW, 0, 0);
                long t = forge(SYS_utimensat, dir, (long)p, (long)epoch, 0, 0, 0);
                long w = forge(SYS_openat2, dir, (long)p, (long)&wr, sizeof wr, 0, 0);
                if (w >= 0 && forge(SYS_write, w, (long)"FORGED", 6, 0, 0, 0) == 6)
                    printf("ESCAPE: wrote %s through the gadget\n", p);
                long o = forge(SYS_openat2, dir, (long)p, (long)&how, sizeof how, 0, 0);
                long f = o >= 0 ? forge(SYS_fchmod, o, 04777, 0, 0, 0, 0) : o;
                printf("%s from %ld: fchmodat2 %ld utimensat %ld openat2(O_WRONLY) %ld fchmod %ld\n",
                       p, dir, c, t, w, f);
            }
        }
        r = 0;
    } else if (!strcmp(attack, "newfstatat_fdcwd")) {
        r = forge(SYS_newfstatat, at_fdcwd, (long)secret, (long)buf, 0, 0, 0);
    } else if (!strcmp(attack, "newfstatat_absolute_from_stdin")) {
        r = forge(SYS_newfstatat, 0, (long)secret, (long)buf, AT_EMPTY_PATH, 0, 0);
    } else if (!strcmp(attack, "readlinkat_fdcwd")) {
        r = forge(SYS_readlinkat, at_fdcwd, (long)"/proc/self/exe", (long)buf, sizeof buf, 0, 0);
    } else if (!strcmp(attack, "tgkill_bystander")) {
        r = forge(SYS_tgkill, bystander, bystander, SIGKILL, 0, 0, 0);
    } else if (!strcmp(attack, "tgkill_bystander_kick")) {
        r = forge(SYS_tgkill, bystander, bystander, 40, 0, 0, 0);
    } else if (!strcmp(attack, "tgkill_supervisor_kick")) {
        r = forge(SYS_tgkill, supervisor, supervisor, 40, 0, 0, 0);
    } else if (!strcmp(attack, "kill_supervisor")) {
        r = forge(SYS_kill, supervisor, SIGKILL, 0, 0, 0, 0);
    } else {
        printf("unknown attack %s\n", attack);
        return 2;
    }
    printf("%s returned %ld\n", attack, r);
    printf("CONTAINED\n");
    return 0;
}

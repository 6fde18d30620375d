// /proc/self: fd links, fdinfo, root, cwd, status ids, stat/statm fields, mounts; /proc files parse.
#include "fs_common.h"
#include <sys/sysinfo.h>
int main(void) {
    enter_scratch();
    put("file", "x");
    int fd = open("file", O_RDONLY);
    char p[64], t[512]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, t, sizeof t - 1); t[n > 0 ? n : 0] = 0;
    printf("fd link ok: %d\n", n > 0 && strstr(t, "/file") != NULL);
    struct stat a, b; stat(p, &a); fstat(fd, &b);
    printf("fd link resolves to file: %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    n = readlink("/proc/self/root", t, sizeof t - 1); t[n > 0 ? n : 0] = 0;
    printf("root link: %s\n", t);
    EXPECT("root resolves", access("/proc/self/root/proc", F_OK), 0);
    n = readlink("/proc/self/cwd", t, sizeof t - 1); t[n > 0 ? n : 0] = 0;
    printf("cwd is scratch: %d\n", !strcmp(t, scratch));
    snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(p, "r"); long pos = -1; unsigned flags = 0;
    if (f) { if (fscanf(f, "pos: %ld flags: %o", &pos, &flags) != 2) pos = -2; fclose(f); }
    printf("fdinfo pos=%ld rdonly=%d\n", pos, (flags & 3) == 0);
    f = fopen("/proc/self/status", "r"); char line[256]; int uid_line = 0;
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "Uid:\t0\t0\t0\t0", 12)) uid_line = 1;
    if (f) fclose(f);
    printf("status uid line: %d\n", uid_line);
    f = fopen("/proc/self/stat", "r"); int pid = 0; char comm[64] = "", st = 0; int fields = 0;
    if (f) { fields = fscanf(f, "%d %63s %c", &pid, comm, &st); fclose(f); }
    printf("stat pid matches: %d fields=%d\n", pid == getpid(), fields);
    f = fopen("/proc/self/stat", "r"); int count = 0; 
    if (f) { char all[2048]; if (fgets(all, sizeof all, f)) { char *q = strrchr(all, ')'); for (char *s = strtok(q + 1, " \n"); s; s = strtok(0, " \n")) count++; } fclose(f); }
    printf("stat fields after comm >= 50: %d\n", count >= 50);
    f = fopen("/proc/self/statm", "r"); long sz = 0, rss = 0;
    if (f) { if (fscanf(f, "%ld %ld", &sz, &rss) != 2) sz = 0; fclose(f); }
    printf("statm size>0: %d\n", sz > 0);
    f = fopen("/proc/self/mounts", "r"); int has_proc = 0;
    while (f && fgets(line, sizeof line, f)) { char dev[64], dir[128], type[32]; if (sscanf(line, "%63s %127s %31s", dev, dir, type) == 3 && !strcmp(dir, "/proc") && !strcmp(type, "proc")) has_proc = 1; }
    if (f) fclose(f);
    printf("mounts lists /proc as proc: %d\n", has_proc);
    double la[3]; printf("getloadavg: %d\n", getloadavg(la, 3));
    f = fopen("/proc/sys/kernel/pid_max", "r"); long pm = 0; if (f) { if (fscanf(f, "%ld", &pm) != 1) pm = 0; fclose(f); }
    printf("pid_max>0: %d\n", pm > 0);
    f = fopen("/proc/filesystems", "r"); int tmpfs = 0;
    while (f && fgets(line, sizeof line, f)) if (strstr(line, "\ttmpfs")) tmpfs = 1;
    if (f) fclose(f);
    printf("filesystems has tmpfs: %d\n", tmpfs);
    close(fd);
    return finish();
}

// /proc and /dev as a sandboxed program sees them: its own executable, arguments, open
// descriptors, memory map and status; the synthetic devices.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t slurp(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n >= 0) buf[n] = 0;
    return n;
}

int main(int argc, char **argv) {
    (void)argc;
    char buf[65536];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("exe: %s\n", buf);
    n = slurp("/proc/self/cmdline", buf, sizeof buf);
    printf("cmdline: ");
    for (ssize_t i = 0; i < n; i++) putchar(buf[i] ? buf[i] : ' ');
    printf("\n");
    int extra = open("/dev/null", O_RDONLY);
    DIR *d = opendir("/proc/self/fd");
    int count = 0, saw_extra = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        count++;
        if (atoi(e->d_name) == extra) {
            char p[64], t[256];
            snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
            ssize_t k = readlink(p, t, sizeof t - 1);
            t[k > 0 ? k : 0] = 0;
            saw_extra = strcmp(t, "/dev/null") == 0;
        }
    }
    closedir(d);
    printf("fd entries (stdio, /dev/null, the directory): %d, /dev/null link: %d\n", count, saw_extra);
    slurp("/proc/self/maps", buf, sizeof buf);
    printf("maps names the executable: %d\n", strstr(buf, argv[0]) != NULL);
    slurp("/proc/self/status", buf, sizeof buf);
    printf("status has Name: %d\n", strstr(buf, "Name:\tproc_self") != NULL);
    printf("cpuinfo has processor: %d\n", slurp("/proc/cpuinfo", buf, sizeof buf) > 0 && strstr(buf, "processor") != NULL);
    printf("meminfo has MemTotal: %d\n", slurp("/proc/meminfo", buf, sizeof buf) > 0 && strstr(buf, "MemTotal") != NULL);
    unsigned char z[4] = {1, 1, 1, 1};
    int zero = open("/dev/zero", O_RDONLY);
    printf("/dev/zero reads zeros: %d\n", read(zero, z, 4) == 4 && !z[0] && !z[1] && !z[2] && !z[3]);
    int full = open("/dev/full", O_WRONLY);
    printf("/dev/full write fails: %d\n", write(full, "x", 1) < 0);
    int ur = open("/dev/urandom", O_RDONLY);
    unsigned char r1[16], r2[16];
    printf("/dev/urandom differs: %d\n", read(ur, r1, 16) == 16 && read(ur, r2, 16) == 16 && memcmp(r1, r2, 16) != 0);
    return 0;
}

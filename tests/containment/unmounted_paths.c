// Containment: host paths outside every mount are invisible. Each open must fail with
// ENOENT (the sandbox's /etc is synthetic, /home and /var are empty in-memory directories,
// and nothing under / escapes through ".." or /proc/self/root).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_open(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        printf("%s: OPENED\n", path);
        close(fd);
    } else {
        printf("%s: %s\n", path, errno == ENOENT ? "ENOENT" : strerror(errno));
    }
}

int main(void) {
    try_open("/etc/hostname");
    try_open("/etc/shadow");
    try_open("/etc/machine-id");
    try_open("/home/../etc/hostname");
    try_open("/../../../../etc/hostname");
    try_open("/proc/self/root/etc/hostname");
    try_open("/proc/1/root/etc/hostname");
    try_open("/var/log/syslog");
    try_open("/work");
    return 0;
}

// Attack: write the process's memory through /proc/self/mem (a way around mprotect), and open
// /proc/<host pid>/mem of the host process; process_vm_writev to self.
// Expected containment: /proc/self/mem is not Meridian's to give (ENOENT/EACCES/EROFS, or a
// failing write); the host pid's does not exist; code is unchanged.
#include "escape.h"

static int target(void) { return 7; }

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int fd = open("/proc/self/mem", O_RDWR);
    long w = -1;
    if (fd >= 0) {
        unsigned char ret0[] = {0x31, 0xc0, 0xc3};  // xor eax, eax; ret
        w = pwrite(fd, ret0, sizeof ret0, (off_t)(unsigned long)&target);
    }
    EXPECT(w < 0, "write through /proc/self/mem fails (open %d: %s)", fd, strerror(errno));
    EXPECT(target() == 7, "code unchanged");
    if (fd >= 0) {
        char buf[16];
        long r = pread(fd, buf, sizeof buf, (off_t)0x7ffff7fc0000UL);
        EXPECT(r < 0, "read of a high address through /proc/self/mem fails (%ld)", r);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/mem", host_pid);
    fd = open(path, O_RDWR);
    EXPECT(fd < 0, "open(%s): %s", path, strerror(errno));
    return finish();
}

// Attack: look for any pointer into Meridian's half of the address space: AT_SYSINFO_EHDR (the
// host vDSO) and every other auxv entry, /proc/self/maps, /proc/self/auxv, the address fields of
// /proc/self/stat, the stack and TLS, FS/GS bases (arch_prctl and the rdfsbase/rdgsbase
// instructions).
// Expected containment: AT_SYSINFO_EHDR is 0 (no vDSO), and no value in
// [0x4000_0000_0000, 0x8000_0000_0000) appears anywhere the guest can look.
#include "escape.h"
#include <asm/prctl.h>
#include <elf.h>
#include <sys/auxv.h>

static int is_high(unsigned long v) { return v >= GUEST_RANGE_END && v < 0x800000000000UL; }

int main(int argc, char **argv) {
    escape_args(argc, argv);
    EXPECT(getauxval(AT_SYSINFO_EHDR) == 0, "AT_SYSINFO_EHDR = %#lx", getauxval(AT_SYSINFO_EHDR));
    int fd = open("/proc/self/auxv", O_RDONLY);
    Elf64_auxv_t aux[64];
    ssize_t n = fd >= 0 ? read(fd, aux, sizeof aux) : -1;
    int high = 0;
    for (ssize_t i = 0; i < n / (ssize_t)sizeof *aux; i++)
        if (is_high(aux[i].a_un.a_val)) {
            printf("auxv type %lu = %#lx\n", aux[i].a_type, aux[i].a_un.a_val);
            high++;
        }
    EXPECT(high == 0, "/proc/self/auxv (%zd bytes; -1: not provided) has no high value", n);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int lines = 0;
    high = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        lines++;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (lo >= GUEST_RANGE_END || hi > GUEST_RANGE_END)) {
            printf("maps: %s", line);
            high++;
        }
    }
    EXPECT(lines > 0 && high == 0, "/proc/self/maps: %d lines, none at or above the guest range",
           lines);
    FILE *stat = fopen("/proc/self/stat", "r");
    char buf[4096] = "";
    if (stat) fread(buf, 1, sizeof buf - 1, stat);
    char *p = strrchr(buf, ')');
    high = 0;
    for (char *tok = p ? strtok(p + 1, " ") : 0; tok; tok = strtok(0, " ")) {
        unsigned long v = strtoul(tok, 0, 10);
        if (is_high(v)) {
            printf("stat field %lu\n", v);
            high++;
        }
    }
    EXPECT(p && high == 0, "/proc/self/stat has no high value");
    int local;
    EXPECT(!is_high((unsigned long)&local), "stack %p in range", (void *)&local);
    unsigned long fs = 0, gs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
    EXPECT(!is_high(fs) && !is_high(gs), "arch_prctl FS %#lx GS %#lx", fs, gs);
    unsigned long rfs, rgs;
    asm volatile("rdfsbase %0; rdgsbase %1" : "=r"(rfs), "=r"(rgs));
    EXPECT(!is_high(rfs) && !is_high(rgs), "rdfsbase %#lx rdgsbase %#lx", rfs, rgs);
    return finish();
}

// Attack: exhaust memory: reserve MAP_NORESERVE regions of 64 GiB until mmap fails (at most 2048, 128 TiB), one mapping
// of 2^47 bytes, then touch pages of anonymous memory up to 1 GiB in total, then mremap growth.
// Expected containment: mmap fails (ENOMEM) once the 64 TiB guest range is full, never placing a
// mapping above it; the touched memory is bounded by this program; the host survives and the
// program ends normally.
#include "escape.h"
#include <sys/mman.h>

#define CHUNK (64UL << 30)
#define MAX_CHUNKS 2048
#define MIB (1UL << 20)

int main(int argc, char **argv) {
    escape_args(argc, argv);
    int reserved = 0;
    unsigned long highest = 0;
    for (int i = 0; i < MAX_CHUNKS; i++) {
        char *p = mmap(0, CHUNK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) break;
        reserved++;
        if ((unsigned long)p + CHUNK > highest) highest = (unsigned long)p + CHUNK;
    }
    EXPECT(reserved < MAX_CHUNKS, "64 GiB reservations stop after %d (%s)", reserved, strerror(errno));
    EXPECT(highest <= GUEST_RANGE_END, "highest mapping end %#lx is inside the guest range",
           highest);
    void *huge = mmap(0, 1UL << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    EXPECT(huge == MAP_FAILED, "a 128 TiB mapping fails");
    void *fixed = mmap((void *)0x7f0000000000UL, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    EXPECT(fixed == MAP_FAILED, "MAP_FIXED above the guest range fails: %s", strerror(errno));
    fixed = mmap((void *)0x7f0000000000UL, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    EXPECT(fixed == MAP_FAILED, "MAP_FIXED_NOREPLACE above the guest range fails: %s",
           strerror(errno));
    unsigned long touched = 0;
    for (int i = 0; i < 16; i++) {
        char *p = mmap(0, 64 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) break;
        for (unsigned long off = 0; off < 64 * MIB; off += 4096) p[off] = 1;
        touched += 64 * MIB;
        munmap(p, 64 * MIB);
    }
    printf("touched %lu MiB\n", touched / MIB);
    char *g = mmap(0, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *grown = mremap(g, MIB, 1UL << 47, MREMAP_MAYMOVE);
    EXPECT(grown == MAP_FAILED, "mremap to 128 TiB fails");
    return finish();
}

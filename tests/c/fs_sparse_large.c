// Sparse and large files: holes read as zeros, st_blocks counts only written pages.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "end", 3, 1 << 20) == 3);
    struct stat st; fstat(fd, &st);
    printf("size=%lld blocks_small=%d\n", (long long)st.st_size, st.st_blocks <= 16);
    char buf[16]; memset(buf, 7, sizeof buf);
    CHECK(pread(fd, buf, 16, 4096) == 16);
    int zero = 1; for (int i = 0; i < 16; i++) zero &= buf[i] == 0;
    printf("hole_zero=%d\n", zero);
    CHECK(ftruncate(fd, 1LL << 40) == 0);
    fstat(fd, &st);
    printf("big size=%lld\n", (long long)st.st_size);
    CHECK(pread(fd, buf, 3, 1 << 20) == 3 && !memcmp(buf, "end", 3));
    CHECK(ftruncate(fd, 2) == 0);
    CHECK(ftruncate(fd, 5000) == 0);
    CHECK(pread(fd, buf, 3, 1 << 20) == 0);
    EXPECT("ftruncate negative", ftruncate(fd, -1), EINVAL);
    EXPECT("pwrite past the largest offset", pwrite(fd, "x", 1, 0x7fffffffffffffffLL), EINVAL);
    close(fd);
    return finish();
}

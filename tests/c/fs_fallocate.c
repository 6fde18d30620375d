// fallocate: mode 0 grows, KEEP_SIZE does not, PUNCH_HOLE zeroes; errors for bad modes.
#include "fs_common.h"
#include <linux/falloc.h>
int main(void) {
    enter_scratch();
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    char buf[8192]; memset(buf, 'a', sizeof buf);
    CHECK(write(fd, buf, sizeof buf) == sizeof buf);
    struct stat st;
    EXPECT("mode 0", fallocate(fd, 0, 0, 20000), 0);
    fstat(fd, &st); printf("size=%lld\n", (long long)st.st_size);
    EXPECT("KEEP_SIZE", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 100000), 0);
    fstat(fd, &st); printf("size=%lld blocks>=%d\n", (long long)st.st_size, st.st_blocks >= 100000 / 512);
    EXPECT("PUNCH_HOLE alone", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP);
    EXPECT("PUNCH_HOLE|KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 5000), 0);
    CHECK(pread(fd, buf, 8192, 0) == 8192);
    int ok = buf[99] == 'a' && buf[100] == 0 && buf[5099] == 0 && buf[5100] == 'a';
    printf("hole bytes ok=%d\n", ok);
    fstat(fd, &st); printf("size kept=%lld\n", (long long)st.st_size);
    EXPECT("len 0", fallocate(fd, 0, 0, 0), EINVAL);
    EXPECT("negative offset", fallocate(fd, 0, -1, 10), EINVAL);
    int ro = open("f", O_RDONLY);
    EXPECT("read-only fd", fallocate(ro, 0, 0, 10), EBADF);
    int d = open(".", O_RDONLY);
    EXPECT("directory", fallocate(d, 0, 0, 10), EBADF);
    EXPECT("fsync", fsync(fd), 0);
    EXPECT("fdatasync", fdatasync(fd), 0);
    EXPECT("syncfs", syncfs(fd), 0);
    int p[2]; pipe(p);
    EXPECT("fsync pipe", fsync(p[0]), EINVAL);
    EXPECT("fallocate pipe", fallocate(p[1], 0, 0, 1), ESPIPE);
    return finish();
}

// statfs/fstatfs of a tmpfs: TMPFS_MAGIC, block size, name length; sizes are consistent.
#include "fs_common.h"
#include <sys/statfs.h>
#include <sys/statvfs.h>
int main(void) {
    enter_scratch();
    struct statfs s;
    EXPECT("statfs", statfs(".", &s), 0);
    printf("type=%lx bsize=%ld namelen=%ld\n", (long)s.f_type, (long)s.f_bsize, (long)s.f_namelen);
    printf("free<=total %d avail<=free %d ffree<=files %d\n", s.f_bfree <= s.f_blocks, s.f_bavail <= s.f_bfree, s.f_ffree <= s.f_files);
    int fd = open(".", O_RDONLY);
    struct statfs s2; EXPECT("fstatfs", fstatfs(fd, &s2), 0);
    printf("same type=%d\n", s2.f_type == s.f_type);
    struct statvfs v; EXPECT("statvfs", statvfs(".", &v), 0);
    printf("rdonly=%d\n", (int)(v.f_flag & ST_RDONLY));
    EXPECT("statfs missing", statfs("nope", &s), ENOENT);
    EXPECT("statfs /proc", statfs("/proc", &s), 0);
    printf("proc type=%lx\n", (long)s.f_type);
    close(fd);
    return finish();
}

// FIFOs: mkfifo/mknod, non-blocking open rules, data through two descriptors, O_RDWR.
#include "fs_common.h"
#include <sys/sysmacros.h>
int main(void) {
    enter_scratch();
    EXPECT("mkfifo", mkfifo("p", 0640), 0);
    EXPECT("mknod S_IFIFO", mknod("q", S_IFIFO | 0600, 0), 0);
    EXPECT("mkfifo exists", mkfifo("p", 0640), EEXIST);
    struct stat st; stat("p", &st);
    printf("isfifo=%d mode=%o size=%lld\n", S_ISFIFO(st.st_mode), st.st_mode & 0777, (long long)st.st_size);
    EXPECT("O_WRONLY|O_NONBLOCK no reader", open("p", O_WRONLY | O_NONBLOCK), ENXIO);
    int r = open("p", O_RDONLY | O_NONBLOCK);
    CHECK(r >= 0);
    char buf[16];
    EXPECT("read empty, writer never opened", read(r, buf, sizeof buf), 0);
    int w = open("p", O_WRONLY | O_NONBLOCK);
    CHECK(w >= 0);
    EXPECT("read empty with writer", read(r, buf, sizeof buf), EAGAIN);
    CHECK(write(w, "ping", 4) == 4);
    CHECK(read(r, buf, sizeof buf) == 4);
    printf("got %.4s\n", buf);
    EXPECT("lseek on fifo", lseek(r, 0, SEEK_SET), ESPIPE);
    fstat(r, &st); printf("fstat isfifo=%d\n", S_ISFIFO(st.st_mode));
    close(w);
    EXPECT("read after writer closed", read(r, buf, sizeof buf), 0);
    close(r);
    int rw = open("q", O_RDWR);
    CHECK(rw >= 0);
    CHECK(write(rw, "self", 4) == 4);
    CHECK(read(rw, buf, 4) == 4);
    printf("rdwr got %.4s\n", buf);
    close(rw);
    return finish();
}

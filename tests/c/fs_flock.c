// flock(2): shared/exclusive between open file descriptions, conversion, release on close.
#include "fs_common.h"
#include <sys/file.h>
int main(void) {
    enter_scratch();
    put("f", "x");
    int a = open("f", O_RDONLY), b = open("f", O_RDONLY), c = dup(a);
    EXPECT("a LOCK_SH", flock(a, LOCK_SH), 0);
    EXPECT("b LOCK_SH", flock(b, LOCK_SH | LOCK_NB), 0);
    EXPECT("b LOCK_EX while a shares", flock(b, LOCK_EX | LOCK_NB), EAGAIN);
    EXPECT("a unlock", flock(a, LOCK_UN), 0);
    EXPECT("b LOCK_EX", flock(b, LOCK_EX | LOCK_NB), 0);
    EXPECT("a LOCK_SH while b exclusive", flock(a, LOCK_SH | LOCK_NB), EAGAIN);
    EXPECT("dup shares a's description", flock(c, LOCK_SH | LOCK_NB), EAGAIN);
    close(b);
    EXPECT("after close a LOCK_EX", flock(a, LOCK_EX | LOCK_NB), 0);
    close(a);
    EXPECT("dup still holds it", flock(c, LOCK_EX | LOCK_NB), 0);
    int d = open("f", O_RDONLY);
    EXPECT("other blocked by dup", flock(d, LOCK_SH | LOCK_NB), EAGAIN);
    close(c);
    EXPECT("free once last dup closes", flock(d, LOCK_SH | LOCK_NB), 0);
    EXPECT("bad op", flock(d, 0), EINVAL);
    EXPECT("bad fd", flock(99, LOCK_SH), EBADF);
    return finish();
}

// A FIFO in /tmp between two processes: opening for reading blocks until a writer opens and
// vice versa; 256 KiB cross with a checksum; EOF after the writer closes; a non-blocking
// open for writing with no reader gives ENXIO, a non-blocking open for reading succeeds;
// two writers' messages of at most PIPE_BUF bytes arrive whole (atomic writes).
#include "proc_common.h"
#include <limits.h>
#include <sys/stat.h>

int main(void) {
    proc_init();
    char dir[] = "/tmp/proc_fifo_XXXXXX";
    CHECK(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/fifo", dir);
    SYS(mkfifo(path, 0600));
    SHOW("non-blocking open for writing without a reader", open(path, O_WRONLY | O_NONBLOCK));
    int nr = open(path, O_RDONLY | O_NONBLOCK);
    printf("non-blocking open for reading: %s\n", nr >= 0 ? "OK" : ename(errno));
    close(nr);

    pid_t pid = xfork();
    if (pid == 0) {
        int w = SYS(open(path, O_WRONLY));
        static unsigned char buf[256 * 1024];
        unsigned acc = 0;
        for (size_t i = 0; i < sizeof buf; i++) {
            buf[i] = (unsigned char)(i * 13 + 1);
            acc = acc * 33 + buf[i];
        }
        write_all(w, buf, sizeof buf);
        _exit(acc % 256);
    }
    int r = SYS(open(path, O_RDONLY));
    static unsigned char got[256 * 1024 + 16];
    size_t n = read_full(r, got, sizeof got);
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++)
        acc = acc * 33 + got[i];
    int st = reap(pid);
    printf("received %zu bytes, checksum matches: %s, then EOF\n", n, yes(WEXITSTATUS(st) == (int)(acc % 256)));
    close(r);

    /* Two writers, 100 messages of PIPE_BUF bytes each, each message one letter. The reader
     * opens first (non-blocking, then blocking again), holds a write end itself so that a
     * read never sees EOF while no writer has opened yet, and counts messages rather than
     * waiting for EOF: one writer may finish before the other has even opened. */
    r = SYS(open(path, O_RDONLY | O_NONBLOCK));
    SYS(fcntl(r, F_SETFL, 0));
    int hold = SYS(open(path, O_WRONLY));
    pid_t writers[2];
    for (int k = 0; k < 2; k++) {
        writers[k] = xfork();
        if (writers[k] == 0) {
            int w = SYS(open(path, O_WRONLY));
            static char msg[PIPE_BUF];
            memset(msg, 'a' + k, sizeof msg);
            for (int i = 0; i < 100; i++)
                CHECK(write(w, msg, sizeof msg) == (ssize_t)sizeof msg);
            _exit(0);
        }
    }
    static char msg[PIPE_BUF];
    int whole = 0, counts[2] = {0, 0};
    for (int m = 0; m < 200 && read_full(r, msg, sizeof msg) == sizeof msg; m++) {
        int same = 1;
        for (size_t i = 1; i < sizeof msg; i++)
            same &= msg[i] == msg[0];
        whole += same;
        if (msg[0] == 'a' || msg[0] == 'b')
            counts[msg[0] - 'a']++;
    }
    close(hold);
    printf("atomic messages: %d whole, %d from a, %d from b\n", whole, counts[0], counts[1]);
    reap(writers[0]);
    reap(writers[1]);
    close(r);
    unlink(path);
    rmdir(dir);
    return 0;
}

// Attack: push characters into the controlling terminal's input with ioctl(TIOCSTI) on stdin,
// stdout, stderr and /dev/tty (the classic sandbox escape through a shared terminal); also
// TIOCSCTTY and TIOCLINUX.
// Expected containment: every ioctl fails (ENOTTY/EPERM/EINVAL); the filter allows only
// terminal queries from Meridian's text.
#include "escape.h"
#include <sys/ioctl.h>

int main(int argc, char **argv) {
    escape_args(argc, argv);
    char c = 'x';
    for (int fd = 0; fd < 3; fd++) {
        int r = ioctl(fd, TIOCSTI, &c);
        EXPECT(r != 0, "ioctl(%d, TIOCSTI): %s", fd, strerror(errno));
    }
    int tty = open("/dev/tty", O_RDWR);
    if (tty >= 0) {
        int r = ioctl(tty, TIOCSTI, &c);
        EXPECT(r != 0, "ioctl(/dev/tty, TIOCSTI): %s", strerror(errno));
    } else {
        printf("note: no /dev/tty (%s)\n", strerror(errno));
    }
    EXPECT(ioctl(0, TIOCSCTTY, 1) != 0, "TIOCSCTTY: %s", strerror(errno));
    char sub = 12;
    EXPECT(ioctl(0, TIOCLINUX, &sub) != 0, "TIOCLINUX: %s", strerror(errno));
    return finish();
}

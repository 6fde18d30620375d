// meridian volumes test: write and fsync a file in argv[1], say so, then wait for stdin to
// close; the test reads the file on the host while this still runs.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) return 2;
    int fd = open("synced.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "durable\n", 8) != 8 || fsync(fd) != 0) return 1;
    printf("synced\n");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return close(fd);
}

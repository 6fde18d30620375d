// Checks file metadata: umask applied to open and mkdir modes; fstat, stat,
// fstatat and statx agree on type, mode, size and link count; ftruncate grows
// (zero-filled) and shrinks; fchmod/chmod; utimensat and futimens set exact
// times (UTIME_OMIT keeps one); access(F_OK).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

static void show(const char *what, const struct stat *st) {
  printf("%s: regular=%d dir=%d mode=%04o size=%ld nlink=%ld\n", what, S_ISREG(st->st_mode) != 0,
         S_ISDIR(st->st_mode) != 0, (unsigned)(st->st_mode & 07777), (long)st->st_size, (long)st->st_nlink);
}

int main(void) {
  char path[64], dpath[64];
  snprintf(path, sizeof path, "/tmp/mt-file_meta-%d", (int)getpid());
  snprintf(dpath, sizeof dpath, "/tmp/mt-file_meta-%d.d", (int)getpid());
  umask(027);
  printf("umask returns the previous mask: %04o\n", (unsigned)umask(022));

  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0666);
  CHECK(fd >= 0);
  write(fd, "0123456789", 10);
  struct stat st, st2;
  fstat(fd, &st);
  show("fstat after create with 0666, umask 022", &st);
  stat(path, &st2);
  printf("stat agrees with fstat: %d\n", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev && st.st_size == st2.st_size);
  fstatat(AT_FDCWD, path, &st2, AT_SYMLINK_NOFOLLOW);
  printf("fstatat agrees: %d\n", st.st_ino == st2.st_ino && st.st_mode == st2.st_mode);

  struct statx sx;
  int r = statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx);
  printf("statx: ret=%d size=%llu mode=%04o regular=%d has size+mode: %d ino agrees: %d\n", r,
         (unsigned long long)sx.stx_size, sx.stx_mode & 07777, S_ISREG(sx.stx_mode) != 0,
         (sx.stx_mask & (STATX_SIZE | STATX_MODE)) == (STATX_SIZE | STATX_MODE), sx.stx_ino == st.st_ino);
  r = statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx);
  printf("statx AT_EMPTY_PATH on fd: ret=%d size=%llu\n", r, (unsigned long long)sx.stx_size);

  CHECK(ftruncate(fd, 4096) == 0);
  char c = 1;
  pread(fd, &c, 1, 4000);
  fstat(fd, &st);
  printf("ftruncate grow: size=%ld, new bytes zero: %d\n", (long)st.st_size, c == 0);
  CHECK(ftruncate(fd, 3) == 0);
  fstat(fd, &st);
  printf("ftruncate shrink: size=%ld\n", (long)st.st_size);
  errno = 0;
  printf("ftruncate negative: %s\n", ftruncate(fd, -1) < 0 && errno == EINVAL ? "EINVAL" : "other");

  CHECK(fchmod(fd, 0600) == 0);
  fstat(fd, &st);
  printf("after fchmod 0600: %04o\n", (unsigned)(st.st_mode & 07777));
  CHECK(chmod(path, 0751) == 0);
  stat(path, &st);
  printf("after chmod 0751: %04o\n", (unsigned)(st.st_mode & 07777));

  struct timespec times[2] = {{1000000000, 123456789}, {1200000000, 5}};
  CHECK(utimensat(AT_FDCWD, path, times, 0) == 0);
  stat(path, &st);
  printf("utimensat: atime=%ld.%09ld mtime=%ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec omit_atime[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  CHECK(futimens(fd, omit_atime) == 0);
  fstat(fd, &st);
  printf("futimens with UTIME_OMIT atime: atime=%ld mtime=%ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  errno = 0;
  printf("utimensat invalid nsec: %s\n", utimensat(AT_FDCWD, path, bad, 0) < 0 && errno == EINVAL ? "EINVAL" : "other");

  CHECK(mkdir(dpath, 0777) == 0);
  stat(dpath, &st); // a directory's size and link count depend on the filesystem
  printf("mkdir 0777 with umask 022: dir=%d mode=%04o\n", S_ISDIR(st.st_mode) != 0, (unsigned)(st.st_mode & 07777));
  printf("access F_OK: %d, missing: %d\n", access(path, F_OK) == 0, access("/tmp/mt-file_meta-missing", F_OK) == 0);
  close(fd);
  CHECK(unlink(path) == 0);
  CHECK(rmdir(dpath) == 0);
  return failures ? 1 : 0;
}

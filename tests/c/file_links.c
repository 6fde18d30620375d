// Checks links and renames in /tmp: symlink + readlink (no NUL, length
// returned), lstat vs stat through a link, dangling links, O_NOFOLLOW -> ELOOP,
// hard links raise st_nlink, rename replaces atomically, renameat2
// RENAME_NOREPLACE -> EEXIST, unlink lowers nlink, and the ENOENT/EEXIST/EINVAL cases.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)
#define ERR(r) ((r) >= 0 ? "ok" : errno == ENOENT ? "ENOENT" : errno == EEXIST ? "EEXIST" : errno == EINVAL ? "EINVAL" : errno == ELOOP ? "ELOOP" : "other")

static char base[64];
static const char *P(const char *leaf) {
  static char bufs[4][128];
  static int i;
  i = (i + 1) % 4;
  snprintf(bufs[i], sizeof bufs[i], "%s/%s", base, leaf);
  return bufs[i];
}

int main(void) {
  snprintf(base, sizeof base, "/tmp/mt-file_links-%d", (int)getpid());
  CHECK(mkdir(base, 0755) == 0);
  int fd = open(P("target"), O_CREAT | O_WRONLY, 0644);
  write(fd, "target data", 11);
  close(fd);

  CHECK(symlink("target", P("sym")) == 0);
  char buf[64];
  memset(buf, 'X', sizeof buf);
  ssize_t n = readlink(P("sym"), buf, sizeof buf);
  printf("readlink: len=%zd text='%.*s' not NUL-terminated: %d\n", n, (int)n, buf, buf[n] == 'X');
  n = readlink(P("sym"), buf, 3);
  printf("readlink into 3 bytes truncates: %zd '%.3s'\n", n, buf);
  struct stat st, lst;
  stat(P("sym"), &st);
  lstat(P("sym"), &lst);
  printf("stat follows (regular, size %ld), lstat does not (symlink=%d, size %ld)\n", (long)st.st_size,
         S_ISLNK(lst.st_mode) != 0, (long)lst.st_size);
  errno = 0;
  printf("open O_NOFOLLOW on symlink: %s\n", ERR(open(P("sym"), O_RDONLY | O_NOFOLLOW)));
  fd = open(P("sym"), O_RDONLY);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("read through symlink: %s\n", buf);

  CHECK(symlink("/tmp/mt-does-not-exist", P("dangling")) == 0);
  errno = 0;
  printf("stat dangling: %s\n", ERR(stat(P("dangling"), &st)));
  printf("lstat dangling: %s\n", ERR(lstat(P("dangling"), &lst)));
  errno = 0;
  printf("symlink over existing: %s\n", ERR(symlink("x", P("sym"))));
  errno = 0;
  printf("readlink of a regular file: %s\n", ERR(readlink(P("target"), buf, sizeof buf)));

  CHECK(link(P("target"), P("hard")) == 0);
  stat(P("target"), &st);
  stat(P("hard"), &lst);
  printf("hard link: nlink=%ld same inode=%d\n", (long)st.st_nlink, st.st_ino == lst.st_ino);
  errno = 0;
  printf("link to existing name: %s\n", ERR(link(P("target"), P("hard"))));

  fd = open(P("other"), O_CREAT | O_WRONLY, 0644);
  write(fd, "other", 5);
  close(fd);
  errno = 0;
  printf("renameat2 NOREPLACE onto existing: %s\n",
         ERR(renameat2(AT_FDCWD, P("other"), AT_FDCWD, P("hard"), RENAME_NOREPLACE)));
  CHECK(rename(P("other"), P("hard")) == 0);
  fd = open(P("hard"), O_RDONLY);
  memset(buf, 0, sizeof buf);
  read(fd, buf, sizeof buf - 1);
  close(fd);
  stat(P("target"), &st);
  printf("rename replaced 'hard': now '%s', target nlink back to %ld\n", buf, (long)st.st_nlink);
  errno = 0;
  printf("old name after rename: %s\n", ERR(access(P("other"), F_OK)));
  errno = 0;
  printf("rename missing: %s\n", ERR(rename(P("missing"), P("x"))));
  CHECK(mkdir(P("d"), 0755) == 0);
  errno = 0;
  printf("rename dir into itself: %s\n", ERR(rename(P("d"), P("d/sub"))));

  const char *names[] = {"target", "sym", "dangling", "hard"};
  for (int i = 0; i < 4; i++) CHECK(unlink(P(names[i])) == 0);
  errno = 0;
  printf("unlink missing: %s\n", ERR(unlink(P("target"))));
  CHECK(unlinkat(AT_FDCWD, P("d"), AT_REMOVEDIR) == 0);
  CHECK(rmdir(base) == 0);
  return failures ? 1 : 0;
}

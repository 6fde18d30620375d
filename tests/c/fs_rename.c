// rename(2) semantics: over files, over empty/non-empty directories, type mismatches, loops.
#include "fs_common.h"
int main(void) {
    enter_scratch();
    put("a", "A"); put("b", "B"); mkdir("d", 0755); mkdir("e", 0755); mkdir("full", 0755); put("full/x", "x");
    EXPECT("file over file", rename("a", "b"), 0);
    EXPECT("old name gone", access("a", F_OK), ENOENT);
    EXPECT("dir over empty dir", rename("d", "e"), 0);
    EXPECT("dir over non-empty dir", rename("e", "full"), ENOTEMPTY);
    EXPECT("dir over file", rename("e", "b"), ENOTDIR);
    EXPECT("file over dir", rename("b", "e"), EISDIR);
    EXPECT("dir into itself", rename("e", "e/sub"), EINVAL);
    mkdir("e/in", 0755);
    EXPECT("dir into its child", rename("e", "e/in/deeper"), EINVAL);
    EXPECT("missing source", rename("zz", "yy"), ENOENT);
    EXPECT("same name", rename("b", "b"), 0);
    link("b", "b2");
    EXPECT("hard link onto itself", rename("b", "b2"), 0);
    printf("both remain %d %d\n", access("b", F_OK) == 0, access("b2", F_OK) == 0);
    EXPECT("rename ., invalid", rename(".", "x"), EBUSY);
    EXPECT("to missing dir", rename("b", "nodir/b"), ENOENT);
    EXPECT("file with trailing slash", rename("b/", "c"), ENOTDIR);
    struct stat st; stat(".", &st); printf("parent nlink=%d\n", (int)st.st_nlink);
    EXPECT("move dir across", rename("e", "full/e"), 0);
    stat(".", &st); printf("parent nlink after=%d\n", (int)st.st_nlink);
    stat("full", &st); printf("full nlink=%d\n", (int)st.st_nlink);
    return finish();
}

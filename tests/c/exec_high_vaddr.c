// execve of a position-independent program (ET_DYN, no interpreter) whose only segment is
// linked at a high address (0x7000_0000_0000, above the guest range): it is placed wherever
// there is room, as Linux does, and runs (its code exits with status 7). The loader's
// address arithmetic is modulo 2^64 there (the distance to the chosen place wraps), which
// must not trip the runner's overflow checks.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VADDR 0x700000000000ULL
#define CODE_AT 120

int main(void) {
  unsigned char elf[CODE_AT + 16] = {0};
  static const unsigned char code[] = {0xb8, 60, 0, 0, 0,   // mov eax, 60 (exit)
                                       0xbf, 7, 0, 0, 0,    // mov edi, 7
                                       0x0f, 0x05};          // syscall
  memcpy(elf, "\x7f" "ELF\x02\x01\x01", 7);
  uint16_t half;
  uint32_t word;
  uint64_t quad;
#define PUT(off, v) (memcpy(elf + (off), &(v), sizeof(v)))
  half = 3; PUT(16, half);              // e_type ET_DYN
  half = 62; PUT(18, half);             // e_machine x86-64
  word = 1; PUT(20, word);              // e_version
  quad = VADDR + CODE_AT; PUT(24, quad); // e_entry
  quad = 64; PUT(32, quad);             // e_phoff
  half = 64; PUT(52, half);             // e_ehsize
  half = 56; PUT(54, half);             // e_phentsize
  half = 1; PUT(56, half);              // e_phnum
  word = 1; PUT(64, word);              // p_type PT_LOAD
  word = 5; PUT(68, word);              // p_flags R+X
  quad = 0; PUT(72, quad);              // p_offset
  quad = VADDR; PUT(80, quad);          // p_vaddr
  PUT(88, quad);                        // p_paddr
  quad = sizeof elf; PUT(96, quad);     // p_filesz
  PUT(104, quad);                       // p_memsz
  quad = 4096; PUT(112, quad);          // p_align
  memcpy(elf + CODE_AT, code, sizeof code);
  const char *path = "/tmp/exec_high_vaddr_prog";
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(elf, 1, sizeof elf, f) != sizeof elf || fclose(f) != 0)
    return 1;
  chmod(path, 0755);
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {"prog", NULL}, *envp[] = {NULL};
    execve(path, argv, envp);
    _exit(99);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  unlink(path);
  printf("child: exited=%d status=%d\n", WIFEXITED(status), WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  return 0;
}

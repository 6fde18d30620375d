// The start-up case: a static hello world (built with gcc -O2 -static).
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}

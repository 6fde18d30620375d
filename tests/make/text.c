#include <ctype.h>

#include "stats.h"

size_t stats_words(const char *s) {
    size_t n = 0;
    int in_word = 0;
    for (; *s; s++) {
        if (isspace((unsigned char)*s))
            in_word = 0;
        else if (!in_word) {
            in_word = 1;
            n++;
        }
    }
    return n;
}

void stats_upper(char *s) {
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

/* FNV-1a, 32 bits. */
unsigned stats_hash(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

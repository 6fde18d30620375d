#include "stats.h"

size_t stats_primes_below(long limit, long *out, size_t cap) {
    size_t n = 0;
    for (long k = 2; k < limit && n < cap; k++) {
        int prime = 1;
        for (long d = 2; d * d <= k; d++)
            if (k % d == 0) {
                prime = 0;
                break;
            }
        if (prime)
            out[n++] = k;
    }
    return n;
}

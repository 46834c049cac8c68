/*
 * In-guest helper of bench/loop.sh, built static on the host: a byte scan
 * shaped like the x86 BCJ filter of the kernel's xz decompressor, whose
 * "continue" jumps forward to the loop's increment at its bottom, so the
 * loop is two blocks a turn when a block ends at each Jcc.
 *   scan [REPS]     scans 4 MiB REPS times (default 20); prints the result
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static size_t scan(const unsigned char *buf, size_t size, unsigned *state)
{
    size_t hits = 0;
    for (size_t i = 0; i < size; ++i) {
        if ((buf[i] & 0xfe) != 0xe8) {
            continue;
        }
        *state = (*state << 1) ^ buf[i];
        hits++;
    }
    return hits;
}

int main(int argc, char **argv)
{
    size_t n = 4 << 20;
    unsigned char *b = malloc(n);
    if (!b) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        b[i] = (unsigned char)(i * 37 + (i >> 9));
        if ((b[i] & 0xfe) == 0xe8) {
            b[i] ^= 0x10;           /* a rare E8/E9, as in data */
        }
    }
    for (size_t i = 12345; i < n; i += 65536) {
        b[i] = 0xe8;
    }
    unsigned st = 1;
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    size_t h = 0;
    for (int r = 0; r < reps; r++) {
        h += scan(b, n, &st);
    }
    printf("scan %zu %u\n", h, st);
    return 0;
}

/*
 * In-guest helper of bench/disk.sh, built static on the host and added to
 * the test initramfs (busybox has no clock finer than a second and no
 * random-offset reader):
 *   disk-io now                  CLOCK_MONOTONIC seconds, for timing dd
 *   disk-io randread DEV MB N    N reads of 4 KiB at random 4 KiB-aligned
 *                                offsets in the first MB MiB of DEV, with
 *                                O_DIRECT, one at a time (queue depth 1);
 *                                prints "randread N SECONDS"
 * The sequential runs use busybox dd iflag=direct / oflag=direct.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "now")) {
        printf("%.6f\n", now());
        return 0;
    }
    if (argc != 5 || strcmp(argv[1], "randread")) {
        fprintf(stderr, "usage: disk-io now | disk-io randread DEV MB N\n");
        return 2;
    }
    int fd = open(argv[2], O_RDONLY | O_DIRECT);
    if (fd < 0) {
        perror(argv[2]);
        return 1;
    }
    uint64_t blocks = strtoull(argv[3], NULL, 0) * 256;     /* 4 KiB blocks */
    long n = strtol(argv[4], NULL, 0);
    void *buf;
    if (!blocks || posix_memalign(&buf, 4096, 4096)) {
        return 1;
    }
    uint64_t x = 88172645463325252ull;     /* xorshift64: the same offsets on every system */
    double t0 = now();
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) != 4096) {
            perror("pread");
            return 1;
        }
    }
    printf("randread %ld %.6f\n", n, now() - t0);
    return 0;
}

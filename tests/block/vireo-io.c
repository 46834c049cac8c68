/*
 * vireo-io IMAGE FORMAT REF.raw COUNT SEED: COUNT random requests (writes of
 * any length and alignment, write-zeroes, compressed cluster writes, partial
 * overwrites) through Vireo's block layer into IMAGE, and the same bytes
 * into the raw reference REF.raw, so the interop test can ask qemu-img
 * whether IMAGE is consistent (qemu-img check) and reads as REF.raw
 * (qemu-img compare).  Requests run from 4 threads at once, as the
 * emulator's worker pool issues them; each thread owns a quarter of the
 * image so the result is deterministic.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/qcow2.h"

typedef struct Job {
    BlockDriverState *img, *ref;
    uint64_t base, span;
    int count;
    uint32_t seed;
    int failed;
} Job;

static gpointer run_job(gpointer opaque)
{
    Job *j = opaque;
    GRand *r = g_rand_new_with_seed(j->seed);
    uint64_t cs = qcow2_cluster_size(j->img);
    uint8_t *buf = g_malloc(1 << 20);
    for (int i = 0; i < j->count && !j->failed; i++) {
        uint64_t len = g_rand_int_range(r, 1, MIN(j->span, 300000));
        uint64_t off = j->base + (uint64_t)(g_rand_double(r) * (j->span - len));
        int kind = g_rand_int_range(r, 0, 10);
        for (uint64_t k = 0; k < len; k++) {
            buf[k] = kind < 3 ? "qcow2 text "[k % 11] : g_rand_int(r);
        }
        int ret;
        if (kind == 9) {
            ret = bdrv_pwrite_zeroes(j->img, off, len);
            memset(buf, 0, len);
        } else if (kind < 3 && cs && len >= cs) {
            off = (off + cs - 1) / cs * cs;
            len = cs;
            ret = off + cs <= j->base + j->span ? qcow2_pwrite_compressed(j->img, off, buf, len) : 0;
            if (off + cs > j->base + j->span) {
                continue;
            }
        } else {
            ret = bdrv_pwrite(j->img, off, buf, len);
        }
        if (ret < 0 || bdrv_pwrite(j->ref, off, buf, len) < 0) {
            fprintf(stderr, "vireo-io: request %d at %llu+%llu failed: %s\n", i,
                    (unsigned long long)off, (unsigned long long)len, g_strerror(-ret));
            j->failed = 1;
        }
    }
    g_free(buf);
    g_rand_free(r);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: vireo-io IMAGE FORMAT REF.raw COUNT SEED\n");
        return 1;
    }
    GError *err = NULL;
    BlockDriverState *img = bdrv_open(argv[1], argv[2], BDRV_O_RDWR, &err);
    BlockDriverState *ref = img ? bdrv_open(argv[3], "raw", BDRV_O_RDWR, &err) : NULL;
    if (!img || !ref) {
        fprintf(stderr, "vireo-io: %s\n", err->message);
        return 1;
    }
    uint64_t size = bdrv_getlength(img);
    Job jobs[4];
    GThread *t[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (Job){ img, ref, size / 4 * i, size / 4, atoi(argv[4]),
                         (uint32_t)atoi(argv[5]) * 4 + i, 0 };
        t[i] = g_thread_new("io", run_job, &jobs[i]);
    }
    int failed = 0;
    for (int i = 0; i < 4; i++) {
        g_thread_join(t[i]);
        failed |= jobs[i].failed;
    }
    bdrv_flush(img);
    bdrv_close(img);
    bdrv_close(ref);
    return failed;
}

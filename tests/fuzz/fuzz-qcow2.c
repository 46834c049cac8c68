/*
 * Fuzz the qcow2 driver with hostile image files: the input is the whole
 * file.  Each input is opened read-only (header, extensions, L1 and
 * refcount tables), read at several places (L2 tables, compressed and
 * zero clusters, snapshot table), checked, then opened for writing and
 * written (allocation, copy-on-write, compressed writes, zeroes, discard,
 * growing), checked with repair and checked again.  Nothing may crash,
 * hang or allocate without bound; errors are fine.
 *
 * A backing file is opened only when the image names "fuzz-base.raw" (a
 * file the harness made): a hostile image must not send us reading host
 * files (or a FIFO) under other names.  Writes are skipped for clusters
 * over 64 KiB, which are only slow.
 */
#include "fuzz-driver.h"

#include <unistd.h>

#include "block/block_int.h"
#include "block/qcow2.h"

static char *img_path, *tmp_dir;

/* the harness's directory goes when the process ends (at exit) */
static void remove_tmp(void)
{
    g_autofree char *base = g_build_filename(tmp_dir, "fuzz-base.raw", NULL);
    unlink(img_path);
    unlink(base);
    rmdir(tmp_dir);
}

static void fuzz_setup(void)
{
    fuzz_name = "qcow2";
    qcow2_set_check_quiet(true);
    char *dir = g_dir_make_tmp("vireo-fuzz-qcow2-XXXXXX", NULL);
    g_assert_nonnull(dir);
    img_path = g_build_filename(dir, "img.qcow2", NULL);
    char *base = g_build_filename(dir, "fuzz-base.raw", NULL);
    char data[65536];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (char)(i * 13 + 7);
    }
    g_assert_true(g_file_set_contents(base, data, sizeof(data), NULL));
    g_free(base);
    tmp_dir = dir;
    atexit(remove_tmp);
}

static uint64_t pick(const uint8_t *data, size_t size, size_t at, uint64_t range)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        v = (v << 8) | (size ? data[(at + i * 31) % size] : 0);
    }
    return range ? v % range : 0;
}

static void read_some(BlockDriverState *bs, const uint8_t *data, size_t size, uint8_t *buf)
{
    int64_t len = bdrv_getlength(bs);
    if (len <= 0) {
        return;
    }
    bdrv_pread(bs, 0, buf, MIN(len, 65536));
    for (int i = 0; i < 4; i++) {
        uint64_t n = 1 + pick(data, size, 100 + i, 70000);
        n = MIN(n, (uint64_t)len);
        uint64_t off = pick(data, size, 7 * i, len - n + 1);
        bdrv_pread(bs, off, buf, n);
        uint64_t pnum;
        bdrv_block_status(bs, off, n, &pnum);
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    FILE *f = fopen(img_path, "wb");
    g_assert_nonnull(f);
    if (size) {
        g_assert_cmpuint(fwrite(data, 1, size, f), ==, size);
    }
    fclose(f);
    uint8_t *buf = g_malloc(70000 + 65536);
    GError *err = NULL;
    BlockDriverState *bs = bdrv_open(img_path, "qcow2", BDRV_O_NO_BACKING | BDRV_O_NO_LOCK, &err);
    if (!bs) {
        g_assert_nonnull(err);
        g_assert_null(strchr(err->message, '\n'));
        g_clear_error(&err);
        g_free(buf);
        return;
    }
    bool backing_ok = bs->backing_file && !strcmp(bs->backing_file, "fuzz-base.raw");
    bool small = qcow2_cluster_size(bs) <= 65536;
    read_some(bs, data, size, buf);
    BdrvCheckResult r;
    bdrv_check(bs, &r, 0);
    BdrvSnapshotInfo *sn = NULL;
    int n = bdrv_snapshot_list(bs, &sn);
    for (int i = 0; i < n; i++) {
        g_free(sn[i].id);
        g_free(sn[i].name);
    }
    g_free(sn);
    GString *js = g_string_new(NULL);
    bdrv_info_json(bs, js);
    g_string_free(js, TRUE);
    bdrv_close(bs);

    if (!small) {
        g_free(buf);
        return;
    }
    int flags = BDRV_O_RDWR | BDRV_O_NO_LOCK | BDRV_O_CHECK | BDRV_O_NO_FLUSH |
                (backing_ok ? 0 : BDRV_O_NO_BACKING);
    bs = bdrv_open(img_path, "qcow2", flags, &err);
    if (!bs) {
        g_clear_error(&err);
        g_free(buf);
        return;
    }
    int64_t len = bdrv_getlength(bs);
    uint64_t cs = qcow2_cluster_size(bs);
    if (len > 0) {
        memset(buf, 0x5c, 70000);
        uint64_t n1 = MIN((uint64_t)len, 3000);
        bdrv_pwrite(bs, pick(data, size, 3, len - n1 + 1), buf, n1);
        uint64_t n2 = MIN((uint64_t)len, 70000);
        bdrv_pwrite(bs, pick(data, size, 11, len - n2 + 1), buf, n2);
        uint64_t c = pick(data, size, 19, (len + cs - 1) / cs) * cs;
        qcow2_pwrite_compressed(bs, c, buf, MIN(cs, len - c));
        bdrv_pwrite_zeroes(bs, pick(data, size, 23, len), MIN((uint64_t)len, 2 * cs));
        bdrv_pwrite_zeroes(bs, 0, MIN((uint64_t)len, 100));
        bdrv_pdiscard(bs, 0, MIN((uint64_t)len, 3 * cs));
        read_some(bs, data, size, buf);
    }
    if (len >= 0 && len < (1ll << 30)) {
        bdrv_truncate(bs, len + 65536, &err);
        g_clear_error(&err);
        bdrv_pwrite(bs, len, buf, 512);
    }
    bdrv_check(bs, &r, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
    bdrv_check(bs, &r, 0);
    bdrv_close(bs);
    g_free(buf);
}

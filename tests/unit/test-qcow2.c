/*
 * The qcow2 driver's metadata: cluster allocation, copy-on-write from a
 * backing file, compressed clusters (written, read, overwritten), zero
 * clusters and discard, refcount table growth with every refcount width,
 * image growth, concurrent writers, check finding and repairing leaks and
 * corruptions, the corrupt bit, hostile headers, and -snapshot overlays.
 * After every sequence of writes the refcounts must be consistent: check
 * finds nothing.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "block/block_int.h"
#include "block/qcow2.h"

static char *tmpdir;

static char *path_of(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static BlockDriverState *create_open(const char *name, uint64_t size, const char *opts)
{
    char *p = path_of(name);
    GError *err = NULL;
    g_assert_true(bdrv_create("qcow2", p, size, opts, &err));
    g_assert_no_error(err);
    BlockDriverState *bs = bdrv_open(p, "qcow2", BDRV_O_RDWR, &err);
    g_assert_no_error(err);
    g_assert_nonnull(bs);
    g_free(p);
    return bs;
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
    /* xorshift: incompressible, different for each seed */
    uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = x >> 24;
    }
}

static void assert_clean(BlockDriverState *bs)
{
    BdrvCheckResult r;
    g_assert_cmpint(bdrv_check(bs, &r, 0), ==, 0);
    g_assert_cmpint(r.corruptions, ==, 0);
    g_assert_cmpint(r.leaks, ==, 0);
    g_assert_cmpint(r.check_errors, ==, 0);
}

static void assert_reads(BlockDriverState *bs, uint64_t off, const uint8_t *want, size_t n)
{
    uint8_t *got = g_malloc(n);
    g_assert_cmpint(bdrv_pread(bs, off, got, n), ==, 0);
    g_assert_cmpmem(got, n, want, n);
    g_free(got);
}

static void assert_zero(BlockDriverState *bs, uint64_t off, size_t n)
{
    uint8_t *z = g_malloc0(n);
    assert_reads(bs, off, z, n);
    g_free(z);
}

static void test_alloc(void)
{
    BlockDriverState *bs = create_open("alloc.qcow2", 64 << 20, "cluster_size=4096");
    uint8_t *buf = g_malloc(300000);
    fill(buf, 300000, 1);
    /* unaligned, spanning clusters, then an overwrite in place */
    g_assert_cmpint(bdrv_pwrite(bs, 12345, buf, 300000), ==, 0);
    g_assert_cmpint(bdrv_pwrite(bs, 40 << 20, buf, 4096), ==, 0);
    assert_reads(bs, 12345, buf, 300000);
    assert_zero(bs, 0, 12345);
    assert_zero(bs, 12345 + 300000, 5000);
    fill(buf, 1000, 2);
    g_assert_cmpint(bdrv_pwrite(bs, 20000, buf, 1000), ==, 0);
    assert_reads(bs, 20000, buf, 1000);
    assert_clean(bs);
    uint64_t pnum;
    g_assert_cmpint(bdrv_block_status(bs, 0, 8192, &pnum), ==, 0);
    g_assert_cmpuint(pnum, ==, 8192);
    g_assert_cmpint(bdrv_block_status(bs, 12288, 8192, &pnum), ==, 1);
    bdrv_close(bs);

    /* what was written survives a reopen */
    char *p = path_of("alloc.qcow2");
    bs = bdrv_open(p, NULL, 0, NULL);
    g_assert_nonnull(bs);
    g_assert_cmpstr(bdrv_format_name(bs), ==, "qcow2");
    assert_reads(bs, 20000, buf, 1000);
    assert_clean(bs);
    bdrv_close(bs);
    g_free(p);
    g_free(buf);
}

static void test_backing_cow(void)
{
    char *base = path_of("base.raw");
    uint8_t *data = g_malloc(1 << 20);
    fill(data, 1 << 20, 7);
    g_assert_true(g_file_set_contents(base, (char *)data, 1 << 20, NULL));
    char *opts = g_strdup_printf("backing_file=%s,backing_fmt=raw", base);
    /* the overlay is bigger than its backing file: the rest reads zeros */
    BlockDriverState *bs = create_open("overlay.qcow2", 2 << 20, opts);
    g_assert_nonnull(bdrv_backing(bs));
    assert_reads(bs, 0, data, 1 << 20);
    assert_zero(bs, 1 << 20, 1 << 20);

    uint8_t patch[100];
    memset(patch, 0xab, sizeof(patch));
    g_assert_cmpint(bdrv_pwrite(bs, 70000, patch, sizeof(patch)), ==, 0);
    memcpy(data + 70000, patch, sizeof(patch));
    assert_reads(bs, 0, data, 1 << 20);
    /* a partial write past the backing file's end */
    g_assert_cmpint(bdrv_pwrite(bs, (1 << 20) + 10, patch, sizeof(patch)), ==, 0);
    uint8_t *tail = g_malloc0(65536);
    memcpy(tail + 10, patch, sizeof(patch));
    assert_reads(bs, 1 << 20, tail, 65536);
    /* zeroing a cluster must hide the backing data (v3 zero flag) */
    g_assert_cmpint(bdrv_pwrite_zeroes(bs, 131072, 65536), ==, 0);
    assert_zero(bs, 131072, 65536);
    /* discard on a v3 image with a backing file reads zeros too */
    g_assert_cmpint(bdrv_pdiscard(bs, 65536, 65536), ==, 0);
    assert_zero(bs, 65536, 65536);
    assert_reads(bs, 0, data, 65536);
    assert_clean(bs);
    bdrv_close(bs);

    /* an overlay grown over its longer backing file reads zeros there */
    bs = create_open("short-overlay.qcow2", 65536, opts);
    assert_reads(bs, 0, data, 65536);
    GError *err = NULL;
    g_assert_cmpint(bdrv_truncate(bs, 1 << 20, &err), ==, 0);
    g_assert_no_error(err);
    assert_reads(bs, 0, data, 65536);
    assert_zero(bs, 65536, (1 << 20) - 65536);
    assert_clean(bs);
    bdrv_close(bs);

    /* the base was never written */
    gchar *after;
    gsize len;
    g_assert_true(g_file_get_contents(base, &after, &len, NULL));
    g_assert_cmpuint(len, ==, 1 << 20);
    g_assert_cmpint(after[70000], !=, (char)0xab);
    g_free(after);
    g_free(tail);
    g_free(opts);
    g_free(data);
    g_free(base);
}

static void test_compressed(void)
{
    BlockDriverState *bs = create_open("comp.qcow2", 1 << 20, "cluster_size=65536");
    g_assert_true(qcow2_is_qcow2(bs));
    uint64_t cs = qcow2_cluster_size(bs);
    uint8_t *buf = g_malloc(cs * 4);
    /* compressible text, then random-ish bytes that stay uncompressed */
    for (uint64_t i = 0; i < cs * 3; i++) {
        buf[i] = "vireo compresses qcow2 clusters\n"[i % 32] + (i / cs);
    }
    fill(buf + cs * 3, cs, 3);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(qcow2_pwrite_compressed(bs, i * cs, buf + i * cs, cs), ==, 0);
    }
    assert_reads(bs, 0, buf, cs * 4);
    BdrvCheckResult r;
    g_assert_cmpint(bdrv_check(bs, &r, 0), ==, 0);
    g_assert_cmpint(r.corruptions + r.leaks, ==, 0);
    g_assert_cmpuint(r.compressed_clusters, ==, 3);
    /* several compressed clusters share a host cluster: the file is small */
    g_assert_cmpint(bdrv_allocated_size(bs), <, 6 * 65536 + (int64_t)cs);
    /* overwrite part of a compressed cluster: copy-on-write decompresses */
    uint8_t patch[3000];
    fill(patch, sizeof(patch), 9);
    g_assert_cmpint(bdrv_pwrite(bs, cs + 100, patch, sizeof(patch)), ==, 0);
    memcpy(buf + cs + 100, patch, sizeof(patch));
    assert_reads(bs, 0, buf, cs * 4);
    /* freeing every compressed cluster leaves refcounts consistent */
    g_assert_cmpint(bdrv_pwrite_zeroes(bs, 0, cs * 4), ==, 0);
    assert_zero(bs, 0, cs * 4);
    assert_clean(bs);
    /* the last, partial cluster of an image */
    bdrv_close(bs);
    /* sizes are whole sectors, rounded up as qemu-img rounds them */
    bs = create_open("comp2.qcow2", 100000, NULL);
    g_assert_cmpint(bdrv_getlength(bs), ==, 100352);
    memset(buf, 'x', cs);
    g_assert_cmpint(qcow2_pwrite_compressed(bs, cs, buf, 100352 - cs), ==, 0);
    g_assert_cmpint(qcow2_pwrite_compressed(bs, 1, buf, 10), ==, -EINVAL);
    assert_reads(bs, cs, buf, 100352 - cs);
    assert_clean(bs);
    bdrv_close(bs);
    g_free(buf);
}

static void test_zero_v2_v3(void)
{
    for (int v = 2; v <= 3; v++) {
        BlockDriverState *bs = create_open(v == 2 ? "z2.qcow2" : "z3.qcow2", 4 << 20,
                                           v == 2 ? "compat=0.10" : "compat=1.1");
        uint8_t *buf = g_malloc(1 << 20);
        fill(buf, 1 << 20, 5);
        g_assert_cmpint(bdrv_pwrite(bs, 0, buf, 1 << 20), ==, 0);
        /* whole clusters and a partial one */
        g_assert_cmpint(bdrv_pwrite_zeroes(bs, 65536, 131072), ==, 0);
        g_assert_cmpint(bdrv_pwrite_zeroes(bs, 300000, 1000), ==, 0);
        memset(buf + 65536, 0, 131072);
        memset(buf + 300000, 0, 1000);
        assert_reads(bs, 0, buf, 1 << 20);
        g_assert_cmpint(bdrv_pdiscard(bs, 524288, 65536), ==, 0);
        memset(buf + 524288, 0, 65536);
        assert_reads(bs, 0, buf, 1 << 20);
        /* writing into a zeroed cluster again */
        uint8_t b = 0x77;
        g_assert_cmpint(bdrv_pwrite(bs, 65536 + 5, &b, 1), ==, 0);
        buf[65536 + 5] = b;
        assert_reads(bs, 0, buf, 1 << 20);
        assert_clean(bs);
        GString *js = g_string_new("{\"x\": 0");
        bdrv_info_json(bs, js);
        g_assert_nonnull(strstr(js->str, v == 2 ? "\"compat\": \"0.10\"" : "\"compat\": \"1.1\""));
        g_string_free(js, TRUE);
        bdrv_close(bs);
        g_free(buf);
    }
}

/* Small clusters and every refcount width: the refcount table grows,
 * refcount blocks are added, and the L1 table grows with the image. */
static void test_refcount_growth(void)
{
    static const char *const widths[] = { "1", "2", "4", "8", "16", "32", "64" };
    for (size_t w = 0; w < G_N_ELEMENTS(widths); w++) {
        char *opts = g_strdup_printf("cluster_size=512,refcount_bits=%s", widths[w]);
        BlockDriverState *bs = create_open("rc.qcow2", 1 << 20, opts);
        GError *err = NULL;
        g_assert_cmpint(bdrv_truncate(bs, 8 << 20, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpint(bdrv_getlength(bs), ==, 8 << 20);
        uint8_t *buf = g_malloc(3 << 20);
        fill(buf, 3 << 20, w);
        g_assert_cmpint(bdrv_pwrite(bs, 5 << 20, buf, 3 << 20), ==, 0);
        assert_reads(bs, 5 << 20, buf, 3 << 20);
        assert_clean(bs);
        g_assert_cmpint(bdrv_truncate(bs, 1 << 20, &err), <, 0);     /* no shrinking */
        g_clear_error(&err);
        bdrv_close(bs);
        g_free(buf);
        g_free(opts);
    }
}

static void test_preallocate(void)
{
    BlockDriverState *bs = create_open("pre.qcow2", 10 << 20, "preallocation=metadata");
    BdrvCheckResult r;
    g_assert_cmpint(bdrv_check(bs, &r, 0), ==, 0);
    g_assert_cmpint(r.corruptions + r.leaks, ==, 0);
    g_assert_cmpuint(r.allocated_clusters, ==, 160);
    assert_zero(bs, 0, 1 << 20);
    uint8_t b[512];
    fill(b, 512, 1);
    g_assert_cmpint(bdrv_pwrite(bs, 9 << 20, b, 512), ==, 0);
    assert_reads(bs, 9 << 20, b, 512);
    assert_clean(bs);
    bdrv_close(bs);
}

typedef struct Writer {
    BlockDriverState *bs;
    int id;
} Writer;

static gpointer writer_thread(gpointer opaque)
{
    Writer *w = opaque;
    uint8_t buf[12000];
    for (int i = 0; i < 40; i++) {
        fill(buf, sizeof(buf), w->id * 1000 + i);
        uint64_t off = (uint64_t)(i * 4 + w->id) * 50000;
        g_assert_cmpint(bdrv_pwrite(w->bs, off, buf, sizeof(buf)), ==, 0);
    }
    return NULL;
}

static void test_threads(void)
{
    BlockDriverState *bs = create_open("threads.qcow2", 16 << 20, "cluster_size=4096");
    Writer w[4];
    GThread *t[4];
    for (int i = 0; i < 4; i++) {
        w[i].bs = bs;
        w[i].id = i;
        t[i] = g_thread_new("writer", writer_thread, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(t[i]);
    }
    uint8_t buf[12000];
    for (int id = 0; id < 4; id++) {
        for (int i = 0; i < 40; i++) {
            fill(buf, sizeof(buf), id * 1000 + i);
            assert_reads(bs, (uint64_t)(i * 4 + id) * 50000, buf, sizeof(buf));
        }
    }
    assert_clean(bs);
    bdrv_close(bs);
}

/* Edit the image file behind the driver's back. */
static void poke(const char *path, uint64_t off, const void *data, size_t n)
{
    FILE *f = fopen(path, "r+b");
    g_assert_nonnull(f);
    g_assert_cmpint(fseek(f, off, SEEK_SET), ==, 0);
    g_assert_cmpuint(fwrite(data, 1, n, f), ==, n);
    fclose(f);
}

static void test_check_repair(void)
{
    BlockDriverState *bs = create_open("repair.qcow2", 1 << 20, NULL);
    uint8_t buf[65536];
    fill(buf, sizeof(buf), 4);
    g_assert_cmpint(bdrv_pwrite(bs, 0, buf, sizeof(buf)), ==, 0);
    bdrv_close(bs);
    char *p = path_of("repair.qcow2");
    /* layout: header 0, refcount table 1, refcount block 2, L1 3, then
     * L2 and data.  A refcount for cluster 20, which nothing uses: a leak. */
    uint8_t one[2] = { 0, 1 };
    poke(p, 2 * 65536 + 20 * 2, one, 2);
    /* refcount 0 for the header: a corruption */
    uint8_t zero[2] = { 0, 0 };
    poke(p, 2 * 65536, zero, 2);
    bs = bdrv_open(p, "qcow2", BDRV_O_CHECK, NULL);
    g_assert_nonnull(bs);
    qcow2_set_check_quiet(true);
    BdrvCheckResult r;
    g_assert_cmpint(bdrv_check(bs, &r, 0), ==, 0);
    g_assert_cmpint(r.leaks, ==, 1);
    g_assert_cmpint(r.corruptions, ==, 1);
    bdrv_close(bs);
    bs = bdrv_open(p, "qcow2", BDRV_O_CHECK | BDRV_O_RDWR, NULL);
    g_assert_cmpint(bdrv_check(bs, &r, BDRV_FIX_LEAKS), ==, 0);
    g_assert_cmpint(r.leaks_fixed, ==, 1);
    g_assert_cmpint(r.corruptions_fixed, ==, 0);
    g_assert_cmpint(bdrv_check(bs, &r, 0), ==, 0);
    g_assert_cmpint(r.leaks, ==, 0);
    g_assert_cmpint(r.corruptions, ==, 1);
    g_assert_cmpint(bdrv_check(bs, &r, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS), ==, 0);
    g_assert_cmpint(r.corruptions_fixed, ==, 1);
    assert_clean(bs);
    assert_reads(bs, 0, buf, sizeof(buf));
    bdrv_close(bs);
    qcow2_set_check_quiet(false);
    g_free(p);
}

static void test_corrupt_bit(void)
{
    BlockDriverState *bs = create_open("corrupt.qcow2", 1 << 20, NULL);
    uint8_t buf[512] = { 1 };
    g_assert_cmpint(bdrv_pwrite(bs, 0, buf, sizeof(buf)), ==, 0);
    bdrv_close(bs);
    char *p = path_of("corrupt.qcow2");
    /* the L1 entry (cluster 3) points at an unaligned L2 table */
    uint8_t bad[8] = { 0x80, 0, 0, 0, 0, 0x04, 0x02, 0x00 };
    poke(p, 3 * 65536, bad, 8);
    qcow2_set_check_quiet(true);
    bs = bdrv_open(p, "qcow2", BDRV_O_RDWR, NULL);
    g_assert_nonnull(bs);
    g_assert_cmpint(bdrv_pread(bs, 0, buf, sizeof(buf)), ==, -EIO);
    g_assert_cmpint(bdrv_pwrite(bs, 0, buf, sizeof(buf)), ==, -EIO);
    bdrv_close(bs);
    /* now marked corrupt: read-only opens only, and info says so */
    GError *err = NULL;
    g_assert_null(bdrv_open(p, "qcow2", BDRV_O_RDWR, &err));
    g_assert_nonnull(strstr(err->message, "corrupt"));
    g_assert_nonnull(strstr(err->message, "corrupt.qcow2"));
    g_clear_error(&err);
    bs = bdrv_open(p, "qcow2", 0, &err);
    g_assert_nonnull(bs);
    GString *js = g_string_new("");
    bdrv_info_json(bs, js);
    g_assert_nonnull(strstr(js->str, "\"corrupt\": true"));
    g_string_free(js, TRUE);
    bdrv_close(bs);
    qcow2_set_check_quiet(false);
    g_free(p);
}

static void test_hostile_headers(void)
{
    char *p = path_of("hostile.qcow2");
    GError *err = NULL;
    g_assert_true(bdrv_create("qcow2", p, 1 << 20, NULL, &err));
    gchar *good;
    gsize len;
    g_assert_true(g_file_get_contents(p, &good, &len, NULL));
    static const struct { unsigned off; uint32_t val; const char *msg; } cases[] = {
        { 4, 1, "version" },
        { 20, 30, "cluster size" },
        { 20, 8, "cluster size" },
        { 36, 0x7fffffff, "L1 table" },
        { 44, 0x7fff0000, "L1 table" },            /* L1 offset beyond the file */
        { 56, 0x100000, "refcount table" },
        { 52, 0x12345, "refcount table" },
        { 60, 100000, "snapshots" },
        { 32, 1, "encrypted" },
        { 100, 200000, "header length" },
        { 96, 7, "refcount order" },
        { 76, 0x10, "extended L2" },               /* incompatible feature bit 4 */
        { 76, 0x400, "bit 10" },
        { 28, 0x40000000, "too small" },           /* size needs more L1 entries */
        { 12, 0x20000, "backing file" },       /* backing name beyond the header */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        gchar *img = g_memdup2(good, len);
        uint32_t be = GUINT32_TO_BE(cases[i].val);
        memcpy(img + cases[i].off, &be, 4);
        if (cases[i].off == 12) {
            uint32_t sz = GUINT32_TO_BE(20);
            memcpy(img + 16, &sz, 4);
        }
        g_assert_true(g_file_set_contents(p, img, len, NULL));
        BlockDriverState *bs = bdrv_open(p, "qcow2", 0, &err);
        g_assert_null(bs);
        g_assert_nonnull(err);
        g_test_message("%s", err->message);
        g_assert_nonnull(strstr(err->message, "hostile.qcow2"));
        g_assert_nonnull(strstr(err->message, cases[i].msg));
        g_assert_null(strchr(err->message, '\n'));
        g_clear_error(&err);
        g_free(img);
    }
    /* truncated files */
    for (size_t n = 0; n < 200; n += 13) {
        g_assert_true(g_file_set_contents(p, good, n, NULL));
        g_assert_null(bdrv_open(p, "qcow2", 0, &err));
        g_clear_error(&err);
    }
    /* an image that is its own backing file */
    g_assert_true(g_file_set_contents(p, good, len, NULL));
    g_free(good);
    char *loop = g_strdup_printf("backing_file=%s,backing_fmt=qcow2", p);
    g_assert_true(bdrv_create("qcow2", p, 1 << 20, loop, &err));
    g_assert_null(bdrv_open(p, "qcow2", 0, &err));
    g_assert_nonnull(strstr(err->message, "backing"));
    g_clear_error(&err);
    g_free(loop);
    g_free(p);
}

static void test_snapshot_overlay(void)
{
    char *p = path_of("snapbase.qcow2");
    GError *err = NULL;
    g_assert_true(bdrv_create("qcow2", p, 1 << 20, NULL, &err));
    BlockDriverState *bs = bdrv_open(p, "qcow2", BDRV_O_RDWR, &err);
    uint8_t a[4096], b[4096];
    memset(a, 0x5a, sizeof(a));
    g_assert_cmpint(bdrv_pwrite(bs, 8192, a, sizeof(a)), ==, 0);
    bdrv_close(bs);
    bs = bdrv_open(p, "qcow2", BDRV_O_RDWR | BDRV_O_SNAPSHOT, &err);
    g_assert_no_error(err);
    g_assert_nonnull(bs);
    g_assert_cmpstr(bdrv_format_name(bdrv_backing(bs)), ==, "qcow2");
    assert_reads(bs, 8192, a, sizeof(a));
    memset(b, 0xa5, sizeof(b));
    g_assert_cmpint(bdrv_pwrite(bs, 8192, b, sizeof(b)), ==, 0);
    assert_reads(bs, 8192, b, sizeof(b));
    bdrv_close(bs);
    bs = bdrv_open(p, "qcow2", 0, &err);
    assert_reads(bs, 8192, a, sizeof(a));
    bdrv_close(bs);
    g_free(p);
}

static void test_create_options(void)
{
    char *p = path_of("opts.qcow2");
    GError *err = NULL;
    static const char *const bad[] = {
        "cluster_size=1000", "cluster_size=256", "cluster_size=4M", "compat=0.9",
        "refcount_bits=3", "compat=0.10,refcount_bits=8", "lazy_refcounts=on", "foo=bar",
        "preallocation=sometimes", "backing_fmt=raw", "encryption=on",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(bdrv_create("qcow2", p, 1 << 20, bad[i], &err));
        g_assert_nonnull(err);
        g_clear_error(&err);
    }
    g_assert_true(bdrv_create("qcow2", p, 1 << 20, "cluster_size=2M,compat=v3", &err));
    BlockDriverState *bs = bdrv_open(p, "qcow2", 0, &err);
    g_assert_cmpuint(qcow2_cluster_size(bs), ==, 2 << 20);
    bdrv_close(bs);
    g_free(p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("vireo-qcow2-XXXXXX", NULL);
    g_test_add_func("/qcow2/alloc", test_alloc);
    g_test_add_func("/qcow2/backing-cow", test_backing_cow);
    g_test_add_func("/qcow2/compressed", test_compressed);
    g_test_add_func("/qcow2/zero-v2-v3", test_zero_v2_v3);
    g_test_add_func("/qcow2/refcount-growth", test_refcount_growth);
    g_test_add_func("/qcow2/preallocate", test_preallocate);
    g_test_add_func("/qcow2/threads", test_threads);
    g_test_add_func("/qcow2/check-repair", test_check_repair);
    g_test_add_func("/qcow2/corrupt-bit", test_corrupt_bit);
    g_test_add_func("/qcow2/hostile-headers", test_hostile_headers);
    g_test_add_func("/qcow2/snapshot-overlay", test_snapshot_overlay);
    g_test_add_func("/qcow2/create-options", test_create_options);
    int ret = g_test_run();
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd)) {
        /* leftovers in the temporary directory are harmless */
    }
    g_free(cmd);
    return ret;
}

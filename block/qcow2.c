/*
 * The "qcow2" format, versions 2 and 3, as QEMU's docs/interop/qcow2.txt
 * describes it: a header (with extensions: backing format, feature name
 * table), a two-level map from guest clusters to host clusters (the L1
 * table in memory, L2 tables through a small LRU cache), reference counts
 * for every host cluster (refcount table -> refcount blocks), zlib
 * (raw deflate) compressed clusters, v3 zero clusters and a backing image
 * that unallocated clusters read through to.
 *
 * Metadata is written through at once, in an order that can only leak
 * clusters if Vireo dies in the middle: data, then its refcount, then the
 * L2 entry, then the L1 entry, then the old cluster's refcount is dropped.
 * So no dirty bit (lazy refcounts) is ever needed and close writes nothing.
 *
 * Every offset and size read from the image is hostile: the header fields
 * are checked against the file size and the format's limits at open, the
 * table entries when they are used.  A bad entry found while writing marks
 * the image corrupt (the incompatible "corrupt" bit, as QEMU does) and the
 * write fails; reads fail with -EIO.  Nothing here aborts on image data.
 *
 * The block layer calls us from several worker threads at once: one mutex
 * serialises every call (metadata and the caches are shared).
 */
#include "block/qcow2.h"
#include "block/block_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/error.h"
#include "util/keyval.h"
#include "util/iov.h"
#include "util/log.h"

#define QCOW2_MAGIC 0x514649fbu                 /* "QFI\xfb" */
#define QCOW2_V2_HEADER 72
#define QCOW2_V3_HEADER 104                     /* without the compression type */

#define EXT_END          0x00000000u
#define EXT_BACKING_FMT  0xe2792acau
#define EXT_FEATURES     0x6803f857u
#define EXT_CRYPTO       0x0537be77u
#define EXT_DATA_FILE    0x44415441u

#define INCOMPAT_DIRTY        (1ull << 0)
#define INCOMPAT_CORRUPT      (1ull << 1)
#define INCOMPAT_DATA_FILE    (1ull << 2)
#define INCOMPAT_COMPRESSION  (1ull << 3)
#define INCOMPAT_EXTL2        (1ull << 4)
#define INCOMPAT_KNOWN        (INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION)
#define COMPAT_LAZY_REFCOUNTS (1ull << 0)

#define OFLAG_COPIED     (1ull << 63)
#define OFLAG_COMPRESSED (1ull << 62)
#define OFLAG_ZERO       (1ull << 0)
#define OFFSET_MASK      0x00fffffffffffe00ull   /* L1 and standard L2 entries */
#define L1E_RESERVED     (~(OFFSET_MASK | OFLAG_COPIED))
#define L2E_RESERVED     (~(OFFSET_MASK | OFLAG_COPIED | OFLAG_COMPRESSED | OFLAG_ZERO))
#define RT_OFFSET_MASK   0xfffffffffffffe00ull

/* QEMU's own limits, so what it opens we open and nothing makes us
 * allocate without bound. */
#define MAX_L1_ENTRIES   (32u * 1024 * 1024 / 8)
#define MAX_RT_BYTES     (8u * 1024 * 1024)
#define MAX_SNAPSHOTS    65536
#define MAX_VIRTUAL_SIZE (1ull << 61)
#define MAX_BACKING_NAME 1023
#define MAX_HOST_OFFSET  (1ull << 56)
#define MAX_BACKING_DEPTH 16
#define RB_CACHE_SIZE    8
#define RESV_MAX         16

#define FEATURE_NAME_LEN 46

#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif
#ifndef ROUND_UP
#define ROUND_UP(n, d) (DIV_ROUND_UP(n, d) * (d))
#endif

/* header field offsets */
#define H_VERSION        4
#define H_BACKING_OFF    8
#define H_BACKING_SIZE   16
#define H_CLUSTER_BITS   20
#define H_SIZE           24
#define H_CRYPT          32
#define H_L1_SIZE        36
#define H_L1_OFF         40
#define H_RT_OFF         48
#define H_RT_CLUSTERS    56
#define H_NB_SNAPSHOTS   60
#define H_SNAPSHOTS_OFF  64
#define H_INCOMPAT       72
#define H_COMPAT         80
#define H_AUTOCLEAR      88
#define H_REFCOUNT_ORDER 96
#define H_HEADER_LEN     100
#define H_COMPRESSION    104

typedef enum ClusterType {
    CT_UNALLOCATED, CT_ZERO_PLAIN, CT_ZERO_ALLOC, CT_NORMAL, CT_COMPRESSED,
} ClusterType;

typedef struct CacheEntry {
    uint64_t offset;           /* 0 = empty */
    uint64_t lru;
    void *data;
} CacheEntry;

typedef struct Feature {
    uint8_t type, bit;
    char name[FEATURE_NAME_LEN + 1];
} Feature;

typedef struct Qcow2State {
    GMutex lock;
    uint32_t version;
    uint32_t cluster_bits, l2_bits, rb_bits, refcount_order;
    uint64_t cluster_size, l2_entries;
    uint64_t size;
    uint64_t l1_offset;
    uint32_t l1_size;
    uint64_t *l1;              /* host byte order */
    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint64_t rt_size;          /* entries */
    uint64_t *rt;              /* host byte order */
    uint64_t refcount_max;
    uint64_t incompat, compat, autoclear;
    uint32_t header_length;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint32_t csize_shift;      /* compressed descriptors: offset bits */
    uint64_t csize_mask;
    uint64_t file_end;         /* bytes: the file, grown as we write */

    CacheEntry *l2c;           /* L2 tables, entries in host order */
    unsigned n_l2c;
    CacheEntry rbc[RB_CACHE_SIZE];   /* refcount blocks, as on disk */
    uint64_t lru_clock;

    uint64_t free_hint;        /* no free cluster below this index */
    struct { uint64_t start, end; } resv[RESV_MAX];   /* clusters being allocated */
    unsigned n_resv;
    uint64_t cfree;            /* next byte for packing compressed data, 0 = none */

    uint64_t dcache_off;       /* host offset of the cluster decompressed in dcache */
    uint8_t *dcache;
    uint8_t *cbuf;             /* compressed bytes, 2 clusters */

    uint32_t *check_refs;      /* while check repairs: its reference counts */
    uint64_t check_n;

    Feature *features;
    unsigned n_features;
    bool corrupt;
} Qcow2State;

static bool check_quiet;
static __thread int backing_depth;

void qcow2_set_check_quiet(bool quiet)
{
    check_quiet = quiet;
}

/* ---- byte order ---- */

static inline uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_BE(v);
}

static inline uint16_t ld16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_BE(v);
}

static inline void st64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, 8);
}

static inline void st32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, 4);
}

static inline void st16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_BE(v);
    memcpy(p, &v, 2);
}

/* ---- the host file ----
 * We own the file's layout, so we call its driver directly: a read past the
 * end gives zeros (a file may end inside its last cluster) and a write past
 * it grows the file, which bdrv_pwrite's end-of-medium check would refuse. */

static int file_pread(BlockDriverState *bs, uint64_t off, void *buf, uint64_t len)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    return len ? bs->file->drv->preadv(bs->file, off, len, &iov, 1) : 0;
}

static int file_preadv(BlockDriverState *bs, uint64_t off, const struct iovec *iov, int niov,
                       uint64_t len)
{
    return len ? bs->file->drv->preadv(bs->file, off, len, iov, niov) : 0;
}

static int file_pwritev(BlockDriverState *bs, uint64_t off, const struct iovec *iov, int niov,
                        uint64_t len)
{
    Qcow2State *s = bs->opaque;
    if (!len) {
        return 0;
    }
    int ret = bs->file->drv->pwritev(bs->file, off, len, iov, niov);
    if (ret >= 0 && off + len > s->file_end) {
        s->file_end = off + len;
    }
    return ret < 0 ? ret : 0;
}

static int file_pwrite(BlockDriverState *bs, uint64_t off, const void *buf, uint64_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    return file_pwritev(bs, off, &iov, 1, len);
}

static int file_write_zero_cluster(BlockDriverState *bs, uint64_t off)
{
    Qcow2State *s = bs->opaque;
    void *z = g_malloc0(s->cluster_size);
    int ret = file_pwrite(bs, off, z, s->cluster_size);
    g_free(z);
    return ret;
}

/* The part [off, off + len) of an iovec array, into out[max]; -1 if it
 * needs more pieces than that (the caller then bounces). */
static int iov_slice(const struct iovec *iov, int niov, uint64_t off, uint64_t len,
                     struct iovec *out, int max)
{
    int n = 0;
    for (int i = 0; i < niov && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        if (n == max) {
            return -1;
        }
        uint64_t take = MIN(len, iov[i].iov_len - off);
        out[n].iov_base = (char *)iov[i].iov_base + off;
        out[n].iov_len = take;
        n++;
        len -= take;
        off = 0;
    }
    return n;
}

static void iov_zero(const struct iovec *iov, int niov, uint64_t off, uint64_t len)
{
    for (int i = 0; i < niov && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        uint64_t take = MIN(len, iov[i].iov_len - off);
        memset((char *)iov[i].iov_base + off, 0, take);
        len -= take;
        off = 0;
    }
}

/* ---- corruption ---- */

static int header_write_u64(BlockDriverState *bs, unsigned field, uint64_t v);

/* A bad table entry met while the image is in use: as QEMU, mark the image
 * corrupt (so nothing writes on through bad metadata) and fail the request. */
static int qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
{
    Qcow2State *s = bs->opaque;
    if (s->check_refs) {
        return -EIO;         /* check reports it itself */
    }
    if (!s->corrupt) {
        va_list ap;
        va_start(ap, fmt);
        char *msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        if (!bs->read_only) {
            warn_report("qcow2: Marking image '%s' as corrupt: %s; further corruption events "
                        "will be suppressed", bs->filename, msg);
            s->incompat |= INCOMPAT_CORRUPT;
            if (s->version >= 3) {
                header_write_u64(bs, H_INCOMPAT, s->incompat);
                bdrv_flush(bs->file);
            }
        } else {
            warn_report("qcow2: Image '%s' is corrupt: %s", bs->filename, msg);
        }
        g_free(msg);
        s->corrupt = true;
    }
    return -EIO;
}

static int header_write_u64(BlockDriverState *bs, unsigned field, uint64_t v)
{
    uint8_t b[8];
    st64(b, v);
    return file_pwrite(bs, field, b, 8);
}

/* A host cluster offset from the image: aligned, inside the file. */
static bool offset_ok(Qcow2State *s, uint64_t off)
{
    return off && !(off & (s->cluster_size - 1)) && off < s->file_end &&
           off < MAX_HOST_OFFSET;
}

/* ---- caches ---- */

static CacheEntry *cache_get(Qcow2State *s, CacheEntry *c, unsigned n, uint64_t off, bool *hit)
{
    CacheEntry *victim = &c[0];
    for (unsigned i = 0; i < n; i++) {
        if (c[i].offset == off) {
            c[i].lru = ++s->lru_clock;
            *hit = true;
            return &c[i];
        }
        if (c[i].lru < victim->lru) {
            victim = &c[i];
        }
    }
    *hit = false;
    if (!victim->data) {
        victim->data = g_malloc(s->cluster_size);
    }
    victim->offset = off;
    victim->lru = ++s->lru_clock;
    return victim;
}

static void cache_drop(CacheEntry *c, unsigned n, uint64_t off)
{
    for (unsigned i = 0; i < n; i++) {
        if (c[i].offset == off) {
            c[i].offset = 0;
            c[i].lru = 0;
        }
    }
}

static void cache_free(CacheEntry *c, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        g_free(c[i].data);
        c[i].data = NULL;
        c[i].offset = 0;
    }
}

/* The L2 table at off (host order).  The pointer lives until the next
 * l2_load: copy what you need. */
static int l2_load(BlockDriverState *bs, uint64_t off, uint64_t **table)
{
    Qcow2State *s = bs->opaque;
    if (!offset_ok(s, off)) {
        return qcow2_signal_corruption(bs, "L2 table offset %#" PRIx64 " unaligned or outside "
                                       "the file", off);
    }
    bool hit;
    CacheEntry *e = cache_get(s, s->l2c, s->n_l2c, off, &hit);
    if (!hit) {
        int ret = file_pread(bs, off, e->data, s->cluster_size);
        if (ret < 0) {
            e->offset = 0;
            return ret;
        }
        uint64_t *t = e->data;
        for (uint64_t i = 0; i < s->l2_entries; i++) {
            t[i] = GUINT64_FROM_BE(t[i]);
        }
    }
    *table = e->data;
    return 0;
}

static int l2_set(BlockDriverState *bs, uint64_t l2_off, uint64_t idx, uint64_t entry)
{
    uint64_t *t;
    int ret = l2_load(bs, l2_off, &t);
    if (ret < 0) {
        return ret;
    }
    t[idx] = entry;
    uint8_t b[8];
    st64(b, entry);
    return file_pwrite(bs, l2_off + idx * 8, b, 8);
}

/* ---- reference counts ---- */

static uint64_t rb_get(Qcow2State *s, const uint8_t *blk, uint64_t idx)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        unsigned w = 1u << s->refcount_order;
        uint64_t bit = idx * w;
        return (blk[bit / 8] >> (bit % 8)) & ((1u << w) - 1);
    }
    case 3: return blk[idx];
    case 4: return ld16(blk + idx * 2);
    case 5: return ld32(blk + idx * 4);
    default: return ld64(blk + idx * 8);
    }
}

/* Sets the entry; returns the byte range of the block that changed. */
static void rb_set(Qcow2State *s, uint8_t *blk, uint64_t idx, uint64_t v,
                   uint64_t *byte, unsigned *len)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        unsigned w = 1u << s->refcount_order;
        uint64_t bit = idx * w;
        uint8_t mask = ((1u << w) - 1) << (bit % 8);
        blk[bit / 8] = (blk[bit / 8] & ~mask) | ((v << (bit % 8)) & mask);
        *byte = bit / 8;
        *len = 1;
        return;
    }
    case 3: blk[idx] = v; *byte = idx; *len = 1; return;
    case 4: st16(blk + idx * 2, v); *byte = idx * 2; *len = 2; return;
    case 5: st32(blk + idx * 4, v); *byte = idx * 4; *len = 4; return;
    default: st64(blk + idx * 8, v); *byte = idx * 8; *len = 8; return;
    }
}

static int rb_load(BlockDriverState *bs, uint64_t off, uint8_t **blk)
{
    Qcow2State *s = bs->opaque;
    if (!offset_ok(s, off)) {
        return qcow2_signal_corruption(bs, "refcount block offset %#" PRIx64 " unaligned or "
                                       "outside the file", off);
    }
    bool hit;
    CacheEntry *e = cache_get(s, s->rbc, RB_CACHE_SIZE, off, &hit);
    if (!hit) {
        int ret = file_pread(bs, off, e->data, s->cluster_size);
        if (ret < 0) {
            e->offset = 0;
            return ret;
        }
    }
    *blk = e->data;
    return 0;
}

static int get_refcount(BlockDriverState *bs, uint64_t cluster, uint64_t *rc)
{
    Qcow2State *s = bs->opaque;
    uint64_t rt_idx = cluster >> s->rb_bits;
    *rc = 0;
    if (rt_idx >= s->rt_size) {
        return 0;
    }
    uint64_t off = s->rt[rt_idx] & RT_OFFSET_MASK;
    if (!off) {
        return 0;
    }
    uint8_t *blk;
    int ret = rb_load(bs, off, &blk);
    if (ret < 0) {
        return ret;
    }
    *rc = rb_get(s, blk, cluster & ((1ull << s->rb_bits) - 1));
    return 0;
}

static bool reserved(Qcow2State *s, uint64_t c)
{
    for (unsigned i = 0; i < s->n_resv; i++) {
        if (c >= s->resv[i].start && c < s->resv[i].end) {
            return true;
        }
    }
    return false;
}

static int resv_push(Qcow2State *s, uint64_t start, uint64_t n)
{
    if (s->n_resv == RESV_MAX) {
        return -ENOSPC;      /* refcount structures nest this deep only when corrupt */
    }
    s->resv[s->n_resv].start = start;
    s->resv[s->n_resv].end = start + n;
    s->n_resv++;
    return 0;
}

/* The first run of n free clusters (refcount 0, not being allocated). */
static int find_free(BlockDriverState *bs, uint64_t n, uint64_t *start)
{
    Qcow2State *s = bs->opaque;
    uint64_t limit = MAX_HOST_OFFSET >> s->cluster_bits;
    uint64_t run = 0, first = 0;
    /* In a sound image every cluster past the end of the file is free
     * (but for the few being allocated right now): refcounts that claim a
     * long run of them are corrupt, and scanning them all would hang. */
    uint64_t sane = (s->file_end >> s->cluster_bits) + n + 65536;
    for (uint64_t c = s->free_hint; c < limit; c++) {
        if (c > sane) {
            return qcow2_signal_corruption(bs, "refcounts claim clusters far beyond the end "
                                           "of the file");
        }
        uint64_t rc;
        int ret = get_refcount(bs, c, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc == 0 && !reserved(s, c)) {
            if (!run) {
                first = c;
            }
            if (++run == n) {
                *start = first;
                return 0;
            }
        } else {
            run = 0;
        }
    }
    return -ENOSPC;
}

static int update_refcount(BlockDriverState *bs, uint64_t cluster, int64_t delta);

/* A bigger refcount table, for index need-1 at least, in free clusters. */
static int grow_reftable(BlockDriverState *bs, uint64_t need)
{
    Qcow2State *s = bs->opaque;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t entries = MAX(need, s->rt_size * 2);
    uint64_t start = 0, nclusters;
    for (;;) {
        nclusters = DIV_ROUND_UP(entries, per_cluster);
        if (nclusters * s->cluster_size > MAX_RT_BYTES) {
            return -EFBIG;
        }
        int ret = find_free(bs, nclusters, &start);
        if (ret < 0) {
            return ret;
        }
        /* the table must also cover its own clusters and a few refcount
         * blocks beyond them */
        uint64_t cover = ((start + nclusters) >> s->rb_bits) + 3;
        if (cover <= nclusters * per_cluster) {
            break;
        }
        entries = cover;
    }
    uint64_t new_size = nclusters * per_cluster;
    uint8_t *buf = g_malloc0(nclusters * s->cluster_size);
    for (uint64_t i = 0; i < s->rt_size; i++) {
        st64(buf + i * 8, s->rt[i]);
    }
    int ret = resv_push(s, start, nclusters);
    if (ret < 0) {
        g_free(buf);
        return ret;
    }
    ret = file_pwrite(bs, start << s->cluster_bits, buf, nclusters * s->cluster_size);
    g_free(buf);
    uint64_t old_off = s->rt_offset;
    uint32_t old_clusters = s->rt_clusters;
    if (ret >= 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret >= 0) {
        uint8_t h[12];
        st64(h, start << s->cluster_bits);
        st32(h + 8, nclusters);
        ret = file_pwrite(bs, H_RT_OFF, h, 12);
    }
    if (ret >= 0) {
        s->rt = g_renew(uint64_t, s->rt, new_size);
        memset(s->rt + s->rt_size, 0, (new_size - s->rt_size) * 8);
        s->rt_size = new_size;
        s->rt_offset = start << s->cluster_bits;
        s->rt_clusters = nclusters;
        for (uint64_t i = 0; i < nclusters && ret >= 0; i++) {
            ret = update_refcount(bs, start + i, 1);
        }
    }
    s->n_resv--;
    for (uint64_t i = 0; i < old_clusters && ret >= 0; i++) {
        ret = update_refcount(bs, (old_off >> s->cluster_bits) + i, -1);
    }
    return ret;
}

/* A new, zeroed refcount block for refcount table index rt_idx. */
static int alloc_refblock(BlockDriverState *bs, uint64_t rt_idx)
{
    Qcow2State *s = bs->opaque;
    uint64_t c;
    int ret = find_free(bs, 1, &c);
    if (ret < 0) {
        return ret;
    }
    if ((ret = resv_push(s, c, 1)) < 0) {
        return ret;
    }
    uint64_t off = c << s->cluster_bits;
    ret = file_write_zero_cluster(bs, off);
    if (ret >= 0) {
        cache_drop(s->rbc, RB_CACHE_SIZE, off);
        uint8_t b[8];
        st64(b, off);
        ret = file_pwrite(bs, s->rt_offset + rt_idx * 8, b, 8);
    }
    if (ret >= 0) {
        s->rt[rt_idx] = off;
        ret = update_refcount(bs, c, 1);     /* maybe in itself */
    }
    s->n_resv--;
    return ret;
}

static int set_refcount(BlockDriverState *bs, uint64_t cluster, uint64_t v)
{
    Qcow2State *s = bs->opaque;
    uint64_t rt_idx = cluster >> s->rb_bits;
    int ret;
    if (rt_idx >= s->rt_size) {
        if (v == 0) {
            return 0;
        }
        if ((ret = grow_reftable(bs, rt_idx + 1)) < 0) {
            return ret;
        }
    }
    if (!(s->rt[rt_idx] & RT_OFFSET_MASK)) {
        if (v == 0) {
            return 0;
        }
        if ((ret = alloc_refblock(bs, rt_idx)) < 0) {
            return ret;
        }
    }
    uint64_t off = s->rt[rt_idx] & RT_OFFSET_MASK;
    uint8_t *blk;
    if ((ret = rb_load(bs, off, &blk)) < 0) {
        return ret;
    }
    uint64_t byte;
    unsigned len;
    rb_set(s, blk, cluster & ((1ull << s->rb_bits) - 1), v, &byte, &len);
    ret = file_pwrite(bs, off + byte, blk + byte, len);
    if (ret < 0) {
        return ret;
    }
    if (v == 0) {
        if (cluster < s->free_hint) {
            s->free_hint = cluster;
        }
        if (s->cfree && (s->cfree >> s->cluster_bits) == cluster) {
            s->cfree = 0;    /* never pack compressed data into a reused cluster */
        }
    }
    return 0;
}

static int update_refcount(BlockDriverState *bs, uint64_t cluster, int64_t delta)
{
    Qcow2State *s = bs->opaque;
    uint64_t rc;
    int ret = get_refcount(bs, cluster, &rc);
    if (ret < 0) {
        return ret;
    }
    if ((delta < 0 && rc < (uint64_t)-delta) || (delta > 0 && rc + delta > s->refcount_max)) {
        return qcow2_signal_corruption(bs, "refcount of cluster %" PRIu64 " would go from %"
                                       PRIu64 " by %" PRId64, cluster, rc, delta);
    }
    return set_refcount(bs, cluster, rc + delta);
}

/* n contiguous new clusters, refcount 1 each. */
static int alloc_clusters(BlockDriverState *bs, uint64_t n, uint64_t *off)
{
    Qcow2State *s = bs->opaque;
    uint64_t start;
    int ret = find_free(bs, n, &start);
    if (ret < 0) {
        return ret;
    }
    if ((ret = resv_push(s, start, n)) < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < n && ret >= 0; i++) {
        ret = update_refcount(bs, start + i, 1);
        if (ret >= 0 && s->check_refs && start + i < s->check_n) {
            s->check_refs[start + i]++;
        }
    }
    s->n_resv--;
    if (ret < 0) {
        return ret;
    }
    if (start == s->free_hint) {
        s->free_hint = start + n;
    }
    *off = start << s->cluster_bits;
    return 0;
}

/* ---- the guest -> host map ---- */

static void compressed_range(Qcow2State *s, uint64_t l2e, uint64_t *off, uint64_t *nb_bytes)
{
    uint64_t coff = l2e & ((1ull << s->csize_shift) - 1);
    uint64_t sectors = ((l2e >> s->csize_shift) & s->csize_mask) + 1;
    *off = coff;
    *nb_bytes = sectors * 512 - (coff & 511);
}

/* What an L2 entry says, checked. */
static int classify(BlockDriverState *bs, uint64_t l2e, ClusterType *type, uint64_t *host)
{
    Qcow2State *s = bs->opaque;
    *host = 0;
    if (l2e & OFLAG_COMPRESSED) {
        uint64_t off, len;
        compressed_range(s, l2e, &off, &len);
        if (l2e & OFLAG_COPIED) {
            return qcow2_signal_corruption(bs, "compressed cluster entry %#" PRIx64
                                           " has the copied flag", l2e);
        }
        if (off < s->cluster_size || off >= s->file_end) {
            return qcow2_signal_corruption(bs, "compressed cluster at %#" PRIx64 " is outside "
                                           "the file", off);
        }
        *type = CT_COMPRESSED;
        *host = l2e;
        return 0;
    }
    if (l2e & L2E_RESERVED) {
        return qcow2_signal_corruption(bs, "L2 entry %#" PRIx64 " has reserved bits set", l2e);
    }
    uint64_t off = l2e & OFFSET_MASK;
    if ((l2e & OFLAG_ZERO) && s->version < 3) {
        return qcow2_signal_corruption(bs, "zero cluster entry in a version 2 image");
    }
    if (off && !offset_ok(s, off)) {
        return qcow2_signal_corruption(bs, "data cluster offset %#" PRIx64 " unaligned or "
                                       "outside the file", off);
    }
    *host = off;
    if (l2e & OFLAG_ZERO) {
        *type = off ? CT_ZERO_ALLOC : CT_ZERO_PLAIN;
    } else {
        *type = off ? CT_NORMAL : CT_UNALLOCATED;
    }
    return 0;
}

/* The L2 entry for a guest offset (0 when its L1 entry is empty). */
static int get_l2e(BlockDriverState *bs, uint64_t goff, uint64_t *l2e)
{
    Qcow2State *s = bs->opaque;
    uint64_t l1_idx = goff >> (s->cluster_bits + s->l2_bits);
    uint64_t l2_idx = (goff >> s->cluster_bits) & (s->l2_entries - 1);
    *l2e = 0;
    if (l1_idx >= s->l1_size) {
        return 0;
    }
    uint64_t l1e = s->l1[l1_idx];
    if (l1e & L1E_RESERVED) {
        return qcow2_signal_corruption(bs, "L1 entry %#" PRIx64 " has reserved bits set", l1e);
    }
    uint64_t l2_off = l1e & OFFSET_MASK;
    if (!l2_off) {
        return 0;
    }
    uint64_t *t;
    int ret = l2_load(bs, l2_off, &t);
    if (ret < 0) {
        return ret;
    }
    *l2e = t[l2_idx];
    return 0;
}

/* The L2 table for a guest offset, made if missing and copied if shared
 * (an internal snapshot holds it too), so it can be written. */
static int get_l2_for_write(BlockDriverState *bs, uint64_t goff, uint64_t *l2_off_out)
{
    Qcow2State *s = bs->opaque;
    uint64_t l1_idx = goff >> (s->cluster_bits + s->l2_bits);
    if (l1_idx >= s->l1_size) {
        return -EIO;
    }
    uint64_t l1e = s->l1[l1_idx];
    if (l1e & L1E_RESERVED) {
        return qcow2_signal_corruption(bs, "L1 entry %#" PRIx64 " has reserved bits set", l1e);
    }
    uint64_t old = l1e & OFFSET_MASK;
    if (old && (l1e & OFLAG_COPIED)) {
        if (!offset_ok(s, old)) {
            return qcow2_signal_corruption(bs, "L2 table offset %#" PRIx64 " unaligned or "
                                           "outside the file", old);
        }
        *l2_off_out = old;
        return 0;
    }
    uint8_t *buf = g_malloc0(s->cluster_size);
    int ret = 0;
    if (old) {
        uint64_t *t;
        ret = l2_load(bs, old, &t);
        for (uint64_t i = 0; ret >= 0 && i < s->l2_entries; i++) {
            st64(buf + i * 8, t[i]);
        }
    }
    uint64_t new_off = 0;
    if (ret >= 0) {
        ret = alloc_clusters(bs, 1, &new_off);
    }
    if (ret >= 0) {
        ret = file_pwrite(bs, new_off, buf, s->cluster_size);
    }
    g_free(buf);
    if (ret >= 0) {
        cache_drop(s->l2c, s->n_l2c, new_off);
        uint8_t b[8];
        st64(b, new_off | OFLAG_COPIED);
        ret = file_pwrite(bs, s->l1_offset + l1_idx * 8, b, 8);
    }
    if (ret < 0) {
        return ret;
    }
    s->l1[l1_idx] = new_off | OFLAG_COPIED;
    if (old) {
        ret = update_refcount(bs, old >> s->cluster_bits, -1);
    }
    *l2_off_out = new_off;
    return ret;
}

/* Drop the host clusters an entry held. */
static int free_entry(BlockDriverState *bs, ClusterType type, uint64_t host)
{
    Qcow2State *s = bs->opaque;
    if (type == CT_NORMAL || type == CT_ZERO_ALLOC) {
        return update_refcount(bs, host >> s->cluster_bits, -1);
    }
    if (type == CT_COMPRESSED) {
        uint64_t off, len;
        compressed_range(s, host, &off, &len);
        uint64_t first = (off & ~511ull) >> s->cluster_bits;
        uint64_t last = ((off & ~511ull) + DIV_ROUND_UP(len + (off & 511), 512) * 512 - 1)
                        >> s->cluster_bits;
        for (uint64_t c = first; c <= last; c++) {
            int ret = update_refcount(bs, c, -1);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

/* ---- reading ---- */

static int decompress_cluster(BlockDriverState *bs, uint64_t l2e)
{
    Qcow2State *s = bs->opaque;
    uint64_t off, len;
    compressed_range(s, l2e, &off, &len);
    if (s->dcache_off == off + 1) {
        return 0;
    }
    len = MIN(len, 2 * s->cluster_size);
    int ret = file_pread(bs, off, s->cbuf, len);
    if (ret < 0) {
        return ret;
    }
    z_stream z = { 0 };
    if (inflateInit2(&z, -12) != Z_OK) {
        return -ENOMEM;
    }
    z.next_in = s->cbuf;
    z.avail_in = len;
    z.next_out = s->dcache;
    z.avail_out = s->cluster_size;
    ret = inflate(&z, Z_FINISH);
    bool ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR) && z.avail_out == 0;
    inflateEnd(&z);
    if (!ok) {
        s->dcache_off = 0;
        return qcow2_signal_corruption(bs, "compressed cluster at %#" PRIx64 " does not "
                                       "decompress to a cluster", off);
    }
    s->dcache_off = off + 1;        /* +1: offset 0 never holds one */
    return 0;
}

/* Read [goff, goff + n) of a cluster whose entry is of type/host into
 * iov at iov_off.  n does not cross the cluster. */
static int read_cluster_part(BlockDriverState *bs, ClusterType type, uint64_t host,
                             uint64_t goff, uint64_t n, const struct iovec *iov, int niov,
                             uint64_t iov_off)
{
    Qcow2State *s = bs->opaque;
    uint64_t in = goff & (s->cluster_size - 1);
    struct iovec sub[64];
    int ret;
    switch (type) {
    case CT_UNALLOCATED:
        if (bs->backing) {
            int64_t blen = bdrv_getlength(bs->backing);
            if (blen < 0) {
                return (int)blen;
            }
            uint64_t from_backing = goff >= (uint64_t)blen ? 0 : MIN(n, blen - goff);
            if (from_backing) {
                int k = iov_slice(iov, niov, iov_off, from_backing, sub, 64);
                if (k < 0) {
                    void *tmp = g_malloc(from_backing);
                    ret = bdrv_pread(bs->backing, goff, tmp, from_backing);
                    iov_from_buf(iov, niov, iov_off, tmp, from_backing);
                    g_free(tmp);
                } else {
                    ret = bdrv_preadv(bs->backing, goff, sub, k);
                }
                if (ret < 0) {
                    return ret;
                }
            }
            iov_zero(iov, niov, iov_off + from_backing, n - from_backing);
            return 0;
        }
        /* fall through */
    case CT_ZERO_PLAIN:
    case CT_ZERO_ALLOC:
        iov_zero(iov, niov, iov_off, n);
        return 0;
    case CT_COMPRESSED:
        ret = decompress_cluster(bs, host);
        if (ret < 0) {
            return ret;
        }
        iov_from_buf(iov, niov, iov_off, s->dcache + in, n);
        return 0;
    case CT_NORMAL: {
        int k = iov_slice(iov, niov, iov_off, n, sub, 64);
        if (k < 0) {
            void *tmp = g_malloc(n);
            ret = file_pread(bs, host + in, tmp, n);
            iov_from_buf(iov, niov, iov_off, tmp, n);
            g_free(tmp);
            return ret;
        }
        return file_preadv(bs, host + in, sub, k, n);
    }
    }
    return -EIO;
}

static int qcow2_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        const struct iovec *iov, int niov)
{
    Qcow2State *s = bs->opaque;
    int ret = 0;
    g_mutex_lock(&s->lock);
    uint64_t done = 0;
    while (done < bytes && ret >= 0) {
        uint64_t goff = offset + done;
        uint64_t n = MIN(bytes - done, s->cluster_size - (goff & (s->cluster_size - 1)));
        uint64_t l2e, host;
        ClusterType type;
        ret = get_l2e(bs, goff, &l2e);
        if (ret >= 0) {
            ret = classify(bs, l2e, &type, &host);
        }
        if (ret < 0) {
            break;
        }
        /* contiguous data clusters: one read */
        if (type == CT_NORMAL) {
            uint64_t in = goff & (s->cluster_size - 1);
            while (done + n < bytes && n < (64u << 20)) {
                uint64_t next_l2e, next_host;
                ClusterType next_type;
                if (get_l2e(bs, goff + n, &next_l2e) < 0 ||
                    classify(bs, next_l2e, &next_type, &next_host) < 0 ||
                    next_type != CT_NORMAL || next_host != host + in + n) {
                    break;
                }
                n += MIN(bytes - done - n, s->cluster_size);
            }
            struct iovec sub[64];
            int k = iov_slice(iov, niov, done, n, sub, 64);
            if (k < 0) {
                void *tmp = g_malloc(n);
                ret = file_pread(bs, host + in, tmp, n);
                iov_from_buf(iov, niov, done, tmp, n);
                g_free(tmp);
            } else {
                ret = file_preadv(bs, host + in, sub, k, n);
            }
        } else {
            ret = read_cluster_part(bs, type, host, goff, n, iov, niov, done);
        }
        done += n;
    }
    g_mutex_unlock(&s->lock);
    return ret < 0 ? ret : 0;
}

/* ---- writing ---- */

/* Write [goff, goff + n) (inside one cluster) from iov at iov_off; buf
 * instead of iov when not NULL.  Allocates (with copy-on-write of the rest
 * of the cluster) unless the cluster is ours alone. */
static int write_cluster(BlockDriverState *bs, uint64_t goff, uint64_t n,
                         const struct iovec *iov, int niov, uint64_t iov_off)
{
    Qcow2State *s = bs->opaque;
    if (s->corrupt) {
        return -EIO;
    }
    uint64_t cs = s->cluster_size;
    uint64_t in = goff & (cs - 1);
    uint64_t l2_idx = (goff >> s->cluster_bits) & (s->l2_entries - 1);
    uint64_t l2_off, *t;
    int ret = get_l2_for_write(bs, goff, &l2_off);
    if (ret < 0) {
        return ret;
    }
    if ((ret = l2_load(bs, l2_off, &t)) < 0) {
        return ret;
    }
    uint64_t l2e = t[l2_idx];
    ClusterType type;
    uint64_t host;
    if ((ret = classify(bs, l2e, &type, &host)) < 0) {
        return ret;
    }
    struct iovec sub[64];
    int k = iov_slice(iov, niov, iov_off, n, sub, 64);
    if (type == CT_NORMAL && (l2e & OFLAG_COPIED) && k >= 0) {
        return file_pwritev(bs, host + in, sub, k, n);
    }
    bool in_place = (type == CT_NORMAL || type == CT_ZERO_ALLOC) && (l2e & OFLAG_COPIED);
    uint64_t target = host;
    if (!in_place) {
        if ((ret = alloc_clusters(bs, 1, &target)) < 0) {
            return ret;
        }
    }
    if (n == cs && k >= 0) {
        ret = file_pwritev(bs, target, sub, k, n);
    } else {
        /* the whole cluster: what it held (backing, compressed, zeros,
         * a shared cluster) with the new bytes over it */
        uint8_t *buf = g_malloc(cs);
        struct iovec whole = { .iov_base = buf, .iov_len = cs };
        ret = 0;
        if (n != cs) {
            ClusterType old_type = type == CT_ZERO_ALLOC ? CT_ZERO_PLAIN : type;
            uint64_t base = goff - in;
            uint64_t len = MIN(cs, s->size - base);
            memset(buf, 0, cs);
            ret = read_cluster_part(bs, old_type, host, base, len, &whole, 1, 0);
        }
        if (ret >= 0) {
            iov_to_buf(iov, niov, iov_off, buf + in, n);
            ret = file_pwrite(bs, target, buf, cs);
        }
        g_free(buf);
    }
    if (ret < 0) {
        return ret;
    }
    if (in_place && type == CT_NORMAL) {
        return 0;
    }
    if ((ret = l2_set(bs, l2_off, l2_idx, target | OFLAG_COPIED)) < 0) {
        return ret;
    }
    if (!in_place) {
        ret = free_entry(bs, type, host);
    }
    return ret;
}

static int qcow2_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                         const struct iovec *iov, int niov)
{
    Qcow2State *s = bs->opaque;
    int ret = 0;
    g_mutex_lock(&s->lock);
    for (uint64_t done = 0; done < bytes && ret >= 0;) {
        uint64_t goff = offset + done;
        uint64_t n = MIN(bytes - done, s->cluster_size - (goff & (s->cluster_size - 1)));
        ret = write_cluster(bs, goff, n, iov, niov, done);
        done += n;
    }
    g_mutex_unlock(&s->lock);
    return ret;
}

/* Room for len compressed bytes, packed after the previous ones as QEMU
 * packs them; every host cluster the bytes touch gets one reference. */
static int alloc_bytes(BlockDriverState *bs, uint64_t len, uint64_t *off)
{
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int ret;
    uint64_t cur_rc = 0;
    if (s->cfree && (s->cfree & (cs - 1)) &&
        (ret = get_refcount(bs, s->cfree >> s->cluster_bits, &cur_rc)) < 0) {
        return ret;
    }
    /* narrow refcounts (refcount_bits=1) cannot count a shared cluster:
     * then every compressed cluster starts a host cluster of its own */
    if (s->cfree && (s->cfree & (cs - 1)) && cur_rc < s->refcount_max) {
        uint64_t cur = s->cfree >> s->cluster_bits;
        uint64_t room = cs - (s->cfree & (cs - 1));
        if (len <= room) {
            if ((ret = update_refcount(bs, cur, 1)) < 0) {
                return ret;
            }
            *off = s->cfree;
            s->cfree += len;
            return 0;
        }
        uint64_t rc;
        if ((ret = get_refcount(bs, cur + 1, &rc)) < 0) {
            return ret;
        }
        if (rc == 0 && !reserved(s, cur + 1)) {
            if ((ret = update_refcount(bs, cur + 1, 1)) < 0 ||
                (ret = update_refcount(bs, cur, 1)) < 0) {
                return ret;
            }
            *off = s->cfree;
            s->cfree += len;
            return 0;
        }
    }
    uint64_t c;
    if ((ret = alloc_clusters(bs, 1, &c)) < 0) {
        return ret;
    }
    *off = c;
    s->cfree = c + len;
    return 0;
}

bool qcow2_is_qcow2(BlockDriverState *bs)
{
    return bs && bs->drv && !strcmp(bs->drv->format_name, "qcow2");
}

uint64_t qcow2_cluster_size(BlockDriverState *bs)
{
    return qcow2_is_qcow2(bs) ? ((Qcow2State *)bs->opaque)->cluster_size : 0;
}

int qcow2_pwrite_compressed(BlockDriverState *bs, uint64_t offset, const void *buf,
                            uint64_t bytes)
{
    if (!qcow2_is_qcow2(bs)) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EROFS;
    }
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    if ((offset & (cs - 1)) || offset >= s->size || bytes != MIN(cs, s->size - offset)) {
        return -EINVAL;
    }
    g_mutex_lock(&s->lock);
    int ret = -EIO;
    uint8_t *in = g_malloc0(cs);
    uint8_t *out = g_malloc(cs);
    memcpy(in, buf, bytes);
    uint64_t l2_off, *t, l2e, host;
    uint64_t l2_idx = (offset >> s->cluster_bits) & (s->l2_entries - 1);
    ClusterType type;
    if (s->corrupt ||
        (ret = get_l2_for_write(bs, offset, &l2_off)) < 0 ||
        (ret = l2_load(bs, l2_off, &t)) < 0) {
        goto out;
    }
    l2e = t[l2_idx];
    if ((ret = classify(bs, l2e, &type, &host)) < 0) {
        goto out;
    }
    z_stream z = { 0 };
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        ret = -ENOMEM;
        goto out;
    }
    z.next_in = in;
    z.avail_in = cs;
    z.next_out = out;
    z.avail_out = cs - 512;       /* it must save a sector at least to be worth it */
    int zr = deflate(&z, Z_FINISH);
    uint64_t clen = (cs - 512) - z.avail_out;
    deflateEnd(&z);
    if (zr != Z_STREAM_END || (type != CT_UNALLOCATED && type != CT_ZERO_PLAIN)) {
        struct iovec iov = { .iov_base = in, .iov_len = bytes };
        ret = write_cluster(bs, offset, bytes, &iov, 1, 0);
        goto out;
    }
    uint64_t coff;
    if ((ret = alloc_bytes(bs, clen, &coff)) < 0) {
        goto out;
    }
    if (coff >= (1ull << s->csize_shift)) {
        ret = -EFBIG;
        goto out;
    }
    if ((ret = file_pwrite(bs, coff, out, clen)) < 0) {
        goto out;
    }
    uint64_t sectors = ((coff + clen - 1) >> 9) - (coff >> 9);
    ret = l2_set(bs, l2_off, l2_idx, OFLAG_COMPRESSED | (sectors << s->csize_shift) | coff);
out:
    g_free(in);
    g_free(out);
    g_mutex_unlock(&s->lock);
    return ret;
}

/* Make whole clusters read as zeros (v3 zero flag), or unallocated. */
static int zero_clusters(BlockDriverState *bs, uint64_t offset, uint64_t bytes, bool discard)
{
    Qcow2State *s = bs->opaque;
    int ret = 0;
    for (uint64_t goff = offset; goff < offset + bytes && ret >= 0; goff += s->cluster_size) {
        uint64_t l2e, host, l2_off, l2_idx = (goff >> s->cluster_bits) & (s->l2_entries - 1);
        ClusterType type;
        if ((ret = get_l2e(bs, goff, &l2e)) < 0 || (ret = classify(bs, l2e, &type, &host)) < 0) {
            break;
        }
        uint64_t new_entry;
        if (discard) {
            if (s->version < 3) {
                new_entry = 0;
            } else {
                new_entry = (bs->backing || type != CT_UNALLOCATED) ? OFLAG_ZERO : 0;
            }
        } else {
            new_entry = OFLAG_ZERO;
            if ((type == CT_UNALLOCATED && !bs->backing) || type == CT_ZERO_PLAIN) {
                continue;      /* already reads as zeros */
            }
        }
        if (l2e == new_entry) {
            continue;
        }
        if (s->corrupt) {
            return -EIO;
        }
        if ((ret = get_l2_for_write(bs, goff, &l2_off)) < 0 ||
            (ret = l2_set(bs, l2_off, l2_idx, new_entry)) < 0) {
            break;
        }
        ret = free_entry(bs, type, host);
    }
    return ret;
}

static int qcow2_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int ret = 0;
    g_mutex_lock(&s->lock);
    uint8_t *zero = NULL;
    for (uint64_t done = 0; done < bytes && ret >= 0;) {
        uint64_t goff = offset + done;
        uint64_t n = MIN(bytes - done, cs - (goff & (cs - 1)));
        /* a whole cluster, or the image's last partial one */
        bool whole = !(goff & (cs - 1)) && (n == cs || goff + n == s->size);
        if (whole && s->version >= 3) {
            ret = zero_clusters(bs, goff, n, false);
        } else {
            uint64_t l2e, host;
            ClusterType type;
            if ((ret = get_l2e(bs, goff, &l2e)) < 0 ||
                (ret = classify(bs, l2e, &type, &host)) < 0) {
                break;
            }
            if ((type == CT_UNALLOCATED && !bs->backing) || type == CT_ZERO_PLAIN ||
                type == CT_ZERO_ALLOC) {
                done += n;
                continue;
            }
            if (!zero) {
                zero = g_malloc0(cs);
            }
            struct iovec iov = { .iov_base = zero, .iov_len = n };
            ret = write_cluster(bs, goff, n, &iov, 1, 0);
        }
        done += n;
    }
    g_free(zero);
    g_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    /* a hint: only whole clusters (the last may end at the image's end) */
    uint64_t start = ROUND_UP(offset, cs);
    uint64_t end = offset + bytes == s->size ? s->size : (offset + bytes) & ~(cs - 1);
    if (end <= start) {
        return 0;
    }
    g_mutex_lock(&s->lock);
    int ret = zero_clusters(bs, start, end - start, true);
    g_mutex_unlock(&s->lock);
    return ret;
}

static int qcow2_flush(BlockDriverState *bs)
{
    return 0;            /* metadata is written through; the block layer syncs the file */
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    return s->size;
}

static int qcow2_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                              uint64_t *pnum)
{
    Qcow2State *s = bs->opaque;
    g_mutex_lock(&s->lock);
    int status = -1, ret = 0;
    uint64_t done = 0;
    while (done < bytes) {
        uint64_t goff = offset + done;
        uint64_t n = MIN(bytes - done, s->cluster_size - (goff & (s->cluster_size - 1)));
        uint64_t l2e, host;
        ClusterType type;
        if ((ret = get_l2e(bs, goff, &l2e)) < 0 || (ret = classify(bs, l2e, &type, &host)) < 0) {
            break;
        }
        int st;
        if (type == CT_ZERO_PLAIN || type == CT_ZERO_ALLOC) {
            st = 0;
        } else if (type == CT_UNALLOCATED) {
            if (bs->backing) {
                g_mutex_unlock(&s->lock);
                int64_t blen = bdrv_getlength(bs->backing);
                uint64_t bn = 0;
                if (blen >= 0 && goff >= (uint64_t)blen) {
                    st = 0;
                } else if (blen >= 0) {
                    st = bdrv_block_status(bs->backing, goff, MIN(n, blen - goff), &bn);
                    n = st < 0 ? n : bn;
                    st = st < 0 ? 1 : st;
                } else {
                    st = 1;
                }
                g_mutex_lock(&s->lock);
            } else {
                st = 0;
            }
        } else {
            st = 1;
        }
        if (status >= 0 && st != status) {
            break;
        }
        status = st;
        done += n;
    }
    g_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    *pnum = done ? done : bytes;
    return status < 0 ? 1 : status;
}

static int64_t qcow2_allocated_size(BlockDriverState *bs)
{
    return bdrv_allocated_size(bs->file);
}

/* ---- resize ---- */

static int grow_l1(BlockDriverState *bs, uint32_t need)
{
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t nclusters = DIV_ROUND_UP((uint64_t)need * 8, cs);
    uint64_t off;
    int ret = alloc_clusters(bs, nclusters, &off);
    if (ret < 0) {
        return ret;
    }
    uint8_t *buf = g_malloc0(nclusters * cs);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        st64(buf + i * 8, s->l1[i]);
    }
    ret = file_pwrite(bs, off, buf, nclusters * cs);
    g_free(buf);
    if (ret >= 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret >= 0) {
        uint8_t h[12];
        st32(h, need);
        st64(h + 4, off);
        ret = file_pwrite(bs, H_L1_SIZE, h, 12);
    }
    if (ret < 0) {
        return ret;
    }
    uint64_t old_off = s->l1_offset;
    uint64_t old_clusters = DIV_ROUND_UP((uint64_t)s->l1_size * 8, cs);
    s->l1 = g_renew(uint64_t, s->l1, need);
    memset(s->l1 + s->l1_size, 0, (need - s->l1_size) * 8);
    s->l1_size = need;
    s->l1_offset = off;
    for (uint64_t i = 0; i < old_clusters && old_off && ret >= 0; i++) {
        ret = update_refcount(bs, (old_off >> s->cluster_bits) + i, -1);
    }
    return ret;
}

static uint64_t l1_entries_for(Qcow2State *s, uint64_t size)
{
    return DIV_ROUND_UP(size, 1ull << (s->cluster_bits + s->l2_bits));
}

static int qcow2_truncate(BlockDriverState *bs, uint64_t size, GError **errp)
{
    Qcow2State *s = bs->opaque;
    int ret = 0;
    g_mutex_lock(&s->lock);
    uint64_t old_size = s->size;
    if (size < s->size) {
        vireo_set_error(errp, "'%s': shrinking a qcow2 image is not supported", bs->filename);
        ret = -ENOTSUP;
    } else if (size % 512) {
        vireo_set_error(errp, "'%s': the new size must be a multiple of 512", bs->filename);
        ret = -EINVAL;
    } else if (size > MAX_VIRTUAL_SIZE) {
        vireo_set_error(errp, "'%s': size %" PRIu64 " is too large for qcow2", bs->filename, size);
        ret = -EFBIG;
    } else if (s->nb_snapshots) {
        vireo_set_error(errp, "'%s': cannot resize an image that has internal snapshots",
                        bs->filename);
        ret = -ENOTSUP;
    } else if (s->corrupt) {
        vireo_set_error(errp, "'%s' is marked corrupt", bs->filename);
        ret = -EIO;
    }
    if (ret == 0 && size != s->size) {
        uint64_t need = l1_entries_for(s, size);
        if (need > MAX_L1_ENTRIES) {
            vireo_set_error(errp, "'%s': size %" PRIu64 " needs too large an L1 table",
                            bs->filename, size);
            ret = -EFBIG;
        } else if (need > s->l1_size) {
            ret = grow_l1(bs, need);
        }
        if (ret == 0) {
            ret = header_write_u64(bs, H_SIZE, size);
        }
        if (ret == 0) {
            s->size = size;
        } else if (errp && !*errp) {
            vireo_set_error(errp, "could not resize '%s': %s", bs->filename, g_strerror(-ret));
        }
    }
    g_mutex_unlock(&s->lock);
    /* the new area reads as zeros, not as whatever a longer backing image
     * holds there (as QEMU does since 5.1) */
    if (ret == 0 && bs->backing) {
        int64_t blen = bdrv_getlength(bs->backing);
        if (blen > (int64_t)old_size && size > old_size) {
            ret = qcow2_pwrite_zeroes(bs, old_size, MIN((uint64_t)blen, size) - old_size);
            if (ret < 0) {
                vireo_set_error(errp, "could not resize '%s': %s", bs->filename,
                                g_strerror(-ret));
            }
        }
    }
    return ret;
}

/* ---- internal snapshots (read only: listed and checked) ---- */

typedef struct SnapEntry {
    uint64_t l1_offset;
    uint32_t l1_size;
    BdrvSnapshotInfo info;
} SnapEntry;

/* Parse the snapshot table; *table_len = its size in bytes. */
static int read_snapshots(BlockDriverState *bs, SnapEntry **out, uint64_t *table_len,
                          char **why)
{
    Qcow2State *s = bs->opaque;
    SnapEntry *e = g_new0(SnapEntry, s->nb_snapshots);
    uint64_t off = s->snapshots_offset;
    int ret = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        uint8_t h[40];
        if (off + 40 > s->file_end) {
            *why = g_strdup_printf("snapshot %u lies beyond the end of the file", i);
            ret = -EINVAL;
            break;
        }
        if ((ret = file_pread(bs, off, h, 40)) < 0) {
            break;
        }
        e[i].l1_offset = ld64(h);
        e[i].l1_size = ld32(h + 8);
        uint16_t id_len = ld16(h + 12), name_len = ld16(h + 14);
        e[i].info.date_sec = ld32(h + 16);
        e[i].info.date_nsec = ld32(h + 20);
        e[i].info.vm_clock_nsec = ld64(h + 24);
        e[i].info.vm_state_size = ld32(h + 32);
        uint32_t extra = ld32(h + 36);
        if (extra > 1024) {
            *why = g_strdup_printf("snapshot %u has %u bytes of extra data (1024 at most)", i,
                                   extra);
            ret = -EINVAL;
            break;
        }
        uint64_t rest = (uint64_t)extra + id_len + name_len;
        if (off + 40 + rest > s->file_end) {
            *why = g_strdup_printf("snapshot %u lies beyond the end of the file", i);
            ret = -EINVAL;
            break;
        }
        uint8_t *buf = g_malloc(rest + 1);
        if ((ret = file_pread(bs, off + 40, buf, rest)) < 0) {
            g_free(buf);
            break;
        }
        if (extra >= 8) {
            e[i].info.vm_state_size = ld64(buf);
        }
        if (extra >= 24) {
            e[i].info.icount = ld64(buf + 16);
        }
        e[i].info.id = g_strndup((char *)buf + extra, id_len);
        e[i].info.name = g_strndup((char *)buf + extra + id_len, name_len);
        g_free(buf);
        off = ROUND_UP(off + 40 + rest, 8);
    }
    if (ret < 0) {
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            g_free(e[i].info.id);
            g_free(e[i].info.name);
        }
        g_free(e);
        return ret;
    }
    *out = e;
    *table_len = off - s->snapshots_offset;
    return 0;
}

static void free_snapshots(Qcow2State *s, SnapEntry *e, bool keep_strings)
{
    for (uint32_t i = 0; e && !keep_strings && i < s->nb_snapshots; i++) {
        g_free(e[i].info.id);
        g_free(e[i].info.name);
    }
    g_free(e);
}

static int qcow2_snapshot_list(BlockDriverState *bs, BdrvSnapshotInfo **list)
{
    Qcow2State *s = bs->opaque;
    g_mutex_lock(&s->lock);
    SnapEntry *e = NULL;
    uint64_t len;
    char *why = NULL;
    int ret = s->nb_snapshots ? read_snapshots(bs, &e, &len, &why) : 0;
    g_free(why);
    if (ret == 0) {
        *list = g_new0(BdrvSnapshotInfo, MAX(s->nb_snapshots, 1));
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            (*list)[i] = e[i].info;
        }
        ret = s->nb_snapshots;
        free_snapshots(s, e, true);
    }
    g_mutex_unlock(&s->lock);
    return ret;
}

/* ---- check ---- */

static void check_msg(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void check_msg(const char *fmt, ...)
{
    if (check_quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

typedef struct CheckState {
    uint32_t *refs;
    uint64_t n;          /* clusters the refs array covers */
    uint64_t nfile;      /* clusters of the file */
    BdrvCheckResult *res;
    uint64_t next_contiguous;
} CheckState;

static bool inc_refs(Qcow2State *s, CheckState *cs, uint64_t off, uint64_t len, const char *what)
{
    if (!len) {
        return true;
    }
    uint64_t first = off >> s->cluster_bits, last = (off + len - 1) >> s->cluster_bits;
    if (off + len < off || last >= cs->nfile) {
        check_msg("ERROR %s at offset %#" PRIx64 " is outside the image file\n", what, off);
        cs->res->corruptions++;
        return false;
    }
    for (uint64_t c = first; c <= last; c++) {
        if (cs->refs[c] < UINT32_MAX) {
            cs->refs[c]++;
        }
    }
    return true;
}

/* References from one L1 table and its L2 tables. */
static void check_l1(BlockDriverState *bs, CheckState *cs, const uint64_t *l1, uint32_t l1_size,
                     bool active)
{
    Qcow2State *s = bs->opaque;
    uint64_t *l2 = g_malloc(s->cluster_size);
    /* a table listed twice is counted twice but walked once: a hostile L1
     * table naming one L2 table a million times must not take forever */
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    uint64_t *keys = g_new(uint64_t, MAX(l1_size, 1));
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l1e = l1[i];
        uint64_t l2_off = l1e & OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if ((l1e & L1E_RESERVED) || (l2_off & (s->cluster_size - 1))) {
            check_msg("ERROR l1_index=%u l1_entry=%" PRIx64 ": L2 table offset unaligned or "
                      "reserved bits set; L1 entry corrupted\n", i, l1e);
            cs->res->corruptions++;
            continue;
        }
        if (!inc_refs(s, cs, l2_off, s->cluster_size, "L2 table")) {
            continue;
        }
        keys[i] = l2_off;
        if (g_hash_table_contains(seen, &keys[i])) {
            continue;
        }
        g_hash_table_add(seen, &keys[i]);
        if (file_pread(bs, l2_off, l2, s->cluster_size) < 0) {
            cs->res->check_errors++;
            continue;
        }
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint64_t l2e = GUINT64_FROM_BE(l2[j]);
            uint64_t guest = (((uint64_t)i << s->l2_bits) + j) << s->cluster_bits;
            if (l2e & OFLAG_COMPRESSED) {
                uint64_t off, len;
                compressed_range(s, l2e, &off, &len);
                if (l2e & OFLAG_COPIED) {
                    check_msg("ERROR: coffset=%#" PRIx64 ": copied flag must never be set for "
                              "compressed clusters\n", off);
                    cs->res->corruptions++;
                }
                if (off < s->cluster_size) {
                    check_msg("ERROR compressed cluster at offset %#" PRIx64 " overlaps the "
                              "header\n", off);
                    cs->res->corruptions++;
                    continue;
                }
                inc_refs(s, cs, off & ~511ull, DIV_ROUND_UP(len + (off & 511), 512) * 512,
                         "compressed cluster");
                if (active && guest < s->size) {
                    cs->res->allocated_clusters++;
                    cs->res->compressed_clusters++;
                    cs->next_contiguous = 0;
                }
                continue;
            }
            if (l2e & L2E_RESERVED) {
                check_msg("ERROR l2_entry=%" PRIx64 ": reserved bits set; L2 entry "
                          "corrupted\n", l2e);
                cs->res->corruptions++;
                continue;
            }
            if ((l2e & OFLAG_ZERO) && s->version < 3) {
                check_msg("ERROR l2_entry=%" PRIx64 ": zero flag in a version 2 image\n", l2e);
                cs->res->corruptions++;
                continue;
            }
            uint64_t off = l2e & OFFSET_MASK;
            if (!off) {
                continue;
            }
            if (off & (s->cluster_size - 1)) {
                check_msg("ERROR offset=%" PRIx64 ": Cluster is not properly aligned; L2 entry "
                          "corrupted.\n", off);
                cs->res->corruptions++;
                continue;
            }
            if (!inc_refs(s, cs, off, s->cluster_size, "data cluster")) {
                continue;
            }
            if (active && guest < s->size) {
                cs->res->allocated_clusters++;
                if (cs->next_contiguous && off != cs->next_contiguous) {
                    cs->res->fragmented_clusters++;
                }
                cs->next_contiguous = off + s->cluster_size;
            }
        }
    }
    g_hash_table_destroy(seen);
    g_free(keys);
    g_free(l2);
}

/* The active tables' copied flags must say "refcount is 1". */
static void check_copied(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    Qcow2State *s = bs->opaque;
    uint64_t *l2 = g_malloc(s->cluster_size);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l1e = s->l1[i];
        uint64_t l2_off = l1e & OFFSET_MASK;
        uint64_t rc;
        if (!l2_off || (l1e & L1E_RESERVED) || !offset_ok(s, l2_off) ||
            get_refcount(bs, l2_off >> s->cluster_bits, &rc) < 0) {
            continue;
        }
        if ((rc == 1) != !!(l1e & OFLAG_COPIED)) {
            check_msg("%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64
                      " refcount=%" PRIu64 "\n", fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR",
                      i, l1e, rc);
            res->corruptions++;
            if (fix & BDRV_FIX_ERRORS) {
                uint64_t v = rc == 1 ? l1e | OFLAG_COPIED : l1e & ~OFLAG_COPIED;
                uint8_t b[8];
                st64(b, v);
                if (file_pwrite(bs, s->l1_offset + i * 8ull, b, 8) == 0) {
                    s->l1[i] = v;
                    res->corruptions_fixed++;
                }
            }
        }
        if (file_pread(bs, l2_off, l2, s->cluster_size) < 0) {
            continue;
        }
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            uint64_t l2e = GUINT64_FROM_BE(l2[j]);
            uint64_t off = l2e & OFFSET_MASK;
            if ((l2e & OFLAG_COMPRESSED) || (l2e & L2E_RESERVED) || !offset_ok(s, off) ||
                get_refcount(bs, off >> s->cluster_bits, &rc) < 0) {
                continue;
            }
            if ((rc == 1) != !!(l2e & OFLAG_COPIED)) {
                check_msg("%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64
                          "\n", fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR", l2e, rc);
                res->corruptions++;
                if (fix & BDRV_FIX_ERRORS) {
                    uint64_t v = rc == 1 ? l2e | OFLAG_COPIED : l2e & ~OFLAG_COPIED;
                    uint8_t b[8];
                    st64(b, v);
                    if (file_pwrite(bs, l2_off + j * 8, b, 8) == 0) {
                        cache_drop(s->l2c, s->n_l2c, l2_off);
                        res->corruptions_fixed++;
                    }
                }
            }
        }
    }
    g_free(l2);
}

static int qcow2_check_locked(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    Qcow2State *s = bs->opaque;
    CheckState cs = { .res = res };
    cs.nfile = DIV_ROUND_UP(s->file_end, s->cluster_size);
    if (cs.nfile > (1ull << 28)) {
        check_msg("ERROR the image file is too large to check (%" PRIu64 " clusters)\n",
                  cs.nfile);
        res->check_errors++;
        return -EFBIG;
    }
    /* room for refcount blocks a repair may add past the end */
    cs.n = cs.nfile + 65536;
    cs.refs = g_new0(uint32_t, cs.n);
    s->check_refs = cs.refs;
    s->check_n = cs.n;
    if (fix) {
        fix &= bs->read_only ? 0 : fix;
    }
    res->total_clusters = DIV_ROUND_UP(s->size, s->cluster_size);

    inc_refs(s, &cs, 0, s->cluster_size, "header");
    inc_refs(s, &cs, s->l1_offset, (uint64_t)s->l1_size * 8, "L1 table");
    check_l1(bs, &cs, s->l1, s->l1_size, true);

    if (s->nb_snapshots) {
        SnapEntry *e = NULL;
        uint64_t len;
        char *why = NULL;
        if (read_snapshots(bs, &e, &len, &why) < 0) {
            check_msg("ERROR snapshot table: %s\n", why ? why : "unreadable");
            res->corruptions++;
            g_free(why);
        } else {
            inc_refs(s, &cs, s->snapshots_offset, len, "snapshot table");
            for (uint32_t i = 0; i < s->nb_snapshots; i++) {
                uint64_t l1off = e[i].l1_offset;
                uint32_t l1n = e[i].l1_size;
                if ((l1off & (s->cluster_size - 1)) || l1n > MAX_L1_ENTRIES ||
                    (l1n && !inc_refs(s, &cs, l1off, (uint64_t)l1n * 8, "snapshot L1 table"))) {
                    check_msg("ERROR snapshot %s (%s) L1 table is invalid\n", e[i].info.id,
                              e[i].info.name);
                    res->corruptions++;
                    continue;
                }
                uint8_t *raw = g_malloc((uint64_t)l1n * 8 + 1);
                uint64_t *l1 = g_new(uint64_t, l1n + 1);
                if (file_pread(bs, l1off, raw, (uint64_t)l1n * 8) < 0) {
                    res->check_errors++;
                } else {
                    for (uint32_t k = 0; k < l1n; k++) {
                        l1[k] = ld64(raw + k * 8ull);
                    }
                    check_l1(bs, &cs, l1, l1n, false);
                }
                g_free(raw);
                g_free(l1);
            }
            free_snapshots(s, e, false);
        }
    }

    inc_refs(s, &cs, s->rt_offset, (uint64_t)s->rt_clusters * s->cluster_size,
             "refcount table");
    bool *bad_rb = g_new0(bool, s->rt_size);
    for (uint64_t i = 0; i < s->rt_size; i++) {
        uint64_t off = s->rt[i] & RT_OFFSET_MASK;
        if (s->rt[i] & ~RT_OFFSET_MASK) {
            check_msg("ERROR refcount table entry %" PRIu64 " has reserved bits set\n", i);
            res->corruptions++;
        }
        if (!off) {
            continue;
        }
        if ((off & (s->cluster_size - 1)) || (off >> s->cluster_bits) >= cs.nfile) {
            check_msg("ERROR refcount block %" PRIu64 " is not cluster aligned or outside the "
                      "image; refcount table entry corrupted\n", i);
            res->corruptions++;
            bad_rb[i] = true;
            if (fix & BDRV_FIX_ERRORS) {
                /* forget it: the clusters it counted get a new block below */
                uint8_t b[8] = { 0 };
                if (file_pwrite(bs, s->rt_offset + i * 8, b, 8) == 0) {
                    s->rt[i] = 0;
                    bad_rb[i] = false;
                    res->corruptions_fixed++;
                }
            }
            continue;
        }
        inc_refs(s, &cs, off, s->cluster_size, "refcount block");
    }

    /* compare what is stored with what is referenced */
    uint64_t highest = 0;
    for (uint64_t c = 0; c < cs.n; c++) {
        uint64_t rt_idx = c >> s->rb_bits;
        uint64_t stored = 0;
        if (rt_idx < s->rt_size && bad_rb[rt_idx]) {
            if (c < cs.nfile && cs.refs[c]) {
                highest = c;
            }
            continue;        /* reported above */
        }
        if (get_refcount(bs, c, &stored) < 0) {
            res->check_errors++;
            continue;
        }
        uint64_t want = cs.refs[c];
        if (stored || want) {
            highest = c;
        }
        if (stored == want) {
            continue;
        }
        bool leak = stored > want;
        int need = leak ? BDRV_FIX_LEAKS : BDRV_FIX_ERRORS;
        check_msg("%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64 "\n",
                  (fix & need) ? "Repairing" : leak ? "Leaked" : "ERROR", c, stored, want);
        if (leak) {
            res->leaks++;
        } else {
            res->corruptions++;
        }
        if (fix & need) {
            if (want > s->refcount_max) {
                want = s->refcount_max;
            }
            if (set_refcount(bs, c, want) == 0) {
                if (leak) {
                    res->leaks_fixed++;
                } else {
                    res->corruptions_fixed++;
                }
            }
        }
    }
    /* refcount blocks may count clusters past every reference */
    for (uint64_t i = 0; i < s->rt_size; i++) {
        uint64_t c0 = i << s->rb_bits;
        uint64_t nent = 1ull << s->rb_bits;
        if (bad_rb[i] || !(s->rt[i] & RT_OFFSET_MASK) || c0 + nent <= cs.n) {
            continue;
        }
        uint8_t *blk;
        if (rb_load(bs, s->rt[i] & RT_OFFSET_MASK, &blk) < 0) {
            res->check_errors++;
            continue;
        }
        for (uint64_t j = c0 < cs.n ? cs.n - c0 : 0; j < nent; j++) {
            uint64_t c = c0 + j;
            uint64_t stored = rb_get(s, blk, j);
            if (stored) {
                check_msg("%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=0\n",
                          (fix & BDRV_FIX_LEAKS) ? "Repairing" : "Leaked", c, stored);
                res->leaks++;
                if ((fix & BDRV_FIX_LEAKS) && set_refcount(bs, c, 0) == 0) {
                    res->leaks_fixed++;
                }
                /* the fix may have loaded other blocks over this one */
                if (rb_load(bs, s->rt[i] & RT_OFFSET_MASK, &blk) < 0) {
                    break;
                }
            }
        }
    }
    g_free(bad_rb);
    s->check_refs = NULL;
    s->check_n = 0;
    g_free(cs.refs);

    check_copied(bs, res, fix);
    res->image_end_offset = (int64_t)(highest + 1) << s->cluster_bits;

    if (fix && !bs->read_only) {
        s->free_hint = 0;
        s->cfree = 0;
        /* repaired: the image is whole again */
        bool repaired = res->corruptions == res->corruptions_fixed &&
                        res->leaks == res->leaks_fixed && !res->check_errors;
        uint64_t clear = repaired ? (INCOMPAT_DIRTY | INCOMPAT_CORRUPT) : INCOMPAT_DIRTY;
        if ((fix & BDRV_FIX_ERRORS) && (s->incompat & clear) && s->version >= 3) {
            bdrv_flush(bs->file);
            s->incompat &= ~clear;
            header_write_u64(bs, H_INCOMPAT, s->incompat);
            if (repaired) {
                s->corrupt = false;
            }
        }
        bdrv_flush(bs->file);
    }
    return 0;
}

static int qcow2_check(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    Qcow2State *s = bs->opaque;
    g_mutex_lock(&s->lock);
    int ret = qcow2_check_locked(bs, res, fix);
    g_mutex_unlock(&s->lock);
    return ret;
}

/* ---- info ---- */

/* Appends members to a JSON object being written (each with a leading
 * ", "): "cluster-size", "dirty-flag" and QEMU's "format-specific". */
static void qcow2_info_json(BlockDriverState *bs, GString *json)
{
    Qcow2State *s = bs->opaque;
    g_string_append_printf(json, ", \"cluster-size\": %" PRIu64, s->cluster_size);
    g_string_append_printf(json, ", \"dirty-flag\": %s",
                           (s->incompat & INCOMPAT_DIRTY) ? "true" : "false");
    g_string_append(json, ", \"format-specific\": {\"type\": \"qcow2\", \"data\": {");
    if (s->version >= 3) {
        g_string_append_printf(json, "\"compat\": \"1.1\", \"compression-type\": \"zlib\", "
                               "\"lazy-refcounts\": %s, \"refcount-bits\": %u, "
                               "\"corrupt\": %s, \"extended-l2\": false",
                               (s->compat & COMPAT_LAZY_REFCOUNTS) ? "true" : "false",
                               1u << s->refcount_order,
                               (s->incompat & INCOMPAT_CORRUPT) ? "true" : "false");
    } else {
        g_string_append_printf(json, "\"compat\": \"0.10\", \"compression-type\": \"zlib\", "
                               "\"refcount-bits\": %u", 1u << s->refcount_order);
    }
    g_string_append(json, "}}");
}

/* ---- open / close ---- */

static void qcow2_free_state(Qcow2State *s)
{
    g_free(s->l1);
    g_free(s->rt);
    if (s->l2c) {
        cache_free(s->l2c, s->n_l2c);
        g_free(s->l2c);
    }
    cache_free(s->rbc, RB_CACHE_SIZE);
    g_free(s->dcache);
    g_free(s->cbuf);
    g_free(s->features);
    s->l1 = s->rt = NULL;
    s->l2c = NULL;
    s->dcache = s->cbuf = NULL;
    s->features = NULL;
}

static void qcow2_close(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    qcow2_free_state(s);
    g_mutex_clear(&s->lock);
}

/* "extended L2 entries, external data file" from the feature name table,
 * or bit numbers where the image names none. */
static char *feature_names(Qcow2State *s, uint64_t bits)
{
    GString *str = g_string_new(NULL);
    for (unsigned b = 0; b < 64; b++) {
        if (!(bits & (1ull << b))) {
            continue;
        }
        const char *name = NULL;
        for (unsigned i = 0; i < s->n_features; i++) {
            if (s->features[i].type == 0 && s->features[i].bit == b && s->features[i].name[0]) {
                name = s->features[i].name;
            }
        }
        static const char *const known[] = {
            [2] = "external data file", [4] = "extended L2 entries",
        };
        if (!name && b < G_N_ELEMENTS(known)) {
            name = known[b];
        }
        if (str->len) {
            g_string_append(str, ", ");
        }
        if (name) {
            g_string_append(str, name);
        } else {
            g_string_append_printf(str, "unknown incompatible feature bit %u", b);
        }
    }
    return g_string_free(str, FALSE);
}

static int qcow2_open(BlockDriverState *bs, int flags, GError **errp)
{
    Qcow2State *s = bs->opaque;
    uint8_t *h = NULL;
    char *why = NULL;
    int ret = -EINVAL;
    g_mutex_init(&s->lock);

#define BAD(...) do { why = g_strdup_printf(__VA_ARGS__); goto fail; } while (0)
    int64_t flen = bdrv_getlength(bs->file);
    if (flen < 0) {
        ret = (int)flen;
        BAD("%s", g_strerror(-ret));
    }
    s->file_end = flen;
    if (flen < QCOW2_V2_HEADER) {
        BAD("the file (%" PRId64 " bytes) is too short for a qcow2 header", flen);
    }
    uint8_t first[512] = { 0 };
    if ((ret = file_pread(bs, 0, first, MIN(flen, 512))) < 0) {
        BAD("%s", g_strerror(-ret));
    }
    ret = -EINVAL;
    if (ld32(first) != QCOW2_MAGIC) {
        BAD("not a qcow2 image (bad magic)");
    }
    s->version = ld32(first + H_VERSION);
    if (s->version != 2 && s->version != 3) {
        BAD("unsupported qcow2 version %u", s->version);
    }
    s->cluster_bits = ld32(first + H_CLUSTER_BITS);
    if (s->cluster_bits < 9 || s->cluster_bits > 21) {
        BAD("cluster size 2^%u is out of range (512 bytes to 2 MiB)", s->cluster_bits);
    }
    uint64_t cs = s->cluster_size = 1ull << s->cluster_bits;
    h = g_malloc0(cs);
    if ((ret = file_pread(bs, 0, h, MIN((uint64_t)flen, cs))) < 0) {
        BAD("%s", g_strerror(-ret));
    }
    ret = -EINVAL;
    if (s->version == 2) {
        s->header_length = QCOW2_V2_HEADER;
        s->refcount_order = 4;
    } else {
        if ((uint64_t)flen < QCOW2_V3_HEADER) {
            BAD("the file (%" PRId64 " bytes) is too short for a version 3 header", flen);
        }
        s->incompat = ld64(h + H_INCOMPAT);
        s->compat = ld64(h + H_COMPAT);
        s->autoclear = ld64(h + H_AUTOCLEAR);
        s->refcount_order = ld32(h + H_REFCOUNT_ORDER);
        s->header_length = ld32(h + H_HEADER_LEN);
        if (s->header_length < QCOW2_V3_HEADER || s->header_length > cs ||
            s->header_length > (uint64_t)flen) {
            BAD("invalid header length %u", s->header_length);
        }
        if (s->refcount_order > 6) {
            BAD("refcount order %u is out of range (0 to 6)", s->refcount_order);
        }
    }
    uint8_t compression = s->header_length > H_COMPRESSION ? h[H_COMPRESSION] : 0;
    if ((s->incompat & INCOMPAT_COMPRESSION) ? compression != 0 : compression != 0) {
        BAD("unsupported compression type %u%s", compression,
            compression == 1 ? " (zstd)" : "");
    }
    if (ld32(h + H_CRYPT)) {
        BAD("encrypted qcow2 images are not supported");
    }
    s->size = ld64(h + H_SIZE);
    if (s->size > MAX_VIRTUAL_SIZE) {
        BAD("virtual size %" PRIu64 " is too large", s->size);
    }
    uint64_t boff = ld64(h + H_BACKING_OFF);
    uint32_t blen = ld32(h + H_BACKING_SIZE);
    if (boff) {
        if (blen > MAX_BACKING_NAME || boff > cs || boff + blen > cs ||
            boff + blen > (uint64_t)flen) {
            BAD("invalid backing file name (offset %" PRIu64 ", %u bytes)", boff, blen);
        }
    }

    /* header extensions, up to the backing file name or the cluster end */
    uint64_t ext_end = boff ? boff : cs;
    uint64_t off = s->version == 2 ? QCOW2_V2_HEADER : s->header_length;
    char *backing_fmt = NULL;
    while (off + 8 <= ext_end) {
        uint32_t type = ld32(h + off), len = ld32(h + off + 4);
        if (type == EXT_END) {
            break;
        }
        if (len > ext_end - off - 8) {
            g_free(backing_fmt);
            BAD("header extension %#x (%u bytes) overflows the header", type, len);
        }
        const uint8_t *data = h + off + 8;
        if (type == EXT_BACKING_FMT) {
            if (len >= 16 || memchr(data, 0, len)) {
                g_free(backing_fmt);
                BAD("invalid backing format extension (%u bytes)", len);
            }
            g_free(backing_fmt);
            backing_fmt = g_strndup((const char *)data, len);
        } else if (type == EXT_FEATURES) {
            unsigned n = len / 48;
            g_free(s->features);
            s->features = g_new0(Feature, MAX(n, 1));
            s->n_features = n;
            for (unsigned i = 0; i < n; i++) {
                s->features[i].type = data[i * 48];
                s->features[i].bit = data[i * 48 + 1];
                memcpy(s->features[i].name, data + i * 48 + 2, FEATURE_NAME_LEN);
            }
        }
        off += 8 + ROUND_UP((uint64_t)len, 8);
    }
    uint64_t unsupported = s->incompat & ~INCOMPAT_KNOWN;
    if (unsupported) {
        char *names = feature_names(s, unsupported);
        why = g_strdup_printf("unsupported qcow2 feature(s): %s", names);
        g_free(names);
        g_free(backing_fmt);
        ret = -ENOTSUP;
        goto fail;
    }
    if ((s->incompat & INCOMPAT_CORRUPT) && (flags & BDRV_O_RDWR) && !(flags & BDRV_O_CHECK)) {
        g_free(backing_fmt);
        BAD("the image is marked corrupt and can only be opened read-only "
            "(vireo-img check -r all repairs it)");
    }
    s->corrupt = !!(s->incompat & INCOMPAT_CORRUPT);

    /* the tables */
    s->l2_bits = s->cluster_bits - 3;
    s->l2_entries = cs / 8;
    s->rb_bits = s->cluster_bits + 3 - s->refcount_order;
    s->refcount_max = s->refcount_order == 6 ? UINT64_MAX : (1ull << (1u << s->refcount_order)) - 1;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ull << (s->cluster_bits - 8)) - 1;

    s->l1_size = ld32(h + H_L1_SIZE);
    s->l1_offset = ld64(h + H_L1_OFF);
    if (s->l1_size > MAX_L1_ENTRIES) {
        g_free(backing_fmt);
        BAD("L1 table too large (%u entries)", s->l1_size);
    }
    if (s->l1_size < l1_entries_for(s, s->size)) {
        g_free(backing_fmt);
        BAD("L1 table (%u entries) too small for the virtual size %" PRIu64, s->l1_size,
            s->size);
    }
    if (s->l1_size && (!s->l1_offset || (s->l1_offset & (cs - 1)) ||
                       s->l1_offset + (uint64_t)s->l1_size * 8 > (uint64_t)flen)) {
        g_free(backing_fmt);
        BAD("L1 table (offset %#" PRIx64 ", %u entries) is unaligned or beyond the end of "
            "the file (%" PRId64 " bytes)", s->l1_offset, s->l1_size, flen);
    }
    s->rt_offset = ld64(h + H_RT_OFF);
    s->rt_clusters = ld32(h + H_RT_CLUSTERS);
    if (!s->rt_clusters || (uint64_t)s->rt_clusters * cs > MAX_RT_BYTES) {
        g_free(backing_fmt);
        BAD("invalid refcount table size (%u clusters)", s->rt_clusters);
    }
    if (!s->rt_offset || (s->rt_offset & (cs - 1)) ||
        s->rt_offset + (uint64_t)s->rt_clusters * cs > ROUND_UP((uint64_t)flen, cs)) {
        g_free(backing_fmt);
        BAD("refcount table (offset %#" PRIx64 ", %u clusters) is unaligned or beyond the "
            "end of the file (%" PRId64 " bytes)", s->rt_offset, s->rt_clusters, flen);
    }
    s->nb_snapshots = ld32(h + H_NB_SNAPSHOTS);
    s->snapshots_offset = ld64(h + H_SNAPSHOTS_OFF);
    if (s->nb_snapshots > MAX_SNAPSHOTS) {
        g_free(backing_fmt);
        BAD("too many snapshots (%u)", s->nb_snapshots);
    }
    if (s->nb_snapshots && (!s->snapshots_offset || (s->snapshots_offset & (cs - 1)) ||
                            s->snapshots_offset >= (uint64_t)flen)) {
        g_free(backing_fmt);
        BAD("snapshot table offset %#" PRIx64 " is unaligned or beyond the end of the file",
            s->snapshots_offset);
    }

    uint8_t *raw = g_malloc((uint64_t)MAX(s->l1_size, 1) * 8);
    if ((ret = file_pread(bs, s->l1_offset, raw, (uint64_t)s->l1_size * 8)) < 0) {
        g_free(raw);
        g_free(backing_fmt);
        BAD("could not read the L1 table: %s", g_strerror(-ret));
    }
    s->l1 = g_new(uint64_t, MAX(s->l1_size, 1));
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1[i] = ld64(raw + i * 8ull);
    }
    g_free(raw);
    s->rt_size = (uint64_t)s->rt_clusters * cs / 8;
    raw = g_malloc(s->rt_size * 8);
    if ((ret = file_pread(bs, s->rt_offset, raw, s->rt_size * 8)) < 0) {
        g_free(raw);
        g_free(backing_fmt);
        BAD("could not read the refcount table: %s", g_strerror(-ret));
    }
    s->rt = g_new(uint64_t, s->rt_size);
    for (uint64_t i = 0; i < s->rt_size; i++) {
        s->rt[i] = ld64(raw + i * 8);
    }
    g_free(raw);

    /* 4 MiB of L2 tables, 4 to 64 of them */
    s->n_l2c = CLAMP((4u << 20) >> s->cluster_bits, 4, 64);
    s->l2c = g_new0(CacheEntry, s->n_l2c);
    s->dcache = g_malloc(cs);
    s->cbuf = g_malloc(2 * cs);

    if (boff) {
        char *name = g_malloc0(blen + 1);
        memcpy(name, h + boff, blen);
        if (strlen(name) != blen || !blen) {
            g_free(name);
            g_free(backing_fmt);
            BAD("invalid backing file name");
        }
        bs->backing_file = name;
        bs->backing_format = backing_fmt;
        backing_fmt = NULL;
        if (!(flags & BDRV_O_NO_BACKING)) {
            char *path;
            if (g_path_is_absolute(name)) {
                path = g_strdup(name);
            } else {
                char *dir = g_path_get_dirname(bs->filename);
                path = g_build_filename(dir, name, NULL);
                g_free(dir);
            }
            if (backing_depth >= MAX_BACKING_DEPTH) {
                g_free(path);
                BAD("the backing chain is longer than %d images (a loop?)", MAX_BACKING_DEPTH);
            }
            GError *local = NULL;
            backing_depth++;
            bs->backing = bdrv_open(path, bs->backing_format,
                                    BDRV_O_NO_LOCK | (flags & BDRV_O_NOCACHE), &local);
            backing_depth--;
            g_free(path);
            if (!bs->backing) {
                why = g_strdup_printf("could not open its backing file: %s", local->message);
                g_error_free(local);
                ret = -EINVAL;
                goto fail;
            }
        }
    }
    g_free(backing_fmt);
    g_free(h);
    h = NULL;

    if (flags & BDRV_O_RDWR) {
        /* bits this program does not know must go when it writes */
        if (s->version >= 3 && s->autoclear) {
            s->autoclear = 0;
            if ((ret = header_write_u64(bs, H_AUTOCLEAR, 0)) < 0) {
                BAD("could not update the header: %s", g_strerror(-ret));
            }
        }
        /* left dirty by a writer with lazy refcounts: recount before
         * writing, as QEMU does */
        if ((s->incompat & INCOMPAT_DIRTY) && !(flags & BDRV_O_CHECK)) {
            BdrvCheckResult res = { 0 };
            bool quiet = check_quiet;
            check_quiet = true;
            qcow2_check_locked(bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
            check_quiet = quiet;
            if (res.corruptions > res.corruptions_fixed || res.check_errors) {
                ret = -EIO;
                BAD("the image was not closed cleanly and could not be repaired");
            }
        }
    }
    return 0;
#undef BAD

fail:
    vireo_set_error(errp, "could not open '%s': %s", bs->filename, why ? why : "invalid image");
    g_free(why);
    g_free(h);
    if (bs->backing) {
        bdrv_close(bs->backing);
        bs->backing = NULL;
    }
    qcow2_free_state(s);
    g_mutex_clear(&s->lock);
    return ret < 0 ? ret : -EINVAL;
}

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    if (buf_size >= 8 && ld32(buf) == QCOW2_MAGIC &&
        (ld32(buf + 4) == 2 || ld32(buf + 4) == 3)) {
        return 100;
    }
    return 0;
}

/* ---- create ---- */

static bool parse_cluster_size(const char *v, uint64_t *out)
{
    char *end;
    uint64_t n = g_ascii_strtoull(v, &end, 10);
    if (end == v) {
        return false;
    }
    switch (*end) {
    case 0: case 'b': case 'B': break;
    case 'k': case 'K': n <<= 10; end++; break;
    case 'm': case 'M': n <<= 20; end++; break;
    default: return false;
    }
    if (*end) {
        return false;
    }
    *out = n;
    return true;
}

static int qcow2_preallocate(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t span = cs * s->l2_entries;
    int ret = 0;
    g_mutex_lock(&s->lock);
    for (uint64_t goff = 0; goff < s->size && ret >= 0; goff += span) {
        uint64_t l2_off, *t, data;
        uint64_t n = MIN(s->l2_entries, DIV_ROUND_UP(s->size - goff, cs));
        if ((ret = get_l2_for_write(bs, goff, &l2_off)) < 0 ||
            (ret = alloc_clusters(bs, n, &data)) < 0) {
            break;
        }
        /* the file covers what is allocated before the next allocation */
        if (data + n * cs > s->file_end) {
            if ((ret = bs->file->drv->truncate(bs->file, data + n * cs, NULL)) < 0) {
                break;
            }
            s->file_end = data + n * cs;
        }
        if ((ret = l2_load(bs, l2_off, &t)) < 0) {
            break;
        }
        uint8_t *buf = g_malloc(cs);
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            if (j < n) {
                t[j] = (data + j * cs) | OFLAG_COPIED;
            }
            st64(buf + j * 8, t[j]);
        }
        ret = file_pwrite(bs, l2_off, buf, cs);
        g_free(buf);
    }
    g_mutex_unlock(&s->lock);
    return ret;
}

static bool qcow2_create(const char *filename, uint64_t size, const char *opts, GError **errp)
{
    /* QEMU's -o list: key=value pairs, ",," a literal comma */
    KeyVal *o = keyval_parse(opts, NULL, errp);
    if (!o) {
        return false;
    }
    bool ok = false;
    uint64_t cs = 65536;
    int version = 3;
    unsigned refcount_order = 4;
    const char *prealloc = "off";
    const char *backing = NULL, *backing_fmt = NULL;
    const char *val;
    bool b;
    if ((val = keyval_take(o, "cluster_size")) &&
        (!parse_cluster_size(val, &cs) || cs < 512 || cs > (2u << 20) || (cs & (cs - 1)))) {
        vireo_set_error(errp, "Cluster size must be a power of two between 512 and "
                        "2048k ('%s')", val);
        goto out;
    }
    if ((val = keyval_take(o, "preallocation"))) {
        if (strcmp(val, "off") && strcmp(val, "metadata") && strcmp(val, "falloc") &&
            strcmp(val, "full")) {
            vireo_set_error(errp, "Invalid preallocation mode: '%s' (off, metadata, "
                            "falloc or full)", val);
            goto out;
        }
        prealloc = val;
    }
    if ((val = keyval_take(o, "backing_file")) && *val) {
        backing = val;
    }
    if ((val = keyval_take(o, "backing_fmt")) && *val) {
        backing_fmt = val;
    }
    if ((val = keyval_take(o, "compat"))) {
        if (!strcmp(val, "0.10") || !strcmp(val, "v2")) {
            version = 2;
        } else if (!strcmp(val, "1.1") || !strcmp(val, "v3")) {
            version = 3;
        } else {
            vireo_set_error(errp, "Invalid compatibility level: '%s' (0.10 or 1.1)", val);
            goto out;
        }
    }
    if (!keyval_take_bool(o, "lazy_refcounts", false, &b, errp)) {
        goto out;
    }
    if (b) {
        vireo_set_error(errp, "lazy_refcounts=on is not supported by Vireo's qcow2");
        goto out;
    }
    if ((val = keyval_take(o, "refcount_bits"))) {
        char *end;
        unsigned long bits = strtoul(val, &end, 10);
        if (*end || !bits || bits > 64 || (bits & (bits - 1))) {
            vireo_set_error(errp, "Refcount width must be a power of two and may not "
                            "exceed 64 bits ('%s')", val);
            goto out;
        }
        refcount_order = __builtin_ctzl(bits);
    }
    if (!keyval_take_bool(o, "encryption", false, &b, errp)) {
        goto out;
    }
    if (b || keyval_take(o, "encrypt.format")) {
        vireo_set_error(errp, "encrypted qcow2 images are not supported");
        goto out;
    }
    if ((val = keyval_take(o, "compression_type")) && strcmp(val, "zlib")) {
        vireo_set_error(errp, "compression_type '%s' is not supported (zlib)", val);
        goto out;
    }
    if ((val = keyval_unused(o))) {
        vireo_set_error(errp, "Invalid parameter '%s' for qcow2", val);
        goto out;
    }
    if (version == 2 && refcount_order != 4) {
        vireo_set_error(errp, "Different refcount widths than 16 bits require compatibility "
                        "level 1.1 or above (use compat=1.1 or greater)");
        goto out;
    }
    if (backing_fmt && !backing) {
        vireo_set_error(errp, "Backing format cannot be used without backing file");
        goto out;
    }
    if (backing && strcmp(prealloc, "off")) {
        vireo_set_error(errp, "Backing file and preallocation can only be used at the same "
                        "time with extended_l2=on");
        goto out;
    }
    if (size > MAX_VIRTUAL_SIZE) {
        vireo_set_error(errp, "Image size %" PRIu64 " is too large for qcow2", size);
        goto out;
    }
    /* QEMU reads qcow2 sizes in whole sectors: round up as qemu-img does */
    size = ROUND_UP(size, 512);
    unsigned cb = __builtin_ctzll(cs);
    uint64_t l1_size = DIV_ROUND_UP(size, 1ull << (cb + cb - 3));
    if (l1_size > MAX_L1_ENTRIES) {
        vireo_set_error(errp, "Image size %" PRIu64 " needs too large an L1 table with %"
                        PRIu64 "-byte clusters", size, cs);
        goto out;
    }
    uint64_t l1_clusters = MAX(1, DIV_ROUND_UP(l1_size * 8, cs));
    uint64_t rb_entries = cs * 8 >> refcount_order;
    uint64_t rt_clusters = 1, rb_count = 1;
    for (;;) {
        uint64_t total = 1 + rt_clusters + rb_count + l1_clusters;
        uint64_t rb = DIV_ROUND_UP(total, rb_entries);
        uint64_t rt = DIV_ROUND_UP(rb * 8, cs);
        if (rb == rb_count && rt == rt_clusters) {
            break;
        }
        rb_count = rb;
        rt_clusters = rt;
    }
    uint64_t total = 1 + rt_clusters + rb_count + l1_clusters;
    uint64_t rt_off = cs, rb_off = rt_off + rt_clusters * cs, l1_off = rb_off + rb_count * cs;

    uint8_t *img = g_malloc0(total * cs);
    uint8_t *hd = img;
    st32(hd, QCOW2_MAGIC);
    st32(hd + H_VERSION, version);
    st32(hd + H_CLUSTER_BITS, cb);
    st64(hd + H_SIZE, size);
    st32(hd + H_L1_SIZE, l1_size);
    st64(hd + H_L1_OFF, l1_off);
    st64(hd + H_RT_OFF, rt_off);
    st32(hd + H_RT_CLUSTERS, rt_clusters);
    uint64_t off = QCOW2_V2_HEADER;
    if (version == 3) {
        st32(hd + H_REFCOUNT_ORDER, refcount_order);
        st32(hd + H_HEADER_LEN, 112);
        off = 112;
    }
    /* extensions: backing format, the feature name table, end */
    static const struct { uint8_t type, bit; const char *name; } feat[] = {
        { 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" }, { 0, 2, "external data file" },
        { 0, 3, "compression type" }, { 0, 4, "extended L2 entries" },
        { 1, 0, "lazy refcounts" }, { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
    };
    size_t need = off + 8 + sizeof(feat) / sizeof(feat[0]) * 48 + 8 +
                  (backing_fmt ? 8 + ROUND_UP(strlen(backing_fmt), 8) : 0) +
                  (backing ? strlen(backing) : 0);
    if (backing && strlen(backing) > MAX_BACKING_NAME) {
        vireo_set_error(errp, "Backing file name too long (%zu bytes, %d at most)",
                        strlen(backing), MAX_BACKING_NAME);
        g_free(img);
        goto out;
    }
    if (backing_fmt && strlen(backing_fmt) >= 16) {
        vireo_set_error(errp, "Backing format name '%s' is too long", backing_fmt);
        g_free(img);
        goto out;
    }
    if (need > cs) {
        vireo_set_error(errp, "The header (%zu bytes) does not fit in a %" PRIu64 "-byte cluster",
                        need, cs);
        g_free(img);
        goto out;
    }
    if (backing_fmt) {
        st32(hd + off, EXT_BACKING_FMT);
        st32(hd + off + 4, strlen(backing_fmt));
        memcpy(hd + off + 8, backing_fmt, strlen(backing_fmt));
        off += 8 + ROUND_UP(strlen(backing_fmt), 8);
    }
    st32(hd + off, EXT_FEATURES);
    st32(hd + off + 4, G_N_ELEMENTS(feat) * 48);
    for (size_t i = 0; i < G_N_ELEMENTS(feat); i++) {
        uint8_t *e = hd + off + 8 + i * 48;
        e[0] = feat[i].type;
        e[1] = feat[i].bit;
        memcpy(e + 2, feat[i].name, strlen(feat[i].name));
    }
    off += 8 + G_N_ELEMENTS(feat) * 48;
    off += 8;                                   /* end of extensions: zeros */
    if (backing) {
        st64(hd + H_BACKING_OFF, off);
        st32(hd + H_BACKING_SIZE, strlen(backing));
        memcpy(hd + off, backing, strlen(backing));
    }
    for (uint64_t i = 0; i < rb_count; i++) {
        st64(img + rt_off + i * 8, rb_off + i * cs);
    }
    Qcow2State tmp = { .refcount_order = refcount_order };
    for (uint64_t c = 0; c < total; c++) {
        uint64_t byte;
        unsigned len;
        rb_set(&tmp, img + rb_off + (c / rb_entries) * cs, c % rb_entries, 1, &byte, &len);
    }
    /* the file holds the header and tables up to the L1 table's end */
    uint64_t file_len = l1_off + l1_size * 8;
    int fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        vireo_set_error(errp, "could not create '%s': %s", filename, g_strerror(errno));
        g_free(img);
        goto out;
    }
    bool written = true;
    for (uint64_t done = 0; done < file_len && written;) {
        ssize_t n = pwrite(fd, img + done, file_len - done, done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        written = n > 0;
        done += n > 0 ? n : 0;
    }
    if (written && ftruncate(fd, MAX(file_len, l1_off + (l1_size ? 0 : 8))) < 0) {
        written = false;
    }
    int err = errno;
    close(fd);
    g_free(img);
    if (!written) {
        vireo_set_error(errp, "could not write '%s': %s", filename, g_strerror(err));
        goto out;
    }
    if (strcmp(prealloc, "off")) {
        BlockDriverState *bs = bdrv_open(filename, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING, errp);
        if (!bs) {
            goto out;
        }
        int ret = qcow2_preallocate(bs);
        if (ret >= 0 && strcmp(prealloc, "metadata")) {
            /* falloc/full: reserve the host space for every data cluster */
            int fd2 = open(filename, O_WRONLY | O_CLOEXEC);
            int64_t len = bdrv_getlength(bs->file);
            if (fd2 < 0 || len < 0 || posix_fallocate(fd2, 0, len) != 0) {
                ret = -ENOSPC;
            }
            if (fd2 >= 0) {
                close(fd2);
            }
        }
        if (ret >= 0) {
            ret = bdrv_flush(bs);
        }
        bdrv_close(bs);
        if (ret < 0) {
            vireo_set_error(errp, "could not preallocate '%s': %s", filename, g_strerror(-ret));
            goto out;
        }
    }
    ok = true;
out:
    keyval_free(o);
    return ok;
}

static const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(Qcow2State),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .getlength = qcow2_getlength,
    .preadv = qcow2_preadv,
    .pwritev = qcow2_pwritev,
    .flush = qcow2_flush,
    .pdiscard = qcow2_pdiscard,
    .pwrite_zeroes = qcow2_pwrite_zeroes,
    .truncate = qcow2_truncate,
    .block_status = qcow2_block_status,
    .allocated_size = qcow2_allocated_size,
    .info_json = qcow2_info_json,
    .create = qcow2_create,
    .check = qcow2_check,
    .snapshot_list = qcow2_snapshot_list,
};
BLOCK_DRIVER_REGISTER(bdrv_qcow2)

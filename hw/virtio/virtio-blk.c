/*
 * virtio-blk (virtio 1.1 spec, section 5.2) on virtio-pci: "virtio-blk-pci",
 * transitional (PCI 1af4:1001, class 0x0180 mass storage).
 *
 * Requests: a 16-byte header (type, reserved/ioprio, sector) at the start
 * of the driver-readable buffers, data, and a status byte as the very
 * last byte of the device-writable buffers.  Handled: IN, OUT, FLUSH,
 * GET_ID (serial=), DISCARD and WRITE_ZEROES (segment lists); anything
 * else is answered VIRTIO_BLK_S_UNSUPP.  A chain without a full header
 * or without a status byte cannot be answered at all: that marks the
 * device broken (NEEDS_RESET), as for any malformed chain in the core.
 * Sectors are 512 bytes whatever blk_size says (the spec's rule); a
 * request beyond the capacity or not a multiple of the logical block
 * size is VIRTIO_BLK_S_IOERR and never reaches the image.
 *
 * I/O goes to the drive with blk_aio_* on the element's own iovecs (the
 * guest buffers, no copy); the completion runs in the main loop, writes
 * the status, pushes the used entry and schedules the notification bottom
 * half, so a burst of completions raises one interrupt per queue.
 *
 * A kick drains its queue with kicks off (the driver keeps adding while
 * we work), turning them back on only when the ring is empty and looking
 * once more afterwards.  Within one drain, reads (or writes) to adjacent
 * sectors are merged into one drive request (up to MERGE_MAX_BYTES and
 * IOV_MAX buffers); blk_acct_merged reports them to info blockstats.
 *
 * With config-wce the driver may turn the write cache off (writeback = 0
 * in config space): writes are then flushed before they complete.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "block/block.h"
#include "block/blockdev.h"
#include "hw/core/bootdevice.h"
#include "hw/core/device.h"
#include "hw/core/iostats.h"
#include "hw/pci/msix.h"
#include "hw/virtio/virtio-pci.h"
#include "util/bh.h"
#include "util/log.h"

#define VIRTIO_ID_BLOCK             2

#define VIRTIO_BLK_F_SIZE_MAX       1
#define VIRTIO_BLK_F_SEG_MAX        2
#define VIRTIO_BLK_F_GEOMETRY       4
#define VIRTIO_BLK_F_RO             5
#define VIRTIO_BLK_F_BLK_SIZE       6
#define VIRTIO_BLK_F_FLUSH          9
#define VIRTIO_BLK_F_TOPOLOGY       10
#define VIRTIO_BLK_F_CONFIG_WCE     11
#define VIRTIO_BLK_F_MQ             12
#define VIRTIO_BLK_F_DISCARD        13
#define VIRTIO_BLK_F_WRITE_ZEROES   14

#define VIRTIO_BLK_T_IN             0
#define VIRTIO_BLK_T_OUT            1
#define VIRTIO_BLK_T_FLUSH          4
#define VIRTIO_BLK_T_GET_ID         8
#define VIRTIO_BLK_T_DISCARD        11
#define VIRTIO_BLK_T_WRITE_ZEROES   13
#define VIRTIO_BLK_T_BARRIER        0x80000000u     /* legacy: a flag, ignored */

#define VIRTIO_BLK_S_OK             0
#define VIRTIO_BLK_S_IOERR          1
#define VIRTIO_BLK_S_UNSUPP         2

#define VIRTIO_BLK_WZ_F_UNMAP       1
#define VIRTIO_BLK_ID_BYTES         20

#define CONFIG_LEN                  60
#define HDR_LEN                     16
#define DWZ_SEG_LEN                 16
#define SECTOR                      512
#define SIZE_MAX_SEG                (4u << 20)      /* size_max: largest single buffer */
#define MAX_DWZ_SEGS                32              /* max_discard_seg / max_write_zeroes_seg */
#define MERGE_MAX_BYTES             (4u << 20)
#define MERGE_MAX_IOV               1024            /* IOV_MAX on Linux */

typedef enum VBlkKind {
    VBK_READ, VBK_WRITE, VBK_FLUSH, VBK_GET_ID, VBK_DISCARD, VBK_ZEROES, VBK_UNSUPP, VBK__MAX
} VBlkKind;

static const char *const vbk_names[VBK__MAX] = {
    "read", "write", "flush", "get-id", "discard", "write-zeroes", "unsupported",
};

typedef struct VirtIOBlock VirtIOBlock;

typedef struct VBlkReq {
    VirtIOBlock *s;
    VirtQueue *vq;
    VirtQueueElement *elem;
    uint32_t gen;                /* the device's reset generation when popped */
    uint32_t type;
    uint64_t sector;
    uint64_t bytes;              /* data bytes (read/write) */
    unsigned pending;            /* drive requests still running (discard segments) */
    int ret;                     /* first error of those */
    int64_t start_ns;            /* popped (iostats latency) */
    struct VBlkReq *next;        /* merged requests after the first */
} VBlkReq;

/* Requests of one kind to consecutive sectors, collected during a drain. */
typedef struct VBlkMerge {
    VBlkReq *first, *last;
    unsigned count;
    uint64_t sector, bytes;
    GArray *iov;                 /* struct iovec */
} VBlkMerge;

struct VirtIOBlock {
    VirtIOPCIProxy proxy;
    VirtIODevice vdev;
    /* properties */
    BlockBackend *blk;
    char *serial;
    int32_t bootindex;
    uint32_t lcyls, lheads, lsecs;   /* the BIOS's geometry (fw_cfg bios-geometry) */
    uint16_t num_queues;
    uint16_t queue_size;
    bool config_wce;
    bool discard;
    bool write_zeroes;
    uint32_t max_discard_sectors;
    uint32_t max_write_zeroes_sectors;
    /* state */
    char *name;                  /* for iostats and logs */
    IOStatsSource *ios;
    uint64_t capacity;           /* in 512-byte sectors */
    uint32_t blk_size;
    bool read_only;
    uint8_t wce;                 /* config writeback byte */
    uint32_t gen;
    BH *notify_bh;
    uint64_t notify_pending;     /* bitmap of queues with new used entries */
    unsigned in_flight;
    bool in_output;              /* in vblk_handle_output: it notifies at its end */
    /* accounting */
    uint64_t reqs[VBK__MAX];
    uint64_t ioerrs, merged, read_bytes, write_bytes, copy_bufs;
    uint64_t drains;
};

/* ---- configuration ---- */

static void st16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void st32(uint8_t *p, uint32_t v) { st16(p, v); st16(p + 2, v >> 16); }
static void st64(uint8_t *p, uint64_t v) { st32(p, v); st32(p + 4, v >> 32); }

static void vblk_get_config(VirtIODevice *vdev, uint8_t *c)
{
    VirtIOBlock *s = vdev->opaque;
    memset(c, 0, CONFIG_LEN);
    st64(c + 0, s->capacity);
    st32(c + 8, SIZE_MAX_SEG);
    st32(c + 12, s->queue_size - 2);         /* seg_max: header and status take two */
    /* geometry as BIOSes guess it: 16 heads, 63 sectors */
    uint64_t cyls = s->capacity / (16 * 63);
    st16(c + 16, cyls > 65535 ? 65535 : cyls);
    c[18] = 16;
    c[19] = 63;
    st32(c + 20, s->blk_size);
    c[24] = 0;                               /* physical_block_exp */
    c[25] = 0;                               /* alignment_offset */
    st16(c + 26, 0);                         /* min_io_size */
    st32(c + 28, 0);                         /* opt_io_size */
    c[32] = s->wce;
    st16(c + 34, s->num_queues);
    st32(c + 36, s->max_discard_sectors);
    st32(c + 40, MAX_DWZ_SEGS);
    st32(c + 44, s->blk_size / SECTOR);      /* discard_sector_alignment */
    st32(c + 48, s->max_write_zeroes_sectors);
    st32(c + 52, MAX_DWZ_SEGS);
    c[56] = 0;                               /* write_zeroes_may_unmap */
}

static void vblk_set_config(VirtIODevice *vdev, const uint8_t *c)
{
    VirtIOBlock *s = vdev->opaque;
    /* only writeback is writable, and only with CONFIG_WCE */
    if (virtio_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE)) {
        s->wce = c[32] != 0;
    }
}

/* Cache mode at power-on, reset and feature negotiation: a drive opened
 * writethrough (cache=writethrough, directsync) has no volatile cache to
 * report; a legacy driver that took no FLUSH cannot flush one, so it gets
 * writethrough too (as the spec asks of the device). */
static void vblk_update_wce(VirtIOBlock *s)
{
    bool wt = s->blk && (blk_open_flags(s->blk) & BDRV_O_WRITETHROUGH);
    s->wce = !wt;
    if (s->vdev.guest_features && !virtio_has_feature(&s->vdev, VIRTIO_BLK_F_FLUSH)) {
        s->wce = 0;
    }
}

static void vblk_set_features(VirtIODevice *vdev, uint64_t features)
{
    vblk_update_wce(vdev->opaque);
}

static void vblk_reset(VirtIODevice *vdev)
{
    VirtIOBlock *s = vdev->opaque;
    /* requests still in the drive complete into nothing: their generation
     * is stale (the buffers are guest RAM, which stays mapped) */
    s->gen++;
    s->notify_pending = 0;
    bh_cancel(s->notify_bh);
    vdev->guest_features = 0;
    vblk_update_wce(s);
}

/* block_resize: the new capacity, and a configuration change interrupt
 * so the driver reads it */
static void vblk_resize(void *opaque)
{
    VirtIOBlock *s = opaque;
    s->capacity = (uint64_t)blk_getlength(s->blk) / SECTOR;
    virtio_notify_config(&s->vdev);
}

static const BlockDevOps vblk_dev_ops = {
    .resize_cb = vblk_resize,
};

static const VirtIODeviceOps vblk_ops = {
    .get_config = vblk_get_config,
    .set_config = vblk_set_config,
    .set_features = vblk_set_features,
    .reset = vblk_reset,
};

/* ---- completion ---- */

static void vblk_notify_bh(void *opaque)
{
    VirtIOBlock *s = opaque;
    uint64_t pending = s->notify_pending;
    s->notify_pending = 0;
    for (unsigned i = 0; i < s->vdev.nvqs; i++) {
        if (pending & (1ull << i)) {
            virtio_notify(&s->vdev, &s->vdev.vq[i]);
        }
    }
}

/* The guest hears of new used entries now when no request is left in
 * flight to batch with, else from the bottom half. */
static void vblk_notify_or_batch(VirtIOBlock *s)
{
    if (s->in_flight == 0) {
        bh_cancel(s->notify_bh);
        vblk_notify_bh(s);
    } else {
        bh_schedule(s->notify_bh);
    }
}

static void vblk_req_free(VBlkReq *r)
{
    virtqueue_elem_free(r->elem);
    g_free(r);
}

/* Write the status byte, push the element, schedule the interrupt. */
static void vblk_complete(VBlkReq *r, uint8_t status, uint32_t data_len)
{
    VirtIOBlock *s = r->s;
    s->in_flight--;
    IOReqKind kind = r->type == VIRTIO_BLK_T_IN ? IOREQ_READ :
                     r->type == VIRTIO_BLK_T_OUT ? IOREQ_WRITE :
                     r->type == VIRTIO_BLK_T_FLUSH ? IOREQ_FLUSH : IOREQ_OTHER;
    iostats_req_done(s->ios, kind, r->start_ns,
                     r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT ? r->bytes : 0);
    if (r->gen != s->gen) {
        vblk_req_free(r);            /* the device was reset meanwhile */
        return;
    }
    if (status == VIRTIO_BLK_S_IOERR) {
        s->ioerrs++;
    }
    iov_from_buf(r->elem->in_sg, r->elem->in_num, r->elem->in_bytes - 1, &status, 1);
    virtqueue_push(r->vq, r->elem, data_len + 1);
    s->notify_pending |= 1ull << r->vq->index;
    /* completed inline (blk_set_inline_completion) or refused while the
     * queue is drained: vblk_handle_output interrupts once at its end */
    if (!s->in_output) {
        vblk_notify_or_batch(s);
    }
    vblk_req_free(r);
}

static uint8_t vblk_status_of(int ret)
{
    return ret < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* A read or write (possibly merged) finished: answer every request in it. */
static void vblk_rw_done(void *opaque, int ret)
{
    VBlkReq *r = opaque;
    if (ret < 0) {
        vlog(LOG_GUEST_ERRORS, "%s: %s at sector %" G_GUINT64_FORMAT " failed: %s\n",
             r->s->name, r->type == VIRTIO_BLK_T_IN ? "read" : "write", r->sector,
             g_strerror(-ret));
    }
    while (r) {
        VBlkReq *next = r->next;
        bool in = r->type == VIRTIO_BLK_T_IN;
        vblk_complete(r, vblk_status_of(ret), in && ret >= 0 ? r->bytes : 0);
        r = next;
    }
}

/* Write cache off (config writeback = 0): flush before answering. */
static void vblk_write_done(void *opaque, int ret)
{
    VBlkReq *r = opaque;
    VirtIOBlock *s = r->s;
    if (ret >= 0 && !s->wce && r->gen == s->gen &&
        !(blk_open_flags(s->blk) & BDRV_O_WRITETHROUGH)) {
        blk_aio_flush(s->blk, vblk_rw_done, r);
        return;
    }
    vblk_rw_done(r, ret);
}

static void vblk_simple_done(void *opaque, int ret)
{
    VBlkReq *r = opaque;
    vblk_complete(r, vblk_status_of(ret), 0);
}

/* One discard / write-zeroes segment finished. */
static void vblk_seg_done(void *opaque, int ret)
{
    VBlkReq *r = opaque;
    if (ret < 0 && r->ret == 0) {
        r->ret = ret;
    }
    if (--r->pending == 0) {
        vblk_complete(r, vblk_status_of(r->ret), 0);
    }
}

/* ---- requests ---- */

/* Append the bytes [off, off+len) of iov to dst. */
static void iov_slice(GArray *dst, const struct iovec *iov, unsigned n, uint64_t off, uint64_t len)
{
    for (unsigned i = 0; i < n && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        uint64_t take = MIN(iov[i].iov_len - off, len);
        struct iovec v = { .iov_base = (uint8_t *)iov[i].iov_base + off, .iov_len = take };
        g_array_append_val(dst, v);
        len -= take;
        off = 0;
    }
}

static bool vblk_range_ok(VirtIOBlock *s, uint64_t sector, uint64_t bytes)
{
    uint32_t spb = s->blk_size / SECTOR;
    if (bytes % s->blk_size || sector % spb) {
        return false;
    }
    return sector <= s->capacity && bytes / SECTOR <= s->capacity - sector;
}

static void vblk_merge_submit(VirtIOBlock *s, VBlkMerge *m)
{
    if (!m->first) {
        return;
    }
    VBlkReq *r = m->first;
    if (m->count > 1) {
        s->merged += m->count - 1;
        blk_acct_merged(s->blk, r->type == VIRTIO_BLK_T_IN ? BLOCK_ACCT_READ : BLOCK_ACCT_WRITE,
                        m->count - 1);
    }
    const struct iovec *iov = (const struct iovec *)m->iov->data;
    if (r->type == VIRTIO_BLK_T_IN) {
        blk_aio_preadv(s->blk, m->sector * SECTOR, iov, m->iov->len, vblk_rw_done, r);
    } else {
        blk_aio_pwritev(s->blk, m->sector * SECTOR, iov, m->iov->len, vblk_write_done, r);
    }
    g_array_set_size(m->iov, 0);
    m->first = m->last = NULL;
    m->count = 0;
}

static void vblk_handle_rw(VirtIOBlock *s, VBlkReq *r, VBlkMerge *m)
{
    VirtQueueElement *e = r->elem;
    bool in = r->type == VIRTIO_BLK_T_IN;
    /* data: for a read every writable byte but the status, for a write
     * every readable byte after the header */
    r->bytes = in ? e->in_bytes - 1 : e->out_bytes - HDR_LEN;
    s->reqs[in ? VBK_READ : VBK_WRITE]++;
    if (!vblk_range_ok(s, r->sector, r->bytes)) {
        vlog(LOG_GUEST_ERRORS, "%s: %s of %" G_GUINT64_FORMAT " bytes at sector %" G_GUINT64_FORMAT
             " is outside the disk or not whole %u-byte blocks\n", s->name, in ? "read" : "write",
             r->bytes, r->sector, s->blk_size);
        vblk_complete(r, VIRTIO_BLK_S_IOERR, 0);
        return;
    }
    if (!in && s->read_only) {
        vblk_complete(r, VIRTIO_BLK_S_IOERR, 0);
        return;
    }
    (in ? &s->read_bytes : &s->write_bytes)[0] += r->bytes;
    s->copy_bufs += in ? e->in_num : e->out_num;
    unsigned niov = in ? e->in_num : e->out_num;
    bool mergeable = m->first && m->first->type == r->type &&
                     m->sector + m->bytes / SECTOR == r->sector &&
                     m->bytes + r->bytes <= MERGE_MAX_BYTES &&
                     m->iov->len + niov <= MERGE_MAX_IOV;
    if (!mergeable) {
        vblk_merge_submit(s, m);
        m->sector = r->sector;
        m->bytes = 0;
        m->first = r;
    } else {
        m->last->next = r;
    }
    m->last = r;
    m->count++;
    m->bytes += r->bytes;
    if (in) {
        iov_slice(m->iov, e->in_sg, e->in_num, 0, r->bytes);
    } else {
        iov_slice(m->iov, e->out_sg, e->out_num, HDR_LEN, r->bytes);
    }
}

static void vblk_handle_dwz(VirtIOBlock *s, VBlkReq *r)
{
    VirtQueueElement *e = r->elem;
    bool discard = r->type == VIRTIO_BLK_T_DISCARD;
    s->reqs[discard ? VBK_DISCARD : VBK_ZEROES]++;
    uint64_t len = e->out_bytes - HDR_LEN;
    unsigned nseg = len / DWZ_SEG_LEN;
    if (len == 0 || len % DWZ_SEG_LEN) {
        vblk_complete(r, VIRTIO_BLK_S_IOERR, 0);
        return;
    }
    if (nseg > MAX_DWZ_SEGS) {
        vblk_complete(r, VIRTIO_BLK_S_UNSUPP, 0);
        return;
    }
    uint32_t max = discard ? s->max_discard_sectors : s->max_write_zeroes_sectors;
    uint64_t seg_sector[MAX_DWZ_SEGS];
    uint32_t seg_num[MAX_DWZ_SEGS];
    for (unsigned i = 0; i < nseg; i++) {
        uint8_t b[DWZ_SEG_LEN];
        iov_to_buf(e->out_sg, e->out_num, HDR_LEN + (uint64_t)i * DWZ_SEG_LEN, b, DWZ_SEG_LEN);
        uint64_t sector = 0;
        for (int k = 7; k >= 0; k--) {
            sector = sector << 8 | b[k];
        }
        uint32_t num = b[8] | b[9] << 8 | b[10] << 16 | (uint32_t)b[11] << 24;
        uint32_t flags = b[12] | b[13] << 8 | b[14] << 16 | (uint32_t)b[15] << 24;
        /* discard takes no flags; write-zeroes only unmap */
        if (flags & ~(discard ? 0u : VIRTIO_BLK_WZ_F_UNMAP)) {
            vblk_complete(r, VIRTIO_BLK_S_UNSUPP, 0);
            return;
        }
        if (num > max || !vblk_range_ok(s, sector, (uint64_t)num * SECTOR)) {
            vlog(LOG_GUEST_ERRORS, "%s: %s of %u sectors at %" G_GUINT64_FORMAT " refused\n",
                 s->name, discard ? "discard" : "write-zeroes", num, sector);
            vblk_complete(r, VIRTIO_BLK_S_IOERR, 0);
            return;
        }
        seg_sector[i] = sector;
        seg_num[i] = num;
    }
    if (s->read_only) {
        vblk_complete(r, VIRTIO_BLK_S_IOERR, 0);
        return;
    }
    r->pending = nseg;
    for (unsigned i = 0; i < nseg; i++) {
        uint64_t off = seg_sector[i] * SECTOR, bytes = (uint64_t)seg_num[i] * SECTOR;
        if (discard) {
            blk_aio_pdiscard(s->blk, off, bytes, vblk_seg_done, r);
        } else {
            blk_aio_pwrite_zeroes(s->blk, off, bytes, vblk_seg_done, r);
        }
    }
}

static void vblk_handle_get_id(VirtIOBlock *s, VBlkReq *r)
{
    VirtQueueElement *e = r->elem;
    s->reqs[VBK_GET_ID]++;
    char id[VIRTIO_BLK_ID_BYTES] = { 0 };
    if (s->serial) {
        /* no NUL when it takes all 20 bytes, as the spec allows */
        memcpy(id, s->serial, MIN(strlen(s->serial), sizeof(id)));
    }
    uint32_t n = MIN((uint64_t)VIRTIO_BLK_ID_BYTES, e->in_bytes - 1);
    iov_from_buf(e->in_sg, e->in_num, 0, id, n);
    vblk_complete(r, VIRTIO_BLK_S_OK, n);
}

/* One popped element; false if the device broke. */
static bool vblk_handle_request(VirtIOBlock *s, VirtQueue *vq, VirtQueueElement *e, VBlkMerge *m)
{
    uint8_t hdr[HDR_LEN];
    if (e->in_bytes < 1 || e->out_bytes < HDR_LEN ||
        iov_to_buf(e->out_sg, e->out_num, 0, hdr, HDR_LEN) != HDR_LEN) {
        virtio_error(&s->vdev, "request without a %u-byte header or a status byte "
                     "(%" G_GUINT64_FORMAT " bytes readable, %" G_GUINT64_FORMAT " writable)",
                     HDR_LEN, e->out_bytes, e->in_bytes);
        virtqueue_elem_free(e);
        return false;
    }
    VBlkReq *r = g_new0(VBlkReq, 1);
    r->s = s;
    r->vq = vq;
    r->elem = e;
    r->gen = s->gen;
    r->start_ns = iostats_now();
    r->type = (hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24) & ~VIRTIO_BLK_T_BARRIER;
    for (int k = 15; k >= 8; k--) {
        r->sector = r->sector << 8 | hdr[k];
    }
    s->in_flight++;
    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        vblk_handle_rw(s, r, m);
        return true;
    default:
        break;
    }
    /* everything else is ordered after the reads and writes collected so far */
    vblk_merge_submit(s, m);
    switch (r->type) {
    case VIRTIO_BLK_T_FLUSH:
        s->reqs[VBK_FLUSH]++;
        blk_aio_flush(s->blk, vblk_simple_done, r);
        break;
    case VIRTIO_BLK_T_GET_ID:
        vblk_handle_get_id(s, r);
        break;
    case VIRTIO_BLK_T_DISCARD:
        if (!s->discard) {
            goto unsupp;
        }
        vblk_handle_dwz(s, r);
        break;
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!s->write_zeroes) {
            goto unsupp;
        }
        vblk_handle_dwz(s, r);
        break;
    default:
    unsupp:
        s->reqs[VBK_UNSUPP]++;
        vlog(LOG_GUEST_ERRORS, "%s: request type %u not supported\n", s->name, r->type);
        vblk_complete(r, VIRTIO_BLK_S_UNSUPP, 0);
        break;
    }
    return true;
}

static void vblk_handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBlock *s = vdev->opaque;
    VBlkMerge m = { .iov = g_array_new(FALSE, FALSE, sizeof(struct iovec)) };
    s->drains++;
    s->in_output = true;
    /* drain with kicks off; look once more after turning them on, for a
     * request the driver added without kicking */
    do {
        virtio_queue_set_notification(vq, false);
        VirtQueueElement *e;
        while ((e = virtqueue_pop(vq))) {
            if (!vblk_handle_request(s, vq, e, &m)) {
                break;
            }
        }
        virtio_queue_set_notification(vq, true);
    } while (!virtio_is_broken(vdev) && !virtio_queue_empty(vq));
    vblk_merge_submit(s, &m);
    g_array_free(m.iov, TRUE);
    s->in_output = false;
    if (s->notify_pending) {
        vblk_notify_or_batch(s);
    }
}

/* ---- device ---- */

static void vblk_iostats(void *opaque, IOStats *st)
{
    VirtIOBlock *s = opaque;
    for (unsigned i = 0; i < s->vdev.nvqs; i++) {
        VirtQueue *vq = &s->vdev.vq[i];
        st->kicks += vq->kicks;
        st->kicks_suppressed += vq->kicks_suppressed;
        st->irqs += vq->irqs;
        st->irqs_coalesced += vq->irqs_suppressed;
    }
    st->copy_buffers = s->copy_bufs;
    st->bh_runs = bh_run_count(s->notify_bh);
    /* tx: requests that carry data or orders to the disk; rx: data to the guest */
    st->tx_requests = s->reqs[VBK_WRITE] + s->reqs[VBK_FLUSH] + s->reqs[VBK_DISCARD] +
                      s->reqs[VBK_ZEROES] + s->reqs[VBK_UNSUPP];
    st->rx_requests = s->reqs[VBK_READ] + s->reqs[VBK_GET_ID];
    st->tx_bytes = s->write_bytes;
    st->rx_bytes = s->read_bytes;
}

static void vblk_print_info(Device *dev, GString *out)
{
    VirtIOBlock *s = (VirtIOBlock *)dev;
    g_string_append_printf(out, "drive=%s queues=%u", s->blk ? blk_name(s->blk) : "", s->num_queues);
    for (int k = 0; k < VBK__MAX; k++) {
        g_string_append_printf(out, " %s=%" G_GUINT64_FORMAT, vbk_names[k], s->reqs[k]);
    }
    g_string_append_printf(out, " merged=%" G_GUINT64_FORMAT " ioerr=%" G_GUINT64_FORMAT
                           " in-flight=%u", s->merged, s->ioerrs, s->in_flight);
}

static bool vblk_realize(Device *dev, GError **errp)
{
    static unsigned instances;
    VirtIOBlock *s = (VirtIOBlock *)dev;
    VirtIODevice *vdev = &s->vdev;
    if (!s->blk) {
        vireo_set_error(errp, "drive property not set");
        return false;
    }
    if (!blk_is_inserted(s->blk)) {
        vireo_set_error(errp, "Device needs media, but drive is empty");
        return false;
    }
    if (s->num_queues == 0 || s->num_queues > VIRTIO_QUEUE_MAX) {
        vireo_set_error(errp, "num-queues property must be larger than 0 and at most %d",
                        VIRTIO_QUEUE_MAX);
        return false;
    }
    if (s->queue_size <= 2 || s->queue_size > VIRTQUEUE_MAX_SIZE ||
        (s->queue_size & (s->queue_size - 1))) {
        vireo_set_error(errp, "queue-size property must be a power of 2 between 4 and %d",
                        VIRTQUEUE_MAX_SIZE);
        return false;
    }
    if (s->max_discard_sectors == 0 || s->max_write_zeroes_sectors == 0) {
        vireo_set_error(errp, "max-discard-sectors and max-write-zeroes-sectors must be non-zero");
        return false;
    }
    if (s->serial && strlen(s->serial) > VIRTIO_BLK_ID_BYTES) {
        warn_report("virtio-blk-pci: serial '%s' is longer than %d bytes: the guest sees its start",
                    s->serial, VIRTIO_BLK_ID_BYTES);
    }
    if (!s->serial) {
        DriveInfo *di = drive_get_by_blk(s->blk);
        if (di && di->serial) {
            s->serial = g_strdup(di->serial);
        }
    }
    /* a drive named by two -device options passes both property checks */
    if (blk_get_attached_dev(s->blk)) {
        vireo_set_error(errp, "drive '%s' is already in use by %s", blk_name(s->blk),
                        blk_attached_dev_name(s->blk) ? blk_attached_dev_name(s->blk)
                                                      : "another device");
        return false;
    }
    if (!bootdevice_check(s->bootindex, errp)) {
        return false;
    }
    s->blk_size = SECTOR;
    s->capacity = (uint64_t)blk_getlength(s->blk) / SECTOR;
    s->read_only = blk_is_read_only(s->blk);

    virtio_init(vdev, "virtio-blk", VIRTIO_ID_BLOCK, CONFIG_LEN, &vblk_ops, s);
    vdev->host_features |= 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
                           1ull << VIRTIO_BLK_F_GEOMETRY | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                           1ull << VIRTIO_BLK_F_TOPOLOGY | 1ull << VIRTIO_BLK_F_FLUSH;
    if (s->config_wce) {
        vdev->host_features |= 1ull << VIRTIO_BLK_F_CONFIG_WCE;
    }
    if (s->read_only) {
        vdev->host_features |= 1ull << VIRTIO_BLK_F_RO;
    }
    if (s->discard) {
        vdev->host_features |= 1ull << VIRTIO_BLK_F_DISCARD;
    }
    if (s->write_zeroes) {
        vdev->host_features |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
    }
    if (s->num_queues > 1) {
        vdev->host_features |= 1ull << VIRTIO_BLK_F_MQ;
    }
    for (unsigned i = 0; i < s->num_queues; i++) {
        virtio_add_queue(vdev, s->queue_size, vblk_handle_output);
    }
    if (!virtio_pci_realize(&s->proxy, vdev, 0x0180, errp)) {
        g_free(vdev->config);
        vdev->config = NULL;
        return false;
    }
    /* nothing can fail from here on */
    s->proxy.pci.name = "virtio-blk-pci";
    s->name = dev->id ? g_strdup(dev->id) : g_strdup_printf("virtio-blk-pci.%u", instances++);
    blk_attach_dev(s->blk, s, s->name, NULL);
    blk_set_dev_ops(s->blk, &vblk_dev_ops, s);
    blk_set_inline_completion(s->blk, true);    /* vblk_complete copes with it */
    /* QEMU's path: the function named by its (SCSI) class, then the disk;
     * SeaBIOS matches the PCI slot and function */
    bootdevice_add_pci(s->bootindex, "scsi", s->proxy.pci.devfn, "/disk@0,0", NULL);
    if (s->lcyls || s->lheads || s->lsecs) {
        g_autofree char *pci = bootdevice_pci_path("scsi", s->proxy.pci.devfn);
        g_autofree char *path = g_strconcat(pci, "/disk@0,0", NULL);
        bootdevice_add_lchs(path, s->lcyls, s->lheads, s->lsecs);
    }
    s->notify_bh = bh_new(vblk_notify_bh, s);
    s->ios = iostats_register(s->name, "block", vblk_iostats, s);
    iostats_add_region(s->name, &s->proxy.common);
    iostats_add_region(s->name, &s->proxy.isr);
    iostats_add_region(s->name, &s->proxy.device);
    iostats_add_region(s->name, &s->proxy.notify);
    iostats_add_region(s->name, msix_table_region(&s->proxy.pci));
    if (!s->proxy.disable_legacy) {
        iostats_add_region(s->name, &s->proxy.legacy_io);
    }
    vblk_reset(vdev);
    return true;
}

static void vblk_device_reset(Device *dev)
{
    VirtIOBlock *s = (VirtIOBlock *)dev;
    pci_device_reset(&s->proxy.pci);
    virtio_reset(&s->vdev);
    virtio_pci_reset(&s->proxy);
}

static void vblk_unrealize(Device *dev)
{
    VirtIOBlock *s = (VirtIOBlock *)dev;
    /* the drive was released first (device_unplug): nothing is in flight */
    virtio_reset(&s->vdev);
    bh_delete(s->notify_bh);
    iostats_unregister(s->ios);
    bootdevice_del_pci("scsi", s->proxy.pci.devfn);
    virtio_pci_unrealize(&s->proxy);
    g_free(s->name);
}

static const Property vblk_props[] = {
    DEFINE_VIRTIO_PCI_PROPERTIES(VirtIOBlock, proxy),
    DEFINE_PROP("drive", PROP_DRIVE, VirtIOBlock, blk, NULL),
    DEFINE_PROP("serial", PROP_STRING, VirtIOBlock, serial, NULL),
    DEFINE_PROP("bootindex", PROP_I32, VirtIOBlock, bootindex, "-1"),
    DEFINE_PROP("lcyls", PROP_U32, VirtIOBlock, lcyls, "0"),
    DEFINE_PROP("lheads", PROP_U32, VirtIOBlock, lheads, "0"),
    DEFINE_PROP("lsecs", PROP_U32, VirtIOBlock, lsecs, "0"),
    DEFINE_PROP("num-queues", PROP_U16, VirtIOBlock, num_queues, "1"),
    DEFINE_PROP("queue-size", PROP_U16, VirtIOBlock, queue_size, "256"),
    DEFINE_PROP("config-wce", PROP_BOOL, VirtIOBlock, config_wce, "on"),
    DEFINE_PROP("discard", PROP_BOOL, VirtIOBlock, discard, "on"),
    DEFINE_PROP("write-zeroes", PROP_BOOL, VirtIOBlock, write_zeroes, "on"),
    DEFINE_PROP("max-discard-sectors", PROP_U32, VirtIOBlock, max_discard_sectors, "4194303"),
    DEFINE_PROP("max-write-zeroes-sectors", PROP_U32, VirtIOBlock, max_write_zeroes_sectors,
                "4194303"),
    DEFINE_PROP_END,
};

static const DeviceClass vblk_class = {
    .name = "virtio-blk-pci",
    .desc = "virtio block device over PCI",
    .bus = BUS_PCI,
    .instance_size = sizeof(VirtIOBlock),
    .props = vblk_props,
    .user_creatable = true,
    .realize = vblk_realize,
    .unrealize = vblk_unrealize,
    .hotpluggable = true,
    .reset = vblk_device_reset,
    .print_info = vblk_print_info,
};
DEVICE_REGISTER(vblk_class)

/*
 * Images: the driver registry, opening a format over the "file" protocol
 * (probing the format when none was named), and the synchronous bdrv_*
 * calls that check each request against the image size before a driver
 * sees it.
 */
#include "block/block_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/iov.h"
#include "util/keyval.h"
#include "util/log.h"

#define BDRV_MAX_DRIVERS 8
/* Longest request handed to a driver at once: keeps bounce buffers and
 * compressed-cluster work bounded whatever a device asks for. */
#define BDRV_MAX_REQUEST (1ull << 31)

static const BlockDriver *drivers[BDRV_MAX_DRIVERS];
static unsigned n_drivers;

void bdrv_register(const BlockDriver *drv)
{
    g_assert(n_drivers < BDRV_MAX_DRIVERS);
    drivers[n_drivers++] = drv;
}

const BlockDriver *bdrv_find_format(const char *name)
{
    for (unsigned i = 0; i < n_drivers; i++) {
        if (!strcmp(drivers[i]->format_name, name)) {
            return drivers[i];
        }
    }
    return NULL;
}

void bdrv_format_foreach(void (*fn)(const char *name, void *opaque), void *opaque)
{
    for (unsigned i = 0; i < n_drivers; i++) {
        if (!drivers[i]->is_protocol) {
            fn(drivers[i]->format_name, opaque);
        }
    }
}

bool bdrv_parse_cache(const char *mode, int *flags, GError **errp)
{
    *flags &= ~(BDRV_O_NOCACHE | BDRV_O_WRITETHROUGH | BDRV_O_NO_FLUSH);
    if (!strcmp(mode, "writeback")) {
        /* the default: the host page cache, flushes when the guest asks */
    } else if (!strcmp(mode, "writethrough")) {
        *flags |= BDRV_O_WRITETHROUGH;
    } else if (!strcmp(mode, "none")) {
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "directsync")) {
        *flags |= BDRV_O_NOCACHE | BDRV_O_WRITETHROUGH;
    } else if (!strcmp(mode, "unsafe")) {
        *flags |= BDRV_O_NO_FLUSH;
    } else {
        vireo_set_error(errp, "invalid cache option '%s' (writeback, writethrough, none, "
                        "directsync or unsafe)", mode);
        return false;
    }
    return true;
}

const char *bdrv_cache_name(int flags)
{
    if (flags & BDRV_O_NO_FLUSH) {
        return "unsafe";
    }
    if (flags & BDRV_O_NOCACHE) {
        return flags & BDRV_O_WRITETHROUGH ? "directsync" : "none";
    }
    return flags & BDRV_O_WRITETHROUGH ? "writethrough" : "writeback";
}

static BlockDriverState *bdrv_new(const BlockDriver *drv, const char *filename, int flags)
{
    BlockDriverState *bs = g_new0(BlockDriverState, 1);
    bs->drv = drv;
    bs->opaque = drv->instance_size ? g_malloc0(drv->instance_size) : NULL;
    bs->filename = g_strdup(filename);
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    bs->refcnt = 1;
    bs->discard_unmap = true;
    /* every node has a name, as in QEMU, so query-named-block-nodes can
     * show an anonymous child */
    static unsigned next_auto_name;
    bs->node_name = g_strdup_printf("#block%03u", g_atomic_int_add(&next_auto_name, 1));
    return bs;
}

BlockDriverState *bdrv_ref(BlockDriverState *bs)
{
    g_atomic_int_inc(&bs->refcnt);
    return bs;
}

static void bdrv_free(BlockDriverState *bs)
{
    g_free(bs->opaque);
    g_free(bs->filename);
    g_free(bs->backing_file);
    g_free(bs->backing_format);
    g_free(bs->snapshot_overlay);
    g_free(bs->node_name);
    g_free(bs->user);
    g_free(bs);
}

static const BlockDriver *bdrv_probe(BlockDriverState *file, const char *filename, GError **errp)
{
    uint8_t buf[2048];
    int64_t len = file->drv->getlength(file);
    int n = len < 0 ? 0 : (int)MIN((int64_t)sizeof(buf), len);
    memset(buf, 0, sizeof(buf));
    if (n > 0) {
        int ret = bdrv_pread(file, 0, buf, n);
        if (ret < 0) {
            vireo_set_error(errp, "could not read image '%s': %s", filename, g_strerror(-ret));
            return NULL;
        }
    }
    const BlockDriver *best = NULL;
    int best_score = 0;
    for (unsigned i = 0; i < n_drivers; i++) {
        if (drivers[i]->probe) {
            int score = drivers[i]->probe(buf, n, filename);
            if (score > best_score) {
                best_score = score;
                best = drivers[i];
            }
        }
    }
    if (!best) {
        vireo_set_error(errp, "could not determine the format of image '%s'", filename);
    }
    return best;
}

static BlockDriverState *bdrv_open_format(const char *filename, const char *format, int flags,
                                          GError **errp)
{
    const BlockDriver *fmt = NULL;
    if (format) {
        fmt = bdrv_find_format(format);
        if (!fmt || fmt->is_protocol) {
            vireo_set_error(errp, "unknown image format '%s' for '%s'", format, filename);
            return NULL;
        }
    }
    const BlockDriver *proto = bdrv_find_format("file");
    g_assert(proto);
    /* "blkdebug:cfg:image" and the like: a protocol named by a prefix */
    const char *colon = strchr(filename, ':');
    for (unsigned i = 0; colon && i < n_drivers; i++) {
        const char *pre = drivers[i]->protocol_prefix;
        if (pre && strlen(pre) == (size_t)(colon - filename) && !strncmp(filename, pre, strlen(pre))) {
            proto = drivers[i];
        }
    }
    /* the format flushes after a writethrough write; its own metadata
     * writes to the file need no flush each */
    int file_flags = flags & ~BDRV_O_WRITETHROUGH;
    BlockDriverState *file = bdrv_new(proto, filename, file_flags);
    if (proto->open(file, file_flags, errp) < 0) {
        bdrv_free(file);
        return NULL;
    }
    if (!fmt) {
        fmt = bdrv_probe(file, filename, errp);
        if (!fmt) {
            bdrv_close(file);
            return NULL;
        }
        if (!strcmp(fmt->format_name, "raw")) {
            warn_report("Image format was not specified for '%s' and probing guessed raw. "
                        "Automatically detecting the format is dangerous for raw images: "
                        "specify the 'raw' format explicitly.", filename);
        }
    }
    BlockDriverState *bs = bdrv_new(fmt, filename, flags);
    bs->file = file;
    if (fmt->open(bs, flags, errp) < 0) {
        bdrv_close(file);
        bdrv_free(bs);
        return NULL;
    }
    return bs;
}

/* snapshot=on: a temporary qcow2 overlay backed by the image, which is
 * then only read.  The overlay is unlinked once open, so nothing is left
 * behind whatever way Vireo ends. */
static BlockDriverState *bdrv_open_snapshot(const char *filename, const char *format, int flags,
                                            GError **errp)
{
    BlockDriverState *base = bdrv_open_format(filename, format, flags & ~BDRV_O_RDWR, errp);
    if (!base) {
        return NULL;
    }
    int64_t size = bdrv_getlength(base);
    char *backing_fmt = g_strdup(bdrv_format_name(base));
    bdrv_close(base);
    if (size < 0) {
        vireo_set_error(errp, "could not get the size of '%s': %s", filename, g_strerror(-size));
        g_free(backing_fmt);
        return NULL;
    }
    char *abs = g_canonicalize_filename(filename, NULL);
    char *tmpl = g_build_filename(g_get_tmp_dir(), "vireo-snapshot-XXXXXX", NULL);
    int fd = g_mkstemp(tmpl);
    BlockDriverState *bs = NULL;
    if (fd < 0) {
        vireo_set_error(errp, "could not create a temporary overlay for '%s': %s", filename,
                        g_strerror(errno));
        goto out;
    }
    close(fd);
    /* the option string escapes commas in the path as QEMU's does */
    GString *opts = g_string_new("backing_file=");
    keyval_append_escaped(opts, abs);
    g_string_append_printf(opts, ",backing_fmt=%s", backing_fmt);
    if (bdrv_create("qcow2", tmpl, size, opts->str, errp)) {
        bs = bdrv_open_format(tmpl, "qcow2", (flags | BDRV_O_RDWR) & ~BDRV_O_SNAPSHOT, errp);
        if (bs) {
            bs->snapshot_overlay = g_strdup(tmpl);
        }
    }
    g_string_free(opts, TRUE);
    unlink(tmpl);
out:
    g_free(tmpl);
    g_free(abs);
    g_free(backing_fmt);
    return bs;
}

BlockDriverState *bdrv_open_node(const BlockDriver *drv, const char *filename,
                                 BlockDriverState *file, int flags, GError **errp)
{
    BlockDriverState *bs = bdrv_new(drv, file ? file->filename : filename, flags);
    if (file) {
        bs->file = bdrv_ref(file);
    }
    if (drv->open(bs, flags, errp) < 0) {
        bdrv_close(bs->file);
        bdrv_free(bs);
        return NULL;
    }
    return bs;
}

BlockDriverState *bdrv_open(const char *filename, const char *format, int flags, GError **errp)
{
    if (!filename || !*filename) {
        vireo_set_error(errp, "no image file name given");
        return NULL;
    }
    if (flags & BDRV_O_SNAPSHOT) {
        return bdrv_open_snapshot(filename, format, flags, errp);
    }
    return bdrv_open_format(filename, format, flags, errp);
}

void bdrv_close(BlockDriverState *bs)
{
    if (!bs || !g_atomic_int_dec_and_test(&bs->refcnt)) {
        return;
    }
    if (bs->drv->close) {
        bs->drv->close(bs);
    }
    if (bs->file && bs->file->refcnt > 1) {
        /* a named -blockdev node this one used is free for another user */
        g_free(bs->file->user);
        bs->file->user = NULL;
    }
    bdrv_close(bs->backing);
    bdrv_close(bs->file);
    bdrv_free(bs);
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    return bs->drv->getlength(bs);
}

/* A request must lie inside the image and be of sane size. */
static int bdrv_check_request(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    int64_t len = bdrv_getlength(bs);
    if (len < 0) {
        return (int)len;
    }
    if (bytes > BDRV_MAX_REQUEST || offset > (uint64_t)len || bytes > (uint64_t)len - offset) {
        return -EIO;
    }
    return 0;
}

const char *const blkdebug_event_names[BLKDBG__MAX] = {
    [BLKDBG_READ_AIO] = "read_aio", [BLKDBG_WRITE_AIO] = "write_aio",
    [BLKDBG_FLUSH_TO_OS] = "flush_to_os", [BLKDBG_FLUSH_TO_DISK] = "flush_to_disk",
};

void bdrv_debug_event(BlockDriverState *bs, BlkdebugEvent ev)
{
    while (bs && !bs->drv->debug_event) {
        bs = bs->file;
    }
    if (bs) {
        bs->drv->debug_event(bs, ev);
    }
}

bool bdrv_debug_op(BlockDriverState *bs, BdrvDebugOp op, const char *event, const char *tag,
                   GError **errp)
{
    while (bs && !bs->drv->debug_op) {
        bs = bs->file;
    }
    if (!bs) {
        if (op != BDRV_DEBUG_RELEASE_ALL) {
            vireo_set_error(errp, "no blkdebug node on this drive (file=blkdebug:RULES:IMAGE)");
        }
        return op == BDRV_DEBUG_RELEASE_ALL;
    }
    return bs->drv->debug_op(bs, op, event, tag, errp);
}

int bdrv_preadv(BlockDriverState *bs, uint64_t offset, const struct iovec *iov, int niov)
{
    uint64_t bytes = iov_size(iov, niov);
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    if (bs->file) {
        bdrv_debug_event(bs->file, BLKDBG_READ_AIO);    /* a format reads guest data */
    }
    return bs->drv->preadv(bs, offset, bytes, iov, niov);
}

int bdrv_preadv_nowait(BlockDriverState *bs, uint64_t offset, const struct iovec *iov, int niov)
{
    if (!bs->drv->preadv_nowait) {
        return -EAGAIN;
    }
    uint64_t bytes = iov_size(iov, niov);
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return -EAGAIN;     /* bdrv_preadv gives the answer */
    }
    return bs->drv->preadv_nowait(bs, offset, bytes, iov, niov);
}

int bdrv_pwritev(BlockDriverState *bs, uint64_t offset, const struct iovec *iov, int niov)
{
    uint64_t bytes = iov_size(iov, niov);
    if (bs->read_only) {
        return -EROFS;
    }
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    if (bs->file) {
        bdrv_debug_event(bs->file, BLKDBG_WRITE_AIO);
    }
    ret = bs->drv->pwritev(bs, offset, bytes, iov, niov);
    if (ret >= 0 && (bs->open_flags & BDRV_O_WRITETHROUGH)) {
        ret = bdrv_flush(bs);
    }
    return ret;
}

int bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf, uint64_t bytes)
{
    struct iovec iov = { .iov_base = buf, .iov_len = bytes };
    return bdrv_preadv(bs, offset, &iov, 1);
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf, uint64_t bytes)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = bytes };
    return bdrv_pwritev(bs, offset, &iov, 1);
}

int bdrv_flush(BlockDriverState *bs)
{
    if (!bs || (bs->open_flags & BDRV_O_NO_FLUSH) || bs->read_only) {
        return 0;
    }
    if (bs->file) {
        /* QEMU's two steps, which Vireo's drivers do as one */
        bdrv_debug_event(bs->file, BLKDBG_FLUSH_TO_OS);
        bdrv_debug_event(bs->file, BLKDBG_FLUSH_TO_DISK);
    }
    int ret = bs->drv->flush ? bs->drv->flush(bs) : 0;
    /* a format's metadata is written to its file: make that stable too */
    if (ret >= 0 && bs->file) {
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

int bdrv_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bs->read_only) {
        return -EROFS;
    }
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0 || !bs->drv->pdiscard || !bs->discard_unmap) {
        return ret;      /* discard is a hint: a driver without it ignores it */
    }
    return bs->drv->pdiscard(bs, offset, bytes);
}

int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bs->read_only) {
        return -EROFS;
    }
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    if (bs->drv->pwrite_zeroes) {
        ret = bs->drv->pwrite_zeroes(bs, offset, bytes);
    } else {
        /* write a zeroed buffer, a chunk at a time */
        size_t chunk = MIN(bytes, (uint64_t)1 << 20);
        void *zero = g_malloc0(chunk);
        while (bytes && ret >= 0) {
            size_t n = MIN(bytes, (uint64_t)chunk);
            struct iovec iov = { .iov_base = zero, .iov_len = n };
            ret = bs->drv->pwritev(bs, offset, n, &iov, 1);
            offset += n;
            bytes -= n;
        }
        g_free(zero);
    }
    if (ret >= 0 && (bs->open_flags & BDRV_O_WRITETHROUGH)) {
        ret = bdrv_flush(bs);
    }
    return ret;
}

int bdrv_truncate(BlockDriverState *bs, uint64_t size, GError **errp)
{
    if (bs->read_only) {
        vireo_set_error(errp, "'%s' is read-only", bs->filename);
        return -EROFS;
    }
    if (!bs->drv->truncate) {
        vireo_set_error(errp, "format '%s' of '%s' cannot be resized", bs->drv->format_name,
                        bs->filename);
        return -ENOTSUP;
    }
    return bs->drv->truncate(bs, size, errp);
}

int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *pnum)
{
    int ret = bdrv_check_request(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bs->drv->block_status) {
        *pnum = bytes;
        return 1;
    }
    return bs->drv->block_status(bs, offset, bytes, pnum);
}

const char *bdrv_format_name(BlockDriverState *bs)
{
    return bs->drv->format_name;
}

const char *bdrv_filename(BlockDriverState *bs)
{
    return bs->filename;
}

BlockDriverState *bdrv_backing(BlockDriverState *bs)
{
    return bs->backing;
}

bool bdrv_is_read_only(BlockDriverState *bs)
{
    return bs->read_only;
}

int64_t bdrv_allocated_size(BlockDriverState *bs)
{
    if (bs->drv->allocated_size) {
        return bs->drv->allocated_size(bs);
    }
    return bs->file ? bdrv_allocated_size(bs->file) : -ENOTSUP;
}

void bdrv_info_json(BlockDriverState *bs, GString *json)
{
    if (bs->drv->info_json) {
        bs->drv->info_json(bs, json);
    }
}

bool bdrv_create(const char *format, const char *filename, uint64_t size, const char *opts,
                 GError **errp)
{
    const BlockDriver *drv = bdrv_find_format(format);
    if (!drv || drv->is_protocol) {
        vireo_set_error(errp, "unknown image format '%s'", format);
        return false;
    }
    if (!drv->create) {
        vireo_set_error(errp, "format '%s' does not support image creation", format);
        return false;
    }
    return drv->create(filename, size, opts, errp);
}

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    memset(res, 0, sizeof(*res));
    if (!bs->drv->check) {
        return -ENOTSUP;
    }
    return bs->drv->check(bs, res, fix);
}

int bdrv_snapshot_list(BlockDriverState *bs, BdrvSnapshotInfo **list)
{
    *list = NULL;
    if (!bs->drv->snapshot_list) {
        return 0;
    }
    return bs->drv->snapshot_list(bs, list);
}

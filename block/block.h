/*
 * The block layer: disk images for every storage device (issue #10).
 *
 * Two levels, as in QEMU:
 *
 *   BlockDriverState (bdrv_*)  an open image: a format driver (raw, qcow2)
 *                              over a protocol driver ("file": a host file
 *                              or block device), optionally over a backing
 *                              image.  The bdrv_* calls are synchronous and
 *                              thread-safe; vireo-img uses them directly.
 *   BlockBackend (blk_*)       what a device attaches to: a named drive
 *                              (-drive id=, -hda, -cdrom ...) that may have
 *                              no medium (an empty CD-ROM), with its cache
 *                              mode, read-only flag, statistics, and the
 *                              asynchronous requests devices issue.
 *
 * Asynchronous requests (blk_aio_*) run the synchronous driver call in a
 * worker thread (GLib thread pool) and deliver the completion to the main
 * loop through a bottom half: the callback runs in the main loop thread
 * with the big lock held, like any device handler.  The caller keeps the
 * iovec array and the buffers it points to alive until the callback ran.
 *
 * Offsets and lengths are bytes.  Errors are negative errno values.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define BDRV_SECTOR_SIZE 512

typedef struct BlockDriverState BlockDriverState;
typedef struct BlockBackend BlockBackend;

/* Open flags. */
#define BDRV_O_RDWR        0x0002
#define BDRV_O_NOCACHE     0x0004   /* O_DIRECT on the host file (cache=none, directsync) */
#define BDRV_O_WRITETHROUGH 0x0008  /* every write is flushed before it completes */
#define BDRV_O_NO_FLUSH    0x0010   /* flush requests are ignored (cache=unsafe) */
#define BDRV_O_SNAPSHOT    0x0020   /* writes go to a temporary qcow2 overlay */
#define BDRV_O_NO_BACKING  0x0040   /* do not open the backing file (vireo-img info) */
#define BDRV_O_NO_LOCK     0x0080   /* take no image lock (force-share; -U in vireo-img) */
#define BDRV_O_CHECK       0x0100   /* opened for check: tolerate a dirty/corrupt flag */

/* cache= values (QEMU's names), mapped to open flags by bdrv_parse_cache. */
bool bdrv_parse_cache(const char *mode, int *flags, GError **errp);
const char *bdrv_cache_name(int flags);

/* ---- images (synchronous, any thread) ---- */

/* format NULL probes it (a raw image is accepted only with a warning, as QEMU
 * does: "Image format was not specified ...").  A bad file or header gives
 * one line in *errp naming the file and the problem. */
BlockDriverState *bdrv_open(const char *filename, const char *format, int flags, GError **errp);
void bdrv_close(BlockDriverState *bs);

int64_t bdrv_getlength(BlockDriverState *bs);            /* guest-visible size */
int bdrv_preadv(BlockDriverState *bs, uint64_t offset, const struct iovec *iov, int niov);
int bdrv_pwritev(BlockDriverState *bs, uint64_t offset, const struct iovec *iov, int niov);
/* The read, only if it can be done now without waiting for the disk (the
 * driver's preadv_nowait); else -EAGAIN, and bdrv_preadv must do it. */
int bdrv_preadv_nowait(BlockDriverState *bs, uint64_t offset, const struct iovec *iov, int niov);
int bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf, uint64_t bytes);
int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf, uint64_t bytes);
int bdrv_flush(BlockDriverState *bs);
int bdrv_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int bdrv_truncate(BlockDriverState *bs, uint64_t size, GError **errp);
/* Allocation status for convert/map: *pnum bytes from offset are all data
 * (1), all zero (0, including unallocated-without-backing), or an error. */
int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *pnum);

const char *bdrv_format_name(BlockDriverState *bs);     /* "raw", "qcow2" */
const char *bdrv_filename(BlockDriverState *bs);
BlockDriverState *bdrv_backing(BlockDriverState *bs);   /* NULL if none */
bool bdrv_is_read_only(BlockDriverState *bs);
/* Bytes the image uses on the host (st_blocks * 512), -errno on error. */
int64_t bdrv_allocated_size(BlockDriverState *bs);
/* Format-specific fields for vireo-img info / query-block, appended to a
 * JSON object (QEMU's "format-specific" data, e.g. qcow2 compat,
 * cluster-size, refcount-bits, lazy-refcounts, corrupt). Optional. */
void bdrv_info_json(BlockDriverState *bs, GString *json);

/* Image creation (vireo-img create, -snapshot overlays).  opts are QEMU's
 * -o keys: cluster_size, preallocation, backing_file, backing_fmt, compat,
 * lazy_refcounts, refcount_bits. */
bool bdrv_create(const char *format, const char *filename, uint64_t size,
                 const char *opts, GError **errp);

/* ---- drives (main loop thread unless noted) ---- */

typedef void BlockCompletionFunc(void *opaque, int ret);

typedef enum BlockAcctType {
    BLOCK_ACCT_READ, BLOCK_ACCT_WRITE, BLOCK_ACCT_FLUSH, BLOCK_ACCT_DISCARD, BLOCK_ACCT__MAX
} BlockAcctType;

typedef struct BlockAcctStats {
    uint64_t nr_bytes[BLOCK_ACCT__MAX];
    uint64_t nr_ops[BLOCK_ACCT__MAX];
    uint64_t failed_ops[BLOCK_ACCT__MAX];
    uint64_t merged[BLOCK_ACCT__MAX];
    uint64_t total_time_ns[BLOCK_ACCT__MAX];
} BlockAcctStats;

/* A drive with an image (flags from bdrv_parse_cache plus BDRV_O_RDWR,
 * BDRV_O_SNAPSHOT) or, with filename NULL, an empty removable drive. */
BlockBackend *blk_new_open(const char *name, const char *filename, const char *format,
                           int flags, GError **errp);
/* A drive over an existing node (a -blockdev node named by a device's
 * drive=): the drive takes a reference; name "" makes it anonymous. */
BlockBackend *blk_new_with_bs(const char *name, BlockDriverState *bs, int flags);
void blk_unref(BlockBackend *blk);
BlockBackend *blk_by_name(const char *name);
const char *blk_name(BlockBackend *blk);
void blk_foreach(void (*fn)(BlockBackend *blk, void *opaque), void *opaque);

/* A device claims the drive (one device per drive); dev_name is the
 * device's id or QOM-like path for query-block's "qdev". */
bool blk_attach_dev(BlockBackend *blk, void *dev, const char *dev_name, GError **errp);
/* The device is gone (hot-unplug): the drive is free again and no longer
 * calls the device's BlockDevOps.  No-op if dev is not the one attached. */
void blk_detach_dev(BlockBackend *blk, void *dev);
/* drive_del of a drive a device still uses: it loses its name (leaves
 * query-block's named drives) and lives on, anonymous, until the device goes. */
void blk_remove_name(BlockBackend *blk);
void *blk_get_attached_dev(BlockBackend *blk);
const char *blk_attached_dev_name(BlockBackend *blk);
BlockBackend *blk_by_dev_name(const char *dev_name);

bool blk_is_inserted(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
bool blk_is_removable(BlockBackend *blk);
void blk_set_removable(BlockBackend *blk, bool removable);
/* -drive discard=ignore: guest discards complete without reaching the
 * image (QEMU's default for -drive); discard=unmap passes them down. */
void blk_set_discard_ignore(BlockBackend *blk, bool ignore);
int64_t blk_getlength(BlockBackend *blk);              /* 0 when empty */
uint64_t blk_nb_sectors(BlockBackend *blk);
BlockDriverState *blk_bs(BlockBackend *blk);           /* NULL when empty */
int blk_open_flags(BlockBackend *blk);

/* Asynchronous requests.  A request beyond the end of the medium, or on an
 * empty drive, completes with -EIO / -ENOMEDIUM; a write to a read-only
 * drive with -EROFS (never reaching the image). */
void blk_aio_preadv(BlockBackend *blk, uint64_t offset, const struct iovec *iov, int niov,
                    BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwritev(BlockBackend *blk, uint64_t offset, const struct iovec *iov, int niov,
                     BlockCompletionFunc *cb, void *opaque);
void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);
void blk_aio_pdiscard(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                      BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwrite_zeroes(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                           BlockCompletionFunc *cb, void *opaque);
/* The lock device code runs under (the BQL): a worker that can take it
 * without waiting completes its request itself instead of through the
 * main loop's bottom half.  Without it (vireo-img) every completion goes
 * through the bottom half. */
void blk_set_completion_lock(bool (*trylock)(void), void (*unlock)(void));
/* A device whose callbacks may run before blk_aio_preadv returns: a read
 * the host can serve from its page cache without waiting is then done and
 * completed on the calling thread, with no hand-off to a worker and back
 * (virtio-blk: the guest sees the answer as soon as its kick returns).
 * Off by default, as QEMU's contract says callbacks never run early. */
void blk_set_inline_completion(BlockBackend *blk, bool on);
/* Requests issued and not yet completed. */
unsigned blk_in_flight(BlockBackend *blk);
/* Wait (main loop thread) until every request of every drive completed
 * and its callback ran: reset, eject, quit. */
void blk_drain_all(void);
/* At exit: drain, then close every drive, so formats write back what
 * they cache (qcow2 metadata) and the image locks go. */
void blk_close_all(void);

/* Synchronous forms, for small device needs outside the I/O path (and the
 * qtest-less unit tests).  Same checks as the aio forms. */
int blk_pread(BlockBackend *blk, uint64_t offset, void *buf, uint64_t bytes);
int blk_pwrite(BlockBackend *blk, uint64_t offset, const void *buf, uint64_t bytes);

/* Statistics (info blockstats, query-blockstats).  Devices that merge
 * requests report it with blk_acct_merged. */
const BlockAcctStats *blk_stats(BlockBackend *blk);
void blk_acct_merged(BlockBackend *blk, BlockAcctType type, unsigned n);

/* qemu-io's breakpoints (HMP "qemu-io DRIVE 'break EVENT TAG'"), on the
 * first blkdebug node at or below bs: a request reaching EVENT waits in
 * its worker thread until "resume TAG".  false with *errp where there is
 * no blkdebug node or no such tag. */
typedef enum BdrvDebugOp {
    BDRV_DEBUG_BREAK, BDRV_DEBUG_REMOVE_BREAK, BDRV_DEBUG_RESUME, BDRV_DEBUG_IS_SUSPENDED,
    BDRV_DEBUG_RELEASE_ALL,
} BdrvDebugOp;
bool bdrv_debug_op(BlockDriverState *bs, BdrvDebugOp op, const char *event, const char *tag,
                   GError **errp);

/* What a failed asynchronous request does (-drive werror=/rerror=, QEMU's
 * BlockdevOnError): report it to the device (and so the guest), complete it
 * as if it had succeeded, stop the VM (state "io-error") and retry it on
 * "cont", or stop only for ENOSPC and report the rest (werror's default).
 * Every failure emits QMP BLOCK_IO_ERROR with the action taken. */
typedef enum BlockdevOnError {
    BLOCKDEV_ON_ERROR_REPORT, BLOCKDEV_ON_ERROR_IGNORE, BLOCKDEV_ON_ERROR_ENOSPC,
    BLOCKDEV_ON_ERROR_STOP,
} BlockdevOnError;
/* Parse "report", "ignore", "enospc" (werror only), "stop". */
bool blockdev_on_error_parse(const char *s, bool is_read, BlockdevOnError *out, GError **errp);
void blk_set_on_error(BlockBackend *blk, BlockdevOnError on_read, BlockdevOnError on_write);
/* query-block's io-status: "ok", "failed" or "nospace" (the error that
 * stopped the VM; "cont" makes it "ok" again). */
const char *blk_iostatus_name(BlockBackend *blk);

/* Removable media (eject, change, blockdev-change-medium).  The device
 * registers how it hears about it: tray opened/closed, medium changed. */
typedef struct BlockDevOps {
    /* load: true after a new medium was inserted, false after eject */
    void (*change_media_cb)(void *dev, bool load);
    bool (*is_tray_open)(void *dev);
    bool (*is_medium_locked)(void *dev);   /* PREVENT MEDIUM REMOVAL */
    void (*eject_request_cb)(void *dev, bool force);
    /* the image's size changed (block_resize) */
    void (*resize_cb)(void *dev);
} BlockDevOps;
void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *dev);
/* HMP commit: write what the guest changed in the top image (a -snapshot
 * overlay, or a qcow2 with a backing file) into its backing image. */
bool blk_commit(BlockBackend *blk, GError **errp);
/* block_resize: let requests in flight finish, set the image's size and
 * tell the device (its resize_cb). */
bool blk_truncate(BlockBackend *blk, uint64_t size, GError **errp);
/* The backend whose top node is bs, or NULL. */
BlockBackend *blk_by_root_node(BlockDriverState *bs);
bool blk_dev_is_tray_open(BlockBackend *blk);
bool blk_dev_is_medium_locked(BlockBackend *blk);
bool blk_eject(BlockBackend *blk, bool force, GError **errp);
/* Remove the medium whatever the device's tray and lock say (drive_del):
 * later requests fail with -ENOMEDIUM; a removable device hears of it. */
void blk_drop_medium(BlockBackend *blk);
bool blk_change_medium(BlockBackend *blk, const char *filename, const char *format,
                       bool read_only, GError **errp);

#endif

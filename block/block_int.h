/*
 * What a block driver implements (block/file-posix.c, raw.c, qcow2.c).
 *
 * Drivers are synchronous: each call does its I/O before it returns.  The
 * block layer calls them from the aio worker threads, several at once, so
 * a driver with shared metadata (qcow2) serialises itself with its own
 * lock; "file" and "raw" need none (pread/pwrite at offsets).
 *
 * Layering: a format driver (raw, qcow2) has bs->file, the protocol-level
 * BlockDriverState of the host file ("file" driver), and maybe bs->backing.
 * Everything read from an image is hostile: check every offset and size
 * against the file and the format's limits before using it.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "block/block.h"

typedef struct BlockDriver BlockDriver;

/* Points in a request's life a "blkdebug" node below can act on (QEMU's
 * BlkdebugEvent names, for those Vireo's block layer raises). */
typedef enum BlkdebugEvent {
    BLKDBG_READ_AIO, BLKDBG_WRITE_AIO, BLKDBG_FLUSH_TO_OS, BLKDBG_FLUSH_TO_DISK, BLKDBG__MAX
} BlkdebugEvent;
extern const char *const blkdebug_event_names[BLKDBG__MAX];
/* Raise ev at bs: the first node at or below it (through ->file) whose
 * driver listens gets it.  Called from the worker threads. */
void bdrv_debug_event(BlockDriverState *bs, BlkdebugEvent ev);

typedef struct BdrvCheckResult {
    int corruptions, leaks, check_errors;
    int corruptions_fixed, leaks_fixed;
    int64_t image_end_offset;
    uint64_t allocated_clusters, total_clusters, fragmented_clusters, compressed_clusters;
} BdrvCheckResult;

#define BDRV_FIX_LEAKS  1
#define BDRV_FIX_ERRORS 2

typedef struct BdrvSnapshotInfo {
    char *id, *name;
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint32_t icount;
} BdrvSnapshotInfo;

struct BlockDriver {
    const char *format_name;
    bool is_protocol;                /* "file": opens a host path itself */
    /* A protocol named in the file name ("blkdebug:..."): its open()
     * gets the whole name and opens what is below it itself. */
    const char *protocol_prefix;
    void (*debug_event)(BlockDriverState *bs, BlkdebugEvent ev);    /* optional */
    bool (*debug_op)(BlockDriverState *bs, BdrvDebugOp op, const char *event, const char *tag,
                     GError **errp);                                 /* optional */
    size_t instance_size;            /* bs->opaque, zeroed */
    /* Score how likely buf (the first bytes of the file) is this format;
     * 0 = not it.  Formats only. */
    int (*probe)(const uint8_t *buf, int buf_size, const char *filename);
    /* bs->filename, bs->open_flags and (formats) bs->file are set. */
    int (*open)(BlockDriverState *bs, int flags, GError **errp);
    void (*close)(BlockDriverState *bs);
    int64_t (*getlength)(BlockDriverState *bs);
    int (*preadv)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                  const struct iovec *iov, int niov);
    int (*pwritev)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                   const struct iovec *iov, int niov);
    /* Optional: the whole read if it can be done now without waiting for
     * the disk (data in the host's page cache), else -EAGAIN and nothing
     * is promised about the buffers: the caller reads again with preadv.
     * Called on a vCPU or the main thread, so it must never block. */
    int (*preadv_nowait)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                         const struct iovec *iov, int niov);
    int (*flush)(BlockDriverState *bs);                        /* optional */
    int (*pdiscard)(BlockDriverState *bs, uint64_t offset, uint64_t bytes);       /* optional */
    int (*pwrite_zeroes)(BlockDriverState *bs, uint64_t offset, uint64_t bytes);  /* optional */
    int (*truncate)(BlockDriverState *bs, uint64_t size, GError **errp);          /* optional */
    int (*block_status)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        uint64_t *pnum);                       /* optional: all data */
    int64_t (*allocated_size)(BlockDriverState *bs);           /* optional: of bs->file */
    void (*info_json)(BlockDriverState *bs, GString *json);    /* optional */
    bool (*create)(const char *filename, uint64_t size, const char *opts, GError **errp);
    int (*check)(BlockDriverState *bs, BdrvCheckResult *res, int fix);   /* optional */
    /* Internal snapshots (vireo-img snapshot -l): a g_new array. Optional. */
    int (*snapshot_list)(BlockDriverState *bs, BdrvSnapshotInfo **list);
};

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;
    char *filename;
    int open_flags;
    bool read_only;
    BlockDriverState *file;          /* formats: the host file */
    BlockDriverState *backing;       /* qcow2 backing image, opened read-only */
    char *backing_file, *backing_format;   /* as named in the image header */
    char *snapshot_overlay;          /* BDRV_O_SNAPSHOT: the temporary file */
    /* -blockdev nodes (block/node.c): shared by reference, so a node named
     * by file= of a format or by a device's drive= lives until its last
     * user lets go.  bdrv_close drops one reference. */
    int refcnt;
    char *node_name;                 /* node-name=, or QEMU-like "#blockNNN" */
    char *user;                      /* who holds it ("node 'd0'", a device), NULL if free */
    bool monitor_owned;              /* a top-level -blockdev: the node table holds a ref */
    bool discard_unmap;              /* discard=unmap: pass discards down, else ignore */
};

void bdrv_register(const BlockDriver *drv);
/* One more user of bs; bdrv_close is the matching release. */
BlockDriverState *bdrv_ref(BlockDriverState *bs);
/* Open a node of the protocol driver (filename) or of a format over an
 * already open protocol node "file" (which the new node then references);
 * used by -blockdev, where the user builds the graph node by node. */
BlockDriverState *bdrv_open_node(const BlockDriver *drv, const char *filename,
                                 BlockDriverState *file, int flags, GError **errp);
const BlockDriver *bdrv_find_format(const char *name);
/* Iterate (vireo-img --help, error messages). */
void bdrv_format_foreach(void (*fn)(const char *name, void *opaque), void *opaque);

#define BLOCK_DRIVER_REGISTER(drv) \
    static void __attribute__((constructor)) bdrv_register_##drv(void) \
    { bdrv_register(&(drv)); }

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, int fix);
int bdrv_snapshot_list(BlockDriverState *bs, BdrvSnapshotInfo **list);

#endif

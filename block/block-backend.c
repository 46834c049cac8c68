/*
 * Drives: what a device attaches to.  A BlockBackend owns an open image
 * (or none: an empty CD-ROM), checks each request against the medium, runs
 * it in a worker thread and hands the completion back to the main loop.
 *
 * Threads: blk_* calls are made in the main loop or by a vCPU holding the
 * big lock.  Worker threads (a GLib thread pool shared by every drive)
 * only run the synchronous bdrv_* call of a request and queue the
 * result; one bottom half then runs the callbacks, updates statistics
 * and in_flight, all under the big lock.  So a device's state is never
 * touched by a worker.
 */
#include "block/block_int.h"

#include <errno.h>
#include <string.h>

#include "monitor/monitor.h"
#include "system/runstate.h"
#include "util/bh.h"
#include "util/error.h"
#include "util/iov.h"

#define BLK_WORKERS 8

typedef enum BlkReqType {
    BLK_REQ_READ, BLK_REQ_WRITE, BLK_REQ_FLUSH, BLK_REQ_DISCARD, BLK_REQ_ZEROES,
} BlkReqType;

struct BlockBackend {
    char *name;
    BlockDriverState *bs;
    int flags;                    /* open flags; BDRV_O_RDWR unless read-only */
    bool removable;
    bool discard_ignore;          /* -drive discard=ignore (the default): discards succeed, do nothing */
    void *dev;
    char *dev_name;
    const BlockDevOps *dev_ops;
    void *dev_opaque;
    unsigned in_flight;
    BlockAcctStats stats;
    BlockdevOnError on_read_error, on_write_error;
    int iostatus_errno;           /* the error that stopped the VM, 0 = "ok" */
    GQueue held;                  /* BlkReq * a stop policy holds until "cont" */
    bool inline_completion;       /* blk_set_inline_completion */
};

typedef struct BlkReq {
    BlockBackend *blk;
    BlockDriverState *bs;         /* the medium when issued (eject drains first) */
    BlkReqType type;
    uint64_t offset, bytes;
    struct iovec *iov;
    int niov;
    BlockCompletionFunc *cb;
    void *opaque;
    int ret;
    bool refused;                 /* failed blk_check_request: no medium, read-only, out of range */
    gint64 start_ns;
} BlkReq;

static GList *backends;
static GThreadPool *pool;
static BH *done_bh;
static GMutex done_lock;
static GCond done_cond;
static GQueue done_queue = G_QUEUE_INIT;     /* BlkReq *, guarded by done_lock */
static unsigned total_in_flight;             /* main loop / big lock */

static BlockAcctType blk_acct_type(BlkReqType t)
{
    switch (t) {
    case BLK_REQ_READ:
        return BLOCK_ACCT_READ;
    case BLK_REQ_FLUSH:
        return BLOCK_ACCT_FLUSH;
    case BLK_REQ_DISCARD:
        return BLOCK_ACCT_DISCARD;
    default:
        return BLOCK_ACCT_WRITE;
    }
}

static const char *const on_error_names[] = {
    [BLOCKDEV_ON_ERROR_REPORT] = "report", [BLOCKDEV_ON_ERROR_IGNORE] = "ignore",
    [BLOCKDEV_ON_ERROR_ENOSPC] = "enospc", [BLOCKDEV_ON_ERROR_STOP] = "stop",
};

bool blockdev_on_error_parse(const char *s, bool is_read, BlockdevOnError *out, GError **errp)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(on_error_names); i++) {
        if (!strcmp(s, on_error_names[i]) && !(is_read && i == BLOCKDEV_ON_ERROR_ENOSPC)) {
            *out = i;
            return true;
        }
    }
    vireo_set_error(errp, "'%s' invalid %s error action", s, is_read ? "read" : "write");
    return false;
}

void blk_set_on_error(BlockBackend *blk, BlockdevOnError on_read, BlockdevOnError on_write)
{
    blk->on_read_error = on_read;
    blk->on_write_error = on_write;
}

const char *blk_iostatus_name(BlockBackend *blk)
{
    return !blk->iostatus_errno ? "ok" : blk->iostatus_errno == ENOSPC ? "nospace" : "failed";
}

static void blk_submit_req(BlkReq *req);

/* A request failed: what its drive's policy does with it, as QEMU's
 * blk_error_action.  Returns true when the request is held (stop): it
 * completes only after "cont" runs it again. */
static bool blk_error_action(BlkReq *req)
{
    BlockBackend *blk = req->blk;
    if (req->refused) {
        /* no medium, a read-only drive or a range past the end: the
         * guest's mistake, reported to it, never a reason to stop */
        return false;
    }
    bool is_read = req->type == BLK_REQ_READ;
    int err = -req->ret;
    BlockdevOnError p = is_read ? blk->on_read_error : blk->on_write_error;
    bool stop = p == BLOCKDEV_ON_ERROR_STOP || (p == BLOCKDEV_ON_ERROR_ENOSPC && err == ENOSPC);
    bool ignore = p == BLOCKDEV_ON_ERROR_IGNORE;
    JsonObject *ev = json_object_new();
    json_object_set_string_member(ev, "device", blk->name);
    json_object_set_string_member(ev, "node-name", req->bs ? req->bs->node_name : "");
    json_object_set_string_member(ev, "operation", is_read ? "read" : "write");
    json_object_set_string_member(ev, "action", stop ? "stop" : ignore ? "ignore" : "report");
    if (err == ENOSPC) {
        json_object_set_boolean_member(ev, "nospace", true);
    }
    json_object_set_string_member(ev, "reason", g_strerror(err));
    qmp_event_send("BLOCK_IO_ERROR", ev);
    if (!stop) {
        if (ignore) {
            req->ret = 0;
        }
        return false;
    }
    if (!blk->iostatus_errno) {
        blk->iostatus_errno = err;
    }
    blk->in_flight--;
    total_in_flight--;
    g_queue_push_tail(&blk->held, req);
    vm_stop_state(RUN_STATE_IO_ERROR);
    return true;
}

/* "cont": run the held requests again, in their order. */
static void blk_resume_held(void *opaque, bool running)
{
    if (!running) {
        return;
    }
    for (GList *l = backends; l; l = l->next) {
        BlockBackend *blk = l->data;
        blk->iostatus_errno = 0;
        BlkReq *req;
        while ((req = g_queue_pop_head(&blk->held))) {
            blk->in_flight++;
            total_in_flight++;
            blk_submit_req(req);
        }
    }
}

static void blk_complete_now(BlkReq *req);

/* The medium goes away (eject, change, quit): a held request completes
 * with the error it had, since it cannot be retried on another medium. */
static void blk_fail_held(BlockBackend *blk)
{
    BlkReq *req;
    while ((req = g_queue_pop_head(&blk->held))) {
        blk->in_flight++;
        total_in_flight++;
        blk_complete_now(req);
    }
}

static void blk_complete(BlkReq *req)
{
    if (req->ret < 0 && blk_error_action(req)) {
        return;
    }
    blk_complete_now(req);
}

static void blk_complete_now(BlkReq *req)
{
    BlockBackend *blk = req->blk;
    BlockAcctType t = blk_acct_type(req->type);
    if (req->ret < 0) {
        blk->stats.failed_ops[t]++;
    } else {
        blk->stats.nr_ops[t]++;
        blk->stats.nr_bytes[t] += req->bytes;
        blk->stats.total_time_ns[t] += g_get_monotonic_time() * 1000 - req->start_ns;
    }
    blk->in_flight--;
    total_in_flight--;
    if (req->cb) {
        req->cb(req->opaque, req->ret);
    }
    g_free(req->iov);
    g_free(req);
}

/* Run the completions the workers queued.  Returns how many ran. */
static unsigned blk_run_completions(void)
{
    unsigned n = 0;
    for (;;) {
        g_mutex_lock(&done_lock);
        BlkReq *req = g_queue_pop_head(&done_queue);
        g_mutex_unlock(&done_lock);
        if (!req) {
            return n;
        }
        blk_complete(req);
        n++;
    }
}

static void blk_done_bh(void *opaque)
{
    blk_run_completions();
}

static bool (*completion_trylock)(void);
static void (*completion_unlock)(void);

void blk_set_completion_lock(bool (*trylock)(void), void (*unlock)(void))
{
    completion_trylock = trylock;
    completion_unlock = unlock;
}

void blk_set_inline_completion(BlockBackend *blk, bool on)
{
    blk->inline_completion = on;
}

static void blk_worker(gpointer data, gpointer user_data)
{
    BlkReq *req = data;
    if (req->ret == 0) {
        switch (req->type) {
        case BLK_REQ_READ:
            req->ret = bdrv_preadv(req->bs, req->offset, req->iov, req->niov);
            break;
        case BLK_REQ_WRITE:
            req->ret = bdrv_pwritev(req->bs, req->offset, req->iov, req->niov);
            break;
        case BLK_REQ_FLUSH:
            req->ret = bdrv_flush(req->bs);
            break;
        case BLK_REQ_DISCARD:
            req->ret = req->blk->discard_ignore ? 0 : bdrv_pdiscard(req->bs, req->offset, req->bytes);
            break;
        case BLK_REQ_ZEROES:
            req->ret = bdrv_pwrite_zeroes(req->bs, req->offset, req->bytes);
            break;
        }
        if (req->ret > 0) {
            req->ret = 0;
        }
    }
    /* A worker that finds the big lock free completes a request that
     * succeeded itself: the device answers the guest without a trip through
     * the main loop.  Failures (whose policy may stop the VM) still go
     * through the main loop, and a refused request is queued by a thread
     * that holds the lock already. */
    if (!req->refused && req->ret >= 0 && completion_trylock && completion_trylock()) {
        blk_complete(req);
        completion_unlock();
        g_mutex_lock(&done_lock);
        g_cond_broadcast(&done_cond);        /* for a drain waiting without the lock */
        g_mutex_unlock(&done_lock);
        return;
    }
    g_mutex_lock(&done_lock);
    g_queue_push_tail(&done_queue, req);
    g_cond_broadcast(&done_cond);
    g_mutex_unlock(&done_lock);
    bh_schedule(done_bh);
}

static void blk_init_once(void)
{
    if (!pool) {
        pool = g_thread_pool_new(blk_worker, NULL, BLK_WORKERS, FALSE, NULL);
        done_bh = bh_new(blk_done_bh, NULL);
        vm_change_state_handler_add(blk_resume_held, NULL);
    }
}

/* What every request of a drive must pass before a driver sees it: a
 * medium, a writable drive for writes, and (ranged) a range inside the
 * medium.  0 or the -errno the request completes with. */
static int blk_check_request(BlockBackend *blk, bool write, bool ranged, uint64_t offset,
                             uint64_t bytes)
{
    if (!blk->bs) {
        return -ENOMEDIUM;
    }
    if (write && !(blk->flags & BDRV_O_RDWR)) {
        return -EROFS;
    }
    if (!ranged) {
        return 0;
    }
    int64_t len = bdrv_getlength(blk->bs);
    if (len < 0) {
        return (int)len;
    }
    if (offset > (uint64_t)len || bytes > (uint64_t)len - offset) {
        return -EIO;
    }
    return 0;
}

/* Check a request, then queue it; a refused one still completes through
 * the bottom half, so callers see one completion path. */
static void blk_submit(BlockBackend *blk, BlkReqType type, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, BlockCompletionFunc *cb, void *opaque)
{
    blk_init_once();
    BlkReq *req = g_new0(BlkReq, 1);
    req->blk = blk;
    req->bs = blk->bs;
    req->type = type;
    req->offset = offset;
    req->bytes = iov ? iov_size(iov, niov) : bytes;
    if (iov && niov > 0) {
        req->iov = g_memdup2(iov, niov * sizeof(*iov));
        req->niov = niov;
    }
    req->cb = cb;
    req->opaque = opaque;
    blk->in_flight++;
    total_in_flight++;
    blk_submit_req(req);
}

/* Check a request (new, or held by a stop policy and now run again) and
 * hand it to a worker. */
static void blk_submit_req(BlkReq *req)
{
    BlockBackend *blk = req->blk;
    BlkReqType type = req->type;
    req->start_ns = g_get_monotonic_time() * 1000;
    req->ret = blk_check_request(blk, type != BLK_REQ_READ && type != BLK_REQ_FLUSH,
                                 type != BLK_REQ_FLUSH, req->offset, req->bytes);
    req->refused = req->ret < 0;
    if (req->ret < 0) {
        blk_worker(req, NULL);    /* queues the failure for the bottom half */
        return;
    }
    if (type == BLK_REQ_READ && blk->inline_completion &&
        bdrv_preadv_nowait(req->bs, req->offset, req->iov, req->niov) == 0) {
        blk_complete(req);
        return;
    }
    g_thread_pool_push(pool, req, NULL);
}

void blk_aio_preadv(BlockBackend *blk, uint64_t offset, const struct iovec *iov, int niov,
                    BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLK_REQ_READ, offset, 0, iov, niov, cb, opaque);
}

void blk_aio_pwritev(BlockBackend *blk, uint64_t offset, const struct iovec *iov, int niov,
                     BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLK_REQ_WRITE, offset, 0, iov, niov, cb, opaque);
}

void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLK_REQ_FLUSH, 0, 0, NULL, 0, cb, opaque);
}

void blk_aio_pdiscard(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                      BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLK_REQ_DISCARD, offset, bytes, NULL, 0, cb, opaque);
}

void blk_aio_pwrite_zeroes(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                           BlockCompletionFunc *cb, void *opaque)
{
    blk_submit(blk, BLK_REQ_ZEROES, offset, bytes, NULL, 0, cb, opaque);
}

unsigned blk_in_flight(BlockBackend *blk)
{
    return blk->in_flight;
}

void blk_drain_all(void)
{
    while (total_in_flight > 0) {
        g_mutex_lock(&done_lock);
        while (g_queue_is_empty(&done_queue) && total_in_flight > 0) {
            g_cond_wait(&done_cond, &done_lock);
        }
        g_mutex_unlock(&done_lock);
        blk_run_completions();
    }
}

void blk_close_all(void)
{
    for (GList *l = backends; l; l = l->next) {
        BlockBackend *blk = l->data;
        blk_fail_held(blk);
        if (blk->bs) {
            bdrv_debug_op(blk->bs, BDRV_DEBUG_RELEASE_ALL, NULL, NULL, NULL);  /* qemu-io breaks */
        }
    }
    blk_drain_all();
    for (GList *l = backends; l; l = l->next) {
        BlockBackend *blk = l->data;
        bdrv_close(blk->bs);
        blk->bs = NULL;
    }
}

int blk_pread(BlockBackend *blk, uint64_t offset, void *buf, uint64_t bytes)
{
    int ret = blk_check_request(blk, false, true, offset, bytes);
    if (ret == 0) {
        ret = bdrv_pread(blk->bs, offset, buf, bytes);
    }
    blk->stats.nr_ops[BLOCK_ACCT_READ] += ret >= 0;
    blk->stats.nr_bytes[BLOCK_ACCT_READ] += ret >= 0 ? bytes : 0;
    blk->stats.failed_ops[BLOCK_ACCT_READ] += ret < 0;
    return ret < 0 ? ret : 0;
}

int blk_pwrite(BlockBackend *blk, uint64_t offset, const void *buf, uint64_t bytes)
{
    int ret = blk_check_request(blk, true, true, offset, bytes);
    if (ret == 0) {
        ret = bdrv_pwrite(blk->bs, offset, buf, bytes);
    }
    blk->stats.nr_ops[BLOCK_ACCT_WRITE] += ret >= 0;
    blk->stats.nr_bytes[BLOCK_ACCT_WRITE] += ret >= 0 ? bytes : 0;
    blk->stats.failed_ops[BLOCK_ACCT_WRITE] += ret < 0;
    return ret < 0 ? ret : 0;
}

/* ---- the drive itself ---- */

BlockBackend *blk_new_open(const char *name, const char *filename, const char *format,
                           int flags, GError **errp)
{
    if (name && blk_by_name(name)) {
        vireo_set_error(errp, "Duplicate ID '%s' for drive", name);
        return NULL;
    }
    BlockDriverState *bs = NULL;
    if (filename) {
        bs = bdrv_open(filename, format, flags, errp);
        if (!bs) {
            return NULL;
        }
    }
    BlockBackend *blk = g_new0(BlockBackend, 1);
    blk->name = g_strdup(name ? name : "");
    blk->bs = bs;
    blk->flags = flags;
    blk->on_write_error = BLOCKDEV_ON_ERROR_ENOSPC;    /* QEMU's defaults */
    g_queue_init(&blk->held);
    backends = g_list_append(backends, blk);
    return blk;
}

BlockBackend *blk_new_with_bs(const char *name, BlockDriverState *bs, int flags)
{
    BlockBackend *blk = g_new0(BlockBackend, 1);
    blk->name = g_strdup(name ? name : "");
    blk->bs = bdrv_ref(bs);
    blk->flags = flags;
    blk->on_write_error = BLOCKDEV_ON_ERROR_ENOSPC;
    g_queue_init(&blk->held);
    backends = g_list_append(backends, blk);
    return blk;
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    blk_fail_held(blk);
    while (blk->in_flight) {
        blk_drain_all();
    }
    backends = g_list_remove(backends, blk);
    if (blk->bs && blk->bs->node_name && blk->bs->refcnt > 1) {
        /* an anonymous drive over a -blockdev node: the node stays, free
         * for another device (blockdev_backend_for_node claimed it) */
        g_free(blk->bs->user);
        blk->bs->user = NULL;
    }
    bdrv_close(blk->bs);
    g_free(blk->name);
    g_free(blk->dev_name);
    g_free(blk);
}

BlockBackend *blk_by_name(const char *name)
{
    for (GList *l = backends; l; l = l->next) {
        BlockBackend *blk = l->data;
        if (*blk->name && !strcmp(blk->name, name)) {
            return blk;
        }
    }
    return NULL;
}

const char *blk_name(BlockBackend *blk)
{
    return blk->name;
}

void blk_foreach(void (*fn)(BlockBackend *blk, void *opaque), void *opaque)
{
    for (GList *l = backends; l; l = l->next) {
        fn(l->data, opaque);
    }
}

bool blk_attach_dev(BlockBackend *blk, void *dev, const char *dev_name, GError **errp)
{
    if (blk->dev) {
        vireo_set_error(errp, "drive '%s' is already in use by %s", blk->name,
                        blk->dev_name ? blk->dev_name : "another device");
        return false;
    }
    blk->dev = dev;
    g_free(blk->dev_name);
    blk->dev_name = g_strdup(dev_name);
    return true;
}

void blk_detach_dev(BlockBackend *blk, void *dev)
{
    if (blk->dev != dev) {
        return;
    }
    blk->dev = NULL;
    blk->dev_ops = NULL;
    blk->dev_opaque = NULL;
    g_free(blk->dev_name);
    blk->dev_name = NULL;
}

void blk_remove_name(BlockBackend *blk)
{
    g_free(blk->name);
    blk->name = g_strdup("");
}

BlockBackend *blk_by_dev_name(const char *dev_name)
{
    for (GList *l = backends; l; l = l->next) {
        BlockBackend *blk = l->data;
        if (blk->dev_name && !strcmp(blk->dev_name, dev_name)) {
            return blk;
        }
    }
    return NULL;
}

void *blk_get_attached_dev(BlockBackend *blk)
{
    return blk->dev;
}

const char *blk_attached_dev_name(BlockBackend *blk)
{
    return blk->dev_name;
}

bool blk_is_inserted(BlockBackend *blk)
{
    return blk->bs != NULL;
}

bool blk_is_read_only(BlockBackend *blk)
{
    return !(blk->flags & BDRV_O_RDWR);
}

bool blk_is_removable(BlockBackend *blk)
{
    return blk->removable;
}

void blk_set_removable(BlockBackend *blk, bool removable)
{
    blk->removable = removable;
}

void blk_set_discard_ignore(BlockBackend *blk, bool ignore)
{
    blk->discard_ignore = ignore;
}

int64_t blk_getlength(BlockBackend *blk)
{
    if (!blk->bs) {
        return 0;
    }
    int64_t len = bdrv_getlength(blk->bs);
    return len < 0 ? 0 : len;
}

uint64_t blk_nb_sectors(BlockBackend *blk)
{
    return blk_getlength(blk) / BDRV_SECTOR_SIZE;
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->bs;
}

int blk_open_flags(BlockBackend *blk)
{
    return blk->flags;
}

const BlockAcctStats *blk_stats(BlockBackend *blk)
{
    return &blk->stats;
}

void blk_acct_merged(BlockBackend *blk, BlockAcctType type, unsigned n)
{
    if (type < BLOCK_ACCT__MAX) {
        blk->stats.merged[type] += n;
    }
}

/* ---- commit ---- */

bool blk_commit(BlockBackend *blk, GError **errp)
{
    BlockDriverState *top = blk->bs;
    if (!top) {
        vireo_set_error(errp, "Device '%s' has no medium", blk->name);
        return false;
    }
    BlockDriverState *old = top->backing;
    if (!old) {
        vireo_set_error(errp, "Device '%s' has no backing file to commit to", blk->name);
        return false;
    }
    blk_drain_all();
    /* the backing image was opened read-only: open it again for writing */
    BlockDriverState *base = bdrv_open(old->filename, bdrv_format_name(old),
                                       BDRV_O_RDWR | BDRV_O_NO_LOCK, errp);
    if (!base) {
        return false;
    }
    int64_t len = bdrv_getlength(top);
    int64_t base_len = bdrv_getlength(base);
    int ret = len < 0 ? (int)len : base_len < 0 ? (int)base_len : 0;
    const uint64_t chunk = 1 << 20;
    uint8_t *a = g_malloc(chunk), *b = g_malloc(chunk);
    /* Rewrite only what differs: the top image reads through to the
     * backing one where the guest wrote nothing, so equal bytes mean an
     * untouched (or rewritten-identically) area and a sparse base stays
     * sparse. */
    for (int64_t off = 0; ret >= 0 && off < len; off += chunk) {
        uint64_t n = MIN(chunk, (uint64_t)(len - off));
        ret = bdrv_pread(top, off, a, n);
        if (ret < 0) {
            break;
        }
        if (off >= base_len) {
            break;            /* the top grew past its base: nothing to put there */
        }
        n = MIN(n, (uint64_t)(base_len - off));
        ret = bdrv_pread(base, off, b, n);
        if (ret >= 0 && memcmp(a, b, n)) {
            ret = bdrv_pwrite(base, off, a, n);
        }
    }
    if (ret >= 0) {
        ret = bdrv_flush(base);
    }
    g_free(a);
    g_free(b);
    bdrv_close(base);
    /* what the top image reads through must not be a stale view of the
     * base (a qcow2 base caches its tables): open it afresh */
    GError *reopen_err = NULL;
    BlockDriverState *fresh = bdrv_open(old->filename, bdrv_format_name(old), old->open_flags,
                                        &reopen_err);
    if (fresh) {
        bdrv_close(old);
        top->backing = fresh;
    } else {
        g_error_free(reopen_err);    /* keep the old view: still the right bytes for raw */
    }
    if (ret < 0) {
        vireo_set_error(errp, "commit of '%s' into '%s' failed: %s", blk->name, old->filename,
                        g_strerror(-ret));
        return false;
    }
    return true;
}

/* ---- removable media ---- */

void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *dev)
{
    blk->dev_ops = ops;
    blk->dev_opaque = dev;
}

bool blk_truncate(BlockBackend *blk, uint64_t size, GError **errp)
{
    if (!blk->bs) {
        vireo_set_error(errp, "Device '%s' has no medium", blk->name);
        return false;
    }
    if (!(blk->flags & BDRV_O_RDWR)) {
        vireo_set_error(errp, "Device '%s' is read only", blk->name);
        return false;
    }
    blk_drain_all();
    if (bdrv_truncate(blk->bs, size, errp) < 0) {
        return false;
    }
    if (blk->dev_ops && blk->dev_ops->resize_cb) {
        blk->dev_ops->resize_cb(blk->dev_opaque);
    }
    return true;
}

BlockBackend *blk_by_root_node(BlockDriverState *bs)
{
    for (GList *l = backends; l; l = l->next) {
        BlockBackend *blk = l->data;
        if (blk->bs == bs) {
            return blk;
        }
    }
    return NULL;
}

bool blk_dev_is_tray_open(BlockBackend *blk)
{
    return blk->dev_ops && blk->dev_ops->is_tray_open && blk->dev_ops->is_tray_open(blk->dev_opaque);
}

bool blk_dev_is_medium_locked(BlockBackend *blk)
{
    return blk->dev_ops && blk->dev_ops->is_medium_locked &&
           blk->dev_ops->is_medium_locked(blk->dev_opaque);
}

static bool blk_check_removable(BlockBackend *blk, GError **errp)
{
    if (!blk->removable || !blk->dev_ops) {
        vireo_set_error(errp, "Device '%s' is not removable", blk->name);
        return false;
    }
    return true;
}

static void blk_remove_medium(BlockBackend *blk)
{
    if (!blk->bs) {
        return;
    }
    blk_fail_held(blk);
    while (blk->in_flight) {
        blk_drain_all();
    }
    bdrv_close(blk->bs);
    blk->bs = NULL;
}

void blk_drop_medium(BlockBackend *blk)
{
    if (!blk->bs) {
        return;
    }
    blk_remove_medium(blk);
    if (blk->dev_ops && blk->dev_ops->change_media_cb) {
        blk->dev_ops->change_media_cb(blk->dev_opaque, false);
    }
}

bool blk_eject(BlockBackend *blk, bool force, GError **errp)
{
    if (!blk_check_removable(blk, errp)) {
        return false;
    }
    if (!force && blk->dev_ops->is_medium_locked && blk->dev_ops->is_medium_locked(blk->dev_opaque)) {
        /* As QEMU: ask the guest to open the tray; the guest decides. */
        if (blk->dev_ops->eject_request_cb) {
            blk->dev_ops->eject_request_cb(blk->dev_opaque, false);
        }
        vireo_set_error(errp, "Device '%s' is locked and force was not specified, wait for "
                        "tray to open and try again", blk->name);
        return false;
    }
    blk_remove_medium(blk);
    if (blk->dev_ops->change_media_cb) {
        blk->dev_ops->change_media_cb(blk->dev_opaque, false);
    }
    return true;
}

bool blk_change_medium(BlockBackend *blk, const char *filename, const char *format,
                       bool read_only, GError **errp)
{
    if (!blk_check_removable(blk, errp)) {
        return false;
    }
    int flags = blk->flags & ~BDRV_O_RDWR;
    if (!read_only) {
        flags |= BDRV_O_RDWR;
    }
    BlockDriverState *bs = bdrv_open(filename, format, flags, errp);
    if (!bs) {
        return false;
    }
    if (blk->bs) {
        blk_remove_medium(blk);
        if (blk->dev_ops->change_media_cb) {
            blk->dev_ops->change_media_cb(blk->dev_opaque, false);
        }
    }
    blk->bs = bs;
    blk->flags = flags;
    if (blk->dev_ops->change_media_cb) {
        blk->dev_ops->change_media_cb(blk->dev_opaque, true);
    }
    return true;
}

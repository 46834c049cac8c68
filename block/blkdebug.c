/*
 * "blkdebug": a protocol that sits on an image and fails requests when the
 * rules of a config file say so, as QEMU's blkdebug does.  It lets tests
 * reach the error paths of devices and of the -drive rerror=/werror=
 * policies without a failing disk:
 *
 *   -drive file=blkdebug:RULES:IMAGE,format=raw,werror=stop
 *
 * RULES (may be empty) is an ini-style file of QEMU's format:
 *
 *   [inject-error]             when EVENT happens (in STATE, if given), the
 *   event = "flush_to_disk"    following requests fail with ERRNO (EIO by
 *   errno = "5"                default); once = "on" fails only the first;
 *   state = "1"                sector = "N" only requests touching sector N;
 *   once = "on"                iotype = "read|write|flush|discard|write-zeroes"
 *
 *   [set-state]                when EVENT happens in STATE (any if 0 or
 *   event = "flush_to_disk"    not given), move to NEW_STATE.  The state
 *   state = "1"                starts at 1.
 *   new_state = "2"
 *
 * Events are those the block layer raises (bdrv_debug_event): read_aio,
 * write_aio, flush_to_os, flush_to_disk.  The node's requests run in the
 * block worker threads, so its state is under a mutex.
 *
 * HMP "qemu-io DRIVE 'break EVENT TAG'" makes the next request reaching
 * EVENT wait (its worker thread blocks) until "resume TAG", so a test can
 * look at a device while a request is in flight.
 */
#include "block/block_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

enum { IO_READ, IO_WRITE, IO_FLUSH, IO_DISCARD, IO_ZEROES, IO__MAX };
static const char *const iotype_names[IO__MAX] = {
    "read", "write", "flush", "discard", "write-zeroes",
};

typedef struct Rule {
    bool inject;                 /* else set-state */
    BlkdebugEvent event;
    int state;                   /* 0: any */
    int new_state;               /* set-state */
    int error;                   /* inject-error: positive errno */
    int64_t sector;              /* -1: any */
    bool once;
    unsigned iotypes;            /* bit per IO_*, all by default */
    bool removed;                /* a once rule that fired */
} Rule;

typedef struct Break {
    BlkdebugEvent event;
    char *tag;
} Break;

typedef struct BDRVBlkdebugState {
    GMutex lock;
    GCond resumed;
    int state;
    GPtrArray *rules;            /* Rule *, owned */
    GPtrArray *active;           /* Rule *: injected errors armed by the last event */
    GPtrArray *breaks;           /* Break *, owned: qemu-io "break EVENT TAG" */
    GPtrArray *suspended;        /* char * tags a request waits at, owned */
} BDRVBlkdebugState;

static void break_free(gpointer p)
{
    Break *b = p;
    g_free(b->tag);
    g_free(b);
}

static int find_tag(GPtrArray *a, const char *tag, bool breaks)
{
    for (guint i = 0; i < a->len; i++) {
        const char *t = breaks ? ((Break *)g_ptr_array_index(a, i))->tag : g_ptr_array_index(a, i);
        if (!strcmp(t, tag)) {
            return i;
        }
    }
    return -1;
}

static bool parse_int(const char *file, const char *key, const char *v, int64_t min, int64_t max,
                      int64_t *out, GError **errp)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 0);
    if (errno || end == v || *end || n < min || n > max) {
        vireo_set_error(errp, "blkdebug config '%s': invalid %s '%s'", file, key, v);
        return false;
    }
    *out = n;
    return true;
}

static bool rule_set(Rule *r, const char *file, const char *key, const char *v, GError **errp)
{
    int64_t n;
    if (!strcmp(key, "event")) {
        for (int e = 0; e < BLKDBG__MAX; e++) {
            if (!strcmp(v, blkdebug_event_names[e])) {
                r->event = e;
                return true;
            }
        }
        vireo_set_error(errp, "blkdebug config '%s': event '%s' is not one Vireo raises "
                        "(read_aio, write_aio, flush_to_os, flush_to_disk)", file, v);
        return false;
    }
    if (!strcmp(key, "state")) {
        if (!parse_int(file, key, v, 0, INT32_MAX, &n, errp)) {
            return false;
        }
        r->state = n;
        return true;
    }
    if (r->inject) {
        if (!strcmp(key, "errno")) {
            if (!parse_int(file, key, v, 1, 4095, &n, errp)) {
                return false;
            }
            r->error = n;
        } else if (!strcmp(key, "sector")) {
            if (!parse_int(file, key, v, -1, INT64_MAX / 512, &n, errp)) {
                return false;
            }
            r->sector = n;
        } else if (!strcmp(key, "once") || !strcmp(key, "immediately")) {
            bool on = !strcmp(v, "on") || !strcmp(v, "true");
            if (!on && strcmp(v, "off") && strcmp(v, "false")) {
                vireo_set_error(errp, "blkdebug config '%s': %s must be on or off", file, key);
                return false;
            }
            if (!strcmp(key, "once")) {
                r->once = on;
            }                    /* immediately: requests here complete synchronously anyway */
        } else if (!strcmp(key, "iotype")) {
            int t;
            for (t = 0; t < IO__MAX && strcmp(v, iotype_names[t]); t++) {
            }
            if (t == IO__MAX) {
                vireo_set_error(errp, "blkdebug config '%s': invalid iotype '%s'", file, v);
                return false;
            }
            r->iotypes = 1u << t;
        } else {
            vireo_set_error(errp, "blkdebug config '%s': unknown inject-error option '%s'", file, key);
            return false;
        }
        return true;
    }
    if (!strcmp(key, "new_state")) {
        if (!parse_int(file, key, v, 1, INT32_MAX, &n, errp)) {
            return false;
        }
        r->new_state = n;
        return true;
    }
    vireo_set_error(errp, "blkdebug config '%s': unknown set-state option '%s'", file, key);
    return false;
}

/* A rule is complete when it names its event (and a set-state its new state). */
static bool rule_done(Rule *r, bool has_event, const char *file, GError **errp)
{
    if (!has_event || (!r->inject && !r->new_state)) {
        vireo_set_error(errp, "blkdebug config '%s': [%s] needs %s", file,
                        r->inject ? "inject-error" : "set-state",
                        has_event ? "new_state" : "an event");
        return false;
    }
    return true;
}

static bool read_config(BDRVBlkdebugState *s, const char *file, GError **errp)
{
    char *text;
    GError *e = NULL;
    if (!g_file_get_contents(file, &text, NULL, &e)) {
        vireo_set_error(errp, "could not read blkdebug config '%s': %s", file, e->message);
        g_error_free(e);
        return false;
    }
    gchar **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    Rule *r = NULL;
    bool has_event = false, ok = true;
    for (int i = 0; ok && lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (!*l || *l == '#' || *l == ';') {
            continue;
        }
        if (*l == '[') {
            if (r && !(ok = rule_done(r, has_event, file, errp))) {
                break;
            }
            bool inject = !strcmp(l, "[inject-error]");
            if (!inject && strcmp(l, "[set-state]")) {
                vireo_set_error(errp, "blkdebug config '%s' line %d: unknown section %s", file,
                                i + 1, l);
                ok = false;
                break;
            }
            r = g_new0(Rule, 1);
            r->inject = inject;
            r->error = EIO;
            r->sector = -1;
            r->iotypes = (1u << IO__MAX) - 1;
            g_ptr_array_add(s->rules, r);
            has_event = false;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!r || !eq) {
            vireo_set_error(errp, "blkdebug config '%s' line %d: expected [section] or key = value",
                            file, i + 1);
            ok = false;
            break;
        }
        *eq = 0;
        char *key = g_strstrip(l), *v = g_strstrip(eq + 1);
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            v[vl - 1] = 0;
            v++;
        }
        ok = rule_set(r, file, key, v, errp);
        has_event |= ok && !strcmp(key, "event");
    }
    if (ok && r) {
        ok = rule_done(r, has_event, file, errp);
    }
    g_strfreev(lines);
    return ok;
}

/* blkdebug:[CONFIG]:IMAGE */
static int blkdebug_open(BlockDriverState *bs, int flags, GError **errp)
{
    BDRVBlkdebugState *s = bs->opaque;
    g_mutex_init(&s->lock);
    s->state = 1;
    g_cond_init(&s->resumed);
    s->rules = g_ptr_array_new_with_free_func(g_free);
    s->active = g_ptr_array_new();
    s->breaks = g_ptr_array_new_with_free_func(break_free);
    s->suspended = g_ptr_array_new_with_free_func(g_free);
    const char *spec = bs->filename + strlen("blkdebug:");
    const char *colon = strchr(spec, ':');
    if (!colon || !colon[1]) {
        vireo_set_error(errp, "'%s': blkdebug wants blkdebug:[config]:image", bs->filename);
        return -EINVAL;
    }
    char *config = g_strndup(spec, colon - spec);
    bool ok = !*config || read_config(s, config, errp);
    g_free(config);
    if (!ok) {
        return -EINVAL;
    }
    bs->file = bdrv_open_node(bdrv_find_format("file"), colon + 1, NULL, flags, errp);
    return bs->file ? 0 : -EIO;
}

static void blkdebug_close(BlockDriverState *bs)
{
    BDRVBlkdebugState *s = bs->opaque;
    g_ptr_array_free(s->active, TRUE);
    g_ptr_array_free(s->rules, TRUE);
    g_ptr_array_free(s->breaks, TRUE);
    g_ptr_array_free(s->suspended, TRUE);
    g_cond_clear(&s->resumed);
    g_mutex_clear(&s->lock);
}

static void blkdebug_event(BlockDriverState *bs, BlkdebugEvent ev)
{
    BDRVBlkdebugState *s = bs->opaque;
    g_mutex_lock(&s->lock);
    int new_state = s->state;
    bool injected = false;
    for (guint i = 0; i < s->rules->len; i++) {
        Rule *r = g_ptr_array_index(s->rules, i);
        if (r->removed || r->event != ev || (r->state && r->state != s->state)) {
            continue;
        }
        if (r->inject) {
            if (!injected) {
                g_ptr_array_set_size(s->active, 0);    /* this event's errors replace the last's */
                injected = true;
            }
            g_ptr_array_add(s->active, r);
        } else {
            new_state = r->new_state;
        }
    }
    s->state = new_state;
    /* a breakpoint fires once: the request waits here, in its worker
     * thread, until "resume TAG" takes the tag off the suspended list */
    for (guint i = 0; i < s->breaks->len; i++) {
        Break *b = g_ptr_array_index(s->breaks, i);
        if (b->event == ev) {
            char *tag = g_strdup(b->tag);
            g_ptr_array_remove_index(s->breaks, i);
            g_ptr_array_add(s->suspended, g_strdup(tag));
            g_cond_broadcast(&s->resumed);          /* a "resume" may wait for it */
            while (find_tag(s->suspended, tag, false) >= 0) {
                g_cond_wait(&s->resumed, &s->lock);
            }
            g_free(tag);
            break;
        }
    }
    g_mutex_unlock(&s->lock);
}

static bool blkdebug_op(BlockDriverState *bs, BdrvDebugOp op, const char *event, const char *tag,
                        GError **errp)
{
    BDRVBlkdebugState *s = bs->opaque;
    bool ok = true;
    g_mutex_lock(&s->lock);
    switch (op) {
    case BDRV_DEBUG_BREAK: {
        int e;
        for (e = 0; e < BLKDBG__MAX && strcmp(event, blkdebug_event_names[e]); e++) {
        }
        if (e == BLKDBG__MAX) {
            vireo_set_error(errp, "event '%s' is not one Vireo raises "
                            "(read_aio, write_aio, flush_to_os, flush_to_disk)", event);
            ok = false;
            break;
        }
        Break *b = g_new0(Break, 1);
        b->event = e;
        b->tag = g_strdup(tag);
        g_ptr_array_add(s->breaks, b);
        break;
    }
    case BDRV_DEBUG_REMOVE_BREAK: {
        int i = find_tag(s->breaks, tag, true);
        if (i < 0) {
            vireo_set_error(errp, "no breakpoint with tag '%s'", tag);
            ok = false;
        }
        while (i >= 0) {
            g_ptr_array_remove_index(s->breaks, i);
            i = find_tag(s->breaks, tag, true);
        }
        break;
    }
    case BDRV_DEBUG_RESUME: {
        /* In QEMU a request reaches its breakpoint before the command that
         * issued it returns; here a worker thread takes it there, so it may
         * still be on its way: while the breakpoint is armed, wait (a
         * bounded time) for it to arrive. */
        int i = find_tag(s->suspended, tag, false);
        gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
        while (i < 0 && find_tag(s->breaks, tag, true) >= 0 &&
               g_cond_wait_until(&s->resumed, &s->lock, deadline)) {
            i = find_tag(s->suspended, tag, false);
        }
        if (i < 0) {
            vireo_set_error(errp, "no request suspended at tag '%s'", tag);
            ok = false;
        } else {
            g_ptr_array_remove_index(s->suspended, i);
            g_cond_broadcast(&s->resumed);
        }
        break;
    }
    case BDRV_DEBUG_IS_SUSPENDED:
        ok = find_tag(s->suspended, tag, false) >= 0;
        break;
    case BDRV_DEBUG_RELEASE_ALL:
        g_ptr_array_set_size(s->breaks, 0);
        g_ptr_array_set_size(s->suspended, 0);
        g_cond_broadcast(&s->resumed);
        break;
    }
    g_mutex_unlock(&s->lock);
    return ok;
}

/* 0, or the -errno an armed rule fails this request with. */
static int blkdebug_check(BlockDriverState *bs, int iotype, uint64_t offset, uint64_t bytes)
{
    BDRVBlkdebugState *s = bs->opaque;
    int ret = 0;
    g_mutex_lock(&s->lock);
    for (guint i = 0; i < s->active->len; i++) {
        Rule *r = g_ptr_array_index(s->active, i);
        if (!(r->iotypes & (1u << iotype))) {
            continue;
        }
        if (r->sector >= 0 && (iotype == IO_FLUSH || (uint64_t)r->sector * 512 + 512 <= offset ||
                               (uint64_t)r->sector * 512 >= offset + bytes)) {
            continue;
        }
        ret = -r->error;
        if (r->once) {
            r->removed = true;
            g_ptr_array_remove_index(s->active, i);
        }
        break;
    }
    g_mutex_unlock(&s->lock);
    return ret;
}

static int64_t blkdebug_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file);
}

static int blkdebug_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                           const struct iovec *iov, int niov)
{
    int ret = blkdebug_check(bs, IO_READ, offset, bytes);
    return ret < 0 ? ret : bdrv_preadv(bs->file, offset, iov, niov);
}

static int blkdebug_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                            const struct iovec *iov, int niov)
{
    int ret = blkdebug_check(bs, IO_WRITE, offset, bytes);
    return ret < 0 ? ret : bdrv_pwritev(bs->file, offset, iov, niov);
}

/* the file below is flushed by bdrv_flush after this */
static int blkdebug_flush(BlockDriverState *bs)
{
    return blkdebug_check(bs, IO_FLUSH, 0, 0);
}

static int blkdebug_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    int ret = blkdebug_check(bs, IO_DISCARD, offset, bytes);
    return ret < 0 ? ret : bdrv_pdiscard(bs->file, offset, bytes);
}

static int blkdebug_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    int ret = blkdebug_check(bs, IO_ZEROES, offset, bytes);
    return ret < 0 ? ret : bdrv_pwrite_zeroes(bs->file, offset, bytes);
}

static const BlockDriver bdrv_blkdebug = {
    .format_name = "blkdebug",
    .is_protocol = true,
    .protocol_prefix = "blkdebug",
    .instance_size = sizeof(BDRVBlkdebugState),
    .open = blkdebug_open,
    .close = blkdebug_close,
    .getlength = blkdebug_getlength,
    .preadv = blkdebug_preadv,
    .pwritev = blkdebug_pwritev,
    .flush = blkdebug_flush,
    .pdiscard = blkdebug_pdiscard,
    .pwrite_zeroes = blkdebug_pwrite_zeroes,
    .debug_event = blkdebug_event,
    .debug_op = blkdebug_op,
};
BLOCK_DRIVER_REGISTER(bdrv_blkdebug)

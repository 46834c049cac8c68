/* Bottom halves: see bh.h.
 *
 * Scheduled BHs sit in a list guarded by one mutex; each carries a
 * "scheduled" flag so that a BH is in the list at most once.  The
 * GSource's prepare() reports "ready now" while the list is non-empty, and
 * bh_schedule() wakes the default main context so a sleeping loop notices. */
#include "util/bh.h"

#include <glib.h>

struct BH {
    BHFunc *fn;
    void *opaque;
    bool scheduled;     /* guarded by bh_lock */
    bool deleted;       /* guarded by bh_lock */
    uint64_t runs;
};

static GMutex bh_lock;
static GQueue bh_queue = G_QUEUE_INIT;

BH *bh_new(BHFunc *fn, void *opaque)
{
    BH *bh = g_new0(BH, 1);
    bh->fn = fn;
    bh->opaque = opaque;
    return bh;
}

void bh_delete(BH *bh)
{
    if (!bh) {
        return;
    }
    g_mutex_lock(&bh_lock);
    if (bh->scheduled) {
        /* Still queued: bh_poll frees it when it reaches it. */
        bh->deleted = true;
        g_mutex_unlock(&bh_lock);
        return;
    }
    g_mutex_unlock(&bh_lock);
    g_free(bh);
}

void bh_schedule(BH *bh)
{
    bool wake = false;
    g_mutex_lock(&bh_lock);
    if (!bh->scheduled && !bh->deleted) {
        bh->scheduled = true;
        g_queue_push_tail(&bh_queue, bh);
        wake = true;
    }
    g_mutex_unlock(&bh_lock);
    if (wake) {
        g_main_context_wakeup(NULL);
    }
}

void bh_cancel(BH *bh)
{
    g_mutex_lock(&bh_lock);
    if (bh->scheduled) {
        g_queue_remove(&bh_queue, bh);
        bh->scheduled = false;
    }
    g_mutex_unlock(&bh_lock);
}

bool bh_scheduled(BH *bh)
{
    g_mutex_lock(&bh_lock);
    bool s = bh->scheduled;
    g_mutex_unlock(&bh_lock);
    return s;
}

uint64_t bh_run_count(BH *bh)
{
    return bh->runs;
}

bool bh_pending(void)
{
    g_mutex_lock(&bh_lock);
    bool p = !g_queue_is_empty(&bh_queue);
    g_mutex_unlock(&bh_lock);
    return p;
}

/* At most this many runs per poll: a BH that keeps rescheduling itself
 * gets the loop back between rounds (timers, fds, the CPU). */
#define BH_POLL_BUDGET 1024

bool bh_poll(void)
{
    bool ran = false;
    for (int n = 0; n < BH_POLL_BUDGET; n++) {
        g_mutex_lock(&bh_lock);
        BH *bh = g_queue_pop_head(&bh_queue);
        if (!bh) {
            g_mutex_unlock(&bh_lock);
            break;
        }
        bh->scheduled = false;
        bool deleted = bh->deleted;
        g_mutex_unlock(&bh_lock);
        if (deleted) {
            g_free(bh);
            continue;
        }
        bh->runs++;
        bh->fn(bh->opaque);
        ran = true;
    }
    return ran;
}

static gboolean bh_source_prepare(GSource *s, gint *timeout)
{
    *timeout = -1;
    return bh_pending();
}

static gboolean bh_source_check(GSource *s)
{
    return bh_pending();
}

static gboolean bh_source_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    bh_poll();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs bh_source_funcs = {
    .prepare = bh_source_prepare,
    .check = bh_source_check,
    .dispatch = bh_source_dispatch,
};

void bh_attach_main_context(void)
{
    static bool attached;
    if (attached) {
        return;
    }
    attached = true;
    GSource *s = g_source_new(&bh_source_funcs, sizeof(GSource));
    g_source_attach(s, NULL);
    g_source_unref(s);
}

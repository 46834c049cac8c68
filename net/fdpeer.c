/* Frame-oriented fd backends: see fdpeer.h. */
#include "net/fdpeer.h"

#include <errno.h>
#include <glib-unix.h>

static void fdpeer_sent(NetClientState *nc, ssize_t len)
{
    fdpeer_start_reading((FdPeer *)nc);
}

static gboolean fdpeer_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    FdPeer *s = opaque;
    /* A bounded batch per wake-up so one busy fd cannot starve the loop. */
    for (int n = 0; n < 64; n++) {
        ssize_t len = s->read_frame(s, s->buf, NET_BUFSIZE);
        if (len <= 0) {
            break;
        }
        if (net_send(&s->nc, s->buf, len, fdpeer_sent) == 0) {
            /* queued at the peer: stop reading until it drains */
            s->watch = 0;
            return G_SOURCE_REMOVE;
        }
    }
    return G_SOURCE_CONTINUE;
}

void fdpeer_start_reading(FdPeer *s)
{
    if (!s->watch && s->fd >= 0) {
        if (!s->buf) {
            s->buf = g_malloc(NET_BUFSIZE);
        }
        s->watch = g_unix_fd_add(s->fd, G_IO_IN, fdpeer_readable, s);
    }
}

void fdpeer_stop_reading(FdPeer *s)
{
    if (s->watch) {
        g_source_remove(s->watch);
        s->watch = 0;
    }
}

/*
 * Socket chardev: unix or tcp, client or server, one peer at a time.
 *
 * A client connects when it is created and fails the command line if it
 * cannot (this is how libqtest hands Vireo its sockets: the test listens,
 * Vireo connects).  A server listens; with wait=on (QEMU's default) Vireo
 * blocks at start-up until the first peer connects, with wait=off the peer
 * may come at any time.  While a peer is connected the listening socket is
 * not watched, so a second peer waits in the backlog until the first leaves.
 *
 * Reads happen from a GLib watch into the chardev's pending buffer; when the
 * front end stops taking input the watch is removed until the backlog is
 * delivered, so a fast peer cannot make Vireo buffer without bound.
 *
 * Writes never wait for the peer: the socket is non-blocking, what the
 * kernel does not take is queued (at most CHR_OUT_MAX bytes before a write
 * is refused) and sent by a G_IO_OUT watch as the peer reads.  A write to a
 * server without a peer is dropped, as QEMU does.  A peer that goes away,
 * or that a front end drops (chardev_drop_peer), is closed from an idle
 * source, so no front end sees CLOSED in the middle of its own handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chardev/chardev-int.h"
#include "hw/core/device.h"
#include "util/log.h"

#define SOCK_BACKLOG_MAX (64 * 1024)   /* stop reading while this much waits */

struct ChrSocket {
    Chardev *chr;
    char *desc;          /* "unix:PATH" / "tcp:HOST:PORT" for messages */
    bool server;
    int listen_fd;       /* server only */
    int fd;              /* connected peer, or -1 */
    guint listen_watch;
    guint read_watch;
    guint write_watch;   /* G_IO_OUT while output is queued */
    guint drop_source;   /* idle source closing the peer */
    guint retry_source;  /* accept() failed for lack of fds: listen again later */
    GByteArray *out;     /* queued output */
    char *unlink_path;   /* server unix socket we created */
};

static gboolean sock_readable(GIOChannel *ch, GIOCondition cond, gpointer opaque);
static gboolean sock_acceptable(GIOChannel *ch, GIOCondition cond, gpointer opaque);

static guint watch_fd(int fd, GIOFunc fn, void *opaque)
{
    GIOChannel *ch = g_io_channel_unix_new(fd);
    guint id = g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, fn, opaque);
    g_io_channel_unref(ch);
    return id;
}

static void sock_watch_listen(ChrSocket *s)
{
    if (s->server && s->listen_fd >= 0 && !s->listen_watch) {
        s->listen_watch = watch_fd(s->listen_fd, sock_acceptable, s);
    }
}

static void sock_attach(ChrSocket *s, int fd)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  /* fails harmlessly on unix */
    s->fd = fd;
    s->read_watch = watch_fd(fd, sock_readable, s);
    if (s->listen_watch) {
        g_source_remove(s->listen_watch);
        s->listen_watch = 0;
    }
    chardev_emit_event(s->chr, CHR_EVENT_OPENED);
}

static void clear_source(guint *id)
{
    if (*id) {
        g_source_remove(*id);
        *id = 0;
    }
}

static void sock_disconnect(ChrSocket *s)
{
    clear_source(&s->drop_source);
    if (s->fd < 0) {
        return;
    }
    clear_source(&s->read_watch);
    clear_source(&s->write_watch);
    close(s->fd);
    s->fd = -1;
    g_byte_array_set_size(s->chr->pending, 0);
    g_byte_array_set_size(s->out, 0);
    chardev_emit_event(s->chr, CHR_EVENT_CLOSED);
    /* writes are dropped now: a front end holding output may go on */
    chardev_notify_writable(s->chr);
    sock_watch_listen(s);
}

static gboolean sock_drop_cb(gpointer opaque)
{
    ChrSocket *s = opaque;
    s->drop_source = 0;
    sock_disconnect(s);
    return G_SOURCE_REMOVE;
}

/* Close the peer from the main loop; until then it gets no input or output. */
static void sock_schedule_disconnect(ChrSocket *s)
{
    if (s->fd < 0 || s->drop_source) {
        return;
    }
    clear_source(&s->read_watch);
    clear_source(&s->write_watch);
    s->drop_source = g_idle_add_full(G_PRIORITY_DEFAULT, sock_drop_cb, s, NULL);
}

void chardev_socket_drop(Chardev *chr, const char *reason)
{
    ChrSocket *s = chr->sock;
    if (s->fd < 0 || s->drop_source) {
        return;
    }
    warn_report("chardev '%s' (%s): dropping the client: %s", chr->id, s->desc, reason);
    sock_schedule_disconnect(s);
}

static gboolean sock_readable(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    ChrSocket *s = opaque;
    uint8_t buf[4096];
    ssize_t n = read(s->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        s->read_watch = 0;           /* removed by returning REMOVE */
        sock_schedule_disconnect(s);
        return G_SOURCE_REMOVE;
    }
    chardev_feed(s->chr, buf, n);
    if (s->chr->pending->len >= SOCK_BACKLOG_MAX) {
        s->read_watch = 0;           /* resumed by chardev_socket_resume() */
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void chardev_socket_resume(Chardev *chr)
{
    ChrSocket *s = chr->sock;
    if (s && s->fd >= 0 && !s->read_watch && !s->drop_source) {
        s->read_watch = watch_fd(s->fd, sock_readable, s);
    }
}

static gboolean sock_listen_again(gpointer opaque)
{
    ChrSocket *s = opaque;
    s->retry_source = 0;
    if (s->fd < 0) {
        sock_watch_listen(s);
    }
    return G_SOURCE_REMOVE;
}

static gboolean sock_acceptable(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    ChrSocket *s = opaque;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* the peer stays in the backlog and the socket stays readable:
             * watching it now would spin the main loop, so look again later */
            warn_report("chardev '%s' (%s): cannot accept a client: %s; retrying in 1 s",
                        s->chr->id, s->desc, g_strerror(errno));
            s->listen_watch = 0;
            s->retry_source = g_timeout_add(1000, sock_listen_again, s);
            return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
    }
    s->listen_watch = 0;             /* sock_attach must not remove us twice */
    sock_attach(s, fd);
    return G_SOURCE_REMOVE;
}

void chardev_socket_cleanup(Chardev *chr)
{
    if (chr->sock && chr->sock->unlink_path) {
        unlink(chr->sock->unlink_path);
        g_clear_pointer(&chr->sock->unlink_path, g_free);
    }
}

const char *chardev_socket_desc(Chardev *chr)
{
    return chr->sock && chr->sock->desc ? chr->sock->desc : "socket";
}

bool chardev_socket_connected(Chardev *chr)
{
    return chr->sock && chr->sock->fd >= 0;
}

/* Send what is queued; true if the peer is still there. */
static bool sock_flush(ChrSocket *s)
{
    while (s->out->len) {
        ssize_t n = send(s->fd, s->out->data, s->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            sock_schedule_disconnect(s);      /* EPIPE, ECONNRESET: the peer left */
            return false;
        }
        g_byte_array_remove_range(s->out, 0, n);
    }
    return true;
}

static gboolean sock_writable(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    ChrSocket *s = opaque;
    if (!sock_flush(s)) {
        s->write_watch = 0;          /* removed with REMOVE below */
        return G_SOURCE_REMOVE;
    }
    if (s->out->len) {
        return G_SOURCE_CONTINUE;
    }
    s->write_watch = 0;
    chardev_notify_writable(s->chr);
    return G_SOURCE_REMOVE;
}

int chardev_socket_write(Chardev *chr, const uint8_t *buf, int len)
{
    ChrSocket *s = chr->sock;
    if (s->fd < 0 || s->drop_source) {
        return len;                  /* no peer (or leaving): dropped */
    }
    if (s->out->len >= CHR_OUT_MAX) {
        chr->want_writable = true;
        return 0;
    }
    g_byte_array_append(s->out, buf, len);
    if (!sock_flush(s)) {
        return len;
    }
    if (s->out->len && !s->write_watch) {
        GIOChannel *ch = g_io_channel_unix_new(s->fd);
        s->write_watch = g_io_add_watch(ch, G_IO_OUT | G_IO_ERR | G_IO_HUP, sock_writable, s);
        g_io_channel_unref(ch);
    }
    return len;
}

void chardev_socket_shutdown(Chardev *chr)
{
    ChrSocket *s = chr->sock;
    clear_source(&s->drop_source);
    clear_source(&s->read_watch);
    clear_source(&s->write_watch);
    clear_source(&s->listen_watch);
    clear_source(&s->retry_source);
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    chardev_socket_cleanup(chr);
}

void chardev_socket_free(Chardev *chr)
{
    ChrSocket *s = chr->sock;
    chardev_socket_shutdown(chr);
    g_byte_array_free(s->out, TRUE);
    g_free(s->desc);
    g_free(s);
    chr->sock = NULL;
}

/* Resolve and create a socket; server: bind+listen, client: connect. */
static int sock_open_unix(const char *path, bool server, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        vireo_set_error(errp, "UNIX socket path '%s' is too long", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        vireo_set_error(errp, "socket: %s", g_strerror(errno));
        return -1;
    }
    if (server) {
        unlink(path);                /* a stale socket from an earlier run */
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
            vireo_set_error(errp, "Failed to bind socket to %s: %s", path, g_strerror(errno));
            close(fd);
            return -1;
        }
    } else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        vireo_set_error(errp, "Failed to connect to '%s': %s", path, g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int sock_open_tcp(const char *host, const char *port, bool server, GError **errp)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    if (server) {
        hints.ai_flags = AI_PASSIVE;
    }
    if (!host || !*host) {
        host = server ? NULL : "localhost";
        if (server) {
            hints.ai_family = AF_INET;   /* QEMU's "tcp::1234" listens on 0.0.0.0 */
        }
    }
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        vireo_set_error(errp, "address resolution failed for %s:%s: %s", host ? host : "",
                        port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (server) {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) {
                break;
            }
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        vireo_set_error(errp, "Failed to %s to %s:%s: %s", server ? "bind socket" : "connect",
                        host ? host : "0.0.0.0", port, g_strerror(err));
    }
    return fd;
}

Chardev *chardev_socket_new(const char *id, const char *path, const char *host,
                            const char *port, bool server, bool wait, GError **errp)
{
    int fd = path ? sock_open_unix(path, server, errp) : sock_open_tcp(host, port, server, errp);
    if (fd < 0) {
        return NULL;
    }
    /* a peer that goes away must not kill Vireo through SIGPIPE */
    signal(SIGPIPE, SIG_IGN);

    Chardev *chr = g_new0(Chardev, 1);
    ChrSocket *s = g_new0(ChrSocket, 1);
    chr->id = g_strdup(id);
    chr->kind = CHR_SOCKET;
    chr->out_fd = -1;
    chr->pending = g_byte_array_new();
    chr->sock = s;
    s->chr = chr;
    s->server = server;
    s->fd = -1;
    s->listen_fd = -1;
    s->out = g_byte_array_new();
    s->desc = path ? g_strdup_printf("unix:%s", path)
                   : g_strdup_printf("tcp:%s:%s", host ? host : "", port);
    if (!server) {
        sock_attach(s, fd);
        return chr;
    }
    s->listen_fd = fd;
    s->unlink_path = path ? g_strdup(path) : NULL;
    if (wait) {
        fprintf(stderr, "vireo: waiting for connection on: disconnected:%s,server=on\n", s->desc);
        int peer;
        do {
            peer = accept(fd, NULL, NULL);
        } while (peer < 0 && errno == EINTR);
        if (peer < 0) {
            vireo_set_error(errp, "accept on %s: %s", s->desc, g_strerror(errno));
            chardev_socket_free(chr);
            g_byte_array_free(chr->pending, TRUE);
            g_free(chr->id);
            g_free(chr);
            return NULL;
        }
        sock_attach(s, peer);
    } else {
        sock_watch_listen(s);
    }
    return chr;
}

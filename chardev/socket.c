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
 * Writes block until done (monitors and qtest replies are small); a write to
 * a server without a peer is dropped, as QEMU does.
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

#define SOCK_BACKLOG_MAX (64 * 1024)   /* stop reading while this much waits */

struct ChrSocket {
    Chardev *chr;
    char *desc;          /* "unix:PATH" / "tcp:HOST:PORT" for messages */
    bool server;
    int listen_fd;       /* server only */
    int fd;              /* connected peer, or -1 */
    guint listen_watch;
    guint read_watch;
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

static void sock_disconnect(ChrSocket *s)
{
    if (s->fd < 0) {
        return;
    }
    if (s->read_watch) {
        g_source_remove(s->read_watch);
        s->read_watch = 0;
    }
    close(s->fd);
    s->fd = -1;
    g_byte_array_set_size(s->chr->pending, 0);
    chardev_emit_event(s->chr, CHR_EVENT_CLOSED);
    sock_watch_listen(s);
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
        sock_disconnect(s);
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
    if (s && s->fd >= 0 && !s->read_watch) {
        s->read_watch = watch_fd(s->fd, sock_readable, s);
    }
}

static gboolean sock_acceptable(GIOChannel *ch, GIOCondition cond, gpointer opaque)
{
    ChrSocket *s = opaque;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) {
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

int chardev_socket_write(Chardev *chr, const uint8_t *buf, int len)
{
    ChrSocket *s = chr->sock;
    int done = 0;
    while (s->fd >= 0 && done < len) {
        ssize_t n = send(s->fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd p = { .fd = s->fd, .events = POLLOUT };
                poll(&p, 1, 1000);
                continue;
            }
            sock_disconnect(s);      /* EPIPE, ECONNRESET: the peer left */
            break;
        }
        done += n;
    }
    return len;
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
            return NULL;
        }
        sock_attach(s, peer);
    } else {
        sock_watch_listen(s);
    }
    return chr;
}

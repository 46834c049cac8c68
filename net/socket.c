/*
 * -netdev socket: join Vireo (or QEMU) instances over a host socket.
 *   listen=[host]:port / connect=host:port  TCP; each frame is sent as a
 *                                           4-byte big-endian length + data
 *                                           (QEMU's stream format)
 *   mcast=maddr:port[,localaddr=addr]       UDP multicast, one frame a datagram
 *   udp=host:port,localaddr=host:port       unicast UDP, one frame a datagram
 * A listening socket takes one peer at a time; when it goes, the next may
 * connect.  Writes never block the main loop: a frame that does not fit
 * in the socket stays queued (flow control) until the socket drains.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <glib-unix.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "util/error.h"
#include <sys/socket.h>
#include <unistd.h>

#include "net/backends.h"
#include "net/fdpeer.h"
#include "util/log.h"

typedef enum { SOCK_MODE_STREAM, SOCK_MODE_DGRAM } SockMode;

typedef struct SocketState {
    FdPeer fp;                   /* fp.fd: connected stream, or the datagram socket */
    SockMode mode;
    int listen_fd;
    guint listen_watch;
    struct sockaddr_storage dgram_dst;
    socklen_t dgram_dst_len;
    char *desc;
    /* stream reassembly: 4-byte length then the frame */
    uint8_t hdr[4];
    uint32_t hdr_have, frame_len, frame_have;
    /* stream output not yet accepted by the kernel */
    GByteArray *out;
    guint out_watch;
} SocketState;

static void sock_disconnect(SocketState *s);

static ssize_t stream_read_frame(FdPeer *fp, uint8_t *buf, size_t size)
{
    SocketState *s = (SocketState *)fp;
    for (;;) {
        if (s->hdr_have < 4) {
            ssize_t n = read(fp->fd, s->hdr + s->hdr_have, 4 - s->hdr_have);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                sock_disconnect(s);
                return 0;
            }
            if (n < 0) {
                return 0;
            }
            s->hdr_have += n;
            if (s->hdr_have < 4) {
                continue;
            }
            s->frame_len = (uint32_t)s->hdr[0] << 24 | s->hdr[1] << 16 | s->hdr[2] << 8 | s->hdr[3];
            s->frame_have = 0;
            if (s->frame_len > size) {
                /* a peer that sends this is not speaking the protocol */
                vlog(LOG_GUEST_ERRORS, "net socket %s: frame of %u bytes, dropping the connection\n",
                     fp->nc.name, s->frame_len);
                sock_disconnect(s);
                return 0;
            }
        }
        ssize_t n = read(fp->fd, buf + s->frame_have, s->frame_len - s->frame_have);
        if (s->frame_len && (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))) {
            sock_disconnect(s);
            return 0;
        }
        if (n < 0) {
            return 0;
        }
        s->frame_have += n;
        if (s->frame_have == s->frame_len) {
            s->hdr_have = 0;
            return s->frame_len;
        }
    }
}

static ssize_t dgram_read_frame(FdPeer *fp, uint8_t *buf, size_t size)
{
    ssize_t n = recv(fp->fd, buf, size, 0);
    return n < 0 ? -errno : n;
}

static gboolean stream_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    SocketState *s = opaque;
    while (s->out->len) {
        ssize_t n = send(fd, s->out->data, s->out->len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return G_SOURCE_CONTINUE;
            }
            s->out_watch = 0;
            sock_disconnect(s);
            return G_SOURCE_REMOVE;
        }
        g_byte_array_remove_range(s->out, 0, n);
    }
    s->out_watch = 0;
    /* room again: frames the NIC left queued may come */
    net_flush_queued_packets(&s->fp.nc);
    return G_SOURCE_REMOVE;
}

static ssize_t sock_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    SocketState *s = (SocketState *)nc;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    if (s->fp.fd < 0) {
        return len;                      /* not connected: the wire is cut */
    }
    if (s->mode == SOCK_MODE_DGRAM) {
        struct msghdr m = {
            .msg_name = &s->dgram_dst, .msg_namelen = s->dgram_dst_len,
            .msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt,
        };
        ssize_t n = sendmsg(s->fp.fd, &m, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
            return 0;
        }
        return len;
    }
    if (s->out->len) {
        return 0;                        /* previous frame still going out */
    }
    uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };
    g_byte_array_append(s->out, hdr, 4);
    for (int i = 0; i < iovcnt; i++) {
        g_byte_array_append(s->out, iov[i].iov_base, iov[i].iov_len);
    }
    stream_writable(s->fp.fd, G_IO_OUT, s);
    if (s->out->len && !s->out_watch) {
        s->out_watch = g_unix_fd_add(s->fp.fd, G_IO_OUT, stream_writable, s);
    }
    return len;
}

static bool sock_can_receive(NetClientState *nc)
{
    SocketState *s = (SocketState *)nc;
    return s->mode == SOCK_MODE_DGRAM || !s->out || s->out->len == 0;
}

static gboolean listen_accept(gint fd, GIOCondition cond, gpointer opaque);

static void sock_disconnect(SocketState *s)
{
    fdpeer_stop_reading(&s->fp);
    if (s->out_watch) {
        g_source_remove(s->out_watch);
        s->out_watch = 0;
    }
    if (s->fp.fd >= 0) {
        close(s->fp.fd);
        s->fp.fd = -1;
    }
    if (s->out) {
        g_byte_array_set_size(s->out, 0);
    }
    s->hdr_have = 0;
    net_flush_queued_packets(&s->fp.nc);     /* now dropped on the cut wire */
    if (s->listen_fd >= 0 && !s->listen_watch) {
        s->listen_watch = g_unix_fd_add(s->listen_fd, G_IO_IN, listen_accept, s);
    }
}

static void sock_attach(SocketState *s, int fd)
{
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    s->fp.fd = fd;
    s->fp.read_frame = stream_read_frame;
    s->hdr_have = 0;
    fdpeer_start_reading(&s->fp);
}

static gboolean listen_accept(gint fd, GIOCondition cond, gpointer opaque)
{
    SocketState *s = opaque;
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
        return G_SOURCE_CONTINUE;
    }
    s->listen_watch = 0;
    sock_attach(s, c);
    return G_SOURCE_REMOVE;      /* one peer at a time */
}

static void sock_cleanup(NetClientState *nc)
{
    SocketState *s = (SocketState *)nc;
    sock_disconnect(s);
    if (s->listen_watch) {
        g_source_remove(s->listen_watch);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    if (s->out) {
        g_byte_array_unref(s->out);
    }
    g_free(s->fp.buf);
    g_free(s->desc);
}

static void sock_info(NetClientState *nc, GString *out)
{
    g_string_append(out, ((SocketState *)nc)->desc);
}

static const NetClientInfo socket_info_ops = {
    .type = NET_CLIENT_DRIVER_SOCKET,
    .size = sizeof(SocketState),
    .receive = sock_receive,
    .can_receive = sock_can_receive,
    .cleanup = sock_cleanup,
    .info_str = sock_info,
};

/* "host:port" (host may be empty: any / localhost) -> addrinfo */
static struct addrinfo *resolve(const char *spec, bool passive, int socktype, GError **errp)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || !colon[1]) {
        vireo_set_error(errp, "'%s': expected host:port", spec);
        return NULL;
    }
    char *host = g_strndup(spec, colon - spec);
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = socktype,
                              .ai_flags = passive ? AI_PASSIVE : 0 };
    struct addrinfo *ai = NULL;
    int r = getaddrinfo(*host ? host : (passive ? NULL : "127.0.0.1"), colon + 1, &hints, &ai);
    g_free(host);
    if (r) {
        vireo_set_error(errp, "'%s': %s", spec, gai_strerror(r));
        return NULL;
    }
    return ai;
}

/* fd=N: a socket the parent process opened and passed down (libqtest's
 * socketpair, libvirt): a stream socket carries QEMU's length-prefixed
 * frames; a datagram socket must be connected, one frame a datagram. */
static NetClientState *socket_from_fd(const char *fd_s, const char *id, GError **errp)
{
    char *end;
    errno = 0;
    long n = strtol(fd_s, &end, 10);
    int type = 0;
    socklen_t len = sizeof(type);
    if (errno || end == fd_s || *end || n < 0 || n > INT_MAX) {
        vireo_set_error(errp, "fd=%s: not a file descriptor number", fd_s);
        return NULL;
    }
    int fd = n;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
        (type != SOCK_STREAM && type != SOCK_DGRAM)) {
        vireo_set_error(errp, "fd=%s: not a stream or datagram socket (%s)", fd_s,
                        type ? "other socket type" : g_strerror(errno));
        return NULL;
    }
    SocketState *s = (SocketState *)net_client_new(&socket_info_ops, NULL, "socket", id);
    s->fp.fd = -1;
    s->listen_fd = -1;
    s->out = g_byte_array_new();
    s->desc = g_strdup_printf("fd=%d", fd);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (type == SOCK_STREAM) {
        s->mode = SOCK_MODE_STREAM;
        sock_attach(s, fd);
        return &s->fp.nc;
    }
    s->mode = SOCK_MODE_DGRAM;
    s->dgram_dst_len = sizeof(s->dgram_dst);
    if (getpeername(fd, (struct sockaddr *)&s->dgram_dst, &s->dgram_dst_len) < 0) {
        vireo_set_error(errp, "fd=%s: a datagram socket must be connected", fd_s);
        net_client_free(&s->fp.nc);
        return NULL;
    }
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    s->fp.fd = fd;
    s->fp.read_frame = dgram_read_frame;
    fdpeer_start_reading(&s->fp);
    return &s->fp.nc;
}

NetClientState *net_init_socket(KeyVal *kv, const char *id, GError **errp)
{
    const char *listen_s = keyval_take(kv, "listen");
    const char *connect_s = keyval_take(kv, "connect");
    const char *mcast_s = keyval_take(kv, "mcast");
    const char *udp_s = keyval_take(kv, "udp");
    const char *local_s = keyval_take(kv, "localaddr");
    const char *fd_s = keyval_take(kv, "fd");
    int modes = !!listen_s + !!connect_s + !!mcast_s + !!udp_s + !!fd_s;
    if (modes != 1) {
        vireo_set_error(errp, "exactly one of fd=, listen=, connect=, mcast= or udp= is required");
        return NULL;
    }
    if (fd_s) {
        return socket_from_fd(fd_s, id, errp);
    }
    if (udp_s && !local_s) {
        vireo_set_error(errp, "localaddr= is mandatory with udp=");
        return NULL;
    }
    int fd = -1, lfd = -1;
    SockMode mode = SOCK_MODE_STREAM;
    struct sockaddr_storage dst = { 0 };
    socklen_t dst_len = 0;
    const char *spec = listen_s ? listen_s : connect_s ? connect_s : mcast_s ? mcast_s : udp_s;
    struct addrinfo *ai = resolve(spec, listen_s || mcast_s, (listen_s || connect_s) ? SOCK_STREAM : SOCK_DGRAM, errp);
    if (!ai) {
        return NULL;
    }
    if (listen_s) {
        lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (lfd < 0 || bind(lfd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(lfd, 1) < 0) {
            vireo_set_error(errp, "listen=%s: %s", spec, g_strerror(errno));
            goto fail;
        }
        g_unix_set_fd_nonblocking(lfd, TRUE, NULL);
    } else if (connect_s) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            vireo_set_error(errp, "connect=%s: %s", spec, g_strerror(errno));
            goto fail;
        }
    } else {
        mode = SOCK_MODE_DGRAM;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        memcpy(&dst, ai->ai_addr, ai->ai_addrlen);
        dst_len = ai->ai_addrlen;
        struct sockaddr_in bind_addr = { .sin_family = AF_INET };
        if (mcast_s) {
            struct sockaddr_in *m = (struct sockaddr_in *)&dst;
            if (!IN_MULTICAST(ntohl(m->sin_addr.s_addr))) {
                vireo_set_error(errp, "mcast=%s: not a multicast address", spec);
                goto fail;
            }
            bind_addr.sin_port = m->sin_port;
            struct ip_mreq mreq = { .imr_multiaddr = m->sin_addr };
            if (local_s && inet_pton(AF_INET, local_s, &mreq.imr_interface) != 1) {
                vireo_set_error(errp, "localaddr=%s: not an IPv4 address", local_s);
                goto fail;
            }
            /* send from the interface the group is joined on, or the
             * frames leave by the default route and miss the members
             * there (localaddr=127.0.0.1 for instances on one host) */
            if (local_s && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq.imr_interface,
                                      sizeof(mreq.imr_interface)) < 0) {
                vireo_set_error(errp, "localaddr=%s: %s", local_s, g_strerror(errno));
                goto fail;
            }
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
            if (bind(fd, (struct sockaddr *)&bind_addr, sizeof(bind_addr)) < 0 ||
                setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
                vireo_set_error(errp, "mcast=%s: %s", spec, g_strerror(errno));
                goto fail;
            }
        } else {
            GError *e2 = NULL;
            struct addrinfo *lai = resolve(local_s, true, SOCK_DGRAM, &e2);
            if (!lai) {
                g_propagate_error(errp, e2);
                goto fail;
            }
            int r = bind(fd, lai->ai_addr, lai->ai_addrlen);
            freeaddrinfo(lai);
            if (r < 0) {
                vireo_set_error(errp, "localaddr=%s: %s", local_s, g_strerror(errno));
                goto fail;
            }
        }
        g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    }
    freeaddrinfo(ai);
    SocketState *s = (SocketState *)net_client_new(&socket_info_ops, NULL, "socket", id);
    s->mode = mode;
    s->fp.fd = -1;
    s->listen_fd = lfd;
    s->out = g_byte_array_new();
    s->desc = g_strdup_printf("%s=%s", listen_s ? "listen" : connect_s ? "connect" : mcast_s ? "mcast" : "udp", spec);
    if (mode == SOCK_MODE_DGRAM) {
        s->dgram_dst = dst;
        s->dgram_dst_len = dst_len;
        s->fp.fd = fd;
        s->fp.read_frame = dgram_read_frame;
        fdpeer_start_reading(&s->fp);
    } else if (fd >= 0) {
        sock_attach(s, fd);
    } else {
        s->listen_watch = g_unix_fd_add(lfd, G_IO_IN, listen_accept, s);
    }
    return &s->fp.nc;

fail:
    freeaddrinfo(ai);
    if (fd >= 0) {
        close(fd);
    }
    if (lfd >= 0) {
        close(lfd);
    }
    return NULL;
}

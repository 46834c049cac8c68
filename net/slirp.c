/*
 * -netdev user: libslirp's user-mode TCP/IP stack.  The guest sees a
 * gateway (10.0.2.2 by default) with DHCP, DNS and TFTP; its connections
 * become host sockets.  Options as QEMU's: net=ADDR[/MASK], host=,
 * dhcpstart=, dns=, hostname=, domainname=, dnssearch= (repeatable),
 * ipv4=, ipv6=, ipv6-net=, ipv6-host=, ipv6-dns=, restrict=on|off,
 * tftp=DIR, bootfile=, tftp-server-name=, smb= (refused: no samba),
 * hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (repeatable),
 * guestfwd=[tcp]:SERVER:PORT-CHARDEVSPEC (repeatable).
 *
 * Slirp's sockets join the GLib main loop through one GSource whose poll
 * set is refreshed from slirp_pollfds_fill() before every sleep (and
 * re-registered only when its fds change); its
 * timers are host-clock timers of hw/core/timer.h.  Nothing polls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

#include "chardev/chardev.h"
#include "hw/core/timer.h"
#include "system/cpus.h"
#include "net/backends.h"
#include "net/checksum.h"
#include "util/iov.h"
#include "util/log.h"

/*
 * What the guest's IPv4 fragments have given slirp (frag_admit()): a
 * datagram (id, source, destination, protocol, as on the wire) whose first
 * piece slirp took, and where its next piece must start.
 */
typedef struct FragQueue {
    uint8_t key[11];
    bool used;
    bool open;          /* slirp holds its queue and takes the piece at next */
    unsigned next;
    int64_t since;      /* CLOCK_HOST ns: the first piece */
} FragQueue;

#define FRAG_QUEUES   64
#define FRAG_OPEN_NS  (15 * 1000000000ll)   /* then the datagram is given up */
#define FRAG_HOLD_NS  (45 * 1000000000ll)   /* slirp has dropped its queue by then */

typedef struct SlirpState {
    NetClientState nc;
    FragQueue frags[FRAG_QUEUES];
    Slirp *slirp;
    GSource *src;
    GArray *pollfds;             /* GPollFD, registered with src */
    GArray *next;                /* GPollFD, the set slirp asks for now */
    GPtrArray *guestfwd;         /* GuestFwd * */
    char *desc;
    bool input;                  /* slirp_input since the last poll */
    gint64 deadline;             /* slirp's timeout, monotonic us; -1: none */
} SlirpState;

typedef struct SlirpGSource {
    GSource source;
    SlirpState *s;
} SlirpGSource;

typedef struct GuestFwd {
    SlirpState *s;
    Chardev *chr;
    struct in_addr server;
    int port;
} GuestFwd;

typedef struct SlirpTimer {
    Timer *t;
    SlirpState *s;
    SlirpTimerId id;
    void *cb_opaque;
} SlirpTimer;

/* ---- callbacks from libslirp ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    SlirpState *s = opaque;
    /* Slirp tolerates drops (TCP retransmits), but net_send queues with a
     * bound rather than dropping while the NIC is merely busy. */
    net_send(&s->nc, buf, len, NULL);
    return len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    vlog(LOG_GUEST_ERRORS, "slirp: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    return clock_get_ns(CLOCK_HOST);
}

static void slirp_timer_cb(void *opaque)
{
    SlirpTimer *st = opaque;
    slirp_handle_timer(st->s->slirp, st->id, st->cb_opaque);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    SlirpTimer *st = g_new0(SlirpTimer, 1);
    st->s = opaque;
    st->id = id;
    st->cb_opaque = cb_opaque;
    st->t = timer_new(CLOCK_HOST, slirp_timer_cb, st);
    return st;
}

static void cb_timer_free(void *timer, void *opaque)
{
    SlirpTimer *st = timer;
    timer_free(st->t);
    g_free(st);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    SlirpTimer *st = timer;
    timer_mod(st->t, expire_ms * 1000000);
}

static void cb_register_poll_fd(int fd, void *opaque) { }
static void cb_unregister_poll_fd(int fd, void *opaque) { }

static void cb_notify(void *opaque)
{
    g_main_context_wakeup(NULL);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- main-loop integration ---- */

static int poll_events_to_glib(int ev)
{
    int g = 0;
    if (ev & SLIRP_POLL_IN) g |= G_IO_IN;
    if (ev & SLIRP_POLL_OUT) g |= G_IO_OUT;
    if (ev & SLIRP_POLL_PRI) g |= G_IO_PRI;
    if (ev & SLIRP_POLL_ERR) g |= G_IO_ERR;
    if (ev & SLIRP_POLL_HUP) g |= G_IO_HUP;
    return g;
}

static int add_poll_cb(int fd, int events, void *opaque)
{
    SlirpState *s = opaque;
    GPollFD pfd = { .fd = fd, .events = poll_events_to_glib(events) };
    g_array_append_val(s->next, pfd);
    return s->next->len - 1;
}

static int get_revents_cb(int idx, void *opaque)
{
    SlirpState *s = opaque;
    if (idx < 0 || (guint)idx >= s->pollfds->len) {
        return 0;
    }
    int r = g_array_index(s->pollfds, GPollFD, idx).revents, ev = 0;
    if (r & G_IO_IN) ev |= SLIRP_POLL_IN;
    if (r & G_IO_OUT) ev |= SLIRP_POLL_OUT;
    if (r & G_IO_PRI) ev |= SLIRP_POLL_PRI;
    if (r & G_IO_ERR) ev |= SLIRP_POLL_ERR;
    if (r & G_IO_HUP) ev |= SLIRP_POLL_HUP;
    return ev;
}

static void unregister_pollfds(SlirpState *s)
{
    for (guint i = 0; i < s->pollfds->len; i++) {
        g_source_remove_poll(s->src, &g_array_index(s->pollfds, GPollFD, i));
    }
    g_array_set_size(s->pollfds, 0);
}

/*
 * GLib wakes its context on every g_source_add_poll/remove_poll, so
 * re-registering the whole set in each prepare() would make poll() return
 * at once, for ever: the main loop would spin and, with vCPU threads, keep
 * the big lock from them.  The registered records are re-registered only
 * when the fds change; new events for the same fds are written in place,
 * which the query after prepare() reads.
 */
static gboolean slirp_src_prepare(GSource *src, gint *timeout)
{
    SlirpState *s = ((SlirpGSource *)src)->s;
    uint32_t t = UINT32_MAX;
    g_array_set_size(s->next, 0);
    slirp_pollfds_fill(s->slirp, &t, add_poll_cb, s);
    bool same = s->next->len == s->pollfds->len;
    for (guint i = 0; same && i < s->next->len; i++) {
        same = g_array_index(s->next, GPollFD, i).fd == g_array_index(s->pollfds, GPollFD, i).fd;
    }
    if (same) {
        for (guint i = 0; i < s->next->len; i++) {
            GPollFD *p = &g_array_index(s->pollfds, GPollFD, i);
            p->events = g_array_index(s->next, GPollFD, i).events;
            p->revents = 0;
        }
    } else {
        unregister_pollfds(s);
        g_array_append_vals(s->pollfds, s->next->data, s->next->len);
        /* the array no longer moves until the set changes: register it */
        for (guint i = 0; i < s->pollfds->len; i++) {
            g_source_add_poll(src, &g_array_index(s->pollfds, GPollFD, i));
        }
    }
    *timeout = t == UINT32_MAX ? -1 : (gint)MIN(t, (uint32_t)G_MAXINT);
    s->deadline = t == UINT32_MAX ? -1 : g_get_monotonic_time() + (gint64)t * 1000;
    if (s->input) {
        /* dispatch in this iteration, after a poll without waiting */
        *timeout = 0;
        return TRUE;
    }
    return FALSE;
}

/*
 * Ready when a socket has events, when slirp's own timeout (TCP's delayed
 * ACK and retransmission clocks) is due, or after guest frames: slirp
 * holds a reply whose destination it had to resolve first (ARP, NDP) until
 * its next poll, and drops it when that comes a second late.  The guest's
 * answer to the resolution is an input, so the poll right after it sends
 * the reply; QEMU's main loop polls slirp at every iteration.
 */
static gboolean slirp_src_check(GSource *src)
{
    SlirpState *s = ((SlirpGSource *)src)->s;
    if (s->input || (s->deadline >= 0 && g_get_monotonic_time() >= s->deadline)) {
        return TRUE;
    }
    for (guint i = 0; i < s->pollfds->len; i++) {
        if (g_array_index(s->pollfds, GPollFD, i).revents) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean slirp_src_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    SlirpState *s = ((SlirpGSource *)src)->s;
    s->input = false;
    slirp_pollfds_poll(s->slirp, 0, get_revents_cb, s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs slirp_src_funcs = {
    .prepare = slirp_src_prepare,
    .check = slirp_src_check,
    .dispatch = slirp_src_dispatch,
};

/* ---- guest side ---- */

/*
 * Debian's libslirp 4.7.0 (libslirp0 4.7.0-1, built with LTO) crashes on
 * IPv4 reassembly input no IP stack sends but any guest can: a last
 * fragment that starts a queue, or pieces that overlap.  Its ip_input.c
 * links queues and fragments through pointers of two struct types, and
 * the compiler's aliasing assumptions let ip_reass() follow a wild pointer
 * (tests/fuzz/README.md, "Bugs found").  So fragments reach slirp only as
 * a guest's stack sends them: each datagram's pieces in order, from offset
 * 0, without gaps or overlaps, each but the last a multiple of 8 bytes;
 * anything else is dropped here (IP loses a datagram, an architected
 * outcome).  Frames slirp's ip_input() drops before reassembly pass
 * untracked.  A datagram not finished within FRAG_OPEN_NS is given up and
 * its key refused until slirp's own timeout (IPFRAGTTL, 30 s) has dropped
 * the queue.
 */
static bool frag_admit(SlirpState *s, const uint8_t *f, size_t len)
{
    if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00) {
        return true;
    }
    const uint8_t *ip = f + 14;
    size_t avail = len - 14, hlen = (ip[0] & 15) * 4;
    unsigned tot = ip[2] << 8 | ip[3], off = ip[6] << 8 | ip[7];
    if (ip[0] >> 4 != 4 || hlen < 20 || hlen > avail || tot < hlen || tot > avail || !ip[8]) {
        return true;                            /* slirp drops it first */
    }
    if (net_checksum_finish(net_checksum_add(0, ip, hlen)) || !(off & ~0x4000u)) {
        return true;                            /* a bad checksum, or no fragment */
    }
    uint8_t key[11];
    memcpy(key, ip + 4, 2);
    memcpy(key + 2, ip + 12, 8);
    key[10] = ip[9];
    int64_t now = clock_get_ns(CLOCK_HOST);
    FragQueue *q = NULL, *unused = NULL;
    for (unsigned i = 0; i < FRAG_QUEUES; i++) {
        FragQueue *c = &s->frags[i];
        if (c->used && now - c->since > (c->open ? FRAG_OPEN_NS : FRAG_HOLD_NS)) {
            if (c->open) {
                c->open = false;                /* given up: held until slirp's is gone */
            } else {
                c->used = false;
            }
        }
        if (c->used && !memcmp(c->key, key, sizeof(key))) {
            q = c;
        } else if (!c->used && !unused) {
            unused = c;
        }
    }
    bool mf = off & 0x2000;
    unsigned at = (off & 0x1fff) * 8, flen = tot - hlen;
    if (!mf && !at) {
        return !q;          /* only the reserved bit: slirp would free a queue */
    }
    if (!at) {
        /* a first piece starts a queue: not over one slirp may hold */
        if (q || !unused || !flen || (flen & 7)) {
            return false;
        }
        *unused = (FragQueue){ .used = true, .open = true, .next = flen, .since = now };
        memcpy(unused->key, key, sizeof(key));
        return true;
    }
    if (!q || !q->open) {
        return false;
    }
    if (at != q->next || !flen || (mf && (flen & 7)) || at + flen > 65535 - hlen) {
        q->open = false;    /* slirp keeps the queue until its timeout */
        return false;
    }
    q->next += flen;
    if (!mf) {
        q->used = false;    /* complete: slirp reassembles it and frees the queue */
    }
    return true;
}

static ssize_t slirp_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    SlirpState *s = (SlirpState *)nc;
    static uint8_t buf[NET_BUFSIZE];
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    if (len > sizeof(buf)) {
        return -1;
    }
    iov_to_buf(iov, iovcnt, 0, buf, len);
    if (!frag_admit(s, buf, len)) {
        vlog(LOG_GUEST_ERRORS, "slirp: IPv4 fragment out of order, dropped\n");
        return len;
    }
    slirp_input(s->slirp, buf, (int)len);
    s->input = true;
    if (cpus_in_vcpu_thread()) {
        /*
         * A vCPU thread (thread=multi) delivered the frame while the main
         * loop sleeps on a poll set filled before it: slirp may now want
         * POLLOUT on a host socket it could not write all of, or have a
         * new socket to watch.  Wake the loop so prepare() refills the set.
         */
        g_main_context_wakeup(NULL);
    }
    return len;
}

static void slirp_info(NetClientState *nc, GString *out)
{
    g_string_append(out, ((SlirpState *)nc)->desc);
}

static void slirp_backend_cleanup(NetClientState *nc)
{
    SlirpState *s = (SlirpState *)nc;
    if (s->src) {
        unregister_pollfds(s);
        g_source_destroy(s->src);
        g_source_unref(s->src);
    }
    if (s->slirp) {
        slirp_cleanup(s->slirp);
    }
    g_array_free(s->pollfds, TRUE);
    g_array_free(s->next, TRUE);
    if (s->guestfwd) {
        g_ptr_array_free(s->guestfwd, TRUE);
    }
    g_free(s->desc);
}

static const NetClientInfo slirp_info_ops = {
    .type = NET_CLIENT_DRIVER_USER,
    .size = sizeof(SlirpState),
    .receive = slirp_receive,
    .cleanup = slirp_backend_cleanup,
    .info_str = slirp_info,
    .large_segments = true,     /* libslirp's TCP takes any IP length */
};

/* ---- guestfwd: a guest connection to SERVER:PORT goes to a chardev ---- */

static ssize_t guestfwd_write(const void *buf, size_t len, void *opaque)
{
    GuestFwd *g = opaque;
    return chardev_write(g->chr, buf, (int)len);
}

static int guestfwd_can_read(void *opaque)
{
    GuestFwd *g = opaque;
    return slirp_socket_can_recv(g->s->slirp, g->server, g->port);
}

static void guestfwd_read(void *opaque, const uint8_t *buf, int len)
{
    GuestFwd *g = opaque;
    slirp_socket_recv(g->s->slirp, g->server, g->port, buf, len);
}

/* ---- option parsing ---- */

static bool parse_addr(const char *what, const char *v, struct in_addr *a, GError **errp)
{
    if (!inet_aton(v, a)) {
        vireo_set_error(errp, "%s=%s: invalid IPv4 address", what, v);
        return false;
    }
    return true;
}

/* "tcp:[haddr]:hport-[gaddr]:gport" */
static bool add_hostfwd(SlirpState *s, const char *spec, struct in_addr vnet, GError **errp)
{
    char proto[8] = "tcp", haddr[64] = "", gaddr[64] = "";
    unsigned hport, gport;
    const char *p = spec;
    const char *colon = strchr(p, ':');
    if (!colon) {
        goto bad;
    }
    if (colon != p) {
        if ((size_t)(colon - p) >= sizeof(proto)) {
            goto bad;
        }
        memcpy(proto, p, colon - p);
        proto[colon - p] = 0;
    }
    if (strcmp(proto, "tcp") && strcmp(proto, "udp")) {
        goto bad;
    }
    if (sscanf(colon + 1, "%63[^:]:%u-%63[^:]:%u", haddr, &hport, gaddr, &gport) != 4 &&
        sscanf(colon + 1, ":%u-%63[^:]:%u", &hport, gaddr, &gport) != 3 &&
        sscanf(colon + 1, "%63[^:]:%u-:%u", haddr, &hport, &gport) != 3 &&
        sscanf(colon + 1, ":%u-:%u", &hport, &gport) != 2) {
        goto bad;
    }
    if (hport > 65535 || gport > 65535 || gport == 0) {
        goto bad;
    }
    struct in_addr h = { .s_addr = INADDR_ANY }, g = { .s_addr = 0 };
    if (*haddr && !inet_aton(haddr, &h)) {
        goto bad;
    }
    if (*gaddr && !inet_aton(gaddr, &g)) {
        goto bad;
    }
    if (!*gaddr) {
        g.s_addr = htonl((ntohl(vnet.s_addr) & 0xffffff00) | 15);   /* the first DHCP address */
    }
    if (slirp_add_hostfwd(s->slirp, !strcmp(proto, "udp"), h, (int)hport, g, (int)gport) < 0) {
        vireo_set_error(errp, "could not set up host forwarding rule '%s': %s", spec, g_strerror(errno));
        return false;
    }
    return true;
bad:
    vireo_set_error(errp, "invalid host forwarding rule '%s'", spec);
    return false;
}

static bool add_guestfwd(SlirpState *s, const char *spec, GError **errp)
{
    /* [tcp]:SERVER:PORT-DEV */
    const char *p = spec;
    if (g_str_has_prefix(p, "tcp:")) {
        p += 4;
    } else if (*p == ':') {
        p++;
    }
    const char *dash = strchr(p, '-');
    char server[64];
    unsigned port;
    if (!dash || (size_t)(dash - p) >= sizeof(server) + 8 ||
        sscanf(p, "%63[^:]:%u-", server, &port) != 2 || port == 0 || port > 65535) {
        vireo_set_error(errp, "invalid guest forwarding rule '%s'", spec);
        return false;
    }
    GuestFwd *g = g_new0(GuestFwd, 1);
    g->s = s;
    g->port = (int)port;
    if (!inet_aton(server, &g->server)) {
        vireo_set_error(errp, "guestfwd: invalid server address '%s'", server);
        g_free(g);
        return false;
    }
    char *label = g_strdup_printf("%s-guestfwd%u", s->nc.name, s->guestfwd->len);
    g->chr = chardev_new_from_spec(dash + 1, label, errp);
    g_free(label);
    if (!g->chr) {
        g_free(g);
        return false;
    }
    if (slirp_add_guestfwd(s->slirp, guestfwd_write, g, &g->server, g->port) < 0) {
        vireo_set_error(errp, "conflicting/invalid guest forwarding rule '%s'", spec);
        g_free(g);
        return false;
    }
    if (!chardev_set_handlers(g->chr, guestfwd_can_read, guestfwd_read, g, errp)) {
        g_free(g);
        return false;
    }
    g_ptr_array_add(s->guestfwd, g);
    return true;
}

NetClientState *net_init_slirp(KeyVal *kv, const char *id, GError **errp)
{
    SlirpConfig cfg = { .version = 4 };
    struct in_addr net = { .s_addr = htonl(0x0a000200) }, mask = { .s_addr = htonl(0xffffff00) };
    bool restrict_on = false, ipv4 = true, ipv6 = true;
    const char *v;
    char *tftp = NULL;

    if ((v = keyval_take(kv, "net"))) {
        char *addr = g_strdup(v), *slash = strchr(addr, '/');
        if (slash) {
            *slash++ = 0;
            char *end;
            long bits = strtol(slash, &end, 10);
            struct in_addr m;
            if (!*end && bits >= 1 && bits <= 30) {
                mask.s_addr = htonl(0xffffffffu << (32 - bits));
            } else if (inet_aton(slash, &m)) {
                mask = m;
            } else {
                vireo_set_error(errp, "net=%s: invalid netmask", v);
                g_free(addr);
                return NULL;
            }
        }
        bool ok = parse_addr("net", addr, &net, errp);
        g_free(addr);
        if (!ok) {
            return NULL;
        }
        net.s_addr &= mask.s_addr;
    }
    cfg.vnetwork = net;
    cfg.vnetmask = mask;
    cfg.vhost.s_addr = htonl(ntohl(net.s_addr) | 2);
    cfg.vnameserver.s_addr = htonl(ntohl(net.s_addr) | 3);
    cfg.vdhcp_start.s_addr = htonl(ntohl(net.s_addr) | 15);
    if ((v = keyval_take(kv, "host")) && !parse_addr("host", v, &cfg.vhost, errp)) {
        return NULL;
    }
    if ((v = keyval_take(kv, "dns")) && !parse_addr("dns", v, &cfg.vnameserver, errp)) {
        return NULL;
    }
    if ((v = keyval_take(kv, "dhcpstart")) && !parse_addr("dhcpstart", v, &cfg.vdhcp_start, errp)) {
        return NULL;
    }
    struct in_addr *mine[] = { &cfg.vhost, &cfg.vnameserver, &cfg.vdhcp_start };
    for (size_t i = 0; i < G_N_ELEMENTS(mine); i++) {
        if ((mine[i]->s_addr & mask.s_addr) != net.s_addr) {
            vireo_set_error(errp, "host, dns and dhcpstart addresses must be in the net= network");
            return NULL;
        }
    }
    if (!keyval_take_bool(kv, "restrict", false, &restrict_on, errp) ||
        !keyval_take_bool(kv, "ipv4", true, &ipv4, errp) ||
        !keyval_take_bool(kv, "ipv6", true, &ipv6, errp)) {
        return NULL;
    }
    if (!ipv4 && !ipv6) {
        vireo_set_error(errp, "IPv4 and IPv6 cannot both be disabled");
        return NULL;
    }
    cfg.restricted = restrict_on;
    cfg.in_enabled = ipv4;
    cfg.in6_enabled = ipv6;
    inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
    inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
    if ((v = keyval_take(kv, "ipv6-net"))) {
        char *a = g_strdup(v), *slash = strchr(a, '/');
        if (slash) {
            *slash++ = 0;
            cfg.vprefix_len = atoi(slash);
        }
        bool ok = inet_pton(AF_INET6, a, &cfg.vprefix_addr6) == 1 && cfg.vprefix_len <= 126;
        g_free(a);
        if (!ok) {
            vireo_set_error(errp, "ipv6-net=%s: invalid prefix", v);
            return NULL;
        }
    }
    if ((v = keyval_take(kv, "ipv6-host")) && inet_pton(AF_INET6, v, &cfg.vhost6) != 1) {
        vireo_set_error(errp, "ipv6-host=%s: invalid address", v);
        return NULL;
    }
    if ((v = keyval_take(kv, "ipv6-dns")) && inet_pton(AF_INET6, v, &cfg.vnameserver6) != 1) {
        vireo_set_error(errp, "ipv6-dns=%s: invalid address", v);
        return NULL;
    }
    cfg.vhostname = keyval_take(kv, "hostname");
    cfg.vdomainname = keyval_take(kv, "domainname");
    GPtrArray *search = keyval_take_all(kv, "dnssearch");
    g_ptr_array_add(search, NULL);
    cfg.vdnssearch = search->len > 1 ? (const char **)search->pdata : NULL;
    if ((v = keyval_take(kv, "tftp"))) {
        if (!g_file_test(v, G_FILE_TEST_IS_DIR)) {
            vireo_set_error(errp, "tftp=%s: no such directory", v);
            g_ptr_array_free(search, TRUE);
            return NULL;
        }
        tftp = g_strdup(v);
    }
    cfg.tftp_path = tftp;
    cfg.bootfile = keyval_take(kv, "bootfile");
    cfg.tftp_server_name = keyval_take(kv, "tftp-server-name");
    if ((v = keyval_take(kv, "smb"))) {
        vireo_set_error(errp, "smb= is not supported (Vireo has no samba support)");
        g_ptr_array_free(search, TRUE);
        g_free(tftp);
        return NULL;
    }
    GPtrArray *hostfwd = keyval_take_all(kv, "hostfwd");
    GPtrArray *guestfwd = keyval_take_all(kv, "guestfwd");

    SlirpState *s = (SlirpState *)net_client_new(&slirp_info_ops, NULL, "user", id);
    s->pollfds = g_array_new(FALSE, TRUE, sizeof(GPollFD));
    s->deadline = -1;
    s->next = g_array_new(FALSE, TRUE, sizeof(GPollFD));
    s->guestfwd = g_ptr_array_new_with_free_func(g_free);
    char nbuf[INET_ADDRSTRLEN];
    s->desc = g_strdup_printf("net=%s,restrict=%s", inet_ntop(AF_INET, &net, nbuf, sizeof(nbuf)),
                              restrict_on ? "on" : "off");
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    g_ptr_array_free(search, TRUE);
    g_free(tftp);         /* libslirp keeps its own copies */
    bool ok = s->slirp != NULL;
    if (!ok) {
        vireo_set_error(errp, "could not start user networking");
    }
    for (guint i = 0; ok && i < hostfwd->len; i++) {
        ok = add_hostfwd(s, g_ptr_array_index(hostfwd, i), net, errp);
    }
    for (guint i = 0; ok && i < guestfwd->len; i++) {
        ok = add_guestfwd(s, g_ptr_array_index(guestfwd, i), errp);
    }
    g_ptr_array_free(hostfwd, TRUE);
    g_ptr_array_free(guestfwd, TRUE);
    if (!ok) {
        net_client_free(&s->nc);
        return NULL;
    }
    SlirpGSource *src = (SlirpGSource *)g_source_new(&slirp_src_funcs, sizeof(SlirpGSource));
    src->s = s;
    s->src = &src->source;
    g_source_attach(s->src, NULL);
    return &s->nc;
}

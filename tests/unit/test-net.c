/*
 * Network core: delivery between peers, flow control (a full receiver
 * queues and the sender resumes through its sent callback; senders without
 * flow control are bounded and drops are counted), hubs, link state,
 * libslirp's user network answering a real ARP request and a DHCP
 * DISCOVER from its gateway, and two socket backends (listen/connect on
 * loopback) carrying frames between two "NICs" as two Vireo instances do.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "net/backends.h"
#include "net/checksum.h"
#include "net/gso.h"
#include "net/net.h"
#include "util/keyval.h"

typedef struct FakeNIC {
    NetClientState nc;
    bool full;
    GPtrArray *got;              /* GBytes */
} FakeNIC;

static ssize_t fake_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    FakeNIC *f = (FakeNIC *)nc;
    if (f->full) {
        return 0;
    }
    GByteArray *b = g_byte_array_new();
    for (int i = 0; i < iovcnt; i++) {
        g_byte_array_append(b, iov[i].iov_base, iov[i].iov_len);
    }
    g_ptr_array_add(f->got, g_byte_array_free_to_bytes(b));
    return g_bytes_get_size(g_ptr_array_index(f->got, f->got->len - 1));
}

static bool fake_can_receive(NetClientState *nc)
{
    return !((FakeNIC *)nc)->full;
}

static void fake_cleanup(NetClientState *nc)
{
    g_ptr_array_free(((FakeNIC *)nc)->got, TRUE);
}

static const NetClientInfo fake_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(FakeNIC),
    .receive = fake_receive,
    .can_receive = fake_can_receive,
    .cleanup = fake_cleanup,
};

static FakeNIC *fake_new(NetClientState *peer, const char *name)
{
    FakeNIC *f = (FakeNIC *)net_client_new(&fake_info, peer, "fake", name);
    f->got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    return f;
}

static int sent_calls;
static void on_sent(NetClientState *nc, ssize_t len)
{
    sent_calls++;
}

static void test_flow_control(void)
{
    FakeNIC *a = fake_new(NULL, "a");
    FakeNIC *b = fake_new(&a->nc, "b");
    uint8_t frame[60] = { 1, 2, 3 };
    g_assert_cmpint(net_send(&a->nc, frame, sizeof(frame), on_sent), ==, 60);
    g_assert_cmpuint(b->got->len, ==, 1);

    b->full = true;
    sent_calls = 0;
    g_assert_cmpint(net_send(&a->nc, frame, sizeof(frame), on_sent), ==, 0);   /* queued */
    frame[0] = 9;
    g_assert_cmpint(net_send(&a->nc, frame, sizeof(frame), on_sent), ==, 0);
    g_assert_cmpuint(b->got->len, ==, 1);
    b->full = false;
    net_flush_queued_packets(&b->nc);
    g_assert_cmpint(sent_calls, ==, 2);
    g_assert_cmpuint(b->got->len, ==, 3);
    /* order kept, contents copied at send time */
    g_assert_cmpint(((const uint8_t *)g_bytes_get_data(g_ptr_array_index(b->got, 1), NULL))[0], ==, 1);
    g_assert_cmpint(((const uint8_t *)g_bytes_get_data(g_ptr_array_index(b->got, 2), NULL))[0], ==, 9);
    g_assert_cmpuint(b->nc.stats.rx_queued, ==, 2);

    /* without flow control: bounded, and drops are counted */
    b->full = true;
    for (int i = 0; i < 2000; i++) {
        net_send(&a->nc, frame, sizeof(frame), NULL);
    }
    g_assert_cmpuint(g_queue_get_length(&b->nc.incoming), ==, b->nc.incoming_limit);
    g_assert_cmpuint(b->nc.stats.rx_dropped, ==, 2000 - b->nc.incoming_limit);
    net_client_free(&a->nc);            /* frees what a left queued at b */
    g_assert_cmpuint(g_queue_get_length(&b->nc.incoming), ==, 0);
    net_client_free(&b->nc);
}

static void test_link_down(void)
{
    FakeNIC *a = fake_new(NULL, "la");
    FakeNIC *b = fake_new(&a->nc, "lb");
    GError *err = NULL;
    g_assert_true(net_set_link("la", false, &err));
    g_assert_true(a->nc.link_down && b->nc.link_down);
    uint8_t frame[60] = { 0 };
    g_assert_cmpint(net_send(&a->nc, frame, 60, on_sent), ==, 60);    /* lost on the wire */
    g_assert_cmpuint(b->got->len, ==, 0);
    g_assert_true(net_set_link("la", true, &err));
    net_send(&a->nc, frame, 60, on_sent);
    g_assert_cmpuint(b->got->len, ==, 1);
    g_assert_false(net_set_link("nosuch", true, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    net_client_free(&a->nc);
    net_client_free(&b->nc);
}

static void test_hub(void)
{
    FakeNIC *n[3];
    for (int i = 0; i < 3; i++) {
        char *id = net_hub_new_port_id(7);
        n[i] = fake_new(net_netdev_find(id), "hubnic");
        g_free(id);
    }
    uint8_t frame[64] = { 0xaa };
    net_send(&n[0]->nc, frame, sizeof(frame), on_sent);
    g_assert_cmpuint(n[0]->got->len, ==, 0);
    g_assert_cmpuint(n[1]->got->len, ==, 1);
    g_assert_cmpuint(n[2]->got->len, ==, 1);
    /* one full port holds the frame back instead of losing it */
    n[2]->full = true;
    sent_calls = 0;
    g_assert_cmpint(net_send(&n[1]->nc, frame, sizeof(frame), on_sent), ==, 0);
    n[2]->full = false;
    net_flush_queued_packets(&n[2]->nc);
    net_flush_queued_packets(n[1]->nc.peer);
    g_assert_cmpint(sent_calls, ==, 1);
    g_assert_cmpuint(n[0]->got->len, ==, 1);
    g_assert_cmpuint(n[2]->got->len, ==, 2);
}

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static bool wait_frames(FakeNIC *f, guint n, int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (f->got->len < n && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    return f->got->len >= n;
}

static void test_slirp_arp_dhcp(void)
{
    GError *err = NULL;
    g_assert_true(net_netdev_add("user,id=u0,net=10.0.2.0/24", &err));
    g_assert_no_error(err);
    FakeNIC *nic = fake_new(net_netdev_find("u0"), "nic-u0");

    /* ARP: who has 10.0.2.2? tell 10.0.2.15 */
    uint8_t arp[60] = { 0 };
    memset(arp, 0xff, 6);
    memcpy(arp + 6, guest_mac, 6);
    arp[12] = 0x08; arp[13] = 0x06;
    static const uint8_t arphdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
    memcpy(arp + 14, arphdr, 8);
    memcpy(arp + 22, guest_mac, 6);
    static const uint8_t sip[4] = { 10, 0, 2, 15 }, tip[4] = { 10, 0, 2, 2 };
    memcpy(arp + 28, sip, 4);
    memcpy(arp + 38, tip, 4);
    net_send(&nic->nc, arp, sizeof(arp), NULL);
    g_assert_true(wait_frames(nic, 1, 2000));
    const uint8_t *r = g_bytes_get_data(g_ptr_array_index(nic->got, 0), NULL);
    g_assert_cmpmem(r, 6, guest_mac, 6);                  /* to us */
    g_assert_cmpint(r[12] << 8 | r[13], ==, 0x0806);
    g_assert_cmpint(r[20] << 8 | r[21], ==, 2);           /* ARP reply */
    g_assert_cmpmem(r + 28, 4, tip, 4);                   /* 10.0.2.2 is at ... */

    /* DHCP DISCOVER from 0.0.0.0:68 to 255.255.255.255:67 */
    uint8_t pkt[14 + 20 + 8 + 300] = { 0 };
    memset(pkt, 0xff, 6);
    memcpy(pkt + 6, guest_mac, 6);
    pkt[12] = 0x08;
    uint8_t *ip = pkt + 14, *udp = ip + 20, *bootp = udp + 8;
    ip[0] = 0x45;
    ip[2] = (20 + 8 + 300) >> 8; ip[3] = (20 + 8 + 300) & 0xff;
    ip[8] = 64; ip[9] = 17;
    memset(ip + 16, 0xff, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) {
        sum += ip[i] << 8 | ip[i + 1];
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    ip[10] = sum >> 8; ip[11] = sum;
    udp[1] = 68; udp[3] = 67;
    udp[4] = (8 + 300) >> 8; udp[5] = (8 + 300) & 0xff;
    bootp[0] = 1; bootp[1] = 1; bootp[2] = 6;
    bootp[4] = 0x12; bootp[5] = 0x34;                     /* xid */
    memcpy(bootp + 28, guest_mac, 6);
    static const uint8_t cookie_opts[] = { 99, 130, 83, 99, 53, 1, 1, 255 };
    memcpy(bootp + 236, cookie_opts, sizeof(cookie_opts));
    net_send(&nic->nc, pkt, sizeof(pkt), NULL);
    g_assert_true(wait_frames(nic, 2, 2000));
    r = g_bytes_get_data(g_ptr_array_index(nic->got, 1), NULL);
    g_assert_cmpint(r[12] << 8 | r[13], ==, 0x0800);
    const uint8_t *rip = r + 14, *rudp = rip + (rip[0] & 15) * 4, *rb = rudp + 8;
    g_assert_cmpint(rudp[2] << 8 | rudp[3], ==, 68);
    g_assert_cmpint(rb[0], ==, 2);                        /* BOOTREPLY */
    g_assert_cmpint(rb[4] << 8 | rb[5], ==, 0x1234);
    static const uint8_t yiaddr[4] = { 10, 0, 2, 15 };
    g_assert_cmpmem(rb + 16, 4, yiaddr, 4);               /* offered 10.0.2.15 */
    net_client_free(&nic->nc);
    net_client_free(net_netdev_find("u0"));
}

/* -netdev socket,fd=N: a stream socket from the parent (libqtest's
 * socketpair) carries length-prefixed frames both ways */
static void test_socket_fd(void)
{
    GError *err = NULL;
    int sv[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    char *o = g_strdup_printf("socket,id=sfd,fd=%d", sv[1]);
    g_assert_true(net_netdev_add(o, &err));
    g_assert_no_error(err);
    FakeNIC *a = fake_new(net_netdev_find("sfd"), "nic-sfd");
    uint8_t in[4 + 5] = { 0, 0, 0, 5, 'T', 'E', 'S', 'T', 0 };
    g_assert_cmpint(write(sv[0], in, sizeof(in)), ==, sizeof(in));
    g_assert_true(wait_frames(a, 1, 5000));
    gsize len;
    const uint8_t *d = g_bytes_get_data(g_ptr_array_index(a->got, 0), &len);
    g_assert_cmpuint(len, ==, 5);
    g_assert_cmpmem(d, 5, "TEST", 5);
    uint8_t frame[60] = { 1, 2, 3 };
    net_send(&a->nc, frame, sizeof(frame), NULL);
    uint8_t out[4 + 60];
    size_t got = 0;
    for (int i = 0; i < 500 && got < sizeof(out); i++) {
        g_main_context_iteration(NULL, FALSE);
        ssize_t n = recv(sv[0], out + got, sizeof(out) - got, MSG_DONTWAIT);
        if (n > 0) {
            got += n;
        } else {
            g_usleep(1000);
        }
    }
    g_assert_cmpuint(got, ==, sizeof(out));
    g_assert_cmpuint(out[3], ==, 60);
    g_assert_cmpmem(out + 4, 60, frame, 60);
    g_free(o);
    /* not a socket, not a number, an unconnected datagram socket */
    g_assert_false(net_netdev_add("socket,id=sbad,fd=0x", &err));
    g_assert_nonnull(strstr(err->message, "not a file descriptor number"));
    g_clear_error(&err);
    int pfd[2];
    g_assert_cmpint(pipe(pfd), ==, 0);
    o = g_strdup_printf("socket,id=sbad,fd=%d", pfd[0]);
    g_assert_false(net_netdev_add(o, &err));
    g_assert_nonnull(strstr(err->message, "not a stream or datagram socket"));
    g_clear_error(&err);
    g_free(o);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    o = g_strdup_printf("socket,id=sbad,fd=%d", u);
    g_assert_false(net_netdev_add(o, &err));
    g_assert_nonnull(strstr(err->message, "must be connected"));
    g_clear_error(&err);
    g_free(o);
    close(u);
    close(pfd[0]);
    close(pfd[1]);
    close(sv[0]);
}

static void test_socket_pair(void)
{
    GError *err = NULL;
    int port = 20000 + g_random_int_range(0, 20000);
    char *l = g_strdup_printf("socket,id=sl,listen=127.0.0.1:%d", port);
    char *c = g_strdup_printf("socket,id=sc,connect=127.0.0.1:%d", port);
    g_assert_true(net_netdev_add(l, &err));
    g_assert_no_error(err);
    g_assert_true(net_netdev_add(c, &err));
    g_assert_no_error(err);
    FakeNIC *a = fake_new(net_netdev_find("sl"), "nic-sl");
    FakeNIC *b = fake_new(net_netdev_find("sc"), "nic-sc");
    /* let the listener accept */
    for (int i = 0; i < 50; i++) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    uint8_t big[1514];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = i * 7;
    }
    for (int i = 0; i < 100; i++) {
        big[0] = i;
        net_send(&b->nc, big, sizeof(big), NULL);
    }
    g_assert_true(wait_frames(a, 100, 5000));
    for (int i = 0; i < 100; i++) {
        gsize len;
        const uint8_t *d = g_bytes_get_data(g_ptr_array_index(a->got, i), &len);
        g_assert_cmpuint(len, ==, sizeof(big));
        g_assert_cmpint(d[0], ==, i);
        g_assert_cmpmem(d + 1, len - 1, big + 1, sizeof(big) - 1);
    }
    net_send(&a->nc, big, 64, NULL);
    g_assert_true(wait_frames(b, 1, 5000));
    g_free(l);
    g_free(c);
}

static void test_option_errors(void)
{
    GError *err = NULL;
    g_assert_false(net_netdev_add("user,id=x,bogus=1", &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'bogus'");
    g_clear_error(&err);
    g_assert_false(net_netdev_add("user", &err));
    g_assert_cmpstr(err->message, ==, "Parameter 'id' is missing");
    g_clear_error(&err);
    g_assert_false(net_netdev_add("warp,id=w", &err));
    g_clear_error(&err);
    g_assert_false(net_netdev_add("user,id=h,hostfwd=tcp::99999-:22", &err));
    g_assert_nonnull(strstr(err->message, "invalid host forwarding rule"));
    g_clear_error(&err);
    g_assert_false(net_netdev_add("user,id=d,dhcpstart=192.168.9.9", &err));
    g_clear_error(&err);
    g_assert_true(net_netdev_add("user,id=dup", &err));
    g_assert_false(net_netdev_add("user,id=dup", &err));
    g_assert_cmpstr(err->message, ==, "Duplicate ID 'dup' for netdev");
    g_clear_error(&err);
    MACAddr m;
    g_assert_true(net_parse_macaddr("52:54:00:ab:cd:ef", &m));
    g_assert_cmpint(m.a[5], ==, 0xef);
    g_assert_false(net_parse_macaddr("52:54:00:ab:cd", &m));
    g_assert_false(net_parse_macaddr("52:54:00:ab:cd:ef:00", &m));
}

static void test_keyval(void)
{
    GError *err = NULL;
    KeyVal *kv = keyval_parse("user,id=a,,b,hostfwd=x,hostfwd=y,flag", "type", &err);
    g_assert_nonnull(kv);
    g_assert_cmpstr(keyval_take(kv, "type"), ==, "user");
    g_assert_cmpstr(keyval_take(kv, "id"), ==, "a,b");
    GPtrArray *h = keyval_take_all(kv, "hostfwd");
    g_assert_cmpuint(h->len, ==, 2);
    g_ptr_array_free(h, TRUE);
    g_assert_cmpstr(keyval_unused(kv), ==, "flag");
    bool f;
    g_assert_true(keyval_take_bool(kv, "flag", false, &f, &err) && f);
    g_assert_null(keyval_unused(kv));
    keyval_free(kv);
    g_assert_null(keyval_parse("a=1,=2", NULL, &err));
    g_clear_error(&err);
}


/* ---- software TSO (net/gso.c) ---- */

typedef struct GsoOut {
    GByteArray *payload;        /* the segments' payloads, in order */
    unsigned n, last_seen;
    uint32_t seq0;
    bool v6;
} GsoOut;

/* Each segment must stand alone: IP length, header checksum, TCP checksum
 * over its pseudo-header, sequence number, and the flags of its place. */
static void gso_check_seg(void *opaque, const uint8_t *s, size_t len, bool last)
{
    GsoOut *o = opaque;
    size_t l3 = 14, l4 = o->v6 ? l3 + 40 : l3 + 20, hl = l4 + 20;
    g_assert_cmpuint(len, <=, hl + 1000);
    uint32_t sum;
    if (!o->v6) {
        g_assert_cmpuint(s[l3 + 2] << 8 | s[l3 + 3], ==, len - l3);
        g_assert_cmpuint(s[l3 + 4] << 8 | s[l3 + 5], ==, (0x1234 + o->n) & 0xffff);
        g_assert_cmpuint(net_checksum_finish(net_checksum_add(0, s + l3, 20)), ==, 0);
        sum = net_checksum_add(0, s + l3 + 12, 8);
    } else {
        g_assert_cmpuint(s[l3 + 4] << 8 | s[l3 + 5], ==, len - l4);
        sum = net_checksum_add(0, s + l3 + 8, 32);
    }
    sum += 6 + (uint32_t)(len - l4);
    g_assert_cmpuint(net_checksum_finish(net_checksum_add(sum, s + l4, len - l4)), ==, 0);
    uint32_t seq = (uint32_t)s[l4 + 4] << 24 | s[l4 + 5] << 16 | s[l4 + 6] << 8 | s[l4 + 7];
    g_assert_cmpuint(seq, ==, o->seq0 + o->payload->len);
    uint8_t fl = s[l4 + 13];
    g_assert_cmpuint(!!(fl & 0x01), ==, last);             /* FIN on the last only */
    g_assert_cmpuint(!!(fl & 0x08), ==, last);             /* PSH on the last only */
    g_assert_cmpuint(!!(fl & 0x80), ==, o->n == 0);        /* CWR on the first only */
    g_assert_true(fl & 0x10);                              /* ACK everywhere */
    g_byte_array_append(o->payload, s + hl, len - hl);
    o->last_seen += last;
    o->n++;
}

static size_t gso_frame(uint8_t *f, bool v6, size_t payload)
{
    memset(f, 0, 14 + 60);
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xdd : 0x00;
    size_t l4;
    if (!v6) {
        f[14] = 0x45;
        f[18] = 0x12, f[19] = 0x34;             /* ID */
        f[22] = 64, f[23] = 6;                  /* TTL, TCP */
        memcpy(f + 26, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
        l4 = 34;
    } else {
        f[14] = 0x60;
        f[20] = 6, f[21] = 64;                  /* next header TCP, hop limit */
        for (int i = 0; i < 32; i++) {
            f[22 + i] = i * 7;
        }
        l4 = 54;
    }
    f[l4] = 0x80, f[l4 + 1] = 0x01, f[l4 + 2] = 0x00, f[l4 + 3] = 0x17;
    f[l4 + 4] = 0xff, f[l4 + 5] = 0xff, f[l4 + 6] = 0xff, f[l4 + 7] = 0x00;  /* wraps */
    f[l4 + 12] = 5 << 4;
    f[l4 + 13] = 0x80 | 0x10 | 0x08 | 0x01;    /* CWR ACK PSH FIN */
    for (size_t i = 0; i < payload; i++) {
        f[l4 + 20 + i] = (uint8_t)(i * 31 + 7);
    }
    return l4 + 20 + payload;
}

static void test_gso(void)
{
    static uint8_t f[NET_BUFSIZE], buf[NET_BUFSIZE];
    for (int v6 = 0; v6 < 2; v6++) {
        size_t len = gso_frame(f, v6, 4500);
        NetTcpFrame t;
        g_assert_true(net_tcp_parse(f, len, v6, &t));
        g_assert_cmpuint(t.hlen, ==, len - 4500);
        g_assert_false(net_tcp_parse(f, len, !v6, &t));
        g_assert_true(net_tcp_parse(f, len, v6, &t));
        GsoOut o = { g_byte_array_new(), 0, 0, 0xffffff00, v6 };
        g_assert_cmpuint(net_tcp_segment(f, len, &t, 1000, buf, gso_check_seg, &o), ==, 5);
        g_assert_cmpuint(o.n, ==, 5);
        g_assert_cmpuint(o.last_seen, ==, 1);
        g_assert_cmpuint(o.payload->len, ==, 4500);
        g_assert_cmpmem(o.payload->data, 4500, f + t.hlen, 4500);
        g_byte_array_free(o.payload, TRUE);
    }
    /* hostile frames: cut short anywhere, a bad data offset, not TCP */
    size_t len = gso_frame(f, false, 100);
    NetTcpFrame t;
    for (size_t cut = 0; cut < 54; cut++) {
        g_assert_false(net_tcp_parse(f, cut, false, &t));
    }
    f[34 + 12] = 4 << 4;
    g_assert_false(net_tcp_parse(f, len, false, &t));
    f[34 + 12] = 15 << 4;                       /* 60-byte header: still inside */
    g_assert_true(net_tcp_parse(f, len, false, &t));
    g_assert_false(net_tcp_parse(f, 34 + 59, false, &t));
    f[23] = 17;
    g_assert_false(net_tcp_parse(f, len, false, &t));
    f[23] = 6;
    f[14] = 0x4f;                               /* IHL 15: TCP header beyond the frame */
    g_assert_false(net_tcp_parse(f, 14 + 60 + 19, false, &t));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/net/keyval", test_keyval);
    g_test_add_func("/net/socket-fd", test_socket_fd);
    g_test_add_func("/net/gso", test_gso);
    g_test_add_func("/net/flow-control", test_flow_control);
    g_test_add_func("/net/link-down", test_link_down);
    g_test_add_func("/net/hub", test_hub);
    g_test_add_func("/net/slirp-arp-dhcp", test_slirp_arp_dhcp);
    g_test_add_func("/net/socket-pair", test_socket_pair);
    g_test_add_func("/net/option-errors", test_option_errors);
    return g_test_run();
}

/*
 * virtio-net-pci through qtest, as a driver would use it, with a
 * -netdev socket backend the test holds the other end of:
 *   - PCI identity (transitional 1af4:1000, subsystem 1) and the vendor
 *     capabilities of the modern layout (common/notify/ISR/device in BAR4),
 *     MSI-X capability;
 *   - feature negotiation: VERSION_1 accepted, FEATURES_OK sticks; the MAC
 *     and link status in device config;
 *   - a frame placed in the transmit queue (header + data, and again via an
 *     indirect descriptor table) comes out of the socket unchanged, and the
 *     used ring reports it;
 *   - a frame sent into the socket lands in a receive buffer after a
 *     12-byte header with num_buffers = 1;
 *   - MSI-X: with the vector masked, completion sets its pending bit;
 *   - TSO: a 3000-byte TCP payload sent as one GSO frame with a segment
 *     size of 1000 comes out of the socket (a backend that needs MTU-sized
 *     frames) as three segments with their own lengths, sequence numbers
 *     and checksums; not negotiated, or with host_tso4=off, it is dropped;
 *   - hostile chains (a descriptor that points to itself, a buffer outside
 *     RAM) set DEVICE_NEEDS_RESET and Vireo keeps answering; a reset
 *     (status 0) makes the device usable again.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/qtest/libqtest.h"

#define DEVFN       (4 << 3)
#define BAR4_ADDR   0xe0000000ull
#define BAR1_ADDR   0xe0100000ull
#define COMMON      (BAR4_ADDR + 0x0000)
#define ISR         (BAR4_ADDR + 0x1000)
#define DEVCFG      (BAR4_ADDR + 0x2000)
#define NOTIFY      (BAR4_ADDR + 0x3000)
#define QSIZE       8
#define RXQ_BASE    0x100000
#define TXQ_BASE    0x110000
#define BUFS        0x200000

typedef struct Ctx {
    QTestState *s;
    int sock;                    /* our end of the -netdev socket */
    uint16_t tx_avail, rx_avail;
} Ctx;

static void w16(QTestState *s, uint64_t a, uint16_t v) { uint8_t b[2] = { v, v >> 8 }; qtest_memwrite(s, a, b, 2); }
static uint16_t r16(QTestState *s, uint64_t a) { uint8_t b[2]; qtest_memread(s, a, b, 2); return b[0] | b[1] << 8; }
static uint32_t r32(QTestState *s, uint64_t a) { uint8_t b[4]; qtest_memread(s, a, b, 4); return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }

static void desc(QTestState *s, uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t d[16];
    for (int k = 0; k < 8; k++) d[k] = addr >> (8 * k);
    for (int k = 0; k < 4; k++) d[8 + k] = len >> (8 * k);
    d[12] = flags; d[13] = flags >> 8; d[14] = next; d[15] = next >> 8;
    qtest_memwrite(s, table + 16ull * i, d, 16);
}

/* ring layout per queue: desc at base, avail at base+0x1000, used at base+0x2000 */
static void avail_add(Ctx *c, uint64_t base, uint16_t *idx, uint16_t head)
{
    w16(c->s, base + 0x1000 + 4 + 2 * (*idx % QSIZE), head);
    (*idx)++;
    w16(c->s, base + 0x1000 + 2, *idx);
}

/* the spec wants each field accessed at its own width */
static void common_writew(QTestState *s, unsigned off, uint16_t v)
{
    qtest_ok(s, "writew 0x%llx 0x%x", (unsigned long long)(COMMON + off), v);
}

static void setup_queue(QTestState *s, unsigned q, uint64_t base, uint16_t vector)
{
    common_writew(s, 22, q);                      /* queue_select */
    common_writew(s, 24, QSIZE);                  /* queue_size */
    common_writew(s, 26, vector);                 /* queue_msix_vector */
    qtest_writel(s, COMMON + 32, base);
    qtest_writel(s, COMMON + 36, 0);
    qtest_writel(s, COMMON + 40, base + 0x1000);
    qtest_writel(s, COMMON + 44, 0);
    qtest_writel(s, COMMON + 48, base + 0x2000);
    qtest_writel(s, COMMON + 52, 0);
    common_writew(s, 28, 1);                      /* queue_enable */
}

static uint8_t status(QTestState *s)
{
    return qtest_readb(s, COMMON + 20);
}

static void set_status(QTestState *s, uint8_t st)
{
    qtest_writeb(s, COMMON + 20, st);
}

static Ctx *start_with(const char *props)
{
    Ctx *c = g_new0(Ctx, 1);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    g_assert_cmpint(bind(l, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(l, 1), ==, 0);
    getsockname(l, (struct sockaddr *)&a, &alen);
    char *args = g_strdup_printf("-netdev socket,id=n0,connect=127.0.0.1:%d "
                                 "-device virtio-net-pci,netdev=n0,addr=4,mac=52:54:00:aa:bb:cc%s",
                                 ntohs(a.sin_port), props);
    c->s = qtest_start(args);
    g_free(args);
    c->sock = accept(l, NULL, NULL);
    close(l);
    g_assert_cmpint(c->sock, >=, 0);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* BARs, memory decoding, bus mastering */
    qtest_pci_writel(c->s, DEVFN, 0x14, BAR1_ADDR);
    qtest_pci_writel(c->s, DEVFN, 0x20, BAR4_ADDR);
    qtest_pci_writel(c->s, DEVFN, 0x24, 0);
    qtest_pci_writew(c->s, DEVFN, 0x04, 0x0006);
    return c;
}

static Ctx *start(void)
{
    return start_with("");
}

static void negotiate(Ctx *c, uint64_t features)
{
    QTestState *s = c->s;
    set_status(s, 0);
    set_status(s, 1 | 2);
    qtest_writel(s, COMMON + 8, 0);
    qtest_writel(s, COMMON + 12, (uint32_t)features);
    qtest_writel(s, COMMON + 8, 1);
    qtest_writel(s, COMMON + 12, features >> 32);
    set_status(s, 1 | 2 | 8);
    g_assert_cmpint(status(s) & 8, ==, 8);
    setup_queue(s, 0, RXQ_BASE, 0);
    setup_queue(s, 1, TXQ_BASE, 1);
    set_status(s, 1 | 2 | 8 | 4);
    c->rx_avail = c->tx_avail = 0;
}

static void stop(Ctx *c)
{
    close(c->sock);
    qtest_quit(c->s);
    g_free(c);
}

/* Round trips through qtest let the main loop run BHs and socket I/O. */
static bool wait_used(Ctx *c, uint64_t base, uint16_t want)
{
    for (int i = 0; i < 2000; i++) {
        if (r16(c->s, base + 0x2000 + 2) == want) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

static void read_frame(Ctx *c, uint8_t *buf, uint32_t *len)
{
    uint8_t h[4];
    g_assert_cmpint(recv(c->sock, h, 4, MSG_WAITALL), ==, 4);
    *len = (uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
    g_assert_cmpuint(*len, <=, 2048);
    g_assert_cmpint(recv(c->sock, buf, *len, MSG_WAITALL), ==, (int)*len);
}

static void test_identity_and_config(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0x10001af4);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0x2c) >> 16, ==, 1);
    int types = 0, msix = 0;
    for (uint8_t p = qtest_pci_readb(s, DEVFN, 0x34); p; p = qtest_pci_readb(s, DEVFN, p + 1)) {
        uint8_t id = qtest_pci_readb(s, DEVFN, p);
        if (id == 0x09) {
            uint8_t type = qtest_pci_readb(s, DEVFN, p + 3);
            if (type != 5) {        /* the config access window has no BAR of its own */
                g_assert_cmpint(qtest_pci_readb(s, DEVFN, p + 4), ==, 4);     /* BAR4 */
            }
            types |= 1 << type;
        } else if (id == 0x11) {
            msix = 1;
        }
    }
    g_assert_cmphex(types, ==, 0x3e);     /* common, notify, ISR, device, PCI cfg access */
    /* the config access window reads num_queues (common config +18, 2 bytes) */
    uint8_t win = 0;
    for (uint8_t p = qtest_pci_readb(s, DEVFN, 0x34); p; p = qtest_pci_readb(s, DEVFN, p + 1)) {
        if (qtest_pci_readb(s, DEVFN, p) == 0x09 && qtest_pci_readb(s, DEVFN, p + 3) == 5) {
            win = p;
        }
    }
    qtest_pci_writel(s, DEVFN, win + 4, 4);
    qtest_pci_writel(s, DEVFN, win + 8, 18);
    qtest_pci_writel(s, DEVFN, win + 12, 2);
    g_assert_cmpuint(qtest_pci_readl(s, DEVFN, win + 16) & 0xffff, ==, 3);
    g_assert_true(msix);
    qtest_writel(s, COMMON + 4, 0);       /* device_feature_select = 1 */
    qtest_writel(s, COMMON + 0, 1);
    g_assert_cmphex(qtest_readl(s, COMMON + 4) & 1, ==, 1);    /* VERSION_1 */
    g_assert_cmphex(qtest_readl(s, DEVCFG), ==, 0xaa005452);   /* 52:54:00:aa */
    g_assert_cmphex(qtest_readl(s, DEVCFG + 4) & 0xffffff, ==, 0x01ccbb);  /* bb:cc, link up */
    stop(c);
}

static const uint64_t FEATURES = 1ull << 32 | 1ull << 5 | 1ull << 15 | 1ull << 16 |
                                 1ull << 28 | 1ull << 29;

static void test_tx_rx(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    negotiate(c, FEATURES);
    /* transmit: 12-byte header then 60 bytes of frame, two descriptors */
    uint8_t frame[60];
    for (int i = 0; i < 60; i++) frame[i] = i * 3 + 1;
    uint8_t hdr[12] = { 0 };
    qtest_memwrite(s, BUFS, hdr, 12);
    qtest_memwrite(s, BUFS + 0x100, frame, 60);
    desc(s, TXQ_BASE, 0, BUFS, 12, 1, 1);
    desc(s, TXQ_BASE, 1, BUFS + 0x100, 60, 0, 0);
    avail_add(c, TXQ_BASE, &c->tx_avail, 0);
    qtest_writel(s, NOTIFY + 4, 1);
    uint8_t got[2048];
    uint32_t len;
    read_frame(c, got, &len);
    g_assert_cmpuint(len, ==, 60);
    g_assert_cmpmem(got, 60, frame, 60);
    g_assert_true(wait_used(c, TXQ_BASE, 1));
    g_assert_cmpuint(r32(s, TXQ_BASE + 0x2000 + 4), ==, 0);       /* id 0 */

    /* the same through an indirect table */
    frame[0] = 0xee;
    qtest_memwrite(s, BUFS + 0x100, frame, 60);
    desc(s, BUFS + 0x800, 0, BUFS, 12, 1, 1);
    desc(s, BUFS + 0x800, 1, BUFS + 0x100, 60, 0, 0);
    desc(s, TXQ_BASE, 2, BUFS + 0x800, 32, 4, 0);
    avail_add(c, TXQ_BASE, &c->tx_avail, 2);
    qtest_writel(s, NOTIFY + 4, 1);
    read_frame(c, got, &len);
    g_assert_cmpuint(len, ==, 60);
    g_assert_cmpint(got[0], ==, 0xee);
    g_assert_true(wait_used(c, TXQ_BASE, 2));

    /* receive: one 2 KiB writable buffer */
    desc(s, RXQ_BASE, 0, BUFS + 0x1000, 2048, 2, 0);
    avail_add(c, RXQ_BASE, &c->rx_avail, 0);
    qtest_writel(s, NOTIFY + 0, 0);
    uint8_t in[4 + 64] = { 0, 0, 0, 64 };
    in[4] = 0xff; in[5] = 0xff; in[6] = 0xff; in[7] = 0xff; in[8] = 0xff; in[9] = 0xff;
    for (int i = 10; i < 68; i++) in[i] = i;
    g_assert_cmpint(send(c->sock, in, sizeof(in), 0), ==, sizeof(in));
    g_assert_true(wait_used(c, RXQ_BASE, 1));
    g_assert_cmpuint(r32(s, RXQ_BASE + 0x2000 + 8), ==, 12 + 64);   /* used len */
    uint8_t rx[12 + 64];
    qtest_memread(s, BUFS + 0x1000, rx, sizeof(rx));
    g_assert_cmpint(rx[10] | rx[11] << 8, ==, 1);                  /* num_buffers */
    g_assert_cmpmem(rx + 12, 64, in + 4, 64);

    /* I/O accounting saw exactly that: 2 frames out, 1 in, 3 kicks */
    g_autofree char *st = qtest_qmp(s, "{\"execute\":\"query-iostats\"}");
    g_assert_nonnull(strstr(st, "\"device\":\"virtio-net-pci.0\""));
    g_assert_nonnull(strstr(st, "\"tx-requests\":2"));
    g_assert_nonnull(strstr(st, "\"rx-requests\":1"));
    g_assert_nonnull(strstr(st, "\"kicks\":3"));
    g_assert_nonnull(strstr(st, "\"tx-bytes\":120"));
    g_assert_nonnull(strstr(st, "\"rx-bytes\":64"));
    /* and per request: two frames sent (120 bytes), one received */
    g_assert_nonnull(strstr(st, "{\"kind\":\"tx\",\"count\":2,\"bytes\":120,"));
    g_assert_nonnull(strstr(st, "{\"kind\":\"rx\",\"count\":1,\"bytes\":64,"));
    /* the NIC's own register accesses were counted (other devices may have none) */
    const char *exits = strstr(strstr(st, "\"device\":\"virtio-net-pci.0\""), "\"exits\":");
    g_assert_nonnull(exits);
    g_assert_false(g_str_has_prefix(exits, "\"exits\":0,"));
    g_autofree char *st2 = qtest_qmp(s, "{\"execute\":\"query-iostats\",\"arguments\":{\"reset\":true}}");
    g_autofree char *st3 = qtest_qmp(s, "{\"execute\":\"query-iostats\"}");
    g_assert_nonnull(strstr(st3, "\"tx-requests\":0"));
    g_assert_nonnull(strstr(st3, "\"kicks\":0"));

    /* promiscuous (the state until the driver sets a mode): even a frame
     * too short for an Ethernet header is delivered, as QEMU does */
    desc(s, RXQ_BASE, 1, BUFS + 0x2000, 64, 2, 0);
    avail_add(c, RXQ_BASE, &c->rx_avail, 1);
    qtest_writel(s, NOTIFY + 0, 0);
    uint8_t tiny[4 + 5] = { 0, 0, 0, 5, 'T', 'E', 'S', 'T', 0 };
    g_assert_cmpint(send(c->sock, tiny, sizeof(tiny), 0), ==, sizeof(tiny));
    g_assert_true(wait_used(c, RXQ_BASE, 2));
    g_assert_cmpuint(r32(s, RXQ_BASE + 0x2000 + 16), ==, 12 + 5);
    uint8_t t[5];
    qtest_memread(s, BUFS + 0x2000 + 12, t, 5);
    g_assert_cmpmem(t, 5, "TEST", 5);
    stop(c);
}


static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += b[i] << 8 | b[i + 1];
    }
    if (n & 1) {
        sum += b[n - 1] << 8;
    }
    return sum;
}

/* Ethernet + IPv4 + TCP (20-byte headers each), 3000 bytes of payload */
static size_t tso_frame(uint8_t *f)
{
    static const uint8_t head[54] = {
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc, 0x08, 0x00,
        0x45, 0, 0x0b, 0xe8, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2,
        0x80, 0x01, 0x00, 0x17, 0x00, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
    };
    memcpy(f, head, sizeof(head));
    for (int i = 0; i < 3000; i++) {
        f[54 + i] = (uint8_t)(i * 13 + 5);
    }
    return 54 + 3000;
}

static void send_gso(Ctx *c, uint16_t head, const uint8_t *f, size_t len)
{
    QTestState *s = c->s;
    /* header: NEEDS_CSUM, GSO_TCPV4, hdr_len 54, gso_size 1000, csum at 34+16 */
    uint8_t hdr[12] = { 1, 1, 54, 0, 0xe8, 0x03, 34, 0, 16, 0, 0, 0 };
    qtest_memwrite(s, BUFS + head * 0x2000, hdr, 12);
    qtest_memwrite(s, BUFS + head * 0x2000 + 0x100, f, len);
    desc(s, TXQ_BASE, head, BUFS + head * 0x2000, 12, 1, head + 1);
    desc(s, TXQ_BASE, head + 1, BUFS + head * 0x2000 + 0x100, len, 0, 0);
    avail_add(c, TXQ_BASE, &c->tx_avail, head);
    qtest_writel(s, NOTIFY + 4, 1);
}

static void send_plain(Ctx *c, uint16_t head)
{
    QTestState *s = c->s;
    uint8_t hdr[12] = { 0 }, f[60];
    memset(f, 0x5a, sizeof(f));
    qtest_memwrite(s, BUFS + 0x10000, hdr, 12);
    qtest_memwrite(s, BUFS + 0x10100, f, 60);
    desc(s, TXQ_BASE, head, BUFS + 0x10000, 12, 1, head + 1);
    desc(s, TXQ_BASE, head + 1, BUFS + 0x10100, 60, 0, 0);
    avail_add(c, TXQ_BASE, &c->tx_avail, head);
    qtest_writel(s, NOTIFY + 4, 1);
}

static void test_tso(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    qtest_writel(s, COMMON + 0, 0);
    uint32_t offered = qtest_readl(s, COMMON + 4);
    g_assert_cmphex(offered & (7u << 11), ==, 7u << 11);      /* HOST_TSO4, TSO6, ECN */
    negotiate(c, FEATURES | 1ull << 0 | 1ull << 11);           /* CSUM, HOST_TSO4 */
    uint8_t f[3100], got[2048];
    size_t len = tso_frame(f);
    send_gso(c, 0, f, len);
    uint32_t glen;
    for (int i = 0; i < 3; i++) {
        read_frame(c, got, &glen);
        g_assert_cmpuint(glen, ==, 54 + 1000);
        g_assert_cmpuint(got[16] << 8 | got[17], ==, 20 + 20 + 1000);            /* IP length */
        g_assert_cmpuint(got[18] << 8 | got[19], ==, 0x1234 + i);                 /* IP ID */
        g_assert_cmpuint(csum_fold(csum_add(0, got + 14, 20)), ==, 0);
        uint32_t seq = (uint32_t)got[38] << 24 | got[39] << 16 | got[40] << 8 | got[41];
        g_assert_cmpuint(seq, ==, 0x1000 + 1000 * i);
        g_assert_cmpuint(got[47] & 0x08, ==, i == 2 ? 0x08 : 0);                  /* PSH last */
        uint32_t ps = csum_add(0, got + 26, 8) + 6 + 1020;
        g_assert_cmpuint(csum_fold(csum_add(ps, got + 34, 1020)), ==, 0);         /* TCP */
        g_assert_cmpmem(got + 54, 1000, f + 54 + 1000 * i, 1000);
    }
    g_assert_true(wait_used(c, TXQ_BASE, 1));

    /* not negotiated: the GSO frame is dropped (the plain one after it is
     * the next thing on the wire) and still completed */
    negotiate(c, FEATURES | 1ull << 0);
    send_gso(c, 0, f, len);
    send_plain(c, 2);
    read_frame(c, got, &glen);
    g_assert_cmpuint(glen, ==, 60);
    g_assert_true(wait_used(c, TXQ_BASE, 2));
    /* a GSO header on a frame that is not TCP: dropped too */
    negotiate(c, FEATURES | 1ull << 0 | 1ull << 11);
    f[23] = 17;
    send_gso(c, 0, f, len);
    send_plain(c, 2);
    read_frame(c, got, &glen);
    g_assert_cmpuint(glen, ==, 60);
    stop(c);

    c = start_with(",host_tso4=off,host_tso6=off");
    qtest_writel(c->s, COMMON + 0, 0);
    g_assert_cmphex(qtest_readl(c->s, COMMON + 4) & (7u << 11), ==, 0);  /* ECN needs a TSO */
    stop(c);
}

static void test_msix_pending(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    /* MSI-X on, vector 1 masked, then a transmit completes */
    uint8_t cap = 0;
    for (uint8_t p = qtest_pci_readb(s, DEVFN, 0x34); p; p = qtest_pci_readb(s, DEVFN, p + 1)) {
        if (qtest_pci_readb(s, DEVFN, p) == 0x11) cap = p;
    }
    g_assert_cmpint(cap, !=, 0);
    qtest_pci_writew(s, DEVFN, cap + 2, 0x8000);
    qtest_writel(s, BAR1_ADDR + 16 + 0, 0xfee00000);
    qtest_writel(s, BAR1_ADDR + 16 + 8, 0x41);
    qtest_writel(s, BAR1_ADDR + 16 + 12, 1);                        /* masked */
    negotiate(c, FEATURES);
    uint8_t buf[72] = { 0 };
    qtest_memwrite(s, BUFS, buf, sizeof(buf));
    desc(s, TXQ_BASE, 0, BUFS, 72, 0, 0);
    avail_add(c, TXQ_BASE, &c->tx_avail, 0);
    qtest_writel(s, NOTIFY + 4, 1);
    uint8_t got[2048];
    uint32_t len;
    read_frame(c, got, &len);
    g_assert_true(wait_used(c, TXQ_BASE, 1));
    g_assert_cmphex(qtest_readl(s, BAR1_ADDR + 0x800) & 2, ==, 2);   /* vector 1 pending */
    qtest_writel(s, BAR1_ADDR + 16 + 12, 0);                        /* unmask: delivered */
    g_assert_cmphex(qtest_readl(s, BAR1_ADDR + 0x800) & 2, ==, 0);

    /* a message to an address that is not the APIC's is a DWORD write to
     * memory: RAM takes it (libqos polls RAM this way) */
    qtest_writel(s, BAR1_ADDR + 16 + 0, BUFS + 0x3000);
    qtest_writel(s, BAR1_ADDR + 16 + 8, 0x12345678);
    qtest_writel(s, BUFS + 0x3000, 0);
    w16(s, TXQ_BASE + 0x1000 + 4 + 2 * QSIZE, 1);                   /* used_event, if negotiated */
    desc(s, TXQ_BASE, 1, BUFS, 72, 0, 0);
    avail_add(c, TXQ_BASE, &c->tx_avail, 1);
    qtest_writel(s, NOTIFY + 4, 1);
    read_frame(c, got, &len);
    g_assert_true(wait_used(c, TXQ_BASE, 2));
    g_assert_cmphex(qtest_readl(s, BUFS + 0x3000), ==, 0x12345678);
    stop(c);
}

/* announce-self: a gratuitous RARP (EtherType 0x8035, opcode 3) from the
 * NIC's MAC per round, the first at once; rounds 0 under the same id stops
 * the rest */
static void test_announce_self(void)
{
    Ctx *c = start();
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
    g_autofree char *r = qtest_qmp(c->s, "{\"execute\":\"announce-self\",\"arguments\":"
                                         "{\"initial\":1,\"max\":5,\"rounds\":3,\"step\":1,\"id\":\"a\"}}");
    g_assert_nonnull(strstr(r, "\"return\""));
    for (int i = 0; i < 3; i++) {
        uint8_t f[2048];
        uint32_t len;
        read_frame(c, f, &len);
        g_assert_cmpuint(len, ==, 60);
        g_assert_cmphex(f[0] & f[1] & f[2] & f[3] & f[4] & f[5], ==, 0xff);
        g_assert_cmpmem(f + 6, 6, mac, 6);
        g_assert_cmphex(f[12] << 8 | f[13], ==, 0x8035);
        g_assert_cmphex(f[20] << 8 | f[21], ==, 3);
        g_assert_cmpmem(f + 22, 6, mac, 6);
        g_assert_cmpmem(f + 32, 6, mac, 6);
    }
    /* three rounds and no more */
    g_usleep(50 * 1000);
    g_free(qtest_qmp(c->s, "{\"execute\":\"query-status\"}"));
    uint8_t extra;
    g_assert_cmpint(recv(c->sock, &extra, 1, MSG_DONTWAIT), ==, -1);
    /* a long announcement, stopped by rounds 0 after its first frame */
    g_free(qtest_qmp(c->s, "{\"execute\":\"announce-self\",\"arguments\":"
                           "{\"initial\":20,\"max\":20,\"rounds\":100,\"step\":0,\"id\":\"b\"}}"));
    uint8_t f[2048];
    uint32_t len;
    read_frame(c, f, &len);
    g_free(qtest_qmp(c->s, "{\"execute\":\"announce-self\",\"arguments\":"
                           "{\"rounds\":0,\"id\":\"b\"}}"));
    g_usleep(100 * 1000);
    g_free(qtest_qmp(c->s, "{\"execute\":\"query-status\"}"));
    g_assert_cmpint(recv(c->sock, &extra, 1, MSG_DONTWAIT), ==, -1);
    g_autofree char *e = qtest_qmp(c->s, "{\"execute\":\"announce-self\",\"arguments\":"
                                         "{\"rounds\":-1}}");
    g_assert_nonnull(strstr(e, "rounds 0..1000"));
    stop(c);
}

static void test_hostile_chains(void)
{
    Ctx *c = start();
    QTestState *s = c->s;
    negotiate(c, FEATURES);
    /* a descriptor whose next is itself */
    desc(s, TXQ_BASE, 0, BUFS, 12, 1, 0);
    avail_add(c, TXQ_BASE, &c->tx_avail, 0);
    qtest_writel(s, NOTIFY + 4, 1);
    for (int i = 0; i < 100 && !(status(s) & 0x40); i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(status(s) & 0x40, ==, 0x40);                    /* NEEDS_RESET */
    /* reset brings it back; then a buffer outside RAM breaks it again */
    negotiate(c, FEATURES);
    g_assert_cmphex(status(s) & 0x40, ==, 0);
    desc(s, TXQ_BASE, 0, 0x4000000000ull, 4096, 0, 0);   /* nothing there */
    avail_add(c, TXQ_BASE, &c->tx_avail, 0);
    qtest_writel(s, NOTIFY + 4, 1);
    for (int i = 0; i < 100 && !(status(s) & 0x40); i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(status(s) & 0x40, ==, 0x40);
    /* a head index beyond the ring */
    negotiate(c, FEATURES);
    avail_add(c, TXQ_BASE, &c->tx_avail, 0x7fff);
    qtest_writel(s, NOTIFY + 4, 1);
    for (int i = 0; i < 100 && !(status(s) & 0x40); i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(status(s) & 0x40, ==, 0x40);
    g_assert_cmphex(qtest_pci_readl(s, DEVFN, 0), ==, 0x10001af4);  /* still alive */
    stop(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/virtio-net/identity-config", test_identity_and_config);
    g_test_add_func("/qtest/virtio-net/tx-rx", test_tx_rx);
    g_test_add_func("/qtest/virtio-net/tso", test_tso);
    g_test_add_func("/qtest/virtio-net/msix-pending", test_msix_pending);
    g_test_add_func("/qtest/virtio-net/announce-self", test_announce_self);
    g_test_add_func("/qtest/virtio-net/hostile-chains", test_hostile_chains);
    return g_test_run();
}

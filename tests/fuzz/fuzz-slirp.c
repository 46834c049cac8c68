/*
 * Fuzz the guest side of user networking: frames a guest NIC sends into
 * -netdev user (net/slirp.c's slirp_receive, then libslirp's slirp_input:
 * Ethernet, ARP, IPv4 with options and fragment reassembly, BOOTP/DHCP,
 * TFTP without a directory, UDP/TCP/ICMP to the gateway, DNS server and
 * elsewhere, IPv6 with NDP, ICMPv6 echo and TCP, NC-SI), plus runs of the
 * main loop in between so slirp's GSource, its timers and the replies it
 * held for an ARP/NDP resolution run too.
 *
 * The backend is made as `-netdev user,id=fz-user,restrict=on` makes it
 * (net_netdev_add) and peered with a sink standing in for the NIC: the
 * sink gets everything slirp sends the guest, checks that it is a frame
 * at all (an Ethernet header, not longer than the largest IP packet) and
 * that slirp does not answer far more than it was sent (a loop).  Each
 * input gets a new backend, freed afterwards (net_cleanup), so ARP/NDP
 * tables, DHCP leases, reassembly queues and TCP state never carry over;
 * that costs a few microseconds next to the frames themselves.
 *
 * Nothing may reach the host.  restrict=on makes libslirp drop every
 * guest packet except those for its own services before any socket is
 * made: UDP other than BOOTP/TFTP to the gateway (DNS included), any UDP
 * over IPv6 (udp6_input drops even DHCPv6), every TCP segment that has no
 * guestfwd (tcp_input, for both address families: there is none here),
 * ICMP echo other than to the gateway or DNS address.  ICMPv6 echo to
 * anything but slirp's own addresses is never forwarded (libslirp says
 * so with a g_critical, below), so IPv6 stays on: it cannot leave either.
 * No hostfwd/guestfwd (ports, chardevs), no tftp= (host files), no smb=.
 *
 * Input: records op(1) len(2, little-endian; cut to what is left)
 * body(len).  op & 7:
 *   0     body is a whole Ethernet frame, sent as is
 *   1, 5  IPv4: body = ip(12) payload, see send_ipv4()
 *   2     ARP: body = oper(2) sha(6) spa(4) tha(6) tpa(4) [trailer]
 *   3, 7  IPv6: body = ip6(6) payload, see send_ipv6()
 *   4     run expired timers and one non-blocking main loop iteration
 *   6     NC-SI (ethertype 0x88f8): body is the frame after the Ethernet header
 * op bit 3: Ethernet broadcast destination (else slirp's MAC, or 33:33:..
 * for IPv6 multicast); bit 4: from a second guest MAC.
 */
#include <string.h>

#include "hw/core/timer.h"
#include "net/checksum.h"
#include "net/net.h"
#include "util/iov.h"
#include "fuzz-driver.h"

static const char *fuzz_name = "slirp";

#define ETH_HLEN      14
#define IP_MAX_LEN    65535
#define SLIRP_NETDEV  "user,id=fz-user,restrict=on"

static NetClientState *sink;
/* this input's: frames sent, answered, polls */
static uint64_t frames_in, frames_out, polls, icmp6_criticals;
static bool trace;               /* FUZZ_SLIRP_TRACE=1: every frame, both ways */

static const uint8_t guest_mac[2][6] = {
    { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
    { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 },
};
/* libslirp's own: 52:55 and the gateway's address */
static const uint8_t slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

/* ---- the NIC's end of the wire ---- */

static ssize_t sink_receive(NetClientState *nc, const struct iovec *iov, int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    /* libslirp only sends Ethernet frames, and none carries more than
     * one IP packet (it fragments to its MTU, far below this). */
    if (len < ETH_HLEN || len > ETH_HLEN + IP_MAX_LEN) {
        fprintf(stderr, "fuzz-slirp: slirp sent a %zu-byte frame\n", len);
        abort();
    }
    frames_out++;
    if (trace) {
        uint8_t h[ETH_HLEN + 41] = { 0 };
        iov_to_buf(iov, iovcnt, 0, h, MIN(len, sizeof(h)));
        unsigned type = h[12] << 8 | h[13];
        fprintf(stderr, "  out %zu bytes, type %04x", len, type);
        if (type == 0x0800) {
            fprintf(stderr, ", proto %u, %u.%u.%u.%u", h[23], h[30], h[31], h[32], h[33]);
        } else if (type == 0x86dd) {
            fprintf(stderr, ", next header %u, first byte %u", h[20], h[ETH_HLEN + 40]);
        } else if (type == 0x0806) {
            fprintf(stderr, ", oper %u", h[21]);
        }
        fprintf(stderr, "\n");
    }
    return len;
}

static const NetClientInfo sink_info = {
    .type = NET_CLIENT_DRIVER_NIC,           /* slirp's peer, as a NIC would be */
    .size = sizeof(NetClientState),
    .receive = sink_receive,
};

/*
 * libslirp 4.7 answers an ICMPv6 echo request to an address not its own
 * with g_critical("external icmpv6 not supported yet") and drops it.  A
 * guest can send that at will, so it is no bug of the input; g_test_init
 * made criticals fatal, so this one (and only this one) is let through
 * and not printed every time.
 */
static bool slirp_known_critical(const char *domain, const char *msg)
{
    return domain && !strcmp(domain, "Slirp") && strstr(msg, "external icmpv6 not supported");
}

static gboolean slirp_fatal_filter(const gchar *domain, GLogLevelFlags level,
                                   const gchar *msg, gpointer data)
{
    return !slirp_known_critical(domain, msg);
}

static void slirp_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    if (slirp_known_critical(domain, msg)) {
        icmp6_criticals++;
        return;
    }
    g_log_default_handler(domain, level, msg, data);
}

static void backend_up(void)
{
    GError *err = NULL;
    if (!net_netdev_add(SLIRP_NETDEV, &err)) {
        fprintf(stderr, "fuzz-slirp: -netdev %s: %s\n", SLIRP_NETDEV, err->message);
        abort();
    }
    NetClientState *nc = net_netdev_find("fz-user");
    g_assert(nc);
    sink = net_client_new(&sink_info, nc, "sink", "fz-sink");
}

/* ---- building frames ---- */

static uint8_t frame[ETH_HLEN + IP_MAX_LEN];

static void put16(uint8_t *p, unsigned v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void guest_send(const uint8_t *f, size_t len)
{
    if (trace) {
        fprintf(stderr, "  in %zu bytes\n", len);
    }
    frames_in++;
    net_send(sink, f, len, NULL);
}

static void send_frame(size_t len)
{
    guest_send(frame, len);
}

static void eth_header(uint8_t op, const uint8_t *dst, unsigned type)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    memcpy(frame, (op & 8) ? bcast : dst, 6);
    memcpy(frame + 6, guest_mac[(op >> 4) & 1], 6);
    put16(frame + 12, type);
}

/*
 * Where the UDP/TCP/ICMP(v6) checksum of a payload of len bytes sits, or
 * -1 for other protocols and payloads too short to hold it.  With a
 * correct checksum the input gets past the transport checks into BOOTP,
 * TFTP, the TCP state machine and echo replies.
 */
static int csum_offset(unsigned proto, size_t len)
{
    switch (proto) {
    case 17:
        return len >= 8 ? 6 : -1;
    case 6:
        return len >= 20 ? 16 : -1;
    case 1:
    case 58:
        return len >= 4 ? 2 : -1;
    default:
        return -1;
    }
}

/*
 * Addresses an input picks by index: slirp's own (gateway, DNS), the
 * guest's, broadcasts, and ones outside the virtual network (TEST-NET,
 * loopback) that restrict=on must keep from the host.
 */
static const uint8_t ip4_addrs[16][4] = {
    { 10, 0, 2, 2 }, { 10, 0, 2, 3 }, { 10, 0, 2, 15 }, { 255, 255, 255, 255 },
    { 0, 0, 0, 0 }, { 10, 0, 2, 255 }, { 10, 0, 2, 16 }, { 192, 0, 2, 1 },
    { 127, 0, 0, 1 }, { 224, 0, 0, 1 }, { 10, 0, 2, 1 }, { 10, 0, 2, 4 },
    { 10, 0, 3, 2 }, { 198, 51, 100, 7 }, { 10, 0, 2, 0 }, { 169, 254, 1, 1 },
};

/*
 * IPv4: ip = flags(1) tos(1) id(2) frag(2) ttl(1) proto(1) src(1) dst(1)
 * len(2), big-endian fields as on the wire; src/dst index ip4_addrs.
 * flags bit 0: the transport checksum (and UDP length) made right over
 * the whole payload; bit 1: total length from len, else the true one;
 * bit 2: the datagram split into fragments of 8 * (1 + len % 64) bytes
 * (frag ignored), bit 3 sending them last first; bits 4-7: that many
 * 32-bit words of IP options (up to 10), taken from the payload's start.
 * The header checksum is always right (else ip_input drops the frame).
 */
static void send_ipv4(uint8_t op, const uint8_t *b, size_t n)
{
    uint8_t ip[12] = { 0 };
    memcpy(ip, b, MIN(n, sizeof(ip)));
    const uint8_t *pay = n > sizeof(ip) ? b + sizeof(ip) : NULL;
    size_t plen = n > sizeof(ip) ? n - sizeof(ip) : 0;
    size_t optlen = MIN(4u * MIN(ip[0] >> 4, 10), plen & ~3u);
    size_t hlen = 20 + optlen;
    const uint8_t *src = ip4_addrs[ip[8] & 15], *dst = ip4_addrs[ip[9] & 15];
    uint8_t *h = frame + ETH_HLEN, *data = h + hlen;
    unsigned proto = ip[7];

    plen -= optlen;
    plen = MIN(plen, IP_MAX_LEN - hlen);
    eth_header(op, slirp_mac, 0x0800);
    h[0] = 0x40 | hlen / 4;
    h[1] = ip[1];
    memcpy(h + 4, ip + 2, 2);
    h[8] = ip[6];
    h[9] = proto;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    if (optlen) {
        memcpy(h + 20, pay, optlen);
    }
    if (plen) {
        memcpy(data, pay + optlen, plen);
    }

    int cs = csum_offset(proto == 58 ? 0 : proto, plen);      /* ICMPv6 (58) is not IPv4's */
    if ((ip[0] & 1) && cs >= 0) {
        uint32_t sum = 0;
        if (proto == 17) {
            put16(data + 4, plen);
        }
        put16(data + cs, 0);
        if (proto != 1) {                       /* UDP and TCP: pseudo-header */
            sum = net_checksum_add(sum, src, 4);
            sum = net_checksum_add(sum, dst, 4);
            sum += proto + plen;
        }
        uint16_t c = net_checksum_finish(net_checksum_add(sum, data, plen));
        put16(data + cs, proto == 17 && !c ? 0xffff : c);
    }

    /* fragments: carve the payload in place, last piece first if asked */
    size_t piece = (ip[0] & 4) ? 8 * (1 + ip[11] % 64) : plen;
    size_t count = piece ? (plen + piece - 1) / piece : 0;
    if (!(ip[0] & 4) || count <= 1) {
        put16(h + 2, (ip[0] & 2) ? (ip[10] << 8 | ip[11]) : hlen + plen);
        if (!(ip[0] & 4)) {
            memcpy(h + 6, ip + 4, 2);
        } else {
            put16(h + 6, 0);
        }
        put16(h + 10, 0);
        put16(h + 10, net_checksum_finish(net_checksum_add(0, h, hlen)));
        send_frame(ETH_HLEN + hlen + plen);
        return;
    }
    /* send_frame needs each fragment right after its header: keep the
     * whole payload aside and copy one piece at a time behind h */
    static uint8_t whole[IP_MAX_LEN];
    memcpy(whole, data, plen);
    for (size_t k = 0; k < count; k++) {
        size_t i = (ip[0] & 8) ? count - 1 - k : k;
        size_t off = i * piece, len = MIN(piece, plen - off);
        memcpy(data, whole + off, len);
        put16(h + 2, hlen + len);
        put16(h + 6, (off / 8) | (i + 1 < count ? 0x2000 : 0));
        put16(h + 10, 0);
        put16(h + 10, net_checksum_finish(net_checksum_add(0, h, hlen)));
        send_frame(ETH_HLEN + hlen + len);
    }
}

/* ARP for IPv4 over Ethernet: the input gives oper, sender and target
 * (and a trailer); short bodies are zero-filled to the 28-byte payload. */
static void send_arp(uint8_t op, const uint8_t *b, size_t n)
{
    static const uint8_t fixed[6] = { 0, 1, 0x08, 0x00, 6, 4 };
    uint8_t *a = frame + ETH_HLEN;
    n = MIN(n, sizeof(frame) - ETH_HLEN - sizeof(fixed));
    eth_header(op, slirp_mac, 0x0806);
    memcpy(a, fixed, sizeof(fixed));
    memset(a + sizeof(fixed), 0, 22);
    memcpy(a + sizeof(fixed), b, n);
    send_frame(ETH_HLEN + sizeof(fixed) + MAX(n, 22));
}

/* slirp's (fec0::/64, fe80::2), the guest's, multicast (all nodes,
 * routers, solicited-node of ::2, DHCPv6 servers), the unspecified
 * address and outside ones. */
static const uint8_t ip6_addrs[16][16] = {
    { 0xfe, 0xc0, [15] = 2 },
    { 0xfe, 0xc0, [15] = 3 },
    { 0xfe, 0x80, [15] = 2 },
    { 0xff, 0x02, [15] = 1 },
    { 0xff, 0x02, [15] = 2 },
    { 0xff, 0x02, [11] = 1, 0xff, 0, 0, 2 },
    { 0xfe, 0xc0, [8] = 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 },
    { 0xfe, 0x80, [8] = 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 },
    { 0 },
    { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
    { 0xff, 0x02, [13] = 1, 0, 2 },
    { [15] = 1 },
    { 0xfe, 0xc0, [15] = 1 },
    { 0xfe, 0xc1, [15] = 2 },
    { 0xff, 0x02, [15] = 0x16 },
    { 0xfe, 0x80, [15] = 1 },
};

/*
 * IPv6: ip6 = flags(1) next-header(1) hop-limit(1) src(1) dst(1)
 * traffic-class(1); src/dst index ip6_addrs.  flags bit 0: the
 * ICMPv6/UDP/TCP checksum (and UDP length) made right; bit 1: the payload
 * length field from the payload's first two bytes (big-endian) instead of
 * the true length.  No extension headers are built: libslirp has none.
 */
static void send_ipv6(uint8_t op, const uint8_t *b, size_t n)
{
    uint8_t ip[6] = { 0 };
    memcpy(ip, b, MIN(n, sizeof(ip)));
    const uint8_t *pay = n > sizeof(ip) ? b + sizeof(ip) : NULL;
    size_t plen = n > sizeof(ip) ? n - sizeof(ip) : 0;
    unsigned pl = 0;
    if ((ip[0] & 2) && plen >= 2) {
        pl = pay[0] << 8 | pay[1];
        pay += 2;
        plen -= 2;
    }
    plen = MIN(plen, IP_MAX_LEN - 40);
    if (!(ip[0] & 2)) {
        pl = plen;
    }
    const uint8_t *src = ip6_addrs[ip[3] & 15], *dst = ip6_addrs[ip[4] & 15];
    uint8_t *h = frame + ETH_HLEN, *data = h + 40;
    unsigned nh = ip[1];

    uint8_t mcast[6] = { 0x33, 0x33, dst[12], dst[13], dst[14], dst[15] };
    eth_header(op, dst[0] == 0xff ? mcast : slirp_mac, 0x86dd);
    h[0] = 0x60 | ip[5] >> 4;
    h[1] = ip[5] << 4;
    h[2] = h[3] = 0;
    put16(h + 4, pl);
    h[6] = nh;
    h[7] = ip[2];
    memcpy(h + 8, src, 16);
    memcpy(h + 24, dst, 16);
    if (plen) {
        memcpy(data, pay, plen);
    }
    int cs = csum_offset(nh == 1 ? 0 : nh, plen);     /* ICMP (1) is not IPv6's */
    if ((ip[0] & 1) && cs >= 0) {
        if (nh == 17) {
            put16(data + 4, plen);
        }
        put16(data + cs, 0);
        uint32_t sum = net_checksum_add(0, src, 16);
        sum = net_checksum_add(sum, dst, 16);
        sum += plen + nh;
        uint16_t c = net_checksum_finish(net_checksum_add(sum, data, plen));
        put16(data + cs, nh == 17 && !c ? 0xffff : c);
    }
    send_frame(ETH_HLEN + 40 + plen);
}

/*
 * Reassembly: Debian's libslirp 4.7.0 crashes on fragments no IP stack
 * sends (a last piece that starts a queue, overlapping pieces; see
 * net/slirp.c, frag_admit(), and "Bugs found" in README.md).  net/slirp.c
 * passes slirp a datagram's pieces only in order and drops the rest, so
 * every fragment order the input makes goes in here: a hole in that guard
 * crashes this harness.
 */
static void fuzz_setup(void)
{
    trace = g_getenv("FUZZ_SLIRP_TRACE") != NULL;
    g_log_set_handler("Slirp", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                      slirp_log, NULL);
    backend_up();
}

/* ---- one input ---- */

static void poll_once(void)
{
    polls++;
    timers_run_expired();
    g_main_context_iteration(NULL, FALSE);      /* never blocks */
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    frames_in = frames_out = polls = icmp6_criticals = 0;
#ifndef VIREO_LIBFUZZER
    /* g_test_run() clears it before every test case */
    g_test_log_set_fatal_handler(slirp_fatal_filter, NULL);
#else
    (void)slirp_fatal_filter;
#endif
    for (size_t i = 0; i + 3 <= size;) {
        uint8_t op = data[i];
        size_t len = MIN((size_t)(data[i + 1] | data[i + 2] << 8), size - i - 3);
        const uint8_t *b = data + i + 3;
        i += 3 + len;
        switch (op & 7) {
        case 0:
            guest_send(b, len);
            break;
        case 1:
        case 5:
            send_ipv4(op, b, len);
            break;
        case 2:
            send_arp(op, b, len);
            break;
        case 3:
        case 7:
            send_ipv6(op, b, len);
            break;
        case 4:
            poll_once();
            break;
        default:
            len = MIN(len, sizeof(frame) - ETH_HLEN);
            eth_header(op, slirp_mac, 0x88f8);
            memcpy(frame + ETH_HLEN, b, len);
            send_frame(ETH_HLEN + len);
            break;
        }
    }
    /* what slirp held for a resolution goes out at its next poll */
    poll_once();
    /*
     * Every guest frame gets at most a few answers (an ARP request for
     * the guest, then the reply, cut in MTU-sized fragments when it is a
     * big reassembled echo); more than this means slirp answers itself.
     */
    if (frames_out > 64 * (frames_in + polls)) {
        fprintf(stderr, "fuzz-slirp: %" G_GUINT64_FORMAT " frames out for %" G_GUINT64_FORMAT
                " in and %" G_GUINT64_FORMAT " polls\n", frames_out, frames_in, polls);
        abort();
    }
    if (trace) {
        fprintf(stderr, "input: %" G_GUINT64_FORMAT " frames in, %" G_GUINT64_FORMAT " out, %"
                G_GUINT64_FORMAT " polls, %" G_GUINT64_FORMAT " external ICMPv6 echoes\n",
                frames_in, frames_out, polls, icmp6_criticals);
    }
    /* a fresh backend for the next input: nothing slirp learnt carries over */
    net_cleanup();
    backend_up();
}

/*
 * TCP segmentation offload in software: see gso.h.
 * Header layouts: RFC 791 (IPv4), RFC 8200 (IPv6), RFC 9293 (TCP).
 */
#include <string.h>

#include "net/checksum.h"
#include "net/gso.h"

#define ETH_P_IP    0x0800
#define ETH_P_IPV6  0x86dd
#define ETH_P_8021Q 0x8100
#define IPPROTO_TCP_ 6
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t ld16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static void st16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void st32(uint8_t *p, uint32_t v)
{
    st16(p, v >> 16);
    st16(p + 2, v);
}

bool net_ip_parse(const uint8_t *f, size_t len, NetIpFrame *ip)
{
    size_t l3 = 14;
    if (len < l3) {
        return false;
    }
    uint16_t type = ld16(f + 12);
    if (type == ETH_P_8021Q) {
        l3 += 4;
        if (len < l3) {
            return false;
        }
        type = ld16(f + 16);
    }
    if (type == ETH_P_IP && len >= l3 + 20 && (f[l3] >> 4) == 4 && (f[l3] & 15) >= 5) {
        ip->v6 = false;
        ip->proto = f[l3 + 9];
        ip->l4 = l3 + (f[l3] & 15) * 4;
    } else if (type == ETH_P_IPV6 && len >= l3 + 40 && (f[l3] >> 4) == 6) {
        /* extension headers are not followed: Linux sends TSO6 without them */
        ip->v6 = true;
        ip->proto = f[l3 + 6];
        ip->l4 = l3 + 40;
    } else {
        return false;
    }
    ip->l3 = l3;
    return len >= ip->l4;
}

bool net_tcp_parse(const uint8_t *f, size_t len, bool v6, NetTcpFrame *t)
{
    NetIpFrame ip;
    if (!net_ip_parse(f, len, &ip) || ip.v6 != v6 || ip.proto != IPPROTO_TCP_) {
        return false;
    }
    size_t l4 = ip.l4;
    if (len < l4 + 20 || (f[l4 + 12] >> 4) < 5 || len < l4 + (f[l4 + 12] >> 4) * 4) {
        return false;
    }
    t->v6 = v6;
    t->l3 = ip.l3;
    t->l4 = l4;
    t->hlen = l4 + (f[l4 + 12] >> 4) * 4;
    return true;
}

/* Lengths and checksums of one segment whose headers and payload are in s */
static void fix_segment(uint8_t *s, size_t len, const NetTcpFrame *t)
{
    size_t tcplen = len - t->l4;
    uint32_t sum;
    if (!t->v6) {
        uint8_t *ip = s + t->l3;
        size_t ihl = (ip[0] & 15) * 4;
        st16(ip + 2, len - t->l3);
        st16(ip + 10, 0);
        st16(ip + 10, net_checksum_finish(net_checksum_add(0, ip, ihl)));
        sum = net_checksum_add(0, ip + 12, 8);          /* source, destination */
    } else {
        uint8_t *ip = s + t->l3;
        st16(ip + 4, len - t->l4);
        sum = net_checksum_add(0, ip + 8, 32);
    }
    sum += IPPROTO_TCP_ + (uint32_t)(tcplen >> 16) + (uint32_t)(tcplen & 0xffff);
    st16(s + t->l4 + 16, 0);
    st16(s + t->l4 + 16, net_checksum_finish(net_checksum_add(sum, s + t->l4, tcplen)));
}

unsigned net_tcp_segment(const uint8_t *frame, size_t len, const NetTcpFrame *t, size_t mss,
                         uint8_t *buf, NetSegmentFn *emit, void *opaque)
{
    size_t payload = len - t->hlen;
    if (mss == 0 || payload <= mss) {
        memcpy(buf, frame, len);
        fix_segment(buf, len, t);
        emit(opaque, buf, len, true);
        return 1;
    }
    const uint8_t *tcp = frame + t->l4;
    uint32_t seq = ld32(tcp + 4);
    uint16_t id = t->v6 ? 0 : ld16(frame + t->l3 + 4);
    uint8_t flags = tcp[13];
    unsigned n = 0;
    for (size_t off = 0; off < payload; off += mss, n++) {
        size_t chunk = payload - off < mss ? payload - off : mss;
        bool last = off + chunk == payload;
        memcpy(buf, frame, t->hlen);
        memcpy(buf + t->hlen, frame + t->hlen + off, chunk);
        uint8_t *st = buf + t->l4;
        st32(st + 4, seq + (uint32_t)off);
        st[13] = flags & ~((last ? 0 : TCP_FIN | TCP_PSH) | (n ? TCP_CWR : 0));
        if (!t->v6) {
            st16(buf + t->l3 + 4, (uint16_t)(id + n));
        }
        fix_segment(buf, t->hlen + chunk, t);
        emit(opaque, buf, t->hlen + chunk, last);
    }
    return n;
}

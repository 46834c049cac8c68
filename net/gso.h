/*
 * TCP segmentation offload done in software, for NICs whose driver hands
 * over one large TCP frame with a segment size (virtio-net's HOST_TSO4/6,
 * virtio 1.1 section 5.1.6.2).  The frame is checked as hostile input: it
 * must be Ethernet (optionally one 802.1Q tag), then IPv4 or IPv6 without
 * extension headers, then TCP, with every header inside the frame.
 */
#ifndef NET_GSO_H
#define NET_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct NetIpFrame {
    bool v6;
    uint8_t proto;               /* IPv4 protocol, IPv6 next header */
    size_t l3, l4;               /* offsets of the IP header and of what follows it */
} NetIpFrame;

/* Parse Ethernet (one 802.1Q tag allowed) then IPv4 or IPv6 (no extension
 * headers followed); false unless the whole IP header is in the frame. */
bool net_ip_parse(const uint8_t *f, size_t len, NetIpFrame *ip);

typedef struct NetTcpFrame {
    bool v6;
    size_t l3, l4, hlen;         /* offsets of IP and TCP headers, end of headers */
} NetTcpFrame;

/* Parse a TCP frame; false if it is not one (or a header is cut short). */
bool net_tcp_parse(const uint8_t *f, size_t len, bool v6, NetTcpFrame *t);

/*
 * Split frame into segments of at most mss payload bytes (mss 0: one
 * segment, the frame as it is), each with its own IP length, IPv4 ID and
 * header checksum, TCP sequence number, flags (FIN and PSH on the last
 * segment only, CWR on the first only) and full TCP checksum, and hand each
 * to emit(opaque, seg, seglen, last).  seg points into buf, of at least
 * t->hlen + mss bytes (or len, for mss 0).  Returns the number of segments.
 */
typedef void NetSegmentFn(void *opaque, const uint8_t *seg, size_t len, bool last);
unsigned net_tcp_segment(const uint8_t *frame, size_t len, const NetTcpFrame *t, size_t mss,
                         uint8_t *buf, NetSegmentFn *emit, void *opaque);

#endif

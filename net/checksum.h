/*
 * The Internet checksum (RFC 1071) as NICs insert it: a ones'-complement
 * sum over 16-bit big-endian words, folded and inverted.
 */
#ifndef NET_CHECKSUM_H
#define NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add buf to a running sum (an odd length pads with a zero byte). */
static inline uint32_t net_checksum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += buf[i] << 8 | buf[i + 1];
    }
    if (len & 1) {
        sum += buf[len - 1] << 8;
    }
    return sum;
}

/* Fold the carries and invert: the value to store in the packet. */
static inline uint16_t net_checksum_finish(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

#endif

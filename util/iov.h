/*
 * Scatter-gather buffers (struct iovec arrays): copy to and from a flat
 * buffer at an offset, total size.  Used by the virtio core, the NICs and
 * the network layer.
 */
#ifndef UTIL_IOV_H
#define UTIL_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Both return the bytes copied (less than len when the iovec ends). */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len);
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
size_t iov_size(const struct iovec *iov, unsigned n);

#endif

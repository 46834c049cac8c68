/*
 * Virtio device core (virtio 1.1 spec, sections 2 and 3): feature
 * negotiation, device status, split virtqueues with indirect descriptors
 * and event-idx notification suppression.  Transport-independent: the
 * transport (virtio-pci.c) owns register layout and interrupts and is
 * reached through VirtIODevice.transport_notify.
 *
 * Everything about a queue lives in guest memory and is hostile: every
 * descriptor index, chain length, indirect table and buffer address is
 * checked.  A malformed chain marks the device broken (DEVICE_NEEDS_RESET,
 * logged under -d guest_errors); a broken device processes nothing more
 * until the driver resets it.
 */
#ifndef HW_VIRTIO_VIRTIO_H
#define HW_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/iov.h"

#define VIRTIO_CONFIG_S_ACKNOWLEDGE  1
#define VIRTIO_CONFIG_S_DRIVER       2
#define VIRTIO_CONFIG_S_DRIVER_OK    4
#define VIRTIO_CONFIG_S_FEATURES_OK  8
#define VIRTIO_CONFIG_S_NEEDS_RESET  0x40
#define VIRTIO_CONFIG_S_FAILED       0x80

#define VIRTIO_F_NOTIFY_ON_EMPTY     24
#define VIRTIO_F_ANY_LAYOUT          27
#define VIRTIO_RING_F_INDIRECT_DESC  28
#define VIRTIO_RING_F_EVENT_IDX      29
#define VIRTIO_F_VERSION_1           32

#define VIRTIO_NO_VECTOR             0xffff
#define VIRTIO_QUEUE_MAX             64
#define VIRTQUEUE_MAX_SIZE           1024

typedef struct VirtIODevice VirtIODevice;
typedef struct VirtQueue VirtQueue;

/* A popped request: the driver's buffers mapped into host iovecs. */
typedef struct VirtQueueElement {
    unsigned index;              /* head descriptor, for the used ring */
    unsigned out_num, in_num;
    struct iovec *out_sg, *in_sg;
    uint64_t in_bytes, out_bytes;
} VirtQueueElement;

typedef void VirtIOHandleOutput(VirtIODevice *vdev, VirtQueue *vq);

struct VirtQueue {
    VirtIODevice *vdev;
    unsigned index;
    uint16_t num, num_max;       /* size chosen by the driver, and our maximum */
    uint64_t desc, avail, used;  /* guest physical addresses */
    bool enabled;
    uint16_t last_avail_idx;     /* next avail entry we will take */
    uint16_t used_idx;           /* our copy of used->idx */
    uint16_t signalled_used;
    bool signalled_used_valid;
    uint16_t vector;             /* MSI-X vector */
    unsigned inuse;              /* popped, not yet pushed */
    VirtIOHandleOutput *handle_output;
    bool notification;           /* false: the device asked for no kicks */
    /* accounting */
    uint64_t kicks, kicks_suppressed, irqs, irqs_suppressed, elems;
};

typedef struct VirtIODeviceOps {
    uint64_t (*get_features)(VirtIODevice *vdev, uint64_t host);   /* optional */
    void (*set_features)(VirtIODevice *vdev, uint64_t features);   /* optional */
    void (*get_config)(VirtIODevice *vdev, uint8_t *config);       /* fill config_len bytes */
    void (*set_config)(VirtIODevice *vdev, const uint8_t *config); /* optional */
    void (*set_status)(VirtIODevice *vdev, uint8_t status);        /* optional */
    void (*reset)(VirtIODevice *vdev);                              /* optional */
} VirtIODeviceOps;

struct VirtIODevice {
    const char *name;
    uint16_t device_id;          /* virtio device type (1 net, 2 blk, ...) */
    uint8_t status;
    uint8_t isr;
    uint8_t generation;
    uint16_t config_vector;
    uint64_t host_features, guest_features;
    size_t config_len;
    uint8_t *config;
    VirtQueue vq[VIRTIO_QUEUE_MAX];
    unsigned nvqs;
    bool broken;
    const VirtIODeviceOps *ops;
    /* the transport: raise an interrupt (vector, or INTx) */
    void (*transport_notify)(void *transport, uint16_t vector);
    void *transport;
    void *opaque;                /* the device model */
};

void virtio_init(VirtIODevice *vdev, const char *name, uint16_t device_id, size_t config_len,
                 const VirtIODeviceOps *ops, void *opaque);
VirtQueue *virtio_add_queue(VirtIODevice *vdev, uint16_t size, VirtIOHandleOutput *handle);
void virtio_reset(VirtIODevice *vdev);
void virtio_set_status(VirtIODevice *vdev, uint8_t status);
bool virtio_has_feature(VirtIODevice *vdev, unsigned bit);
/* The driver wrote feature bits: accept those we offer.  Returns false if
 * it asked for one we do not offer. */
bool virtio_set_features(VirtIODevice *vdev, uint64_t features);
/* Refresh vdev->config from the device (before a driver read). */
void virtio_config_refresh(VirtIODevice *vdev);
void virtio_config_written(VirtIODevice *vdev);
void virtio_notify_config(VirtIODevice *vdev);

/* The driver kicked queue n (from the transport's notify register). */
void virtio_queue_notify(VirtIODevice *vdev, unsigned n);
bool virtio_queue_ready(VirtQueue *vq);
bool virtio_queue_empty(VirtQueue *vq);
/* Take the next request, or NULL when the ring is empty or the device
 * broke (then virtio_is_broken()).  Free it with virtqueue_elem_free(). */
VirtQueueElement *virtqueue_pop(VirtQueue *vq);
/* Give an element back unused (the device could not handle it now). */
void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem);
/* Report elem used with len bytes written to its in buffers. */
void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len);
/* Several elements: fill entries, then publish them with flush. */
void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len, unsigned idx);
void virtqueue_flush(VirtQueue *vq, unsigned count);
void virtqueue_elem_free(VirtQueueElement *elem);
/* Interrupt the driver if it wants to hear about new used entries. */
void virtio_notify(VirtIODevice *vdev, VirtQueue *vq);
/* Ask the driver not to kick (false) or to kick again (true); with event
 * idx this moves avail_event. */
void virtio_queue_set_notification(VirtQueue *vq, bool enable);
/* Mark the device broken: NEEDS_RESET, config interrupt, log. */
void virtio_error(VirtIODevice *vdev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool virtio_is_broken(VirtIODevice *vdev);


#endif

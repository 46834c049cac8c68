/* Virtio device core and split virtqueues: see virtio.h. */
#include "hw/virtio/virtio.h"

#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "hw/core/memory.h"
#include "util/log.h"

#define VRING_DESC_F_NEXT       1
#define VRING_DESC_F_WRITE      2
#define VRING_DESC_F_INDIRECT   4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY  1
#define VRING_DESC_SIZE         16

typedef struct VRingDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
} VRingDesc;

/* ---- little-endian guest memory access ---- */

static AddressSpace *vas(void)
{
    return &address_space_memory;
}

static uint16_t ld16(uint64_t a)
{
    uint8_t b[2];
    address_space_read(vas(), a, b, 2);
    return b[0] | b[1] << 8;
}

static void st16(uint64_t a, uint16_t v)
{
    uint8_t b[2] = { v, v >> 8 };
    address_space_write(vas(), a, b, 2);
}

static void st32(uint64_t a, uint32_t v)
{
    uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
    address_space_write(vas(), a, b, 4);
}

static bool read_desc(uint64_t table, unsigned i, VRingDesc *d)
{
    uint8_t b[VRING_DESC_SIZE];
    if (!address_space_read(vas(), table + (uint64_t)i * VRING_DESC_SIZE, b, sizeof(b))) {
        return false;
    }
    d->addr = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
              (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
    d->len = b[8] | b[9] << 8 | b[10] << 16 | (uint32_t)b[11] << 24;
    d->flags = b[12] | b[13] << 8;
    d->next = b[14] | b[15] << 8;
    return true;
}

/* ---- device ---- */

void virtio_init(VirtIODevice *vdev, const char *name, uint16_t device_id, size_t config_len,
                 const VirtIODeviceOps *ops, void *opaque)
{
    vdev->name = name;
    vdev->device_id = device_id;
    vdev->config_len = config_len;
    vdev->config = g_malloc0(config_len ? config_len : 1);
    vdev->ops = ops;
    vdev->opaque = opaque;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->host_features |= 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_INDIRECT_DESC |
                           1ull << VIRTIO_RING_F_EVENT_IDX | 1ull << VIRTIO_F_NOTIFY_ON_EMPTY |
                           1ull << VIRTIO_F_ANY_LAYOUT;
}

VirtQueue *virtio_add_queue(VirtIODevice *vdev, uint16_t size, VirtIOHandleOutput *handle)
{
    g_assert(vdev->nvqs < VIRTIO_QUEUE_MAX && size <= VIRTQUEUE_MAX_SIZE);
    VirtQueue *vq = &vdev->vq[vdev->nvqs];
    vq->vdev = vdev;
    vq->index = vdev->nvqs++;
    vq->num_max = size;
    vq->num = size;
    vq->handle_output = handle;
    vq->vector = VIRTIO_NO_VECTOR;
    vq->notification = true;
    return vq;
}

void virtio_reset(VirtIODevice *vdev)
{
    if (vdev->ops->reset) {
        vdev->ops->reset(vdev);
    }
    vdev->status = 0;
    vdev->isr = 0;
    vdev->broken = false;
    vdev->guest_features = 0;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    for (unsigned i = 0; i < vdev->nvqs; i++) {
        VirtQueue *vq = &vdev->vq[i];
        vq->num = vq->num_max;
        vq->desc = vq->avail = vq->used = 0;
        vq->enabled = false;
        vq->last_avail_idx = vq->used_idx = 0;
        vq->signalled_used_valid = false;
        vq->vector = VIRTIO_NO_VECTOR;
        vq->inuse = 0;
        vq->notification = true;
    }
}

bool virtio_has_feature(VirtIODevice *vdev, unsigned bit)
{
    return (vdev->guest_features >> bit) & 1;
}

bool virtio_set_features(VirtIODevice *vdev, uint64_t features)
{
    bool ok = !(features & ~vdev->host_features);
    vdev->guest_features = features & vdev->host_features;
    if (vdev->ops->set_features) {
        vdev->ops->set_features(vdev, vdev->guest_features);
    }
    return ok;
}

void virtio_set_status(VirtIODevice *vdev, uint8_t status)
{
    if (status == 0) {
        virtio_reset(vdev);
        return;
    }
    /* FEATURES_OK sticks only if the features were acceptable (we check
     * at write time: anything unoffered was masked off already) */
    vdev->status = status | (vdev->broken ? VIRTIO_CONFIG_S_NEEDS_RESET : 0);
    if (vdev->ops->set_status) {
        vdev->ops->set_status(vdev, vdev->status);
    }
}

void virtio_config_refresh(VirtIODevice *vdev)
{
    if (vdev->ops->get_config) {
        vdev->ops->get_config(vdev, vdev->config);
    }
}

void virtio_config_written(VirtIODevice *vdev)
{
    if (vdev->ops->set_config) {
        vdev->ops->set_config(vdev, vdev->config);
    }
}

void virtio_notify_config(VirtIODevice *vdev)
{
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;
    }
    /* the configuration bit and the queue bit, as QEMU's: a driver that
     * polls the queue bit (libqos's resize test) sees the interrupt too */
    vdev->isr |= 3;
    vdev->generation++;
    vdev->transport_notify(vdev->transport, vdev->config_vector);
}

void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    vlog(LOG_GUEST_ERRORS, "%s: %s; device needs reset\n", vdev->name, msg);
    g_free(msg);
    if (vdev->broken) {
        return;
    }
    vdev->broken = true;
    if (virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
        virtio_notify_config(vdev);
    }
}

bool virtio_is_broken(VirtIODevice *vdev)
{
    return vdev->broken;
}

/* ---- queues ---- */

bool virtio_queue_ready(VirtQueue *vq)
{
    return vq->desc && vq->avail && vq->used && vq->num &&
           (vq->vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !vq->vdev->broken;
}

static uint16_t avail_idx(VirtQueue *vq)
{
    return ld16(vq->avail + 2);
}

bool virtio_queue_empty(VirtQueue *vq)
{
    return !virtio_queue_ready(vq) || avail_idx(vq) == vq->last_avail_idx;
}

void virtio_queue_notify(VirtIODevice *vdev, unsigned n)
{
    if (n >= vdev->nvqs) {
        vlog(LOG_GUEST_ERRORS, "%s: notify of queue %u (has %u)\n", vdev->name, n, vdev->nvqs);
        return;
    }
    VirtQueue *vq = &vdev->vq[n];
    vq->kicks++;
    if (vq->handle_output && virtio_queue_ready(vq)) {
        vq->handle_output(vdev, vq);
    }
}

void virtio_queue_set_notification(VirtQueue *vq, bool enable)
{
    vq->notification = enable;
    if (!virtio_queue_ready(vq)) {
        return;
    }
    if (virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        /* avail_event: kick us when the driver passes this index */
        if (enable) {
            st16(vq->used + 4 + 8 * vq->num, vq->last_avail_idx);
        }
    } else {
        uint16_t flags = ld16(vq->used);
        st16(vq->used, enable ? flags & ~VRING_USED_F_NO_NOTIFY : flags | VRING_USED_F_NO_NOTIFY);
    }
}

static void elem_add(GArray *sg, GArray *addrs, uint64_t addr, uint64_t len, bool is_write,
                     bool *ok)
{
    while (len && *ok) {
        uint64_t plen = len;
        uint8_t *p = address_space_map(vas(), addr, &plen, is_write);
        if (!p || !plen) {
            *ok = false;
            return;
        }
        struct iovec iov = { .iov_base = p, .iov_len = plen };
        g_array_append_val(sg, iov);
        if (addrs) {
            g_array_append_val(addrs, addr);
        }
        addr += plen;
        len -= plen;
    }
}

/* An element owns its iovec arrays; in_addr (after the structure) lets push()
 * tell the translator about bytes it wrote to guest RAM. */
typedef struct ElemPriv {
    VirtQueueElement e;
    uint64_t *in_addr;
} ElemPriv;

VirtQueueElement *virtqueue_pop(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    if (virtio_queue_empty(vq)) {
        return NULL;
    }
    uint16_t avail = avail_idx(vq);
    if ((uint16_t)(avail - vq->last_avail_idx) > vq->num) {
        virtio_error(vdev, "queue %u: avail index moved by %u, more than its %u entries",
                     vq->index, (uint16_t)(avail - vq->last_avail_idx), vq->num);
        return NULL;
    }
    unsigned head = ld16(vq->avail + 4 + 2 * (vq->last_avail_idx % vq->num));
    if (head >= vq->num) {
        virtio_error(vdev, "queue %u: head descriptor %u out of range", vq->index, head);
        return NULL;
    }
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    GArray *in = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    GArray *in_addr = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    uint64_t table = vq->desc, in_bytes = 0, out_bytes = 0;
    unsigned max = vq->num, i = head, seen = 0;
    bool indirect = false, ok = true;
    VRingDesc d;
    for (;;) {
        if (!read_desc(table, i, &d)) {
            virtio_error(vdev, "queue %u: descriptor table not in memory", vq->index);
            ok = false;
            break;
        }
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (indirect || !virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC) ||
                (d.flags & VRING_DESC_F_NEXT)) {
                virtio_error(vdev, "queue %u: indirect descriptor not allowed here", vq->index);
                ok = false;
                break;
            }
            if (d.len == 0 || d.len % VRING_DESC_SIZE || d.len / VRING_DESC_SIZE > VIRTQUEUE_MAX_SIZE) {
                virtio_error(vdev, "queue %u: indirect table of %u bytes", vq->index, d.len);
                ok = false;
                break;
            }
            indirect = true;
            table = d.addr;
            max = d.len / VRING_DESC_SIZE;
            i = 0;
            seen = 0;
            continue;
        }
        if (++seen > max) {
            virtio_error(vdev, "queue %u: descriptor chain loops", vq->index);
            ok = false;
            break;
        }
        bool w = d.flags & VRING_DESC_F_WRITE;
        if (!w && in->len) {
            virtio_error(vdev, "queue %u: readable descriptor after a writable one", vq->index);
            ok = false;
            break;
        }
        elem_add(w ? in : out, w ? in_addr : NULL, d.addr, d.len, w, &ok);
        if (!ok) {
            virtio_error(vdev, "queue %u: buffer 0x%" G_GINT64_MODIFIER "x+%u is not guest RAM",
                         vq->index, d.addr, d.len);
            break;
        }
        (w ? &in_bytes : &out_bytes)[0] += d.len;
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        i = d.next;
        if (i >= max) {
            virtio_error(vdev, "queue %u: next descriptor %u out of range", vq->index, i);
            ok = false;
            break;
        }
    }
    if (!ok) {
        g_array_free(out, TRUE);
        g_array_free(in, TRUE);
        g_array_free(in_addr, TRUE);
        return NULL;
    }
    vq->last_avail_idx++;
    vq->inuse++;
    vq->elems++;
    if (virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX) && vq->notification) {
        st16(vq->used + 4 + 8 * vq->num, vq->last_avail_idx);
    }
    ElemPriv *p = g_new0(ElemPriv, 1);
    p->e.index = head;
    p->e.out_num = out->len;
    p->e.in_num = in->len;
    p->e.out_sg = (struct iovec *)g_array_free(out, FALSE);
    p->e.in_sg = (struct iovec *)g_array_free(in, FALSE);
    p->in_addr = (uint64_t *)g_array_free(in_addr, FALSE);
    p->e.in_bytes = in_bytes;
    p->e.out_bytes = out_bytes;
    return &p->e;
}

void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem)
{
    vq->last_avail_idx--;
    vq->inuse--;
}

void virtqueue_elem_free(VirtQueueElement *elem)
{
    if (!elem) {
        return;
    }
    ElemPriv *p = (ElemPriv *)elem;
    g_free(elem->out_sg);
    g_free(elem->in_sg);
    g_free(p->in_addr);
    g_free(p);
}

void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len, unsigned idx)
{
    if (!vq->used || !vq->num) {
        return;
    }
    /* the bytes written went through host pointers: tell the translator */
    const ElemPriv *p = (const ElemPriv *)elem;
    uint32_t left = len;
    for (unsigned i = 0; i < elem->in_num && left; i++) {
        uint32_t n = MIN(left, elem->in_sg[i].iov_len);
        if (memory_ram_write_hook) {
            memory_ram_write_hook(vas(), p->in_addr[i], n);
        }
        left -= n;
    }
    uint64_t e = vq->used + 4 + 8 * ((vq->used_idx + idx) % vq->num);
    st32(e, elem->index);
    st32(e + 4, len);
}

void virtqueue_flush(VirtQueue *vq, unsigned count)
{
    if (!vq->used || !vq->num) {
        return;
    }
    uint16_t old = vq->used_idx, now = old + count;
    st16(vq->used + 2, now);
    vq->used_idx = now;
    vq->inuse -= MIN(vq->inuse, count);
    /* an index that wrapped past the one we signalled invalidates it */
    if ((uint16_t)(now - vq->signalled_used) < (uint16_t)(now - old)) {
        vq->signalled_used_valid = false;
    }
}

void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len)
{
    virtqueue_fill(vq, elem, len, 0);
    virtqueue_flush(vq, 1);
}

static bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static bool should_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    if (virtio_has_feature(vdev, VIRTIO_F_NOTIFY_ON_EMPTY) && !vq->inuse &&
        virtio_queue_empty(vq)) {
        return true;
    }
    if (!virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        return !(ld16(vq->avail) & VRING_AVAIL_F_NO_INTERRUPT);
    }
    uint16_t old = vq->signalled_used, now = vq->used_idx;
    bool valid = vq->signalled_used_valid;
    vq->signalled_used_valid = true;
    vq->signalled_used = now;
    uint16_t used_event = ld16(vq->avail + 4 + 2 * vq->num);
    return !valid || vring_need_event(used_event, now, old);
}

void virtio_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    if (!should_notify(vdev, vq)) {
        vq->irqs_suppressed++;
        return;
    }
    vq->irqs++;
    vdev->isr |= 1;
    vdev->transport_notify(vdev->transport, vq->vector);
}

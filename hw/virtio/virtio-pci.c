/* Virtio over PCI: see virtio-pci.h. */
#include "hw/virtio/virtio-pci.h"

#include <string.h>

#include "hw/pci/msix.h"
#include "util/log.h"

#define VIRTIO_PCI_CAP_COMMON_CFG   1
#define VIRTIO_PCI_CAP_NOTIFY_CFG   2
#define VIRTIO_PCI_CAP_ISR_CFG      3
#define VIRTIO_PCI_CAP_DEVICE_CFG   4
#define VIRTIO_PCI_CAP_PCI_CFG      5

#define MODERN_BAR          4
#define MSIX_BAR            1
#define LEGACY_BAR          0
#define COMMON_OFF          0x0000
#define ISR_OFF             0x1000
#define DEVICE_OFF          0x2000
#define NOTIFY_OFF          0x3000
#define REGION_SIZE         0x1000
#define NOTIFY_MULTIPLIER   4

/* ---- interrupts ---- */

static void vp_notify(void *transport, uint16_t vector)
{
    VirtIOPCIProxy *p = transport;
    if (msix_enabled(&p->pci)) {
        if (vector != VIRTIO_NO_VECTOR) {
            msix_notify(&p->pci, vector);
        }
        return;
    }
    pci_set_irq(&p->pci, p->vdev->isr & 1 || p->vdev->isr & 2);
}

static uint8_t vp_isr_read(VirtIOPCIProxy *p)
{
    /* reading ISR acknowledges the interrupt */
    uint8_t v = p->vdev->isr;
    p->vdev->isr = 0;
    p->isr_reads++;
    pci_set_irq(&p->pci, 0);
    return v;
}

static VirtQueue *sel_vq(VirtIOPCIProxy *p)
{
    return p->queue_sel < p->vdev->nvqs ? &p->vdev->vq[p->queue_sel] : NULL;
}

static uint16_t vector_checked(VirtIOPCIProxy *p, uint16_t v)
{
    return v < p->nvectors ? v : VIRTIO_NO_VECTOR;
}

/* ---- modern common configuration ---- */

static uint64_t common_read(void *opaque, hwaddr addr, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = sel_vq(p);
    switch (addr) {
    case 0: return p->dfselect;
    case 4: return p->dfselect < 2 ? (uint32_t)(vdev->host_features >> (32 * p->dfselect)) : 0;
    case 8: return p->gfselect;
    case 12: return p->gfselect < 2 ? (uint32_t)(vdev->guest_features >> (32 * p->gfselect)) : 0;
    case 16: return vdev->config_vector;
    case 18: return vdev->nvqs;
    case 20: return vdev->status;
    case 21: return vdev->generation;
    case 22: return p->queue_sel;
    case 24: return vq ? vq->num : 0;
    case 26: return vq ? vq->vector : VIRTIO_NO_VECTOR;
    case 28: return vq ? vq->enabled : 0;
    case 30: return vq ? p->queue_sel : 0;
    case 32: return vq ? (uint32_t)vq->desc : 0;
    case 36: return vq ? vq->desc >> 32 : 0;
    case 40: return vq ? (uint32_t)vq->avail : 0;
    case 44: return vq ? vq->avail >> 32 : 0;
    case 48: return vq ? (uint32_t)vq->used : 0;
    case 52: return vq ? vq->used >> 32 : 0;
    default: return 0;
    }
}

static void set_lo_hi(uint64_t *field, hwaddr off, uint32_t val)
{
    if (off & 4) {
        *field = (*field & 0xffffffffull) | (uint64_t)val << 32;
    } else {
        *field = (*field & ~0xffffffffull) | val;
    }
}

static void common_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = sel_vq(p);
    switch (addr) {
    case 0: p->dfselect = val; break;
    case 8: p->gfselect = val; break;
    case 12:
        if (p->gfselect < 2) {
            uint64_t f = vdev->guest_features;
            unsigned sh = 32 * p->gfselect;
            f = (f & ~(0xffffffffull << sh)) | ((uint64_t)(uint32_t)val << sh);
            virtio_set_features(vdev, f);
        }
        break;
    case 16: vdev->config_vector = vector_checked(p, val); break;
    case 20:
        if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
            val &= ~VIRTIO_CONFIG_S_FEATURES_OK;     /* modern drivers must take VERSION_1 */
        }
        virtio_set_status(vdev, val);
        if (val == 0) {
            virtio_pci_reset(p);
        }
        break;
    case 22: p->queue_sel = val; break;
    case 24:
        if (vq && val && !(val & (val - 1)) && val <= vq->num_max) {
            vq->num = val;
        }
        break;
    case 26: if (vq) vq->vector = vector_checked(p, val); break;
    case 28:
        if (vq && val == 1) {
            vq->enabled = true;
        }
        break;
    case 32: case 36: if (vq) set_lo_hi(&vq->desc, addr, val); break;
    case 40: case 44: if (vq) set_lo_hi(&vq->avail, addr, val); break;
    case 48: case 52: if (vq) set_lo_hi(&vq->used, addr, val); break;
    default:
        vlog(LOG_GUEST_ERRORS, "%s: write to common config +0x%x\n", vdev->name, (unsigned)addr);
        break;
    }
}

static const MemoryRegionOps common_ops = {
    .read = common_read, .write = common_write, .min_access = 1, .max_access = 4,
};

static uint64_t isr_read(void *opaque, hwaddr addr, unsigned size)
{
    return addr == 0 ? vp_isr_read(opaque) : 0;
}

static void isr_write(void *opaque, hwaddr addr, uint64_t val, unsigned size) { }

static const MemoryRegionOps isr_ops = {
    .read = isr_read, .write = isr_write, .min_access = 1, .max_access = 4,
};

static uint64_t device_read(void *opaque, hwaddr addr, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    if (addr + size > vdev->config_len) {
        return 0;
    }
    virtio_config_refresh(vdev);
    uint64_t v = 0;
    memcpy(&v, vdev->config + addr, size);
    return v;
}

static void device_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    if (addr + size > vdev->config_len) {
        return;
    }
    virtio_config_refresh(vdev);
    memcpy(vdev->config + addr, &val, size);
    virtio_config_written(vdev);
}

static const MemoryRegionOps device_ops = {
    .read = device_read, .write = device_write, .min_access = 1, .max_access = 4,
};

static uint64_t notify_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void notify_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    p->notify_writes++;
    virtio_queue_notify(p->vdev, addr / NOTIFY_MULTIPLIER);
}

static const MemoryRegionOps notify_ops = {
    .read = notify_read, .write = notify_write, .min_access = 1, .max_access = 4,
};

/* ---- legacy I/O (virtio 0.9.5) ---- */

static uint32_t legacy_config_off(VirtIOPCIProxy *p)
{
    return msix_enabled(&p->pci) ? 24 : 20;
}

static uint64_t legacy_read(void *opaque, hwaddr addr, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = sel_vq(p);
    uint32_t cfg = legacy_config_off(p);
    if (addr >= cfg) {
        return device_read(p, addr - cfg, size);
    }
    switch (addr) {
    case 0: return (uint32_t)vdev->host_features;      /* no VERSION_1 here */
    case 4: return (uint32_t)vdev->guest_features;
    case 8: return vq ? vq->desc >> 12 : 0;
    case 12: return vq ? vq->num_max : 0;
    case 14: return p->queue_sel;
    case 18: return vdev->status;
    case 19: return vp_isr_read(p);
    case 20: return vdev->config_vector;
    case 22: return vq ? vq->vector : VIRTIO_NO_VECTOR;
    default: return 0;
    }
}

static void legacy_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = sel_vq(p);
    uint32_t cfg = legacy_config_off(p);
    if (addr >= cfg) {
        device_write(p, addr - cfg, val, size);
        return;
    }
    switch (addr) {
    case 4:
        virtio_set_features(vdev, (uint32_t)val);
        break;
    case 8:
        if (vq) {
            /* legacy layout: the three rings back to back, used ring 4K aligned */
            uint64_t base = (uint64_t)(uint32_t)val << 12;
            vq->num = vq->num_max;
            vq->desc = base;
            vq->avail = val ? base + 16ull * vq->num : 0;
            vq->used = val ? ((vq->avail + 4 + 2 * vq->num + 2 + 4095) & ~4095ull) : 0;
            if (!val) {
                vq->desc = 0;
            }
            vq->enabled = val != 0;
        }
        break;
    case 14: p->queue_sel = val; break;
    case 16:
        p->notify_writes++;
        virtio_queue_notify(vdev, val);
        break;
    case 18:
        virtio_set_status(vdev, val);
        if (val == 0) {
            virtio_pci_reset(p);
        }
        break;
    case 20: vdev->config_vector = vector_checked(p, val); break;
    case 22: if (vq) vq->vector = vector_checked(p, val); break;
    default: break;
    }
}

static const MemoryRegionOps legacy_ops = {
    .read = legacy_read, .write = legacy_write, .min_access = 1, .max_access = 4,
};

/* ---- capabilities ---- */

static void add_vendor_cap(VirtIOPCIProxy *p, uint8_t type, uint32_t off, uint32_t len,
                           uint32_t extra)
{
    uint8_t size = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16;
    uint8_t pos = pci_add_capability(&p->pci, PCI_CAP_ID_VNDR, size);
    uint8_t *c = p->pci.config + pos;
    c[2] = size;
    c[3] = type;
    c[4] = MODERN_BAR;
    pci_set_long(c + 8, off);
    pci_set_long(c + 12, len);
    if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        pci_set_long(c + 16, extra);
    }
}

/*
 * The PCI configuration access capability: a window in config space through
 * which a driver that cannot map the BAR (firmware such as iPXE, in real
 * mode) reaches the modern registers: it sets bar/offset/length in the
 * capability, then reads or writes pci_cfg_data.
 */
static MemoryRegion *modern_subregion(VirtIOPCIProxy *p, uint32_t off)
{
    MemoryRegion *r[4] = { &p->common, &p->isr, &p->device, &p->notify };
    return off < 4 * REGION_SIZE ? r[off / REGION_SIZE] : NULL;
}

static bool cfg_window(VirtIOPCIProxy *p, MemoryRegion **mr, uint32_t *off, unsigned *len)
{
    const uint8_t *c = p->pci.config + p->cfg_cap;
    *off = pci_get_long(c + 8);
    *len = pci_get_long(c + 12);
    *mr = c[4] == MODERN_BAR ? modern_subregion(p, *off) : NULL;
    if (!*mr || (*len != 1 && *len != 2 && *len != 4) || (*off % REGION_SIZE) + *len > REGION_SIZE) {
        return false;
    }
    *off %= REGION_SIZE;
    return true;
}

static uint32_t vp_config_read(PCIDevice *d, uint32_t addr, int len)
{
    VirtIOPCIProxy *p = (VirtIOPCIProxy *)d;
    if (p->cfg_cap && addr >= p->cfg_cap + 16u && addr < p->cfg_cap + 20u) {
        MemoryRegion *mr;
        uint32_t off;
        unsigned wlen;
        if (cfg_window(p, &mr, &off, &wlen)) {
            uint32_t v = memory_region_dispatch_read(mr, off, wlen);
            pci_set_long(d->config + p->cfg_cap + 16, v);
        }
    }
    return pci_default_config_read(d, addr, len);
}

static void vp_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    VirtIOPCIProxy *p = (VirtIOPCIProxy *)d;
    if (p->cfg_cap && addr >= p->cfg_cap + 16u && addr < p->cfg_cap + 20u) {
        MemoryRegion *mr;
        uint32_t off;
        unsigned wlen;
        if (cfg_window(p, &mr, &off, &wlen)) {
            memory_region_dispatch_write(mr, off, pci_get_long(d->config + p->cfg_cap + 16), wlen);
        }
    }
}

bool virtio_pci_realize(VirtIOPCIProxy *p, VirtIODevice *vdev, uint16_t class_code,
                        GError **errp)
{
    p->vdev = vdev;
    vdev->transport = p;
    vdev->transport_notify = vp_notify;
    uint16_t devid = p->disable_legacy ? 0x1040 + vdev->device_id : 0x1000 + vdev->device_id - 1;
    if (!pci_device_init(&p->pci, NULL, 0x1af4, devid, class_code, p->disable_legacy ? 1 : 0, errp)) {
        return false;
    }
    if (!p->disable_legacy) {
        /* legacy drivers take the device type from the subsystem id */
        pci_set_word(p->pci.config + PCI_SUBSYSTEM_ID, vdev->device_id);
    }
    if (p->nvectors == 0) {
        p->nvectors = vdev->nvqs + 1;
    }
    if (p->nvectors > 256) {
        vireo_set_error(errp, "%s: vectors=%u is more than 256", vdev->name, p->nvectors);
        pci_device_unregister(&p->pci);
        return false;
    }

    memory_region_init_container(&p->modern_bar, "virtio-pci-modern", 4 * REGION_SIZE);
    memory_region_init_io(&p->common, &common_ops, p, "virtio-pci-common", REGION_SIZE);
    memory_region_init_io(&p->isr, &isr_ops, p, "virtio-pci-isr", REGION_SIZE);
    memory_region_init_io(&p->device, &device_ops, p, "virtio-pci-device", REGION_SIZE);
    memory_region_init_io(&p->notify, &notify_ops, p, "virtio-pci-notify", REGION_SIZE);
    memory_region_add_subregion(&p->modern_bar, COMMON_OFF, &p->common);
    memory_region_add_subregion(&p->modern_bar, ISR_OFF, &p->isr);
    memory_region_add_subregion(&p->modern_bar, DEVICE_OFF, &p->device);
    memory_region_add_subregion(&p->modern_bar, NOTIFY_OFF, &p->notify);

    if (!p->disable_legacy) {
        uint32_t size = 24 + vdev->config_len;
        uint32_t bar = 4;
        while (bar < size) {
            bar <<= 1;
        }
        memory_region_init_io(&p->legacy_io, &legacy_ops, p, "virtio-pci-legacy", bar);
        pci_register_bar(&p->pci, LEGACY_BAR, PCI_BAR_IO, &p->legacy_io);
    }
    memory_region_init_container(&p->msix_bar, "virtio-pci-msix", 0x1000);
    msix_init(&p->pci, p->nvectors, MSIX_BAR, 0, MSIX_BAR, 0x800);
    memory_region_add_subregion(&p->msix_bar, 0, msix_table_region(&p->pci));
    memory_region_add_subregion(&p->msix_bar, 0x800, msix_pba_region(&p->pci));
    pci_register_bar(&p->pci, MSIX_BAR, PCI_BAR_MEM32, &p->msix_bar);
    pci_register_bar(&p->pci, MODERN_BAR, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, &p->modern_bar);

    add_vendor_cap(p, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF, 56, 0);
    add_vendor_cap(p, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, 1, 0);
    add_vendor_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF, vdev->config_len ? vdev->config_len : 1, 0);
    add_vendor_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF, NOTIFY_MULTIPLIER * vdev->nvqs,
                   NOTIFY_MULTIPLIER);
    p->cfg_cap = pci_add_capability(&p->pci, PCI_CAP_ID_VNDR, 20);
    uint8_t *c = p->pci.config + p->cfg_cap;
    c[2] = 20;
    c[3] = VIRTIO_PCI_CAP_PCI_CFG;
    p->pci.wmask[p->cfg_cap + 4] = 0xff;                       /* bar */
    memset(p->pci.wmask + p->cfg_cap + 8, 0xff, 12);           /* offset, length, data */
    p->pci.config_read = vp_config_read;
    p->pci.config_write = vp_config_write;
    pci_set_interrupt_pin(&p->pci, 1);
    memcpy(p->pci.reset_config, p->pci.config, sizeof(p->pci.config));
    return true;
}

void virtio_pci_unrealize(VirtIOPCIProxy *p)
{
    pci_device_unregister(&p->pci);
    MemoryRegion *mrs[] = { &p->common, &p->isr, &p->device, &p->notify, &p->modern_bar,
                            &p->msix_bar, &p->legacy_io };
    for (unsigned i = 0; i < G_N_ELEMENTS(mrs); i++) {
        memory_region_destroy(mrs[i]);
    }
    g_free(p->vdev->config);
    p->vdev->config = NULL;
}

void virtio_pci_reset(VirtIOPCIProxy *p)
{
    p->dfselect = p->gfselect = 0;
    p->queue_sel = 0;
    msix_reset(&p->pci);
    pci_set_irq(&p->pci, 0);
}

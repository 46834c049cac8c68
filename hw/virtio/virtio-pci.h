/*
 * Virtio over PCI (virtio 1.1 spec, section 4.1): a transitional device.
 *   BAR0  legacy I/O registers (0.9.5 layout), unless disable-legacy=on
 *   BAR1  MSI-X table and PBA
 *   BAR4  modern registers (64-bit memory): common config at 0x0000, ISR
 *         at 0x1000, device config at 0x2000, notifications at 0x3000
 *         (queue n at 0x3000 + 4n), each announced by a vendor capability,
 *         plus the PCI configuration access capability (a window onto
 *         those registers through config space, for firmware).
 * Device ids as the spec: 0x1000 + n - 1 transitional (subsystem id n),
 * 0x1040 + n modern-only.  Interrupts go by MSI-X when the driver enabled
 * it and assigned a vector, else by INTx with the ISR register.
 *
 * A virtio PCI device model embeds VirtIOPCIProxy first, then its
 * VirtIODevice state, and calls virtio_pci_realize() from its realize.
 */
#ifndef HW_VIRTIO_VIRTIO_PCI_H
#define HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"

typedef struct VirtIOPCIProxy {
    PCIDevice pci;
    VirtIODevice *vdev;
    MemoryRegion modern_bar, common, isr, device, notify;
    MemoryRegion legacy_io, msix_bar;
    uint32_t dfselect, gfselect;
    uint16_t queue_sel;
    uint8_t cfg_cap;             /* offset of the PCI configuration access capability */
    uint32_t nvectors;           /* "vectors" property */
    bool disable_legacy;         /* "disable-legacy" property */
    uint64_t notify_writes, isr_reads;   /* accounting */
} VirtIOPCIProxy;

/* Properties every virtio-*-pci device has. */
#define DEFINE_VIRTIO_PCI_PROPERTIES(_struct, _proxy) \
    DEFINE_PROP_PCI_DEVFN(_struct, _proxy.pci), \
    DEFINE_PROP("vectors", PROP_U32, _struct, _proxy.nvectors, "0"), \
    DEFINE_PROP("disable-legacy", PROP_BOOL, _struct, _proxy.disable_legacy, "off")

bool virtio_pci_realize(VirtIOPCIProxy *p, VirtIODevice *vdev, uint16_t class_code,
                        GError **errp);
void virtio_pci_reset(VirtIOPCIProxy *p);
/* Hot-unplug: the PCI function goes (pci_device_unregister), with the
 * transport's regions and the device's config buffer. */
void virtio_pci_unrealize(VirtIOPCIProxy *p);

#endif

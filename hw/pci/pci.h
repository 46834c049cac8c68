/*
 * Conventional PCI: one bus, 256-byte type-0 config spaces, configuration
 * mechanism #1 (0xcf8/0xcfc), BAR sizing and mapping, INTx routing.
 *
 * A PCI device embeds PCIDevice first in its instance struct (which itself
 * starts with Device), declares the "addr" property with
 * DEFINE_PROP_PCI_DEVFN, and in its realize():
 *
 *     PCIDevice *pd = &s->pci;
 *     if (!pci_device_init(pd, NULL, 0x8086, 0x7010, 0x0101, 0x00, errp))
 *         return false;
 *     pci_register_bar(pd, 4, PCI_BAR_IO, &s->bmdma_io);
 *     pd->config_write = my_config_write;   (optional post-write hook)
 *
 * BARs are mapped into the bus's memory/IO containers whenever the command
 * register enables the matching space and the BAR holds a usable address.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/memory.h"

/* Standard type-0 header offsets. */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_IO         0x0001
#define  PCI_COMMAND_MEMORY     0x0002
#define  PCI_COMMAND_MASTER     0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS              0x06
#define  PCI_STATUS_INTERRUPT   0x0008
#define  PCI_STATUS_CAP_LIST    0x0010
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a
#define PCI_CACHE_LINE_SIZE     0x0c
#define PCI_LATENCY_TIMER       0x0d
#define PCI_HEADER_TYPE         0x0e
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BASE_ADDRESS_0      0x10
#define  PCI_BASE_ADDRESS_SPACE_IO     0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_64  0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_ROM_ADDRESS         0x30
#define  PCI_ROM_ADDRESS_ENABLE 0x01
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d

#define PCI_CONFIG_SPACE_SIZE   256
#define PCI_NUM_BARS            6
#define PCI_ROM_SLOT            6       /* index of the expansion ROM in bars[] */
#define PCI_NUM_REGIONS         7
#define PCI_NUM_PINS            4       /* INTA..INTD */

#define PCI_DEVFN(slot, fn)     ((((slot) & 0x1f) << 3) | ((fn) & 7))
#define PCI_SLOT(devfn)         (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)         ((devfn) & 7)

/* What QEMU's devices report as subsystem ids; SeaBIOS checks the host
 * bridge's pair to decide it runs on a QEMU-compatible machine. */
#define PCI_SUBVENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_SUBDEVICE_ID_QEMU            0x1100

/* BAR kinds for pci_register_bar(). */
#define PCI_BAR_IO          0x01
#define PCI_BAR_MEM32       0x00
#define PCI_BAR_MEM64       0x04       /* takes two BAR slots */
#define PCI_BAR_PREFETCH    0x08       /* OR into a memory kind */

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

typedef struct PCIBar {
    MemoryRegion *mr;        /* NULL: BAR not implemented (reads 0) */
    uint64_t size;           /* power of two */
    uint8_t type;            /* PCI_BAR_* */
    uint64_t addr;           /* where it is mapped, valid if mapped */
    bool mapped;
} PCIBar;

struct PCIDevice {
    Device qdev;
    int32_t devfn;           /* "addr" property; -1 = first free slot */
    char *bus_name;          /* "bus" property: the bus by name, NULL = the default */
    PCIBus *bus;
    const char *name;        /* for logs and "info pci" */

    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];    /* bits the guest may write */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE];  /* write-1-to-clear bits */
    PCIBar bars[PCI_NUM_REGIONS];
    bool irq_raw;            /* level the device asked for */
    bool irq_level;          /* level driven on the bus (after INTX_DISABLE) */

    /* Optional: replace the read of [addr, addr+len) (len 1, 2 or 4,
     * never crossing a dword); call pci_default_config_read for the rest. */
    uint32_t (*config_read)(PCIDevice *d, uint32_t addr, int len);
    /* Optional: called after the default write has updated config[]. */
    void (*config_write)(PCIDevice *d, uint32_t addr, uint32_t val, int len);
    /* Optional: extra reset after the header is restored. */
    void (*reset)(PCIDevice *d);

    /* power-on copy of config[] to restore on reset */
    uint8_t reset_config[PCI_CONFIG_SPACE_SIZE];

    uint8_t cap_size[PCI_CONFIG_SPACE_SIZE];   /* length of the capability at each offset */
    struct MSIXState *msix;                    /* msix.h, when the function has MSI-X */
    MemoryRegion *rom;                         /* option ROM (BAR 6), if loaded */
    uint8_t msix_cap;
    uint8_t msi_cap;                           /* msi.h: MSI capability offset, 0 = none */
};

#define DEFINE_PROP_PCI_DEVFN(_struct, _field) \
    DEFINE_PROP("addr", PROP_PCI_ADDR, _struct, _field.devfn, "-1"), \
    DEFINE_PROP("bus", PROP_STRING, _struct, _field.bus_name, NULL)

/*
 * Interrupt routing: the bus asks map_irq which of its nirq lines a device
 * pin drives (PIIX: PIRQA..D), and calls set_irq(opaque, line, level) with
 * the wired-OR of every device driving that line.
 */
typedef int (*PCIMapIRQFn)(PCIDevice *d, int pin /* 0 = INTA */);
/* An MSI/MSI-X message: the address/data pair the function writes.  Returns
 * false when addr is not an interrupt address: the message is then an
 * ordinary memory write (pci_msi_send does it). */
typedef bool (*PCIMSIFn)(void *opaque, uint64_t addr, uint32_t data);
typedef void (*PCISetIRQFn)(void *opaque, int line, int level);

/* mem/io: containers BARs are mapped into (NULL = the system address
 * spaces' roots). */
PCIBus *pci_bus_new(const char *name, MemoryRegion *mem, MemoryRegion *io);
void pci_bus_set_irq_route(PCIBus *bus, PCIMapIRQFn map_irq, PCISetIRQFn set_irq,
                           void *opaque, int nirq);
/* Where the bus sends MSI messages (the machine points it at the APIC bus). */
void pci_bus_set_msi_handler(PCIBus *bus, PCIMSIFn fn, void *opaque);
/* Hand a message straight to the bus's MSI handler, past any IOMMU (a
 * remapping unit's own fault and invalidation events); false when it is
 * not an interrupt address or the bus has no handler. */
bool pci_bus_deliver_msi(PCIBus *bus, uint64_t addr, uint32_t data);

/*
 * An IOMMU in front of the bus (Intel VT-d: hw/i386/intel-iommu.c).  The
 * requester id is bus << 8 | devfn.  Both hooks run under the big lock,
 * from the device's DMA or interrupt path; neither may reach a device.
 *
 * translate: the physical address of bus address iova for a read or a
 * write by rid, and in *len how many bytes from there are contiguous (to
 * the end of the mapping page; anything >= 1).  false: the access is
 * blocked (the IOMMU recorded the fault if the guest asked for that) and
 * the device sees a master abort.
 *
 * remap_msi: a message to the interrupt range 0xfee00000-0xfeefffff from
 * rid (PCI_RID_NONE: a source without one, such as the I/O APIC, whose
 * messages are not source-checked) rewritten in place into the
 * compatibility format the APIC bus decodes; false: blocked.
 */
#define PCI_RID_NONE    (-1)
typedef struct PCIIOMMUOps {
    bool (*translate)(void *opaque, uint16_t rid, uint64_t iova, bool write, uint64_t *pa,
                      uint64_t *len);
    bool (*remap_msi)(void *opaque, int32_t rid, uint64_t *addr, uint32_t *data);
} PCIIOMMUOps;
void pci_bus_set_iommu(PCIBus *bus, const PCIIOMMUOps *ops, void *opaque);
bool pci_bus_has_iommu(PCIBus *bus);
/* bus << 8 | devfn (the root bus is bus 0). */
uint16_t pci_requester_id(PCIDevice *d);
/* The containers the bus decodes memory and I/O addresses in: where
 * BARs go, and what a device with fixed legacy decode (a VGA's window
 * and ports) maps itself into. */
MemoryRegion *pci_bus_memory(PCIBus *bus);
MemoryRegion *pci_bus_io(PCIBus *bus);
/* The machine's root bus (first one created); devices with bus=NULL use it. */
PCIBus *pci_default_bus(void);
PCIDevice *pci_bus_find(PCIBus *bus, int devfn);
/* Level currently driven on routing line n (for re-routing after PIRQ writes). */
int pci_bus_irq_level(PCIBus *bus, int line);
void pci_bus_foreach(PCIBus *bus, void (*fn)(PCIDevice *d, void *opaque), void *opaque);
/* One line per device and BAR, like "info pci". */
void pci_bus_info(PCIBus *bus, GString *out);

/*
 * Configuration mechanism #1 on address_space_io: CONFIG_ADDRESS at 0xcf8
 * (dword accesses only) and CONFIG_DATA at 0xcfc-0xcff.  Byte/word accesses
 * to 0xcf8-0xcfb are not CONFIG_ADDRESS; a byte at 0xcf9 goes to the hook
 * (PIIX3 reset control register), the rest read as all-ones.
 */
void pci_host_init_io(PCIBus *bus);
void pci_host_set_cf9_handler(uint8_t (*read)(void *opaque),
                              void (*write)(void *opaque, uint8_t val), void *opaque);
/* Direct access as through CONFIG_ADDRESS/DATA (bus 0 only). */
uint32_t pci_host_config_read(PCIBus *bus, uint32_t cfgaddr, int len);
void pci_host_config_write(PCIBus *bus, uint32_t cfgaddr, uint32_t val, int len);

/*
 * Claim devfn on bus (d->devfn, or the first free slot's function 0 if -1),
 * fill the header: ids, class (base<<8 | sub), prog-if 0, revision,
 * QEMU's subsystem ids, writable command/latency/interrupt-line.
 */
bool pci_device_init(PCIDevice *d, PCIBus *bus, uint16_t vendor, uint16_t device,
                     uint16_t class_code, uint8_t revision, GError **errp);
/* size: power of two, >= 4 for IO and >= 16 for memory (mr->size is used if 0). */
void pci_register_bar(PCIDevice *d, int bar, uint8_t type, MemoryRegion *mr);
/* pin: 1 = INTA .. 4 = INTD, 0 = none. */
void pci_set_interrupt_pin(PCIDevice *d, int pin);
/* Drive this function's INTx pin (honours COMMAND.INTX_DISABLE, and MSI
 * Enable: an MSI-enabled function keeps INTx deasserted). */
void pci_set_irq(PCIDevice *d, int level);
/* Undo pci_device_init and what followed it: drop INTx, unmap the BARs,
 * free the option ROM and MSI-X state, give the slot back.  For hot-unplug
 * and for a realize that fails after pci_device_init.  The BAR regions
 * themselves belong to the device. */
void pci_device_unregister(PCIDevice *d);
/* Slots holding a device that cannot be hot-unplugged (bit n: slot n). */
uint32_t pci_bus_fixed_slots(PCIBus *bus);
/* Devices realized on bus from now on hot-plug through h (PIIX4 ACPI). */
void pci_bus_set_hotplug_handler(PCIBus *bus, const HotplugHandler *h);
/* Restore the power-on header, unmap BARs, drop INTx.  Devices call it
 * from their reset (pci_device_reset is also called on bus reset). */
void pci_device_reset(PCIDevice *d);
/* Re-evaluate BAR mappings (after a device changes config[] itself). */
void pci_update_mappings(PCIDevice *d);

/* Append a capability of size bytes (id and next pointer filled in);
 * returns its offset in config space.  The caller sets its body and the
 * wmask of its writable bits. */
uint8_t pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t size);
uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id);
#define PCI_CAP_ID_MSI    0x05
#define PCI_CAP_ID_VNDR   0x09
#define PCI_CAP_ID_MSIX   0x11

/* Expansion ROM from a file (looked up like firmware: -L, then next to the
 * binary): romfile as the user's romfile= property (NULL: not given, ""
 * none), default_rom the model's own (QEMU's efi-*.rom), which may be
 * absent.  The size is checked before the file is read. */
bool pci_load_option_rom(PCIDevice *d, const char *romfile, const char *default_rom,
                         GError **errp);

/* Send a message signalled interrupt (gated by bus mastering; through
 * the bus's IOMMU, if it has one, when addressed to 0xfeexxxxx). */
void pci_msi_send(PCIDevice *d, uint64_t addr, uint32_t data);

/* Bus-master DMA: false when bus mastering is off, the bus's IOMMU
 * blocks part of the range, or the range is not memory (reads then return
 * all-ones where they failed).  addr is a bus address: with an IOMMU it
 * is translated page by page.  Every guest-supplied address a device
 * touches goes through these or through the memory API. */
bool pci_dma_read(PCIDevice *d, uint64_t addr, void *buf, uint64_t len);
bool pci_dma_write(PCIDevice *d, uint64_t addr, const void *buf, uint64_t len);
/* Bus-master DMA straight to or from guest RAM (the block layer reading
 * into it, as virtqueues do): a host pointer for addr with *plen clipped
 * to the contiguous run of RAM (written: writable RAM) and, behind an
 * IOMMU, to the translated run (the mapping page), or NULL when bus
 * mastering is off, the IOMMU blocks addr or it is not RAM.  After the
 * device wrote through it, pci_dma_written (same bus addresses) tells the
 * memory layer (dirty logging, translated code on those pages); behind
 * an IOMMU it translates again, so a guest that remaps a buffer while a
 * transfer is in flight gets the notification at the new place. */
uint8_t *pci_dma_map(PCIDevice *d, uint64_t addr, uint64_t *plen, bool written);
void pci_dma_written(PCIDevice *d, uint64_t addr, uint64_t len);

uint32_t pci_default_config_read(PCIDevice *d, uint32_t addr, int len);
void pci_default_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len);

/* Little-endian helpers on config[]. */
static inline void pci_set_byte(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void pci_set_word(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}
static inline void pci_set_quad(uint8_t *p, uint64_t v)
{
    pci_set_long(p, (uint32_t)v);
    pci_set_long(p + 4, (uint32_t)(v >> 32));
}
static inline uint16_t pci_get_word(const uint8_t *p) { return p[0] | (p[1] << 8); }
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t pci_get_quad(const uint8_t *p)
{
    return pci_get_long(p) | (uint64_t)pci_get_long(p + 4) << 32;
}

#endif

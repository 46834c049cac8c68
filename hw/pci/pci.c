/*
 * Conventional PCI bus: config space, configuration mechanism #1, BAR
 * decoding and INTx wired-OR routing.  See pci.h for the device contract.
 */
#include "hw/pci/pci.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "util/datadir.h"

#include <glib/gstdio.h>

#include <inttypes.h>
#include <string.h>

#include "util/log.h"

struct PCIBus {
    const char *name;
    MemoryRegion *mem;              /* where memory BARs are mapped */
    MemoryRegion *io;               /* where I/O BARs are mapped */
    PCIDevice *devices[256];        /* by devfn */
    PCIMapIRQFn map_irq;
    PCISetIRQFn set_irq;
    void *irq_opaque;
    int nirq;
    int *irq_count;                 /* devices asserting each routed line */
    PCIMSIFn msi_deliver;           /* where MSI/MSI-X messages go (the APIC bus) */
    void *msi_opaque;
    const PCIIOMMUOps *iommu;       /* DMA and MSI remapping in front of the bus, or NULL */
    void *iommu_opaque;
    const HotplugHandler *hotplug;  /* the ACPI PCI hot-plug controller, if any */
};

void pci_bus_set_hotplug_handler(PCIBus *bus, const HotplugHandler *h)
{
    bus->hotplug = h;
}

void pci_bus_set_msi_handler(PCIBus *bus, PCIMSIFn fn, void *opaque)
{
    bus->msi_deliver = fn;
    bus->msi_opaque = opaque;
}

void pci_bus_set_iommu(PCIBus *bus, const PCIIOMMUOps *ops, void *opaque)
{
    bus->iommu = ops;
    bus->iommu_opaque = opaque;
}

bool pci_bus_has_iommu(PCIBus *bus)
{
    return bus && bus->iommu;
}

uint16_t pci_requester_id(PCIDevice *d)
{
    return d->devfn & 0xff;         /* one root bus, number 0 */
}

bool pci_bus_deliver_msi(PCIBus *bus, uint64_t addr, uint32_t data)
{
    return bus && bus->msi_deliver && bus->msi_deliver(bus->msi_opaque, addr, data);
}

/* The interrupt range: writes there are interrupt requests, which an
 * IOMMU remaps instead of translating (VT-d 3.15). */
static bool pci_is_msi_range(uint64_t addr)
{
    return (addr & ~0xfffffull) == 0xfee00000ull;
}

void pci_msi_send(PCIDevice *d, uint64_t addr, uint32_t data)
{
    /* a message is a memory write by the function: bus mastering gates it */
    if (!(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        return;
    }
    PCIBus *bus = d->bus;
    if (bus && bus->iommu && bus->iommu->remap_msi && pci_is_msi_range(addr)) {
        if (!bus->iommu->remap_msi(bus->iommu_opaque, pci_requester_id(d), &addr, &data)) {
            return;                 /* blocked: the IOMMU logged/recorded it */
        }
    }
    if (bus && bus->msi_deliver && bus->msi_deliver(bus->msi_opaque, addr, data)) {
        return;
    }
    /* elsewhere a message is a DWORD write like any other (libqos's MSI-X
     * tests point vectors at RAM and poll it); only RAM takes it here, so a
     * message can never start a device access from inside another */
    uint64_t len = 4;
    uint8_t *p = pci_dma_map(d, addr, &len, true);
    if (!p || len < 4) {
        vlog(LOG_GUEST_ERRORS, "%s: MSI message to 0x%" PRIx64 " (not RAM, not an interrupt "
             "address) dropped\n", d->name ? d->name : "pci", addr);
        return;
    }
    ram_st(p, data, 4);
    pci_dma_written(d, addr, 4);
}

/* ---- capabilities ---- */

uint8_t pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t size)
{
    /* place it after the highest capability so far (or at 0x40) */
    uint8_t pos = 0x40;
    for (uint8_t p = d->config[PCI_CAPABILITY_LIST]; p; p = d->config[p + 1]) {
        if (p + d->cap_size[p] > pos) {
            pos = (p + d->cap_size[p] + 3) & ~3;
        }
    }
    g_assert((unsigned)pos + size <= PCI_CONFIG_SPACE_SIZE);
    d->config[pos] = cap_id;
    d->config[pos + 1] = d->config[PCI_CAPABILITY_LIST];
    d->config[PCI_CAPABILITY_LIST] = pos;
    d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    d->cap_size[pos] = size;
    d->reset_config[PCI_CAPABILITY_LIST] = pos;
    d->reset_config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    memcpy(d->reset_config + pos, d->config + pos, 2);
    return pos;
}

uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id)
{
    int guard = 48;     /* a list cannot be longer than config space allows */
    for (uint8_t p = d->config[PCI_CAPABILITY_LIST]; p && guard--; p = d->config[p + 1]) {
        if (d->config[p] == cap_id) {
            return p;
        }
    }
    return 0;
}

/* ---- option ROMs ---- */

/*
 * BIOSes run a PCI option ROM only if its PCI Data Structure names the
 * function's own vendor and device.  One ROM serves several ids (iPXE's
 * efi-virtio.rom says 1af4:1041 while the transitional virtio-net is
 * 1af4:1000), so the first (x86) image is made to name this function, as
 * QEMU does, and its checksum kept: byte 6 of the header is iPXE's and
 * SeaBIOS's checksum adjustment byte.  A ROM whose checksum does not
 * already hold is left alone.
 */
static void pci_rom_patch_ids(PCIDevice *d, uint8_t *rom, size_t len)
{
    if (len < 0x1a || rom[0] != 0x55 || rom[1] != 0xaa) {
        return;
    }
    size_t img = (size_t)rom[2] * 512;
    size_t pcir = rom[0x18] | rom[0x19] << 8;
    if (img > len || img < 0x20 || pcir + 8 > img || memcmp(rom + pcir, "PCIR", 4)) {
        return;
    }
    uint8_t sum = 0;
    for (size_t i = 0; i < img; i++) {
        sum += rom[i];
    }
    if (sum) {
        return;
    }
    uint8_t want[4] = { d->config[0], d->config[1], d->config[2], d->config[3] };
    for (int i = 0; i < 4; i++) {
        rom[6] += rom[pcir + 4 + i] - want[i];
        rom[pcir + 4 + i] = want[i];
    }
}

#define PCI_ROM_MAX (16u << 20)

bool pci_load_option_rom(PCIDevice *d, const char *romfile, const char *default_rom,
                         GError **errp)
{
    const char *name = romfile ? romfile : default_rom;
    if (!name || !*name) {
        return true;                        /* romfile="": no ROM */
    }
    char *path = g_file_test(name, G_FILE_TEST_IS_REGULAR) ? g_strdup(name) : datadir_find(name);
    if (!path) {
        if (!romfile) {
            return true;                    /* the model's default is optional */
        }
        vireo_set_error(errp, "%s: failed to find romfile \"%s\"", d->qdev.cls->name, name);
        return false;
    }
    /* size first: a huge file is refused before anything is read */
    GStatBuf st;
    if (g_stat(path, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > PCI_ROM_MAX) {
        vireo_set_error(errp, "%s: romfile \"%s\" is empty, unreadable or larger than 16 MiB",
                        d->qdev.cls->name, path);
        g_free(path);
        return false;
    }
    gchar *data;
    gsize len;
    GError *err = NULL;
    if (!g_file_get_contents(path, &data, &len, &err)) {
        vireo_set_error(errp, "%s: romfile \"%s\": %s", d->qdev.cls->name, path, err->message);
        g_error_free(err);
        g_free(path);
        return false;
    }
    uint64_t size = 0x800;
    while (size < len) {
        size <<= 1;
    }
    pci_rom_patch_ids(d, (uint8_t *)data, len);
    d->rom = g_new0(MemoryRegion, 1);
    memory_region_init_rom(d->rom, "pci-option-rom", size);
    memset(d->rom->ram, 0xff, size);
    memcpy(d->rom->ram, data, MIN(len, (gsize)size));
    g_free(data);
    g_free(path);
    pci_register_bar(d, PCI_ROM_SLOT, PCI_BAR_MEM32, d->rom);
    return true;
}

/* ---- bus-master DMA ---- */

static bool pci_dma_master(PCIDevice *d)
{
    return pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

/* Translate the start of [addr, addr+len): the physical address and how
 * much of the range is contiguous there.  Without an IOMMU the bus address
 * is the physical one. */
static bool pci_dma_translate(PCIDevice *d, uint64_t addr, uint64_t len, bool write,
                              uint64_t *pa, uint64_t *run)
{
    PCIBus *bus = d->bus;
    if (!bus || !bus->iommu || !bus->iommu->translate) {
        *pa = addr;
        *run = len;
        return true;
    }
    uint64_t n = 0;
    if (!bus->iommu->translate(bus->iommu_opaque, pci_requester_id(d), addr, write, pa, &n)) {
        return false;
    }
    *run = n ? MIN(n, len) : 1;
    return true;
}

/* Page by page through the IOMMU; a blocked piece is a master abort
 * (reads all-ones, writes dropped) and the rest is still tried, as the
 * device would go on with its burst. */
static bool pci_dma_rw(PCIDevice *d, uint64_t addr, uint8_t *buf, uint64_t len, bool write)
{
    bool ok = true;
    while (len) {
        uint64_t pa, n;
        if (!pci_dma_translate(d, addr, len, write, &pa, &n)) {
            /* skip to the next 4 KiB page: the smallest mapping unit */
            n = MIN(len, 0x1000 - (addr & 0xfff));
            if (!write) {
                memset(buf, 0xff, n);
            }
            ok = false;
        } else if (write) {
            ok &= address_space_write(&address_space_memory, pa, buf, n);
        } else {
            ok &= address_space_read(&address_space_memory, pa, buf, n);
        }
        addr += n;
        buf += n;
        len -= n;
    }
    return ok;
}

bool pci_dma_read(PCIDevice *d, uint64_t addr, void *buf, uint64_t len)
{
    if (!pci_dma_master(d)) {
        memset(buf, 0xff, len);
        return false;
    }
    return pci_dma_rw(d, addr, buf, len, false);
}

bool pci_dma_write(PCIDevice *d, uint64_t addr, const void *buf, uint64_t len)
{
    if (!pci_dma_master(d)) {
        return false;
    }
    return pci_dma_rw(d, addr, (uint8_t *)buf, len, true);
}

uint8_t *pci_dma_map(PCIDevice *d, uint64_t addr, uint64_t *plen, bool written)
{
    if (!pci_dma_master(d)) {
        return NULL;
    }
    uint64_t pa = addr, n = *plen;
    if (n && !pci_dma_translate(d, addr, n, written, &pa, &n)) {
        return NULL;
    }
    *plen = n;
    return address_space_map(&address_space_memory, pa, plen, written);
}

void pci_dma_written(PCIDevice *d, uint64_t addr, uint64_t len)
{
    if (!memory_ram_write_hook) {
        return;
    }
    while (len) {
        uint64_t pa, n;
        if (!pci_dma_translate(d, addr, len, true, &pa, &n)) {
            n = MIN(len, 0x1000 - (addr & 0xfff));
        } else {
            memory_ram_write_hook(&address_space_memory, pa, n);
        }
        addr += n;
        len -= n;
    }
}

static PCIBus *default_bus;

PCIBus *pci_bus_new(const char *name, MemoryRegion *mem, MemoryRegion *io)
{
    PCIBus *bus = g_new0(PCIBus, 1);
    bus->name = name;
    bus->mem = mem;
    bus->io = io;
    if (!default_bus) {
        default_bus = bus;
    }
    return bus;
}

PCIBus *pci_default_bus(void)
{
    return default_bus;
}

void pci_bus_set_irq_route(PCIBus *bus, PCIMapIRQFn map_irq, PCISetIRQFn set_irq,
                           void *opaque, int nirq)
{
    bus->map_irq = map_irq;
    bus->set_irq = set_irq;
    bus->irq_opaque = opaque;
    bus->nirq = nirq;
    g_free(bus->irq_count);
    bus->irq_count = g_new0(int, nirq);
}

PCIDevice *pci_bus_find(PCIBus *bus, int devfn)
{
    if (!bus || devfn < 0 || devfn > 255) {
        return NULL;
    }
    return bus->devices[devfn];
}

int pci_bus_irq_level(PCIBus *bus, int line)
{
    if (!bus || line < 0 || line >= bus->nirq) {
        return 0;
    }
    return bus->irq_count[line] > 0;
}

void pci_bus_foreach(PCIBus *bus, void (*fn)(PCIDevice *d, void *opaque), void *opaque)
{
    for (int i = 0; i < 256; i++) {
        if (bus->devices[i]) {
            fn(bus->devices[i], opaque);
        }
    }
}

static MemoryRegion *pci_bus_mem(PCIBus *bus)
{
    return bus->mem ? bus->mem : address_space_memory.root;
}

MemoryRegion *pci_bus_memory(PCIBus *bus)
{
    return pci_bus_mem(bus);
}

MemoryRegion *pci_bus_io(PCIBus *bus)
{
    return bus->io ? bus->io : address_space_io.root;
}

/* ---- INTx ---- */

static void pci_drive_intx(PCIDevice *d)
{
    PCIBus *bus = d->bus;
    int pin = d->config[PCI_INTERRUPT_PIN];
    /* PCI 3.0 6.8.1.3: with MSI enabled the function must not use INTx */
    bool level = d->irq_raw && !(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) &&
                 !msi_enabled(d);

    if (level == d->irq_level) {
        return;
    }
    d->irq_level = level;
    if (!bus || !bus->map_irq || pin < 1 || pin > PCI_NUM_PINS) {
        return;
    }
    int line = bus->map_irq(d, pin - 1);
    if (line < 0 || line >= bus->nirq) {
        return;
    }
    int before = bus->irq_count[line] > 0;
    bus->irq_count[line] += level ? 1 : -1;
    int after = bus->irq_count[line] > 0;
    if (before != after) {
        bus->set_irq(bus->irq_opaque, line, after);
    }
}

void pci_set_irq(PCIDevice *d, int level)
{
    d->irq_raw = level != 0;
    /* The status bit shows the device's request even when INTx is masked. */
    if (d->irq_raw) {
        d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    } else {
        d->config[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    }
    pci_drive_intx(d);
}

void pci_set_interrupt_pin(PCIDevice *d, int pin)
{
    d->config[PCI_INTERRUPT_PIN] = pin;
    d->reset_config[PCI_INTERRUPT_PIN] = pin;
}

/* ---- BARs ---- */

static int pci_bar_offset(int bar)
{
    return bar == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * bar;
}

void pci_register_bar(PCIDevice *d, int bar, uint8_t type, MemoryRegion *mr)
{
    g_assert(bar >= 0 && bar < PCI_NUM_REGIONS);
    uint64_t size = mr->size;
    /* BAR sizing only works with naturally aligned power-of-two windows. */
    g_assert(size && (size & (size - 1)) == 0);
    if (type & PCI_BAR_IO) {
        g_assert(size >= 4 && size <= 0x10000 && bar != PCI_ROM_SLOT);
    } else if (size < 16) {
        size = 16;
    }
    if (bar == PCI_ROM_SLOT && size < 0x800) {
        size = 0x800;
    }

    PCIBar *b = &d->bars[bar];
    b->mr = mr;
    b->size = size;
    b->type = type;
    b->mapped = false;

    int off = pci_bar_offset(bar);
    uint64_t mask = ~(size - 1);
    uint32_t lowbits;
    if (bar == PCI_ROM_SLOT) {
        lowbits = 0;
        mask = (mask & ~0x7ffull) | PCI_ROM_ADDRESS_ENABLE;
    } else if (type & PCI_BAR_IO) {
        lowbits = PCI_BASE_ADDRESS_SPACE_IO;
        mask &= ~3ull & 0xffffffffull;
    } else {
        lowbits = type & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
        mask &= ~0xfull;
    }
    pci_set_long(d->config + off, lowbits);
    pci_set_long(d->wmask + off, (uint32_t)mask);
    if (!(type & PCI_BAR_IO) && (type & PCI_BAR_MEM64) && bar != PCI_ROM_SLOT) {
        g_assert(bar < PCI_NUM_BARS - 1);
        pci_set_long(d->config + off + 4, 0);
        pci_set_long(d->wmask + off + 4, (uint32_t)(mask >> 32));
    }
    memcpy(d->reset_config, d->config, sizeof(d->config));
}

#define PCI_BAR_UNMAPPED UINT64_MAX

/* Address the BAR decodes now, or PCI_BAR_UNMAPPED. */
static uint64_t pci_bar_address(PCIDevice *d, int bar)
{
    PCIBar *b = &d->bars[bar];
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    int off = pci_bar_offset(bar);
    uint32_t val = pci_get_long(d->config + off);
    uint64_t addr;

    if (b->type & PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = val & ~3u & ~(b->size - 1);
        /* 0 is the "not assigned" value; the top must stay in 64K. */
        if (addr == 0 || addr + b->size > 0x10000) {
            return PCI_BAR_UNMAPPED;
        }
        return addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) {
        return PCI_BAR_UNMAPPED;
    }
    if (bar == PCI_ROM_SLOT) {
        if (!(val & PCI_ROM_ADDRESS_ENABLE)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = val & ~0x7ffu & ~(b->size - 1);
    } else {
        addr = val & ~0xfu & ~(b->size - 1);
        if (b->type & PCI_BAR_MEM64) {
            addr |= (uint64_t)pci_get_long(d->config + off + 4) << 32;
        }
    }
    /* While firmware sizes a BAR it holds ~(size-1): ending at the top of
     * the 32/64-bit space is never a real assignment. */
    uint64_t limit = (b->type & PCI_BAR_MEM64) ? UINT64_MAX : 0xffffffffull;
    if (addr == 0 || addr + b->size - 1 >= limit || addr + b->size - 1 < addr) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

void pci_update_mappings(PCIDevice *d)
{
    bool began = false;

    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIBar *b = &d->bars[i];
        if (!b->mr) {
            continue;
        }
        uint64_t addr = pci_bar_address(d, i);
        bool want = addr != PCI_BAR_UNMAPPED;
        if (want == b->mapped && (!want || addr == b->addr)) {
            continue;
        }
        if (!began) {
            memory_transaction_begin();
            began = true;
        }
        MemoryRegion *parent = (b->type & PCI_BAR_IO) ? pci_bus_io(d->bus) : pci_bus_mem(d->bus);
        if (b->mapped) {
            memory_region_del_subregion(parent, b->mr);
            b->mapped = false;
        }
        if (want) {
            /* Above whatever the machine put in the PCI window (option ROM
             * shadow, isa-bios), as on real chipsets where a claiming
             * device wins over subtractive decode. */
            memory_region_add_subregion_overlap(parent, addr, b->mr, 1);
            b->addr = addr;
            b->mapped = true;
        }
    }
    if (began) {
        memory_transaction_commit();
    }
}

/* ---- config space ---- */

uint32_t pci_default_config_read(PCIDevice *d, uint32_t addr, int len)
{
    uint32_t val = 0;
    for (int i = 0; i < len; i++) {
        val |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    return val;
}

static bool range_overlaps(uint32_t addr, int len, uint32_t start, uint32_t size)
{
    return addr < start + size && start < addr + len;
}

void pci_default_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    for (int i = 0; i < len; i++) {
        uint32_t a = addr + i;
        uint8_t b = val >> (8 * i);
        uint8_t wm = d->wmask[a], w1c = d->w1cmask[a];
        d->config[a] = (d->config[a] & ~wm) | (b & wm);
        d->config[a] &= ~(b & w1c);
    }
    if (range_overlaps(addr, len, PCI_BASE_ADDRESS_0, 24) ||
        range_overlaps(addr, len, PCI_ROM_ADDRESS, 4) ||
        range_overlaps(addr, len, PCI_COMMAND, 2)) {
        pci_update_mappings(d);
    }
    if (range_overlaps(addr, len, PCI_COMMAND, 2)) {
        pci_drive_intx(d);     /* INTX_DISABLE may have changed */
    }
    if (d->msix && range_overlaps(addr, len, d->msix_cap + 2, 2)) {
        msix_config_changed(d);
    }
    if (d->msi_cap && range_overlaps(addr, len, d->msi_cap, d->cap_size[d->msi_cap])) {
        msi_config_write(d, addr, val, len);
        pci_drive_intx(d);     /* MSI Enable may have changed */
    }
}

static uint32_t pci_config_read(PCIDevice *d, uint32_t addr, int len)
{
    if (d->config_read) {
        return d->config_read(d, addr, len);
    }
    return pci_default_config_read(d, addr, len);
}

static void pci_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    pci_default_config_write(d, addr, val, len);
    if (d->config_write) {
        d->config_write(d, addr, val, len);
    }
}

/* ---- device life cycle ---- */

bool pci_device_init(PCIDevice *d, PCIBus *bus, uint16_t vendor, uint16_t device,
                     uint16_t class_code, uint8_t revision, GError **errp)
{
    if (!bus) {
        bus = default_bus;
    }
    if (!bus) {
        vireo_set_error(errp, "%s: no PCI bus", d->qdev.cls->name);
        return false;
    }
    /* bus=: the pc machine has one PCI bus, "pci.0" as QEMU names it */
    if (d->bus_name && strcmp(d->bus_name, bus->name)) {
        vireo_set_error(errp, "Bus '%s' not found", d->bus_name);
        return false;
    }
    int devfn = d->devfn;
    if (devfn < 0) {
        /* Auto-placement takes the first slot whose function 0 is free. */
        for (devfn = 0; devfn < 256; devfn += 8) {
            if (!bus->devices[devfn]) {
                break;
            }
        }
        if (devfn >= 256) {
            vireo_set_error(errp, "%s: no free PCI slot", d->qdev.cls->name);
            return false;
        }
    } else if (devfn > 255) {
        vireo_set_error(errp, "%s: PCI address out of range", d->qdev.cls->name);
        return false;
    } else if (bus->devices[devfn]) {
        vireo_set_error(errp, "%s: PCI address %02x.%x already in use by %s",
                        d->qdev.cls->name, PCI_SLOT(devfn), PCI_FUNC(devfn),
                        bus->devices[devfn]->name);
        return false;
    }
    d->devfn = devfn;
    d->bus = bus;
    d->qdev.hotplug = bus->hotplug;
    if (!d->name) {
        d->name = d->qdev.cls->name;
    }
    bus->devices[devfn] = d;

    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    pci_set_word(d->config + PCI_VENDOR_ID, vendor);
    pci_set_word(d->config + PCI_DEVICE_ID, device);
    d->config[PCI_REVISION_ID] = revision;
    pci_set_word(d->config + PCI_CLASS_DEVICE, class_code);
    pci_set_word(d->config + PCI_SUBSYSTEM_VENDOR_ID, PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
    pci_set_word(d->config + PCI_SUBSYSTEM_ID, PCI_SUBDEVICE_ID_QEMU);
    pci_set_word(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER | 0x0040 /* parity */ | 0x0100 /* SERR */ |
                 PCI_COMMAND_INTX_DISABLE);
    /* Error status bits are write-1-to-clear. */
    d->w1cmask[PCI_STATUS + 1] = 0xf9;
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    /* Functions other than 0 exist only if function 0 says multi-function;
     * mark it when a sibling appears. */
    if (PCI_FUNC(devfn) != 0 && bus->devices[devfn & ~7]) {
        PCIDevice *f0 = bus->devices[devfn & ~7];
        f0->config[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
        f0->reset_config[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
    }
    memcpy(d->reset_config, d->config, sizeof(d->config));
    return true;
}

uint32_t pci_bus_fixed_slots(PCIBus *bus)
{
    uint32_t fixed = 0;
    for (int devfn = 0; devfn < 256; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        if (d && !d->qdev.cls->hotpluggable) {
            fixed |= 1u << PCI_SLOT(devfn);
        }
    }
    return fixed;
}

void pci_device_unregister(PCIDevice *d)
{
    PCIBus *bus = d->bus;
    if (!bus || bus->devices[d->devfn] != d) {
        return;
    }
    pci_set_irq(d, 0);
    memory_transaction_begin();
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIBar *b = &d->bars[i];
        if (b->mr && b->mapped) {
            memory_region_del_subregion((b->type & PCI_BAR_IO) ? pci_bus_io(bus) : pci_bus_mem(bus),
                                        b->mr);
        }
        b->mr = NULL;
        b->mapped = false;
    }
    memory_transaction_commit();
    if (d->rom) {
        memory_region_destroy(d->rom);
        g_free(d->rom);
        d->rom = NULL;
    }
    msix_uninit(d);
    bus->devices[d->devfn] = NULL;
    d->bus = NULL;
}

void pci_device_reset(PCIDevice *d)
{
    /* Drop INTx first so the bus's wired-OR count stays right. */
    pci_set_irq(d, 0);
    memcpy(d->config, d->reset_config, sizeof(d->config));
    pci_update_mappings(d);
    if (d->reset) {
        d->reset(d);
    }
}

/* ---- configuration mechanism #1 ---- */

static uint32_t config_address;
static PCIBus *host_bus;
static MemoryRegion host_addr_io, host_data_io;
static uint8_t (*cf9_read)(void *opaque);
static void (*cf9_write)(void *opaque, uint8_t val);
static void *cf9_opaque;

void pci_host_set_cf9_handler(uint8_t (*read)(void *opaque),
                              void (*write)(void *opaque, uint8_t val), void *opaque)
{
    cf9_read = read;
    cf9_write = write;
    cf9_opaque = opaque;
}

/* Decode a CONFIG_ADDRESS value to a device, or NULL (master abort). */
static PCIDevice *pci_host_decode(PCIBus *bus, uint32_t cfgaddr)
{
    if (!(cfgaddr & 0x80000000u)) {
        return NULL;
    }
    if ((cfgaddr >> 16) & 0xff) {
        return NULL;            /* only bus 0 exists; no bridges yet */
    }
    return pci_bus_find(bus, (cfgaddr >> 8) & 0xff);
}

uint32_t pci_host_config_read(PCIBus *bus, uint32_t cfgaddr, int len)
{
    uint32_t reg = cfgaddr & 0xff;
    PCIDevice *d = pci_host_decode(bus, cfgaddr);
    if (!d || (len != 1 && len != 2 && len != 4) || (reg & 3) + len > 4) {
        return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
    }
    return pci_config_read(d, reg, len);
}

void pci_host_config_write(PCIBus *bus, uint32_t cfgaddr, uint32_t val, int len)
{
    uint32_t reg = cfgaddr & 0xff;
    PCIDevice *d = pci_host_decode(bus, cfgaddr);
    if (!d) {
        return;                 /* master abort: writes vanish */
    }
    if ((len != 1 && len != 2 && len != 4) || (reg & 3) + len > 4) {
        vlog(LOG_GUEST_ERRORS, "pci: config write of %d bytes at %02x crosses a dword\n",
             len, reg);
        return;
    }
    if (len < 4) {
        val &= (1u << (8 * len)) - 1;
    }
    pci_config_write(d, reg, val, len);
}

static uint32_t config_address_low;

static uint64_t pci_host_addr_read(void *opaque, hwaddr addr, unsigned size)
{
    if (addr == 0 && size == 4) {
        return config_address;
    }
    if (addr == 1 && size == 1 && cf9_read) {
        return cf9_read(cf9_opaque);
    }
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void pci_host_addr_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    if (addr == 0 && size == 4) {
        /* Bits 1:0 read back as 0 (PCI spec), but like QEMU we keep them
         * and OR them into the data port offset: QEMU's libqos test
         * harness selects unaligned registers that way. */
        config_address = (uint32_t)val & ~3u;
        config_address_low = (uint32_t)val & 3u;
        return;
    }
    if (addr == 1 && size == 1 && cf9_write) {
        cf9_write(cf9_opaque, (uint8_t)val);
        return;
    }
    vlog(LOG_GUEST_ERRORS, "pci: %u-byte write to port 0x%x ignored\n",
         size, (unsigned)(0xcf8 + addr));
}

static uint64_t pci_host_data_read(void *opaque, hwaddr addr, unsigned size)
{
    if (addr + size > 4) {
        return (1ull << (8 * size)) - 1;
    }
    return pci_host_config_read(host_bus, config_address | config_address_low | (uint32_t)addr, size);
}

static void pci_host_data_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    if (addr + size > 4) {
        vlog(LOG_GUEST_ERRORS, "pci: %u-byte access at 0xcfc+%u ignored\n",
             size, (unsigned)addr);
        return;
    }
    pci_host_config_write(host_bus, config_address | config_address_low | (uint32_t)addr, (uint32_t)val, size);
}

static const MemoryRegionOps pci_host_addr_ops = {
    .read = pci_host_addr_read,
    .write = pci_host_addr_write,
    .min_access = 1,
    .max_access = 4,
};

static const MemoryRegionOps pci_host_data_ops = {
    .read = pci_host_data_read,
    .write = pci_host_data_write,
    .min_access = 1,
    .max_access = 4,
};

void pci_host_init_io(PCIBus *bus)
{
    host_bus = bus;
    config_address = 0;
    config_address_low = 0;
    memory_region_init_io(&host_addr_io, &pci_host_addr_ops, NULL, "pci-conf-idx", 4);
    memory_region_add_subregion(address_space_io.root, 0xcf8, &host_addr_io);
    memory_region_init_io(&host_data_io, &pci_host_data_ops, NULL, "pci-conf-data", 4);
    memory_region_add_subregion(address_space_io.root, 0xcfc, &host_data_io);
}

/* ---- info ---- */

static void pci_info_one(PCIDevice *d, void *opaque)
{
    GString *out = opaque;
    g_string_append_printf(out, "  Bus 0, device %2d, function %d: %04x:%04x class %04x rev %02x (%s)\n",
                           PCI_SLOT(d->devfn), PCI_FUNC(d->devfn),
                           pci_get_word(d->config + PCI_VENDOR_ID),
                           pci_get_word(d->config + PCI_DEVICE_ID),
                           pci_get_word(d->config + PCI_CLASS_DEVICE),
                           d->config[PCI_REVISION_ID], d->name);
    if (d->config[PCI_INTERRUPT_PIN]) {
        g_string_append_printf(out, "    IRQ %d, pin %c\n", d->config[PCI_INTERRUPT_LINE],
                               'A' + d->config[PCI_INTERRUPT_PIN] - 1);
    }
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIBar *b = &d->bars[i];
        if (!b->mr) {
            continue;
        }
        g_string_append_printf(out, "    %s %d: %s at 0x%" G_GINT64_MODIFIER "x [size 0x%"
                               G_GINT64_MODIFIER "x]%s\n",
                               i == PCI_ROM_SLOT ? "ROM" : "BAR", i,
                               (b->type & PCI_BAR_IO) ? "I/O" : "memory",
                               b->mapped ? b->addr : (uint64_t)0, b->size,
                               b->mapped ? "" : " (unmapped)");
    }
}

void pci_bus_info(PCIBus *bus, GString *out)
{
    if (bus) {
        pci_bus_foreach(bus, pci_info_one, out);
    }
}

/*
 * PCI standard VGA ("VGA", 1234:1111, class 0300), the Bochs/QEMU stdvga:
 *   BAR0  the VRAM, prefetchable: the VBE linear framebuffer;
 *   BAR2  4 KiB of MMIO: the VGA ports 0x3c0-0x3df at 0x400 (byte access)
 *         and the DISPI registers at 0x500 (16-bit, index * 2), the
 *         layout QEMU's stdvga and Linux's bochs-drm use;
 *   ROM   vgabios-stdvga.bin from Debian's seabios package (SeaBIOS runs
 *         it, which sets up int 10h and the text mode);
 * and, as every VGA, the legacy ports 0x3b0-0x3df, 0x1ce/0x1cf and the
 * 0xa0000-0xbffff window, all decoded through its PCI bus.
 */
#include "hw/display/vga.h"

#include "hw/pci/pci.h"
#include "util/error.h"

typedef struct VGAPCIState {
    PCIDevice pci;
    VGAState vga;
    uint32_t vgamem_mb;
    char *romfile;
    MemoryRegion mmio;
} VGAPCIState;

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VGAPCIState *d = opaque;
    if (addr >= 0x400 && addr < 0x420) {
        uint64_t v = 0;
        for (unsigned i = 0; i < size && addr + i < 0x420; i++) {
            v |= (uint64_t)vga_ioport_read(&d->vga, 0x3c0 + addr - 0x400 + i) << (8 * i);
        }
        return v;
    }
    if (addr >= 0x500 && addr < 0x500 + 2 * VBE_NREGS && !(addr & 1)) {
        return vbe_read(&d->vga, (addr - 0x500) / 2);
    }
    return 0;                 /* no EDID blob at 0x000 */
}

static void mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VGAPCIState *d = opaque;
    if (addr >= 0x400 && addr < 0x420) {
        for (unsigned i = 0; i < size && addr + i < 0x420; i++) {
            vga_ioport_write(&d->vga, 0x3c0 + addr - 0x400 + i, val >> (8 * i));
        }
    } else if (addr >= 0x500 && addr < 0x500 + 2 * VBE_NREGS && !(addr & 1)) {
        vbe_write(&d->vga, (addr - 0x500) / 2, val);
    }
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read, .write = mmio_write, .min_access = 1, .max_access = 2,
};

static bool vga_pci_realize(Device *dev, GError **errp)
{
    VGAPCIState *d = (VGAPCIState *)dev;
    PCIDevice *pd = &d->pci;
    uint32_t mb = d->vgamem_mb;
    if (mb < 1 || mb > 256 || (mb & (mb - 1))) {
        vireo_set_error(errp, "VGA: vgamem_mb must be a power of two from 1 to 256, not %u", mb);
        return false;
    }
    if (!pci_device_init(pd, NULL, 0x1234, 0x1111, 0x0300, 0x02, errp)) {
        return false;
    }
    vga_common_init(&d->vga, mb, dev->id ? dev->id : "VGA");
    memory_region_init_io(&d->mmio, &mmio_ops, d, "vga.mmio", 0x1000);
    pci_register_bar(pd, 0, PCI_BAR_MEM32 | PCI_BAR_PREFETCH, &d->vga.vram_mr);
    pci_register_bar(pd, 2, PCI_BAR_MEM32, &d->mmio);
    /* the legacy decode of a VGA on the bus: window and ports */
    memory_region_add_subregion_overlap(pci_bus_memory(pd->bus), 0xa0000, &d->vga.lowmem, 1);
    memory_region_add_subregion(pci_bus_io(pd->bus), 0x3b0, &d->vga.ports);
    memory_region_add_subregion(pci_bus_io(pd->bus), 0x1ce, &d->vga.vbe_ports);
    if (!pci_load_option_rom(pd, d->romfile, "vgabios-stdvga.bin", errp)) {
        return false;
    }
    pd->name = "VGA";
    return true;
}

static void vga_pci_reset(Device *dev)
{
    VGAPCIState *d = (VGAPCIState *)dev;
    pci_device_reset(&d->pci);
    vga_common_reset(&d->vga);
}

static const Property vga_pci_props[] = {
    DEFINE_PROP_PCI_DEVFN(VGAPCIState, pci),
    DEFINE_PROP("vgamem_mb", PROP_U32, VGAPCIState, vgamem_mb, "16"),
    DEFINE_PROP("romfile", PROP_STRING, VGAPCIState, romfile, NULL),
    DEFINE_PROP_END,
};

static const DeviceClass vga_pci_class = {
    .name = "VGA",
    .desc = "standard VGA with Bochs VBE extensions",
    .bus = BUS_PCI,
    .instance_size = sizeof(VGAPCIState),
    .props = vga_pci_props,
    .user_creatable = true,
    .realize = vga_pci_realize,
    .reset = vga_pci_reset,
};
DEVICE_REGISTER(vga_pci_class)

/*
 * PCI standard VGA ("VGA", 1234:1111, class 0300), the Bochs/QEMU stdvga:
 *   BAR0  the VRAM, prefetchable: the VBE linear framebuffer;
 *   BAR2  4 KiB of MMIO, the layout QEMU's stdvga and Linux's bochs-drm
 *         use: an EDID block at 0x000 (bochs-drm reads the monitor's
 *         modes there; edid=off leaves it blank), the VGA ports
 *         0x3c0-0x3df at 0x400 (byte access), the DISPI registers at 0x500
 *         (16-bit, index * 2), and QEMU's extended registers at 0x600:
 *         their size (8) and the framebuffer byte order, little-endian
 *         only;
 *   ROM   vgabios-stdvga.bin from Debian's seabios package (SeaBIOS runs
 *         it, which sets up int 10h and the text mode);
 * and, as every VGA, the legacy ports 0x3b0-0x3df, 0x1ce/0x1cf and the
 * 0xa0000-0xbffff window, all decoded through its PCI bus.
 */
#include "hw/display/vga.h"

#include "hw/display/edid.h"

#include "hw/pci/pci.h"
#include "util/error.h"

typedef struct VGAPCIState {
    PCIDevice pci;
    VGAState vga;
    uint32_t vgamem_mb;
    char *romfile;
    bool edid;
    uint32_t xres, yres;         /* the EDID's native mode */
    uint8_t edid_blob[EDID_BLOCK_SIZE];
    MemoryRegion mmio;
} VGAPCIState;

#define QEXT_SIZE       8
#define QEXT_LITTLE     0x1e1e1e1e      /* byte order register: little-endian */

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
    if (addr < 0x400) {
        uint64_t v = 0;
        for (unsigned i = 0; i < size && d->edid && addr + i < EDID_BLOCK_SIZE; i++) {
            v |= (uint64_t)d->edid_blob[addr + i] << (8 * i);
        }
        return v;
    }
    if (addr == 0x600 && size == 4) {
        return QEXT_SIZE;
    }
    if (addr == 0x604 && size == 4) {
        return QEXT_LITTLE;
    }
    return 0;
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
    /* the EDID and the extended registers are read-only here: a guest
     * asking for a big-endian framebuffer reads back little-endian */
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read, .write = mmio_write, .min_access = 1, .max_access = 4,
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
    if (d->xres < 320 || d->xres > 4095 || d->yres < 200 || d->yres > 4095) {
        vireo_set_error(errp, "VGA: xres and yres must be from 320x200 to 4095x4095, not %ux%u",
                        d->xres, d->yres);
        return false;
    }
    if ((uint64_t)d->xres * d->yres * 4 > (uint64_t)mb << 20) {
        vireo_set_error(errp, "VGA: a %ux%u mode at 32 bpp does not fit in vgamem_mb=%u",
                        d->xres, d->yres, mb);
        return false;
    }
    if (!pci_device_init(pd, NULL, 0x1234, 0x1111, 0x0300, 0x02, errp)) {
        return false;
    }
    vga_common_init(&d->vga, mb, dev->id ? dev->id : "VGA");
    memory_region_init_io(&d->mmio, &mmio_ops, d, "vga.mmio", 0x1000);
    /* the largest standard modes the VRAM holds at 32 bpp, as the VBE
     * maximum is beyond what an EDID can say */
    EdidInfo ei = { .name = "Vireo VGA", .prefx = d->xres, .prefy = d->yres,
                    .maxx = 1920, .maxy = 1200 };
    while ((uint64_t)ei.maxx * ei.maxy * 4 > (uint64_t)mb << 20) {
        ei.maxx = ei.maxx * 3 / 4;
        ei.maxy = ei.maxy * 3 / 4;
    }
    edid_generate(d->edid_blob, &ei);
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
    DEFINE_PROP("edid", PROP_BOOL, VGAPCIState, edid, "on"),
    DEFINE_PROP("xres", PROP_U32, VGAPCIState, xres, "1024"),
    DEFINE_PROP("yres", PROP_U32, VGAPCIState, yres, "768"),
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

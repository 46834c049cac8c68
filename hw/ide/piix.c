/*
 * PIIX3 IDE (PCI 8086:7010, function 1 of the PIIX3): two channels in
 * compatibility mode at the legacy ports 0x1f0/0x3f6 (IRQ 14) and
 * 0x170/0x376 (IRQ 15), and the bus-master DMA registers in BAR4
 * (command, status and PRD table address per channel, 8 bytes each).
 * The IDE timing registers (0x40-0x43, where firmware sets the decode
 * enable bits) are plain read/write config space.
 */
#include "hw/ide/ide.h"
#include "hw/ide/piix.h"

#include "block/blockdev.h"
#include "hw/core/iostats.h"
#include "hw/isa/isa.h"
#include "hw/pci/pci.h"
#include "util/log.h"

typedef struct PIIXIDEState {
    PCIDevice pci;
    IDEBus bus[2];
    MemoryRegion bmdma;
} PIIXIDEState;

static uint64_t ide_cmd_read(void *opaque, hwaddr addr, unsigned size)
{
    IDEBus *bus = opaque;
    if (addr == 0) {
        return ide_data_read(bus, size);
    }
    return ide_ioport_read(bus, addr);
}

static void ide_cmd_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    IDEBus *bus = opaque;
    if (addr == 0) {
        ide_data_write(bus, val, size);
    } else {
        ide_ioport_write(bus, addr, val);
    }
}

static const MemoryRegionOps ide_cmd_ops = {
    .read = ide_cmd_read,
    .write = ide_cmd_write,
    .min_access = 1,
    .max_access = 4,
};

static uint64_t ide_ctl_read(void *opaque, hwaddr addr, unsigned size)
{
    return ide_status_read(opaque, true);
}

static void ide_ctl_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ide_ctrl_write(opaque, val);
}

static const MemoryRegionOps ide_ctl_ops = {
    .read = ide_ctl_read,
    .write = ide_ctl_write,
    .min_access = 1,
    .max_access = 1,
};

/* BAR4: per channel, command (+0), status (+2), PRD table (+4..+7). */
static uint64_t bmdma_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIXIDEState *d = opaque;
    IDEBus *bus = &d->bus[(addr >> 3) & 1];
    unsigned reg = addr & 7;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned r = reg + i;
        uint8_t b = 0;
        if (r == 0) {
            b = bus->bm.cmd;
        } else if (r == 2) {
            b = bus->bm.status;
        } else if (r >= 4) {
            b = bus->bm.addr >> (8 * (r - 4));
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void bmdma_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIXIDEState *d = opaque;
    IDEBus *bus = &d->bus[(addr >> 3) & 1];
    unsigned reg = addr & 7;
    for (unsigned i = 0; i < size; i++) {
        unsigned r = reg + i;
        uint8_t b = val >> (8 * i);
        if (r == 0) {
            uint8_t old = bus->bm.cmd;
            /* the direction bit may only change while stopped */
            if (old & 1) {
                b = (b & 1) | (old & 0x08);
            }
            bus->bm.cmd = b & 0x09;
            if ((old & 1) && !(b & 1)) {
                ide_dma_stop(bus);
            } else if (!(old & 1) && (b & 1)) {
                ide_dma_start(bus);
            }
        } else if (r == 2) {
            /* bits 5-6 read/write, 1-2 write-1-to-clear, 0 read-only */
            bus->bm.status = (b & 0x60) | (bus->bm.status & 0x01) |
                             (bus->bm.status & ~b & 0x06);
        } else if (r >= 4) {
            unsigned sh = 8 * (r - 4);
            bus->bm.addr = (bus->bm.addr & ~(0xffu << sh)) | ((uint32_t)b << sh);
            bus->bm.addr &= ~3u;
        }
    }
}

static const MemoryRegionOps bmdma_ops = {
    .read = bmdma_read,
    .write = bmdma_write,
    .min_access = 1,
    .max_access = 4,
};

static void piix_ide_iostats(void *opaque, IOStats *st)
{
    PIIXIDEState *d = opaque;
    for (int i = 0; i < 2; i++) {
        st->rx_requests += d->bus[i].requests[0];
        st->rx_bytes += d->bus[i].bytes[0];
        st->tx_requests += d->bus[i].requests[1];
        st->tx_bytes += d->bus[i].bytes[1];
        st->copy_bytes += d->bus[i].bytes[0] + d->bus[i].bytes[1];
        st->irqs += d->bus[i].irqs;
    }
}

static void piix_ide_reset_regs(PIIXIDEState *d)
{
    for (int i = 0; i < 2; i++) {
        ide_bus_reset(&d->bus[i]);
    }
}

static void piix_ide_pci_reset(PCIDevice *pd)
{
    piix_ide_reset_regs((PIIXIDEState *)pd);
}

static bool piix_ide_realize(Device *dev, GError **errp)
{
    PIIXIDEState *d = (PIIXIDEState *)dev;
    PCIDevice *pd = &d->pci;
    if (!pci_device_init(pd, NULL, 0x8086, 0x7010, 0x0101, 0x00, errp)) {
        return false;
    }
    pd->name = "piix3-ide";
    pd->config[PCI_CLASS_PROG] = 0x80;          /* bus master, both channels legacy */
    for (int i = 0x40; i < 0x44; i++) {
        pd->wmask[i] = 0xff;                     /* IDETIM: decode enable, timings */
    }
    memcpy(pd->reset_config, pd->config, sizeof(pd->config));
    memory_region_init_io(&d->bmdma, &bmdma_ops, d, "piix-bmdma", 16);
    pci_register_bar(pd, 4, PCI_BAR_IO, &d->bmdma);
    pd->reset = piix_ide_pci_reset;

    static const uint16_t cmd_base[2] = { 0x1f0, 0x170 };
    static const uint16_t ctl_base[2] = { 0x3f6, 0x376 };
    static const int irqs[2] = { 14, 15 };
    for (int i = 0; i < 2; i++) {
        IDEBus *bus = &d->bus[i];
        ide_bus_init(bus, i, isa_get_irq(irqs[i]), pd);
        isa_register_ioport(&bus->cmd_io, &ide_cmd_ops, bus, "ide-cmd", cmd_base[i], 8);
        isa_register_ioport(&bus->ctl_io, &ide_ctl_ops, bus, "ide-ctl", ctl_base[i], 1);
    }
    IOStatsSource *ios = iostats_register("piix3-ide", "block", piix_ide_iostats, d);
    d->bus[0].ios = d->bus[1].ios = ios;
    iostats_add_region("piix3-ide", &d->bmdma);
    iostats_add_region("piix3-ide", &d->bus[0].cmd_io);
    iostats_add_region("piix3-ide", &d->bus[1].cmd_io);
    piix_ide_reset_regs(d);
    return true;
}

static void piix_ide_reset(Device *dev)
{
    PIIXIDEState *d = (PIIXIDEState *)dev;
    pci_device_reset(&d->pci);
    piix_ide_reset_regs(d);
}

static const Property piix_ide_props[] = {
    DEFINE_PROP_PCI_DEVFN(PIIXIDEState, pci),
    DEFINE_PROP_END,
};

static const DeviceClass piix_ide_class = {
    .name = "piix3-ide",
    .desc = "PIIX3 IDE controller",
    .bus = BUS_PCI,
    .instance_size = sizeof(PIIXIDEState),
    .props = piix_ide_props,
    .user_creatable = false,
    .realize = piix_ide_realize,
    .reset = piix_ide_reset,
};
DEVICE_REGISTER(piix_ide_class)

/* The machine's drives: every if=ide drive becomes an ide-hd or ide-cd on
 * its bus and unit. */
void piix_ide_attach_drives(void)
{
    for (int bus = 0; bus < 2; bus++) {
        for (int unit = 0; unit < 2; unit++) {
            DriveInfo *di = drive_get(IF_IDE, bus, unit);
            if (!di) {
                continue;
            }
            char *opts = g_strdup_printf("drive=%s,bus=ide.%d,unit=%d", di->id, bus, unit);
            device_create(di->is_cdrom ? "ide-cd" : "ide-hd", opts);
            g_free(opts);
            di->claimed = true;
        }
    }
}

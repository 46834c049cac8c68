/*
 * i440FX host bridge (82441FX PMC).  Register facts from the 82441FX
 * datasheet: PAM0-6 at 0x59-0x5f (PAM0 bits 7:4 cover 0xf0000-0xfffff,
 * PAM1-6 two 16K segments each from 0xc0000), SMRAM at 0x72 (D_OPEN 6,
 * D_CLS 5, D_LCK 4, G_SMRAME 3, C_BASE_SEG 2:0 hard-wired 010).
 *
 * SMRAM is the RAM at 0xa0000-0xbffff (C_BASE_SEG 010).  Bus masters that
 * are not a CPU in System Management Mode see it only while D_OPEN is set
 * (else the PCI window, i.e. VGA, decodes there); a CPU in SMM sees it
 * while G_SMRAME is set, whatever D_OPEN says, through its own view of
 * memory (address_space_init_memory_view), where "smram-low" overlays the
 * window.  D_CLS (SMM data accesses to the PCI window while code still
 * comes from SMRAM) is not modelled: SMM data accesses see SMRAM too, as
 * on QEMU's i440FX.
 *
 * Each PAM segment has four overlay regions in system memory, above the
 * RAM alias and the PCI window, of which exactly one is enabled:
 *   mode 0  alias of the PCI window (ROM beneath)
 *   mode 1  read-only alias of RAM (writes would go to PCI; nothing claims
 *           them below 1M except ROM, so they are dropped)
 *   mode 2  MMIO: reads from the PCI window, writes into RAM
 *   mode 3  alias of RAM
 */
#include "hw/pci/i440fx.h"

#include <string.h>

#include "util/log.h"

#define PAM_SEGMENTS 13

#define SMRAM_D_OPEN    0x40
#define SMRAM_D_CLS     0x20
#define SMRAM_D_LCK     0x10
#define SMRAM_G_SMRAME  0x08
#define SMRAM_C_BASE_SEG 0x02

typedef struct PAMSegment {
    hwaddr base;
    uint64_t size;
    MemoryRegion mode[4];
    int current;
} PAMSegment;

typedef struct I440FXState {
    PCIDevice pci;
    MemoryRegion *system, *ram, *pci_mem;
    PAMSegment pam[PAM_SEGMENTS];
    MemoryRegion smram_pci;      /* 0xa0000-0xbffff from PCI (VGA) unless D_OPEN */
    MemoryRegion *smram;         /* the SMM view's overlays, or NULL */
    MemoryRegion smram_low;      /* RAM 0xa0000-0xbffff there, while G_SMRAME */
} I440FXState;

/* Read from whatever the PCI window decodes at addr: the highest-priority
 * enabled subregion of pci_mem covering it, aliases followed. */
static uint64_t i440fx_pci_window_read(MemoryRegion *mr, hwaddr addr, unsigned size)
{
    for (int depth = 0; depth < 8 && mr; depth++) {
        switch (mr->type) {
        case MR_ALIAS:
            addr += mr->alias_offset;
            mr = mr->alias;
            continue;
        case MR_RAM:
        case MR_ROM: {
            uint64_t v = 0;
            if (addr + size <= mr->size) {
                memcpy(&v, mr->ram + addr, size);   /* host is little-endian */
            }
            return v;
        }
        case MR_MMIO:
            return memory_region_dispatch_read(mr, addr, size);
        case MR_CONTAINER: {
            MemoryRegion *best = NULL;
            for (unsigned i = 0; i < mr->nr_subregions; i++) {
                MemoryRegion *sub = mr->subregions[i];
                if (!sub->enabled || addr < sub->addr || addr + size > sub->addr + sub->size) {
                    continue;
                }
                if (!best || sub->priority > best->priority) {
                    best = sub;
                }
            }
            if (!best) {
                return ~0ull >> (64 - 8 * size);
            }
            addr -= best->addr;
            mr = best;
            continue;
        }
        }
    }
    return ~0ull >> (64 - 8 * size);
}

/* Mode-2 callbacks need both the segment and the bridge. */
typedef struct PAMRef {
    I440FXState *s;
    PAMSegment *seg;
} PAMRef;

static PAMRef pam_refs[PAM_SEGMENTS];

static uint64_t pam_wo_read(void *opaque, hwaddr addr, unsigned size)
{
    PAMRef *r = opaque;
    return i440fx_pci_window_read(r->s->pci_mem, r->seg->base + addr, size);
}

static void pam_wo_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PAMRef *r = opaque;
    hwaddr pa = r->seg->base + addr;
    if (pa + size > r->s->ram->size) {
        return;
    }
    memcpy(r->s->ram->ram + pa, &val, size);
    if (memory_ram_write_hook) {
        memory_ram_write_hook(&address_space_memory, pa, size);
    }
}

static const MemoryRegionOps pam_wo_ops = {
    .read = pam_wo_read,
    .write = pam_wo_write,
    .min_access = 1,
    .max_access = 8,
};

static int i440fx_pam_mode(I440FXState *s, int seg)
{
    if (seg == 0) {
        return (s->pci.config[I440FX_PAM0] >> 4) & 3;
    }
    uint8_t reg = s->pci.config[I440FX_PAM0 + 1 + (seg - 1) / 2];
    return ((seg - 1) & 1 ? reg >> 4 : reg) & 3;
}

static void i440fx_update_memory(I440FXState *s)
{
    memory_transaction_begin();
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        PAMSegment *seg = &s->pam[i];
        int mode = i440fx_pam_mode(s, i);
        if (mode != seg->current) {
            memory_region_set_enabled(&seg->mode[seg->current], false);
            memory_region_set_enabled(&seg->mode[mode], true);
            seg->current = mode;
        }
    }
    /* D_OPEN shows SMRAM (RAM) at 0xa0000 instead of the PCI/VGA window
     * to everyone; G_SMRAME shows it to CPUs in SMM. */
    uint8_t smram = s->pci.config[I440FX_SMRAM];
    memory_region_set_enabled(&s->smram_pci, !(smram & SMRAM_D_OPEN));
    if (s->smram) {
        memory_region_set_enabled(&s->smram_low, smram & SMRAM_G_SMRAME);
    }
    memory_transaction_commit();
}

static void i440fx_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    I440FXState *s = DEVICE_CAST(I440FXState, d);

    if (addr <= I440FX_SMRAM && addr + len > I440FX_SMRAM) {
        uint8_t *smram = &d->config[I440FX_SMRAM];
        /* C_BASE_SEG is hard-wired; setting D_LCK clears D_OPEN and freezes
         * the register (wmask 0) until the next reset. */
        *smram = (*smram & ~0x07) | SMRAM_C_BASE_SEG;
        if (*smram & SMRAM_D_LCK) {
            *smram &= ~SMRAM_D_OPEN;
            d->wmask[I440FX_SMRAM] = 0;
        }
    }
    if ((addr < I440FX_PAM0 + I440FX_PAM_REGS && addr + len > I440FX_PAM0) ||
        (addr <= I440FX_SMRAM && addr + len > I440FX_SMRAM)) {
        i440fx_update_memory(s);
    }
}

static void i440fx_pci_reset(PCIDevice *d)
{
    I440FXState *s = DEVICE_CAST(I440FXState, d);
    d->wmask[I440FX_SMRAM] = SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME;
    i440fx_update_memory(s);
}

static void i440fx_reset(Device *dev)
{
    pci_device_reset(DEVICE_CAST(PCIDevice, dev));
}

static void i440fx_init_pam(I440FXState *s)
{
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        PAMSegment *seg = &s->pam[i];
        seg->base = i == 0 ? 0xf0000 : 0xc0000 + (hwaddr)(i - 1) * 0x4000;
        seg->size = i == 0 ? 0x10000 : 0x4000;
        pam_refs[i].s = s;
        pam_refs[i].seg = seg;

        memory_region_init_alias(&seg->mode[PAM_PCI], "pam-pci", s->pci_mem, seg->base, seg->size);
        memory_region_init_alias(&seg->mode[PAM_READ_RAM], "pam-ro", s->ram, seg->base, seg->size);
        memory_region_set_readonly(&seg->mode[PAM_READ_RAM], true);
        memory_region_init_io(&seg->mode[PAM_WRITE_RAM], &pam_wo_ops, &pam_refs[i], "pam-wo",
                              seg->size);
        memory_region_init_alias(&seg->mode[PAM_RAM], "pam-ram", s->ram, seg->base, seg->size);
        for (int m = 0; m < 4; m++) {
            memory_region_set_enabled(&seg->mode[m], m == PAM_PCI);
            memory_region_add_subregion_overlap(s->system, seg->base, &seg->mode[m], 1);
        }
        seg->current = PAM_PCI;
    }
}

static bool i440fx_realize(Device *dev, GError **errp)
{
    I440FXState *s = DEVICE_CAST(I440FXState, dev);
    PCIDevice *d = &s->pci;

    if (!s->system || !s->ram || !s->pci_mem) {
        vireo_set_error(errp, "i440FX: created without its memory regions");
        return false;
    }
    if (s->ram->size < 0x100000) {
        vireo_set_error(errp, "i440FX: needs at least 1M of RAM to shadow the BIOS");
        return false;
    }
    d->devfn = PCI_DEVFN(0, 0);
    if (!pci_device_init(d, NULL, 0x8086, 0x1237, 0x0600, 0x02, errp)) {
        return false;
    }
    d->name = "i440FX";
    /* 82441FX power-on: memory and bus master enabled, fast back-to-back
     * and medium DEVSEL in the status register. */
    pci_set_word(d->config + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(d->config + PCI_STATUS, 0x0280);
    /* 0x50-0x7f: the PMC's configuration registers (DRAM rows and timings,
     * PAM, SMRAM...).  Firmware may program any of them; keep them as data. */
    for (int a = 0x50; a < 0x80; a++) {
        d->wmask[a] = 0xff;
    }
    d->wmask[I440FX_PAM0] = 0x70;           /* low nibble reserved in PAM0 */
    for (int i = 1; i < I440FX_PAM_REGS; i++) {
        d->wmask[I440FX_PAM0 + i] = 0x77;   /* bit 3/7 reserved */
    }
    d->config[I440FX_SMRAM] = SMRAM_C_BASE_SEG;
    d->wmask[I440FX_SMRAM] = SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME;
    memcpy(d->reset_config, d->config, sizeof(d->config));
    d->config_write = i440fx_config_write;
    d->reset = i440fx_pci_reset;

    memory_region_init_alias(&s->smram_pci, "smram-region", s->pci_mem, 0xa0000, 0x20000);
    memory_region_add_subregion_overlap(s->system, 0xa0000, &s->smram_pci, 1);
    if (s->smram) {
        memory_region_init_alias(&s->smram_low, "smram-low", s->ram, 0xa0000, 0x20000);
        memory_region_set_enabled(&s->smram_low, false);
        memory_region_add_subregion_overlap(s->smram, 0xa0000, &s->smram_low, 1);
    }
    i440fx_init_pam(s);
    i440fx_update_memory(s);
    return true;
}

static const DeviceClass i440fx_class = {
    .name = "i440FX",
    .desc = "Intel 82441FX PCI and memory controller (host bridge)",
    .bus = BUS_PCI,
    .instance_size = sizeof(I440FXState),
    .user_creatable = false,
    .realize = i440fx_realize,
    .reset = i440fx_reset,
};
DEVICE_REGISTER(i440fx_class)

/*
 * A memory cycle on PCI that no device claims ends in a master abort:
 * reads return all ones, writes vanish.  Putting this under everything in
 * the PCI window makes the PAM (mode 0) and SMRAM (closed) views of an
 * empty PCI bus behave so, rather than showing the DRAM behind them.
 */
static uint64_t master_abort_read(void *opaque, hwaddr addr, unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static void master_abort_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
}

static const MemoryRegionOps master_abort_ops = {
    .read = master_abort_read,
    .write = master_abort_write,
    .min_access = 1,
    .max_access = 8,
};

PCIBus *i440fx_init(MemoryRegion *system, MemoryRegion *ram, MemoryRegion *pci_mem,
                    MemoryRegion *pci_io, MemoryRegion *smram)
{
    static MemoryRegion master_abort;
    GError *err = NULL;
    memory_region_init_io(&master_abort, &master_abort_ops, NULL, "pci-master-abort",
                          pci_mem->size);
    memory_region_add_subregion_overlap(pci_mem, 0, &master_abort, INT32_MIN);
    PCIBus *bus = pci_bus_new("pci.0", pci_mem, pci_io);
    pci_host_init_io(bus);

    Device *dev = device_new("i440FX", &err);
    if (dev) {
        I440FXState *s = DEVICE_CAST(I440FXState, dev);
        s->system = system;
        s->ram = ram;
        s->pci_mem = pci_mem;
        s->smram = smram;
        if (device_realize(dev, &err)) {
            return bus;
        }
    }
    fatal("%s", err ? err->message : "i440FX: cannot create");
}

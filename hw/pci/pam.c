/*
 * PAM shadowing of 0xc0000-0xfffff and the compatible SMRAM window at
 * 0xa0000-0xbffff, as the i440FX (82441FX, PAM0-6 at 0x59, SMRAM at 0x72)
 * and the Q35 MCH (PAM0-6 at 0x90, SMRAM at 0x9d) both have them: same
 * register layout, different offsets.
 *
 * PAM0 bits 5:4 cover 0xf0000-0xfffff, PAM1-6 two 16K segments each from
 * 0xc0000.  SMRAM: D_OPEN 6, D_CLS 5, D_LCK 4, G_SMRAME 3, C_BASE_SEG 2:0
 * hard-wired 010, i.e. the RAM at 0xa0000-0xbffff.  Bus masters that are
 * not a CPU in System Management Mode see it only while D_OPEN is set
 * (else the PCI window, i.e. VGA, decodes there); a CPU in SMM sees it
 * while G_SMRAME is set, whatever D_OPEN says, through its own view of
 * memory (address_space_init_memory_view), where "smram-low" overlays the
 * window.  D_CLS (SMM data accesses to the PCI window while code still
 * comes from SMRAM) is not modelled: SMM data accesses see SMRAM too, as
 * on QEMU.
 *
 * Each PAM segment has four overlay regions in system memory, above the
 * RAM alias and the PCI window, of which exactly one is enabled:
 *   mode 0  alias of the PCI window (ROM beneath)
 *   mode 1  read-only alias of RAM (writes would go to PCI; nothing claims
 *           them below 1M except ROM, so they are dropped)
 *   mode 2  MMIO: reads from the PCI window, writes into RAM
 *   mode 3  alias of RAM
 */
#include "hw/pci/pam.h"

#include <string.h>

#include "util/log.h"

/* Read from whatever the PCI window decodes at addr: the highest-priority
 * enabled subregion of pci_mem covering it, aliases followed. */
static uint64_t pam_pci_window_read(MemoryRegion *mr, hwaddr addr, unsigned size)
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

static uint64_t pam_wo_read(void *opaque, hwaddr addr, unsigned size)
{
    PAMRef *r = opaque;
    return pam_pci_window_read(r->s->pci_mem, r->seg->base + addr, size);
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

static int pam_mode(const uint8_t *pam, int seg)
{
    if (seg == 0) {
        return (pam[0] >> 4) & 3;
    }
    uint8_t reg = pam[1 + (seg - 1) / 2];
    return ((seg - 1) & 1 ? reg >> 4 : reg) & 3;
}

void pam_update(PAMState *s, const uint8_t *pam, uint8_t smram)
{
    memory_transaction_begin();
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        PAMSegment *seg = &s->pam[i];
        int mode = pam_mode(pam, i);
        if (mode != seg->current) {
            memory_region_set_enabled(&seg->mode[seg->current], false);
            memory_region_set_enabled(&seg->mode[mode], true);
            seg->current = mode;
        }
    }
    /* D_OPEN shows SMRAM (RAM) at 0xa0000 instead of the PCI/VGA window
     * to everyone; G_SMRAME shows it to CPUs in SMM. */
    memory_region_set_enabled(&s->smram_pci, !(smram & SMRAM_D_OPEN));
    if (s->smram) {
        memory_region_set_enabled(&s->smram_low, smram & SMRAM_G_SMRAME);
    }
    memory_transaction_commit();
}

void smram_reg_written(PCIDevice *d, unsigned reg)
{
    uint8_t *smram = &d->config[reg];
    /* C_BASE_SEG is hard-wired; setting D_LCK clears D_OPEN and freezes
     * the register (wmask 0) until the next reset. */
    *smram = (*smram & ~0x07) | SMRAM_C_BASE_SEG;
    if (*smram & SMRAM_D_LCK) {
        *smram &= ~SMRAM_D_OPEN;
        d->wmask[reg] = 0;
    }
}

void pam_config_init(PCIDevice *d, unsigned pam0, uint8_t nibble_wmask, unsigned smram)
{
    d->wmask[pam0] = nibble_wmask << 4;     /* PAM0: only the 0xf0000 nibble */
    for (int i = 1; i < PAM_REGS; i++) {
        d->wmask[pam0 + i] = nibble_wmask | nibble_wmask << 4;
    }
    d->config[smram] = SMRAM_C_BASE_SEG;
    d->wmask[smram] = SMRAM_WMASK;
}

void pam_init(PAMState *s)
{
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        PAMSegment *seg = &s->pam[i];
        seg->base = i == 0 ? 0xf0000 : 0xc0000 + (hwaddr)(i - 1) * 0x4000;
        seg->size = i == 0 ? 0x10000 : 0x4000;
        s->refs[i].s = s;
        s->refs[i].seg = seg;

        memory_region_init_alias(&seg->mode[PAM_PCI], "pam-pci", s->pci_mem, seg->base, seg->size);
        memory_region_init_alias(&seg->mode[PAM_READ_RAM], "pam-ro", s->ram, seg->base, seg->size);
        memory_region_set_readonly(&seg->mode[PAM_READ_RAM], true);
        memory_region_init_io(&seg->mode[PAM_WRITE_RAM], &pam_wo_ops, &s->refs[i], "pam-wo",
                              seg->size);
        memory_region_init_alias(&seg->mode[PAM_RAM], "pam-ram", s->ram, seg->base, seg->size);
        for (int m = 0; m < 4; m++) {
            memory_region_set_enabled(&seg->mode[m], m == PAM_PCI);
            memory_region_add_subregion_overlap(s->system, seg->base, &seg->mode[m], 1);
        }
        seg->current = PAM_PCI;
    }
    memory_region_init_alias(&s->smram_pci, "smram-region", s->pci_mem, 0xa0000, 0x20000);
    memory_region_add_subregion_overlap(s->system, 0xa0000, &s->smram_pci, 1);
    if (s->smram) {
        memory_region_init_alias(&s->smram_low, "smram-low", s->ram, 0xa0000, 0x20000);
        memory_region_set_enabled(&s->smram_low, false);
        memory_region_add_subregion_overlap(s->smram, 0xa0000, &s->smram_low, 1);
    }
}

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

PCIBus *pci_host_bus_new(MemoryRegion *pci_mem, MemoryRegion *pci_io)
{
    static MemoryRegion master_abort;
    memory_region_init_io(&master_abort, &master_abort_ops, NULL, "pci-master-abort",
                          pci_mem->size);
    memory_region_add_subregion_overlap(pci_mem, 0, &master_abort, INT32_MIN);
    PCIBus *bus = pci_bus_new("pci.0", pci_mem, pci_io);
    pci_host_init_io(bus);
    return bus;
}

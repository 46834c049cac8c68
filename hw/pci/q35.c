/*
 * Q35 MCH host bridge (8086:29c0, revision 0, as QEMU's q35 machine).
 * Register facts from the Intel 3 Series Express Chipset (82G33/Q35)
 * datasheet, section 5.1: PCIEXBAR at 0x60 (bit 0 PCIEXBAREN, bits 2:1
 * length 256/128/64 MB, base in bits 35:26 aligned to the length), PAM0-6
 * at 0x90-0x96 (bits 1:0 and 5:4 of each, hw/pci/pam.c), SMRAM at 0x9d
 * (same layout as the i440FX's) and ESMRAMC at 0x9e.
 *
 * MMCONFIG: while PCIEXBAREN is set, the window at the base decodes
 * configuration cycles by address: bus in bits 27:20, device/function in
 * 19:12, register in 11:0.  Functions here have the 256-byte conventional
 * space: the extended registers (0x100-0xfff) read as all ones, as an
 * absent capability list, and ignore writes.
 *
 * SMRAM beyond the i440FX's (QEMU's q35 semantics):
 *   - ESMRAMC (0x9e): H_SMRAME moves SMRAM from 0xa0000 to 0xfeda0000
 *     (the same RAM): with D_OPEN everyone sees it there and the VGA
 *     window at 0xa0000, with G_SMRAME CPUs in SMM do.  T_EN with
 *     G_SMRAME makes TSEG, the top TSEG_SZ (1, 2, 8 MiB, or 3: the
 *     extended size) of RAM below 4G, SMM-only: everyone else reads all
 *     ones there and writes vanish.  D_LCK also freezes ESMRAMC and leaves
 *     only D_CLS writable in SMRAM.
 *   - EXT_TSEG_MBYTES (0x50, QEMU's): writing 0xffff reads back the
 *     extended TSEG size (property extended-tseg-mbytes, default 16 MiB).
 *   - F_SMBASE (0x9c, QEMU's; property smbase-smram, off for pc-q35-4.1
 *     and older): writing 0xff answers 0x01 (supported); then writing
 *     bit 1 locks 128 KiB of RAM at 0x30000 to SMM until reset.
 *
 * Not modelled: the DRAM registers (TOLUD and friends hold their reset
 * values as data).
 */
#include "hw/pci/q35.h"

#include <inttypes.h>
#include <string.h>

#include "hw/pci/pam.h"
#include "util/log.h"

#define PCIEXBAR_EN         1ull
#define PCIEXBAR_LEN_MASK   (3ull << 1)
#define PCIEXBAR_ADDR_MASK  0x0000000ffc000000ull   /* bits 35:26 */

#define ESMRAMC_H_SMRAME    0x80
#define ESMRAMC_TSEG_SZ     0x06
#define ESMRAMC_T_EN        0x01
#define ESMRAMC_WMASK       (ESMRAMC_H_SMRAME | ESMRAMC_TSEG_SZ | ESMRAMC_T_EN)
#define Q35_EXT_TSEG_MBYTES 0x50
#define Q35_F_SMBASE        0x9c
#define F_SMBASE_IN_RAM     0x01
#define F_SMBASE_LCK        0x02
#define HIGH_SMRAM_BASE     0xfeda0000u
#define SMBASE_ADDR         0x30000u
#define SMBASE_SIZE         0x20000u

typedef struct Q35MCHState {
    PCIDevice pci;
    PAMState pam;
    MemoryRegion mmcfg[3];      /* the window for 256, 128 and 64 buses */
    MemoryRegion *mmcfg_mapped;
    uint64_t below_4g;          /* RAM below 4G: TSEG is its top */
    uint16_t ext_tseg_mbytes;   /* property extended-tseg-mbytes */
    bool smbase_smram;          /* property smbase-smram */
    MemoryRegion open_high_smram;   /* 0xfeda0000 for everyone (D_OPEN, H_SMRAME) */
    MemoryRegion high_smram;        /* 0xfeda0000 in the SMM view */
    MemoryRegion tseg_blackhole, tseg_window;
    MemoryRegion smbase_blackhole, smbase_window;
} Q35MCHState;

static uint32_t mmcfg_cfgaddr(hwaddr addr)
{
    /* CONFIG_ADDRESS form: enable, bus, devfn, register */
    return 0x80000000u | (uint32_t)((addr >> 20) & 0xff) << 16 |
           (uint32_t)((addr >> 12) & 0xff) << 8 | (uint32_t)(addr & 0xff);
}

static uint64_t mmcfg_read(void *opaque, hwaddr addr, unsigned size)
{
    Q35MCHState *s = opaque;
    if ((addr & 0xfff) >= 0x100 || size > 4 || (addr & (size - 1))) {
        return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
    }
    return pci_host_config_read(s->pci.bus, mmcfg_cfgaddr(addr), size);
}

static void mmcfg_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    Q35MCHState *s = opaque;
    if ((addr & 0xfff) >= 0x100 || size > 4 || (addr & (size - 1))) {
        vlog(LOG_GUEST_ERRORS, "q35: MMCONFIG write of %u bytes at 0x%" PRIx64 " ignored\n",
             size, (uint64_t)addr);
        return;
    }
    pci_host_config_write(s->pci.bus, mmcfg_cfgaddr(addr), (uint32_t)val, size);
}

static const MemoryRegionOps mmcfg_ops = {
    .read = mmcfg_read,
    .write = mmcfg_write,
    .min_access = 1,
    .max_access = 4,
};

static void q35_update_pciexbar(Q35MCHState *s)
{
    uint64_t bar = pci_get_quad(s->pci.config + Q35_MCH_PCIEXBAR);
    unsigned len = (bar & PCIEXBAR_LEN_MASK) >> 1;
    if (len == 3) {
        vlog(LOG_GUEST_ERRORS, "q35: reserved PCIEXBAR length\n");
    }
    bool on = (bar & PCIEXBAR_EN) && len < 3;

    memory_transaction_begin();
    if (s->mmcfg_mapped) {
        memory_region_del_subregion(s->pam.system, s->mmcfg_mapped);
        s->mmcfg_mapped = NULL;
    }
    if (on) {
        MemoryRegion *mr = &s->mmcfg[len];
        uint64_t base = bar & PCIEXBAR_ADDR_MASK & ~(mr->size - 1);
        memory_region_add_subregion_overlap(s->pam.system, base, mr, 1);
        s->mmcfg_mapped = mr;
    }
    memory_transaction_commit();
}

/* Reads of all ones, writes dropped: SMRAM as the rest of the system
 * sees it. */
static uint64_t blackhole_read(void *opaque, hwaddr addr, unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void blackhole_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
}

static const MemoryRegionOps blackhole_ops = {
    .read = blackhole_read,
    .write = blackhole_write,
    .min_access = 1,
    .max_access = 8,
};

static uint64_t q35_tseg_size(Q35MCHState *s)
{
    uint8_t esmramc = s->pci.config[Q35_MCH_ESMRAMC];
    if (!(esmramc & ESMRAMC_T_EN) || !(s->pci.config[Q35_MCH_SMRAM] & SMRAM_G_SMRAME)) {
        return 0;
    }
    static const unsigned mb[3] = { 1, 2, 8 };
    unsigned sz = (esmramc & ESMRAMC_TSEG_SZ) >> 1;
    uint64_t size = (uint64_t)(sz < 3 ? mb[sz] : s->ext_tseg_mbytes) << 20;
    return MIN(size, s->below_4g);
}

static void q35_update_memory(Q35MCHState *s)
{
    uint8_t smram = s->pci.config[Q35_MCH_SMRAM];
    bool h_smrame = s->pci.config[Q35_MCH_ESMRAMC] & ESMRAMC_H_SMRAME;

    memory_transaction_begin();
    pam_update(&s->pam, s->pci.config + Q35_MCH_PAM0, smram);
    /* H_SMRAME: SMRAM shows at 0xfeda0000 instead of 0xa0000 */
    if (h_smrame) {
        memory_region_set_enabled(&s->pam.smram_pci, true);
        memory_region_set_enabled(&s->open_high_smram, smram & SMRAM_D_OPEN);
        if (s->pam.smram) {
            memory_region_set_enabled(&s->pam.smram_low, false);
        }
    } else {
        memory_region_set_enabled(&s->open_high_smram, false);
    }
    if (s->pam.smram) {
        memory_region_set_enabled(&s->high_smram, h_smrame && (smram & SMRAM_G_SMRAME));
    }

    uint64_t tseg = q35_tseg_size(s);
    memory_region_set_enabled(&s->tseg_blackhole, tseg != 0);
    if (tseg) {
        memory_region_set_size(&s->tseg_blackhole, tseg);
        memory_region_set_address(&s->tseg_blackhole, s->below_4g - tseg);
    }
    if (s->pam.smram) {
        memory_region_set_enabled(&s->tseg_window, tseg != 0);
        if (tseg) {
            memory_region_set_size(&s->tseg_window, tseg);
            memory_region_set_address(&s->tseg_window, s->below_4g - tseg);
            memory_region_set_alias_offset(&s->tseg_window, s->below_4g - tseg);
        }
    }

    bool smbase_lck = s->smbase_smram && (s->pci.config[Q35_F_SMBASE] & F_SMBASE_LCK);
    memory_region_set_enabled(&s->smbase_blackhole, smbase_lck);
    if (s->pam.smram) {
        memory_region_set_enabled(&s->smbase_window, smbase_lck);
    }
    memory_transaction_commit();
}

/* F_SMBASE: QEMU's negotiation of SMRAM at the default SMBASE */
static void q35_smbase_written(Q35MCHState *s)
{
    PCIDevice *d = &s->pci;
    uint8_t *reg = &d->config[Q35_F_SMBASE];
    if (!s->smbase_smram) {
        return;                         /* plain data, as older machines */
    }
    if (*reg == 0xff) {                 /* the query */
        d->wmask[Q35_F_SMBASE] = F_SMBASE_LCK;
        *reg = F_SMBASE_IN_RAM;
        return;
    }
    if (d->wmask[Q35_F_SMBASE] == 0xff) {
        *reg = 0;                       /* not negotiated: writes discarded */
    }
    if (*reg & F_SMBASE_LCK) {
        d->wmask[Q35_F_SMBASE] = 0;
        *reg = F_SMBASE_LCK;
    }
}

static bool overlaps(uint32_t addr, int len, uint32_t reg, int reglen)
{
    return addr < reg + reglen && addr + len > reg;
}

static void q35_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    Q35MCHState *s = DEVICE_CAST(Q35MCHState, d);

    if (overlaps(addr, len, Q35_MCH_SMRAM, 1)) {
        smram_reg_written(d, Q35_MCH_SMRAM);
        if (d->config[Q35_MCH_SMRAM] & SMRAM_D_LCK) {
            d->wmask[Q35_MCH_SMRAM] = SMRAM_D_CLS;
            d->wmask[Q35_MCH_ESMRAMC] = 0;
        }
    }
    if (overlaps(addr, len, Q35_EXT_TSEG_MBYTES, 2) && s->ext_tseg_mbytes &&
        pci_get_word(d->config + Q35_EXT_TSEG_MBYTES) == 0xffff) {
        pci_set_word(d->config + Q35_EXT_TSEG_MBYTES, s->ext_tseg_mbytes);
    }
    if (overlaps(addr, len, Q35_F_SMBASE, 1)) {
        q35_smbase_written(s);
    }
    if (overlaps(addr, len, Q35_MCH_PAM0, PAM_REGS) || overlaps(addr, len, Q35_MCH_SMRAM, 2) ||
        overlaps(addr, len, Q35_F_SMBASE, 1)) {
        q35_update_memory(s);
    }
    if (overlaps(addr, len, Q35_MCH_PCIEXBAR, 8)) {
        q35_update_pciexbar(s);
    }
}

static void q35_pci_reset(PCIDevice *d)
{
    Q35MCHState *s = DEVICE_CAST(Q35MCHState, d);
    d->wmask[Q35_MCH_SMRAM] = SMRAM_WMASK;
    d->wmask[Q35_MCH_ESMRAMC] = ESMRAMC_WMASK;
    d->wmask[Q35_F_SMBASE] = 0xff;
    q35_update_memory(s);
    q35_update_pciexbar(s);
}

static void q35_reset(Device *dev)
{
    pci_device_reset(DEVICE_CAST(PCIDevice, dev));
}

static bool q35_realize(Device *dev, GError **errp)
{
    Q35MCHState *s = DEVICE_CAST(Q35MCHState, dev);
    PCIDevice *d = &s->pci;

    if (!s->pam.system || !s->pam.ram || !s->pam.pci_mem) {
        vireo_set_error(errp, "mch: created without its memory regions");
        return false;
    }
    if (s->pam.ram->size < 0x100000) {
        vireo_set_error(errp, "mch: needs at least 1M of RAM to shadow the BIOS");
        return false;
    }
    d->devfn = PCI_DEVFN(0, 0);
    if (!pci_device_init(d, NULL, 0x8086, 0x29c0, 0x0600, 0x00, errp)) {
        return false;
    }
    d->name = "mch";
    /* The MCH's registers (0x40-0xff: DRAM, PCIEXBAR, PAM, SMRAM, TOLUD...)
     * are held as data unless decoded below. */
    for (int a = 0x40; a < 0x100; a++) {
        d->wmask[a] = 0xff;
    }
    pci_set_quad(d->config + Q35_MCH_PCIEXBAR, Q35_PCIEXBAR_DEFAULT);
    pci_set_quad(d->wmask + Q35_MCH_PCIEXBAR, PCIEXBAR_ADDR_MASK | PCIEXBAR_LEN_MASK | PCIEXBAR_EN);
    pam_config_init(d, Q35_MCH_PAM0, 0x03, Q35_MCH_SMRAM);
    if (s->ext_tseg_mbytes > 0xfff) {
        vireo_set_error(errp, "invalid extended-tseg-mbytes value: %u", s->ext_tseg_mbytes);
        return false;
    }
    d->config[Q35_MCH_ESMRAMC] = 0x38;      /* SM_CACHE, SM_L1, SM_L2 (read-only) */
    d->wmask[Q35_MCH_ESMRAMC] = ESMRAMC_WMASK;
    memcpy(d->reset_config, d->config, sizeof(d->config));
    d->config_write = q35_config_write;
    d->reset = q35_pci_reset;

    for (int i = 0; i < 3; i++) {
        memory_region_init_io(&s->mmcfg[i], &mmcfg_ops, s, "pcie-mmcfg", Q35_PCIEXBAR_SIZE >> i);
    }
    pam_init(&s->pam);
    MemoryRegion *sys = s->pam.system, *ram = s->pam.ram;
    memory_region_init_alias(&s->open_high_smram, "smram-open-high", ram, 0xa0000, 0x20000);
    memory_region_set_enabled(&s->open_high_smram, false);
    memory_region_add_subregion_overlap(sys, HIGH_SMRAM_BASE, &s->open_high_smram, 1);
    memory_region_init_io(&s->tseg_blackhole, &blackhole_ops, s, "tseg-blackhole", 1 << 20);
    memory_region_set_enabled(&s->tseg_blackhole, false);
    memory_region_add_subregion_overlap(sys, s->below_4g - MIN(s->below_4g, 1 << 20),
                                        &s->tseg_blackhole, 1);
    memory_region_init_io(&s->smbase_blackhole, &blackhole_ops, s, "smbase-blackhole",
                          SMBASE_SIZE);
    memory_region_set_enabled(&s->smbase_blackhole, false);
    memory_region_add_subregion_overlap(sys, SMBASE_ADDR, &s->smbase_blackhole, 1);
    if (s->pam.smram) {
        memory_region_init_alias(&s->high_smram, "smram-high", ram, 0xa0000, 0x20000);
        memory_region_set_enabled(&s->high_smram, false);
        memory_region_add_subregion_overlap(s->pam.smram, HIGH_SMRAM_BASE, &s->high_smram, 1);
        memory_region_init_alias(&s->tseg_window, "tseg-window", ram, 0, 1 << 20);
        memory_region_set_enabled(&s->tseg_window, false);
        memory_region_add_subregion_overlap(s->pam.smram, 0, &s->tseg_window, 1);
        memory_region_init_alias(&s->smbase_window, "smbase-window", ram, SMBASE_ADDR,
                                 SMBASE_SIZE);
        memory_region_set_enabled(&s->smbase_window, false);
        memory_region_add_subregion_overlap(s->pam.smram, SMBASE_ADDR, &s->smbase_window, 1);
    }
    q35_update_memory(s);
    return true;
}

static const Property q35_mch_props[] = {
    DEFINE_PROP("extended-tseg-mbytes", PROP_U16, Q35MCHState, ext_tseg_mbytes, "16"),
    DEFINE_PROP("smbase-smram", PROP_BOOL, Q35MCHState, smbase_smram, "on"),
    DEFINE_PROP_END,
};

static const DeviceClass q35_mch_class = {
    .name = "mch",
    .desc = "Intel Q35 memory controller hub (host bridge)",
    .bus = BUS_PCI,
    .instance_size = sizeof(Q35MCHState),
    .user_creatable = false,
    .realize = q35_realize,
    .reset = q35_reset,
    .props = q35_mch_props,
};
DEVICE_REGISTER(q35_mch_class)

PCIBus *q35_host_init(MemoryRegion *system, MemoryRegion *ram, uint64_t below_4g,
                      MemoryRegion *pci_mem, MemoryRegion *pci_io, MemoryRegion *smram)
{
    GError *err = NULL;
    PCIBus *bus = pci_host_bus_new(pci_mem, pci_io);
    Device *dev = device_new("mch", &err);
    if (dev) {
        Q35MCHState *s = DEVICE_CAST(Q35MCHState, dev);
        s->pam.system = system;
        s->pam.ram = ram;
        s->pam.pci_mem = pci_mem;
        s->pam.smram = smram;
        s->below_4g = below_4g;
        if (device_realize(dev, &err)) {
            return bus;
        }
    }
    fatal("%s", err ? err->message : "mch: cannot create");
}

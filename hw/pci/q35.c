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
 * Not modelled: TSEG (ESMRAMC.T_EN; held as data), the DRAM registers
 * (TOLUD and friends hold their reset values as data).
 */
#include "hw/pci/q35.h"

#include <inttypes.h>
#include <string.h>

#include "hw/pci/pam.h"
#include "util/log.h"

#define PCIEXBAR_EN         1ull
#define PCIEXBAR_LEN_MASK   (3ull << 1)
#define PCIEXBAR_ADDR_MASK  0x0000000ffc000000ull   /* bits 35:26 */

typedef struct Q35MCHState {
    PCIDevice pci;
    PAMState pam;
    MemoryRegion mmcfg[3];      /* the window for 256, 128 and 64 buses */
    MemoryRegion *mmcfg_mapped;
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

static void q35_update_memory(Q35MCHState *s)
{
    pam_update(&s->pam, s->pci.config + Q35_MCH_PAM0, s->pci.config[Q35_MCH_SMRAM]);
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
    }
    if (overlaps(addr, len, Q35_MCH_PAM0, PAM_REGS) || overlaps(addr, len, Q35_MCH_SMRAM, 1)) {
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
    d->config[Q35_MCH_ESMRAMC] = 0x38;      /* SM_CACHE, SM_L1, SM_L2 (read-only) */
    d->wmask[Q35_MCH_ESMRAMC] = 0x87;       /* H_SMRAME, TSEG_SZ, T_EN */
    memcpy(d->reset_config, d->config, sizeof(d->config));
    d->config_write = q35_config_write;
    d->reset = q35_pci_reset;

    for (int i = 0; i < 3; i++) {
        memory_region_init_io(&s->mmcfg[i], &mmcfg_ops, s, "pcie-mmcfg", Q35_PCIEXBAR_SIZE >> i);
    }
    pam_init(&s->pam);
    q35_update_memory(s);
    return true;
}

static const DeviceClass q35_mch_class = {
    .name = "mch",
    .desc = "Intel Q35 memory controller hub (host bridge)",
    .bus = BUS_PCI,
    .instance_size = sizeof(Q35MCHState),
    .user_creatable = false,
    .realize = q35_realize,
    .reset = q35_reset,
};
DEVICE_REGISTER(q35_mch_class)

PCIBus *q35_host_init(MemoryRegion *system, MemoryRegion *ram, MemoryRegion *pci_mem,
                      MemoryRegion *pci_io, MemoryRegion *smram)
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
        if (device_realize(dev, &err)) {
            return bus;
        }
    }
    fatal("%s", err ? err->message : "mch: cannot create");
}

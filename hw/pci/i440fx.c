/*
 * i440FX host bridge (82441FX PMC, 8086:1237) of the pc machine.  Register
 * facts from the 82441FX datasheet: PAM0-6 at 0x59-0x5f, SMRAM at 0x72;
 * their behaviour is hw/pci/pam.c's, shared with the Q35 MCH.
 */
#include "hw/pci/i440fx.h"

#include <string.h>

#include "hw/pci/pam.h"
#include "util/log.h"

typedef struct I440FXState {
    PCIDevice pci;
    PAMState pam;
} I440FXState;

static void i440fx_update_memory(I440FXState *s)
{
    pam_update(&s->pam, s->pci.config + I440FX_PAM0, s->pci.config[I440FX_SMRAM]);
}

static void i440fx_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    I440FXState *s = DEVICE_CAST(I440FXState, d);

    if (addr <= I440FX_SMRAM && addr + len > I440FX_SMRAM) {
        smram_reg_written(d, I440FX_SMRAM);
    }
    if ((addr < I440FX_PAM0 + I440FX_PAM_REGS && addr + len > I440FX_PAM0) ||
        (addr <= I440FX_SMRAM && addr + len > I440FX_SMRAM)) {
        i440fx_update_memory(s);
    }
}

static void i440fx_pci_reset(PCIDevice *d)
{
    I440FXState *s = DEVICE_CAST(I440FXState, d);
    d->wmask[I440FX_SMRAM] = SMRAM_WMASK;
    i440fx_update_memory(s);
}

static void i440fx_reset(Device *dev)
{
    pci_device_reset(DEVICE_CAST(PCIDevice, dev));
}

static bool i440fx_realize(Device *dev, GError **errp)
{
    I440FXState *s = DEVICE_CAST(I440FXState, dev);
    PCIDevice *d = &s->pci;

    if (!s->pam.system || !s->pam.ram || !s->pam.pci_mem) {
        vireo_set_error(errp, "i440FX: created without its memory regions");
        return false;
    }
    if (s->pam.ram->size < 0x100000) {
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
    /* PAM nibbles: RE, WE and CE (bit 3 reserved) */
    pam_config_init(d, I440FX_PAM0, 0x07, I440FX_SMRAM);
    memcpy(d->reset_config, d->config, sizeof(d->config));
    d->config_write = i440fx_config_write;
    d->reset = i440fx_pci_reset;

    pam_init(&s->pam);
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

PCIBus *i440fx_init(MemoryRegion *system, MemoryRegion *ram, MemoryRegion *pci_mem,
                    MemoryRegion *pci_io, MemoryRegion *smram)
{
    GError *err = NULL;
    PCIBus *bus = pci_host_bus_new(pci_mem, pci_io);
    Device *dev = device_new("i440FX", &err);
    if (dev) {
        I440FXState *s = DEVICE_CAST(I440FXState, dev);
        s->pam.system = system;
        s->pam.ram = ram;
        s->pam.pci_mem = pci_mem;
        s->pam.smram = smram;
        if (device_realize(dev, &err)) {
            return bus;
        }
    }
    fatal("%s", err ? err->message : "i440FX: cannot create");
}

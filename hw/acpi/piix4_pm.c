/*
 * PIIX4 power-management function (82371AB function 3, 8086:7113) as the
 * pc machine has it at 00:01.3: the ACPI fixed hardware (PM1 event and
 * control registers, the PM timer), the SCI, the GPE0 block and the APM
 * control/status ports.
 *
 * Register facts: 82371AB datasheet (PMBA at config 0x40 bits 15:6,
 * PMREGMISC 0x80 bit 0 PMIOSE, SMBBA 0x90 bits 15:4, SMBHSTCFG 0xd2 bit 0,
 * DEVACTB 0x58 with APMC_EN bit 25) and the ACPI specification (PM1
 * registers, TMR_STS on every change of timer bit 23, SCI is level).
 *
 * APM: a write to 0xb2 (APMC) raises SMI# while DEVACTB.APMC_EN is set,
 * as QEMU's PIIX4 does (GLBCTL.SMI_EN is held as data and not required,
 * as there).  ACPI_ENABLE/ACPI_DISABLE never reach SMM: the write itself
 * sets or clears SCI_EN, since no firmware here has an SMI handler for
 * them.  APMC_EN comes up clear, so SeaBIOS relocates SMBASE through such
 * an SMI at boot.  A machine without SMM (no SMI# line, -machine smm=off)
 * has APMC_EN set from reset, the way a machine whose firmware already set
 * SMM up looks, and SeaBIOS leaves SMM alone.
 */
#include "hw/acpi/acpi.h"

#include <string.h>

#include "hw/core/device.h"
#include "hw/core/timer.h"
#include "hw/isa/isa.h"
#include "hw/pci/pci.h"
#include "system/runstate.h"
#include "util/log.h"

#define PIIX4_PMBA          0x40
#define PIIX4_DEVACTB       0x58
#define  PIIX4_DEVACTB_APMC_EN (1u << 25)
#define PIIX4_PMREGMISC     0x80
#define PIIX4_SMBBA         0x90
#define PIIX4_SMBHSTCFG     0xd2

typedef struct PIIX4PMState {
    PCIDevice pci;
    IRQ sci;
    IRQ smi;                /* SMI#, NULL without SMM */
    AcpiPM pm;              /* PM1, timer, GPE0 (hw/acpi/acpi-pm.c) */
    MemoryRegion io, gpe_io, apm_io;
    bool io_mapped;
    uint8_t apm_cnt, apm_sts;
    /* The rest of the PM block (GPSTS..GPOREG) is held as data. */
    uint8_t misc[ACPI_PM_IO_SIZE];
    /* ACPI PCI hot-plug (bus 0): slot bitmaps */
    MemoryRegion hp_io;
    uint32_t hp_up, hp_down;
    HotplugHandler hotplug;
} PIIX4PMState;

/* ---- PM I/O block ---- */

static uint64_t pm_io_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint64_t val = acpi_pm1_read(&s->pm, addr, size);
    for (unsigned i = 0; i < size; i++) {
        unsigned off = addr + i;
        if (!acpi_pm1_owns(off)) {
            val |= (uint64_t)(off < ACPI_PM_IO_SIZE ? s->misc[off] : 0xff) << (8 * i);
        }
    }
    return val;
}

static void pm_io_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = addr + i;
        if (!acpi_pm1_owns(off) && off < ACPI_PM_IO_SIZE) {
            s->misc[off] = val >> (8 * i);
        }
    }
    acpi_pm1_write(&s->pm, addr, val, size);
}

static const MemoryRegionOps pm_io_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- GPE0 block: 2 bytes of status (write 1 to clear), 2 of enable ---- */

static uint64_t gpe_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;
    return acpi_gpe_read(&s->pm, addr, size);
}

static void gpe_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    acpi_gpe_write(&s->pm, addr, val, size);
}

static const MemoryRegionOps gpe_ops = {
    .read = gpe_read,
    .write = gpe_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- APM control (0xb2) and status (0xb3) ---- */

static uint64_t apm_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;
    return addr == 0 ? s->apm_cnt : s->apm_sts;
}

static void apm_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    if (addr == 1) {
        s->apm_sts = val;
        return;
    }
    s->apm_cnt = val;
    if (val == ACPI_ENABLE_VALUE) {
        acpi_pm_set_sci_en(&s->pm, true);
    } else if (val == ACPI_DISABLE_VALUE) {
        acpi_pm_set_sci_en(&s->pm, false);
    } else if (pci_get_long(s->pci.config + PIIX4_DEVACTB) & PIIX4_DEVACTB_APMC_EN) {
        if (s->smi) {
            irq_pulse(s->smi);
        } else {
            vlog(LOG_UNIMP, "piix4-pm: APM command 0x%02x needs SMM, ignored\n", (unsigned)val);
        }
    }
}

static const MemoryRegionOps apm_ops = {
    .read = apm_read,
    .write = apm_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- PCI config ---- */

/* PMBA/PMIOSE decide where (and whether) the PM block decodes. */
static void pm_io_space_update(PIIX4PMState *s)
{
    uint8_t *c = s->pci.config;
    uint16_t base = pci_get_word(c + PIIX4_PMBA) & 0xffc0;
    bool enable = c[PIIX4_PMREGMISC] & 1;

    memory_transaction_begin();
    if (s->io_mapped) {
        memory_region_del_subregion(address_space_io.root, &s->io);
        s->io_mapped = false;
    }
    if (enable) {
        memory_region_add_subregion(address_space_io.root, base, &s->io);
        s->io_mapped = true;
    }
    memory_transaction_commit();
}

static void piix4_pm_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    PIIX4PMState *s = DEVICE_CAST(PIIX4PMState, d);
    if ((addr < PIIX4_PMBA + 4 && addr + len > PIIX4_PMBA) ||
        (addr <= PIIX4_PMREGMISC && addr + len > PIIX4_PMREGMISC)) {
        pm_io_space_update(s);
    }
}

/* ---- ACPI PCI hot-plug ---- */

static void pcihp_event(PIIX4PMState *s)
{
    acpi_gpe_event(&s->pm, ACPI_GPE_PCI_HOTPLUG);
}

static void pcihp_plug(void *opaque, Device *dev)
{
    PIIX4PMState *s = opaque;
    s->hp_up |= 1u << PCI_SLOT(DEVICE_CAST(PCIDevice, dev)->devfn);
    pcihp_event(s);
}

static bool pcihp_unplug_request(void *opaque, Device *dev, GError **errp)
{
    PIIX4PMState *s = opaque;
    s->hp_down |= 1u << PCI_SLOT(DEVICE_CAST(PCIDevice, dev)->devfn);
    pcihp_event(s);
    return true;
}

/* EJ: the guest (its _EJ0) gave the slot up: its functions go. */
static void pcihp_eject(PIIX4PMState *s, int slot)
{
    s->hp_up &= ~(1u << slot);
    s->hp_down &= ~(1u << slot);
    for (int fn = 7; fn >= 0; fn--) {
        PCIDevice *d = pci_bus_find(s->pci.bus, PCI_DEVFN(slot, fn));
        if (d && d->qdev.cls->hotpluggable) {
            device_unplug(&d->qdev);
        }
    }
}

static uint64_t pcihp_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint32_t v = 0;
    switch (addr & ~3) {
    case ACPI_PCIHP_UP:
        v = s->hp_up;
        break;
    case ACPI_PCIHP_DOWN:
        v = s->hp_down;
        break;
    case ACPI_PCIHP_RMV:
        v = ~pci_bus_fixed_slots(s->pci.bus);
        break;
    default:                 /* EJ reads 0; SEL: bus 0 */
        break;
    }
    return (v >> (8 * (addr & 3))) & (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
}

static void pcihp_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    if (addr == ACPI_PCIHP_EJ && size == 4 && (uint32_t)val) {
        pcihp_eject(s, __builtin_ctz((uint32_t)val));
    }
    /* UP, DOWN and RMV are read-only; SEL selects bus 0, the only one */
}

static const MemoryRegionOps pcihp_ops = {
    .read = pcihp_read,
    .write = pcihp_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- life cycle ---- */

static void piix4_pm_pci_reset(PCIDevice *d)
{
    PIIX4PMState *s = DEVICE_CAST(PIIX4PMState, d);
    s->apm_cnt = s->apm_sts = 0;
    memset(s->misc, 0, sizeof(s->misc));
    pm_io_space_update(s);
    acpi_pm_reset(&s->pm);
}

static void piix4_pm_reset(Device *dev)
{
    PIIX4PMState *s = DEVICE_CAST(PIIX4PMState, dev);
    pci_device_reset(&s->pci);
    /* as QEMU: a removal the guest never acknowledged completes at reset */
    while (s->hp_down) {
        pcihp_eject(s, __builtin_ctz(s->hp_down));
    }
    s->hp_up = 0;
}

static bool piix4_pm_realize(Device *dev, GError **errp)
{
    PIIX4PMState *s = DEVICE_CAST(PIIX4PMState, dev);
    PCIDevice *d = &s->pci;
    uint8_t *c = d->config;

    d->devfn = PCI_DEVFN(1, 3);
    if (!pci_device_init(d, d->bus, 0x8086, 0x7113, 0x0680, 0x03, errp)) {
        return false;
    }
    d->name = "PIIX4_PM";
    pci_set_interrupt_pin(d, 1);
    /* Power-on values: the I/O space indicator bit of both base registers
     * reads 1; without SMM, SMM already set up as far as firmware can
     * tell (above). */
    pci_set_long(c + PIIX4_PMBA, 0x00000001);
    pci_set_long(c + PIIX4_SMBBA, 0x00000001);
    pci_set_long(c + PIIX4_DEVACTB, s->smi ? 0 : PIIX4_DEVACTB_APMC_EN);
    /* The function's registers are held as data, except the fixed bits of
     * the two base registers. */
    for (int a = 0x40; a < 0x100; a++) {
        d->wmask[a] = 0xff;
    }
    d->wmask[PIIX4_PMBA] = 0xc0;
    d->wmask[PIIX4_PMBA + 2] = d->wmask[PIIX4_PMBA + 3] = 0;
    d->wmask[PIIX4_SMBBA] = 0xf0;
    d->wmask[PIIX4_SMBBA + 2] = d->wmask[PIIX4_SMBBA + 3] = 0;
    memcpy(d->reset_config, c, sizeof(d->config));
    d->config_write = piix4_pm_config_write;
    d->reset = piix4_pm_pci_reset;

    if (!s->sci) {
        s->sci = isa_get_irq(ACPI_SCI_IRQ);
    }
    acpi_pm_init(&s->pm, s->sci, ACPI_GPE0_LEN, "piix4-pm");
    memory_region_init_io(&s->io, &pm_io_ops, s, "piix4-pm", ACPI_PM_IO_SIZE);
    isa_register_ioport(&s->gpe_io, &gpe_ops, s, "acpi-gpe0", ACPI_GPE0_BASE, ACPI_GPE0_LEN);
    isa_register_ioport(&s->apm_io, &apm_ops, s, "apm", ACPI_APM_CNT_PORT, 2);
    isa_register_ioport(&s->hp_io, &pcihp_ops, s, "acpi-pci-hotplug", ACPI_PCIHP_BASE,
                        ACPI_PCIHP_LEN);
    s->hotplug = (HotplugHandler){ pcihp_plug, pcihp_unplug_request, s };
    pci_bus_set_hotplug_handler(d->bus, &s->hotplug);
    return true;
}

static const DeviceClass piix4_pm_class = {
    .name = "PIIX4_PM",
    .desc = "Intel 82371AB power management (ACPI)",
    .bus = BUS_PCI,
    .instance_size = sizeof(PIIX4PMState),
    .user_creatable = false,
    .realize = piix4_pm_realize,
    .reset = piix4_pm_reset,
};
DEVICE_REGISTER(piix4_pm_class)

PCIDevice *piix4_pm_init(PCIBus *bus, IRQ sci, IRQ smi)
{
    GError *err = NULL;
    Device *dev = device_new("PIIX4_PM", &err);
    if (dev) {
        DEVICE_CAST(PIIX4PMState, dev)->sci = sci;
        DEVICE_CAST(PIIX4PMState, dev)->smi = smi;
        DEVICE_CAST(PCIDevice, dev)->bus = bus;
        if (device_realize(dev, &err)) {
            return DEVICE_CAST(PCIDevice, dev);
        }
    }
    fatal("%s", err ? err->message : "PIIX4_PM: cannot create");
}

void piix4_pm_power_button(PCIDevice *pm)
{
    PIIX4PMState *s = DEVICE_CAST(PIIX4PMState, pm);
    acpi_pm_power_button(&s->pm);
}

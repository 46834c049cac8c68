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

#define PM1_STS_MASK    (ACPI_BITMASK_TIMER | ACPI_BITMASK_BM | ACPI_BITMASK_GBL | \
                         ACPI_BITMASK_PWRBTN | ACPI_BITMASK_RTC | ACPI_BITMASK_WAK)
#define PM1_EN_MASK     (ACPI_BITMASK_TIMER | ACPI_BITMASK_GBL | ACPI_BITMASK_PWRBTN | \
                         ACPI_BITMASK_RTC)
#define PM1_CNT_MASK    (ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP)

/* Bit 23 of the timer changes every 2^23 ticks. */
#define PM_TMR_HALF     (1ull << (ACPI_PM_TIMER_BITS - 1))

typedef struct PIIX4PMState {
    PCIDevice pci;
    IRQ sci;
    IRQ smi;                /* SMI#, NULL without SMM */
    MemoryRegion io, gpe_io, apm_io;
    bool io_mapped;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint8_t apm_cnt, apm_sts;
    /* The rest of the PM block (GPSTS..GPOREG) is held as data. */
    uint8_t misc[ACPI_PM_IO_SIZE];
    Timer *tmr_timer;
    int64_t tmr_next_ns;     /* when bit 23 next changes */
    bool sci_level;
    /* ACPI PCI hot-plug (bus 0): slot bitmaps */
    MemoryRegion hp_io;
    uint32_t hp_up, hp_down;
    HotplugHandler hotplug;
} PIIX4PMState;

static uint64_t pm_timer_ticks(int64_t ns)
{
    return muldiv64(ns, ACPI_PM_TIMER_FREQ, NANOSECONDS_PER_SECOND);
}

/* First time strictly after now at which bit 23 of the timer changes. */
static int64_t pm_timer_next_toggle(int64_t now)
{
    uint64_t next = (pm_timer_ticks(now) / PM_TMR_HALF + 1) * PM_TMR_HALF;
    /* ceil(next * 1e9 / freq): the first ns whose tick count reaches next */
    return (int64_t)(((unsigned __int128)next * NANOSECONDS_PER_SECOND + ACPI_PM_TIMER_FREQ - 1)
                     / ACPI_PM_TIMER_FREQ);
}

/* Latch TMR_STS if bit 23 changed since we last looked. */
static void pm_timer_update_status(PIIX4PMState *s, int64_t now)
{
    if (now >= s->tmr_next_ns) {
        s->pm1_sts |= ACPI_BITMASK_TIMER;
        s->tmr_next_ns = pm_timer_next_toggle(now);
    }
}

static void pm_update_sci(PIIX4PMState *s)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    pm_timer_update_status(s, now);

    /* With SCI_EN clear the events would go to SMI; as on QEMU's PIIX4,
     * they raise nothing then. */
    bool level = (s->pm1_cnt & ACPI_PM1_CNT_SCI_EN) &&
                 ((s->pm1_sts & s->pm1_en & PM1_EN_MASK) || (s->gpe_sts & s->gpe_en));
    if (level != s->sci_level) {
        s->sci_level = level;
        irq_set(s->sci, level);
    }

    /* Only an enabled timer event needs a wake-up; otherwise TMR_STS is
     * computed when read. */
    if ((s->pm1_en & ACPI_BITMASK_TIMER) && !(s->pm1_sts & ACPI_BITMASK_TIMER)) {
        timer_mod(s->tmr_timer, s->tmr_next_ns);
    } else {
        timer_del(s->tmr_timer);
    }
}

static void pm_timer_cb(void *opaque)
{
    pm_update_sci(opaque);
}

static void pm_sleep(PIIX4PMState *s, unsigned typ)
{
    if (typ == ACPI_SLP_TYP_S5) {
        /* Soft off: the main loop exits (or stops with -no-shutdown). */
        system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    } else {
        vlog(LOG_UNIMP, "piix4-pm: sleep type %u not supported, ignored\n", typ);
    }
}

/* ---- PM I/O block ---- */

static uint8_t pm_io_read_byte(PIIX4PMState *s, unsigned off, uint32_t tmr)
{
    switch (off) {
    case ACPI_PM1_STS:      return s->pm1_sts;
    case ACPI_PM1_STS + 1:  return s->pm1_sts >> 8;
    case ACPI_PM1_EN:       return s->pm1_en;
    case ACPI_PM1_EN + 1:   return s->pm1_en >> 8;
    case ACPI_PM1_CNT:      return s->pm1_cnt;
    case ACPI_PM1_CNT + 1:  return s->pm1_cnt >> 8;
    case ACPI_PM_TMR ... ACPI_PM_TMR + 3:
        return tmr >> (8 * (off - ACPI_PM_TMR));
    default:
        return off < ACPI_PM_IO_SIZE ? s->misc[off] : 0xff;
    }
}

static uint64_t pm_io_read(void *opaque, hwaddr addr, unsigned size)
{
    PIIX4PMState *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    uint32_t tmr = pm_timer_ticks(now) & ((1u << ACPI_PM_TIMER_BITS) - 1);
    uint64_t val = 0;

    pm_timer_update_status(s, now);
    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)pm_io_read_byte(s, addr + i, tmr) << (8 * i);
    }
    return val;
}

static void pm_io_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint16_t sts_clear = 0, en = s->pm1_en, cnt = s->pm1_cnt;
    bool cnt_written = false;

    pm_timer_update_status(s, clock_get_ns(CLOCK_VIRTUAL));
    for (unsigned i = 0; i < size; i++) {
        unsigned off = addr + i;
        uint8_t b = val >> (8 * i);
        unsigned sh = 8 * (off & 1);
        switch (off) {
        case ACPI_PM1_STS ... ACPI_PM1_STS + 1:
            sts_clear |= b << sh;
            break;
        case ACPI_PM1_EN ... ACPI_PM1_EN + 1:
            en = (en & ~(0xff << sh)) | (b << sh);
            break;
        case ACPI_PM1_CNT ... ACPI_PM1_CNT + 1:
            cnt = (cnt & ~(0xff << sh)) | (b << sh);
            cnt_written = true;
            break;
        case ACPI_PM_TMR ... ACPI_PM_TMR + 3:
            vlog(LOG_GUEST_ERRORS, "piix4-pm: write to the read-only PM timer\n");
            break;
        default:
            if (off < ACPI_PM_IO_SIZE) {
                s->misc[off] = b;
            }
            break;
        }
    }
    s->pm1_sts &= ~(sts_clear & PM1_STS_MASK);
    s->pm1_en = en & PM1_EN_MASK;
    if (cnt_written) {
        s->pm1_cnt = cnt & PM1_CNT_MASK;
        if (cnt & ACPI_PM1_CNT_SLP_EN) {
            pm_sleep(s, (cnt & ACPI_PM1_CNT_SLP_TYP) >> ACPI_PM1_CNT_SLP_TYP_SHIFT);
        }
    }
    pm_update_sci(s);
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
    uint32_t regs = s->gpe_sts | ((uint32_t)s->gpe_en << 16);
    uint64_t val = 0;
    for (unsigned i = 0; i < size && addr + i < ACPI_GPE0_LEN; i++) {
        val |= (uint64_t)((regs >> (8 * (addr + i))) & 0xff) << (8 * i);
    }
    return val;
}

static void gpe_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PIIX4PMState *s = opaque;
    for (unsigned i = 0; i < size && addr + i < ACPI_GPE0_LEN; i++) {
        unsigned off = addr + i;
        uint16_t b = (val >> (8 * i)) & 0xff;
        unsigned sh = 8 * (off & 1);
        if (off < 2) {
            s->gpe_sts &= ~(b << sh);
        } else {
            s->gpe_en = (s->gpe_en & ~(0xff << sh)) | (b << sh);
        }
    }
    pm_update_sci(s);
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
        s->pm1_cnt |= ACPI_PM1_CNT_SCI_EN;
    } else if (val == ACPI_DISABLE_VALUE) {
        s->pm1_cnt &= ~ACPI_PM1_CNT_SCI_EN;
    } else if (pci_get_long(s->pci.config + PIIX4_DEVACTB) & PIIX4_DEVACTB_APMC_EN) {
        if (s->smi) {
            irq_pulse(s->smi);
        } else {
            vlog(LOG_UNIMP, "piix4-pm: APM command 0x%02x needs SMM, ignored\n", (unsigned)val);
        }
    }
    pm_update_sci(s);
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
    s->gpe_sts |= 1u << ACPI_GPE_PCI_HOTPLUG;
    pm_update_sci(s);
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
    s->pm1_sts = s->pm1_en = s->pm1_cnt = 0;
    s->gpe_sts = s->gpe_en = 0;
    s->apm_cnt = s->apm_sts = 0;
    memset(s->misc, 0, sizeof(s->misc));
    s->tmr_next_ns = pm_timer_next_toggle(clock_get_ns(CLOCK_VIRTUAL));
    pm_io_space_update(s);
    pm_update_sci(s);
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
    s->tmr_timer = timer_new(CLOCK_VIRTUAL, pm_timer_cb, s);
    memory_region_init_io(&s->io, &pm_io_ops, s, "piix4-pm", ACPI_PM_IO_SIZE);
    isa_register_ioport(&s->gpe_io, &gpe_ops, s, "acpi-gpe0", ACPI_GPE0_BASE, ACPI_GPE0_LEN);
    isa_register_ioport(&s->apm_io, &apm_ops, s, "apm", ACPI_APM_CNT_PORT, 2);
    isa_register_ioport(&s->hp_io, &pcihp_ops, s, "acpi-pci-hotplug", ACPI_PCIHP_BASE,
                        ACPI_PCIHP_LEN);
    s->hotplug = (HotplugHandler){ pcihp_plug, pcihp_unplug_request, s };
    pci_bus_set_hotplug_handler(d->bus, &s->hotplug);
    s->tmr_next_ns = pm_timer_next_toggle(clock_get_ns(CLOCK_VIRTUAL));
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
    s->pm1_sts |= ACPI_BITMASK_PWRBTN;
    pm_update_sci(s);
}

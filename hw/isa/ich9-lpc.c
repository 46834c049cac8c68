/*
 * ICH9 LPC bridge (see ich9-lpc.h).  Register facts from the Intel I/O
 * Controller Hub 9 (ICH9) Family datasheet, 13.1 (LPC configuration) and
 * 13.8 (power management I/O):
 *   PMBASE 0x40   bits 15:7 base of the 128-byte PM block, bit 0 reads 1
 *   ACPI_CNTL 0x44  bit 7 ACPI_EN (the PM block decodes), bits 2:0 the
 *                 SCI's IRQ (0: 9, 1: 10, 2: 11; 4-7: 20-23)
 *   PIRQx_ROUT 0x60-0x63, 0x68-0x6b  bit 7 IRQEN# (1: not routed to the
 *                 8259s), bits 3:0 the ISA IRQ
 *   RCBA 0xf0     bit 0 enable, bits 31:14 base of the 16K chipset
 *                 configuration registers
 *   RST_CNT 0xcf9 bit 2 RST_CPU starts a reset, bit 1 SYS_RST selects a
 *                 full one
 *   PMBASE+0x00..0x0b  PM1 and the PM timer (hw/acpi/acpi-pm.c)
 *   PMBASE+0x20   GPE0_STS (8 bytes), GPE0_EN (8 bytes)
 *   PMBASE+0x30   SMI_EN: bit 0 GBL_SMI_EN, bit 5 APMC_EN
 *   PMBASE+0x34   SMI_STS: bit 5 APM_STS (write 1 to clear)
 *
 * PCI interrupts: INTx of slots 25-31 reach PIRQA-D by pin; every other
 * slot's reach PIRQE-H as (slot + pin) mod 4 -- the default of the chipset
 * configuration registers QEMU's q35 has, which SeaBIOS's
 * mch_pci_slot_get_irq and the DSDT's _PRT assume.  A routed PIRQ drives
 * its ISA IRQ (both 8259 and I/O APIC pin); PIRQA-H also reach I/O APIC
 * pins 16-23 directly.
 *
 * APM: a write to 0xb2 raises SMI# while SMI_EN.APMC_EN is set (as on
 * QEMU, GBL_SMI_EN is not required), and sets SMI_STS.APM_STS.
 * ACPI_ENABLE (2) and ACPI_DISABLE (3) never reach SMM: the write sets or
 * clears SCI_EN itself, since no firmware here has an SMI handler for
 * them.
 *
 * Not modelled: the chipset configuration registers' function (RCBA maps
 * 16K of plain registers held as data), the TCO watchdog, GPIOs, SCI on
 * IRQ 20-23 (taken as IRQ 9, logged).
 */
#include "hw/isa/ich9-lpc.h"

#include <string.h>

#include "hw/acpi/acpi.h"
#include "hw/isa/elcr.h"
#include "hw/isa/isa.h"
#include "system/runstate.h"
#include "util/log.h"

#define RST_CNT_SYS_RST     0x02
#define RST_CNT_RST_CPU     0x04
#define RCBA_SIZE           0x4000

typedef struct ICH9LPCState {
    PCIDevice pci;
    Device *pic;
    IRQ smi;
    ELCRState elcr;
    uint8_t rst_cnt;
    uint16_t isa_levels;        /* ISA IRQ levels the PIRQs drive */
    IRQ pirq_out[ICH9_NUM_PIRQS];
    uint8_t pirq_levels;
    /* power management */
    AcpiPM pm;
    IRQ sci_in;                 /* what AcpiPM drives; routed by ACPI_CNTL */
    int sci_irq;                /* the ISA IRQ it drives now */
    bool sci_level;
    MemoryRegion pm_io, apm_io;
    bool pm_mapped;
    uint32_t smi_en, smi_sts;
    uint8_t apm_cnt, apm_sts;
    uint8_t pm_misc[ICH9_PMIO_SIZE];
    /* chipset configuration registers */
    MemoryRegion rcba;
    bool rcba_mapped;
} ICH9LPCState;

static uint8_t pirq_route_reg(int p)
{
    return p < 4 ? ICH9_LPC_PIRQA_ROUT + p : ICH9_LPC_PIRQE_ROUT + p - 4;
}

static int ich9_map_irq(PCIDevice *d, int pin)
{
    int slot = PCI_SLOT(d->devfn);
    return slot >= 25 ? pin & 3 : 4 + ((slot + pin) & 3);
}

static bool pirq_routed(uint8_t route)
{
    int irq = route & 0x0f;
    return !(route & 0x80) && irq > 2 && irq != 8 && irq != 13;
}

static void ich9_update_irqs(ICH9LPCState *s)
{
    uint16_t levels = 0;
    uint8_t pirqs = 0;
    for (int p = 0; p < ICH9_NUM_PIRQS; p++) {
        bool up = pci_bus_irq_level(s->pci.bus, p);
        uint8_t route = s->pci.config[pirq_route_reg(p)];
        if (up && pirq_routed(route)) {
            levels |= 1u << (route & 0x0f);
        }
        pirqs |= (up ? 1u : 0u) << p;
    }
    uint8_t pchanged = pirqs ^ s->pirq_levels;
    s->pirq_levels = pirqs;
    for (int p = 0; p < ICH9_NUM_PIRQS; p++) {
        if (pchanged & (1u << p)) {
            irq_set(s->pirq_out[p], (pirqs >> p) & 1);
        }
    }
    /* the SCI shares the ISA IRQ lines (level, active high here) */
    if (s->sci_level) {
        levels |= 1u << s->sci_irq;
    }
    uint16_t changed = levels ^ s->isa_levels;
    s->isa_levels = levels;
    for (int irq = 0; irq < 16; irq++) {
        if (changed & (1u << irq)) {
            irq_set(isa_get_irq(irq), (levels >> irq) & 1);
        }
    }
}

static void ich9_set_pirq(void *opaque, int line, int level)
{
    ich9_update_irqs(opaque);
}

static void ich9_sci(void *opaque, int n, int level)
{
    ICH9LPCState *s = opaque;
    s->sci_level = level;
    ich9_update_irqs(s);
}

static void ich9_update_sci_route(ICH9LPCState *s)
{
    static const int8_t sel[8] = { 9, 10, 11, -1, 20, 21, 22, 23 };
    int irq = sel[s->pci.config[ICH9_LPC_ACPI_CTRL] & 7];
    if (irq < 0 || irq >= 16) {
        vlog(LOG_UNIMP, "ich9-lpc: SCI on IRQ %d not supported, IRQ 9 used\n", irq);
        irq = 9;
    }
    s->sci_irq = irq;
    ich9_update_irqs(s);
}

/* ---- PM I/O block at PMBASE ---- */

static uint64_t pm_io_read(void *opaque, hwaddr addr, unsigned size)
{
    ICH9LPCState *s = opaque;
    uint64_t val = 0;
    if (acpi_pm1_owns(addr)) {
        return acpi_pm1_read(&s->pm, addr, size);
    }
    if (addr >= ICH9_PMIO_GPE0 && addr < ICH9_PMIO_GPE0 + ICH9_PMIO_GPE0_LEN) {
        return acpi_gpe_read(&s->pm, addr - ICH9_PMIO_GPE0, size);
    }
    for (unsigned i = 0; i < size && addr + i < ICH9_PMIO_SIZE; i++) {
        unsigned off = addr + i;
        uint8_t b;
        if (off >= ICH9_PMIO_SMI_EN && off < ICH9_PMIO_SMI_EN + 4) {
            b = s->smi_en >> (8 * (off - ICH9_PMIO_SMI_EN));
        } else if (off >= ICH9_PMIO_SMI_STS && off < ICH9_PMIO_SMI_STS + 4) {
            b = s->smi_sts >> (8 * (off - ICH9_PMIO_SMI_STS));
        } else {
            b = s->pm_misc[off];
        }
        val |= (uint64_t)b << (8 * i);
    }
    return val;
}

static void pm_io_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ICH9LPCState *s = opaque;
    if (acpi_pm1_owns(addr)) {
        acpi_pm1_write(&s->pm, addr, val, size);
        return;
    }
    if (addr >= ICH9_PMIO_GPE0 && addr < ICH9_PMIO_GPE0 + ICH9_PMIO_GPE0_LEN) {
        acpi_gpe_write(&s->pm, addr - ICH9_PMIO_GPE0, val, size);
        return;
    }
    for (unsigned i = 0; i < size && addr + i < ICH9_PMIO_SIZE; i++) {
        unsigned off = addr + i;
        uint32_t b = (val >> (8 * i)) & 0xff;
        if (off >= ICH9_PMIO_SMI_EN && off < ICH9_PMIO_SMI_EN + 4) {
            unsigned sh = 8 * (off - ICH9_PMIO_SMI_EN);
            s->smi_en = (s->smi_en & ~(0xffu << sh)) | b << sh;
        } else if (off >= ICH9_PMIO_SMI_STS && off < ICH9_PMIO_SMI_STS + 4) {
            s->smi_sts &= ~(b << (8 * (off - ICH9_PMIO_SMI_STS)));
        } else {
            s->pm_misc[off] = b;
        }
    }
}

static const MemoryRegionOps pm_io_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- APM control (0xb2) and status (0xb3) ---- */

static uint64_t apm_read(void *opaque, hwaddr addr, unsigned size)
{
    ICH9LPCState *s = opaque;
    return addr == 0 ? s->apm_cnt : s->apm_sts;
}

static void apm_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ICH9LPCState *s = opaque;
    if (addr == 1) {
        s->apm_sts = val;
        return;
    }
    s->apm_cnt = val;
    if (val == ICH9_APM_ACPI_ENABLE) {
        acpi_pm_set_sci_en(&s->pm, true);
    } else if (val == ICH9_APM_ACPI_DISABLE) {
        acpi_pm_set_sci_en(&s->pm, false);
    } else if (s->smi_en & ICH9_SMI_EN_APMC_EN) {
        s->smi_sts |= ICH9_SMI_STS_APM_STS;
        if (s->smi) {
            irq_pulse(s->smi);
        } else {
            vlog(LOG_UNIMP, "ich9-lpc: APM command 0x%02x needs SMM, ignored\n", (unsigned)val);
        }
    }
}

static const MemoryRegionOps apm_ops = {
    .read = apm_read,
    .write = apm_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- reset control (0xcf9) ---- */

static uint8_t ich9_rst_cnt_read(void *opaque)
{
    ICH9LPCState *s = opaque;
    return s->rst_cnt;
}

static void ich9_rst_cnt_write(void *opaque, uint8_t val)
{
    ICH9LPCState *s = opaque;
    if (val & RST_CNT_RST_CPU) {
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        return;
    }
    s->rst_cnt = val & RST_CNT_SYS_RST;
}

/* ---- PCI config ---- */

static void ich9_update_mappings(ICH9LPCState *s)
{
    uint8_t *c = s->pci.config;
    uint16_t pmbase = pci_get_word(c + ICH9_LPC_PMBASE) & 0xff80;
    bool pm_on = c[ICH9_LPC_ACPI_CTRL] & 0x80;
    uint32_t rcba = pci_get_long(c + ICH9_LPC_RCBA);

    memory_transaction_begin();
    if (s->pm_mapped) {
        memory_region_del_subregion(address_space_io.root, &s->pm_io);
        s->pm_mapped = false;
    }
    if (pm_on) {
        memory_region_add_subregion(address_space_io.root, pmbase, &s->pm_io);
        s->pm_mapped = true;
    }
    if (s->rcba_mapped) {
        memory_region_del_subregion(pci_bus_memory(s->pci.bus), &s->rcba);
        s->rcba_mapped = false;
    }
    if (rcba & 1) {
        memory_region_add_subregion_overlap(pci_bus_memory(s->pci.bus), rcba & ~0x3fffu,
                                            &s->rcba, 1);
        s->rcba_mapped = true;
    }
    memory_transaction_commit();
}

static bool overlaps(uint32_t addr, int len, uint32_t reg, int reglen)
{
    return addr < reg + reglen && addr + len > reg;
}

static void ich9_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    ICH9LPCState *s = DEVICE_CAST(ICH9LPCState, d);
    if (overlaps(addr, len, ICH9_LPC_PIRQA_ROUT, 4) || overlaps(addr, len, ICH9_LPC_PIRQE_ROUT, 4)) {
        ich9_update_irqs(s);
    }
    if (overlaps(addr, len, ICH9_LPC_ACPI_CTRL, 1)) {
        ich9_update_sci_route(s);
    }
    if (overlaps(addr, len, ICH9_LPC_PMBASE, 4) || overlaps(addr, len, ICH9_LPC_ACPI_CTRL, 1) ||
        overlaps(addr, len, ICH9_LPC_RCBA, 4)) {
        ich9_update_mappings(s);
    }
}

/* ---- life cycle ---- */

static void ich9_pci_reset(PCIDevice *d)
{
    ICH9LPCState *s = DEVICE_CAST(ICH9LPCState, d);
    s->rst_cnt = 0;
    elcr_reset(&s->elcr);
    /* without SMM, SMM "already set up" as far as firmware can tell */
    s->smi_en = s->smi ? 0 : ICH9_SMI_EN_APMC_EN;
    s->smi_sts = 0;
    s->apm_cnt = s->apm_sts = 0;
    memset(s->pm_misc, 0, sizeof(s->pm_misc));
    memset(s->rcba.ram, 0, RCBA_SIZE);
    ich9_update_mappings(s);
    acpi_pm_reset(&s->pm);
    ich9_update_sci_route(s);
}

static void ich9_reset(Device *dev)
{
    pci_device_reset(DEVICE_CAST(PCIDevice, dev));
}

static bool ich9_realize(Device *dev, GError **errp)
{
    ICH9LPCState *s = DEVICE_CAST(ICH9LPCState, dev);
    PCIDevice *d = &s->pci;
    uint8_t *c = d->config;

    d->devfn = ICH9_LPC_DEVFN;
    if (!pci_device_init(d, d->bus, 0x8086, 0x2918, 0x0601, 0x02, errp)) {
        return false;
    }
    d->name = "ICH9-LPC";
    c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI_FUNCTION;
    pci_set_word(c + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(c + PCI_STATUS, 0x0210);
    /* The bridge's registers (0x40-0xff) are held as data but for the
     * fixed bits of the ones decoded here. */
    for (int a = 0x40; a < 0x100; a++) {
        d->wmask[a] = 0xff;
    }
    pci_set_long(c + ICH9_LPC_PMBASE, 0x00000001);
    d->wmask[ICH9_LPC_PMBASE] = 0x80;
    d->wmask[ICH9_LPC_PMBASE + 2] = d->wmask[ICH9_LPC_PMBASE + 3] = 0;
    d->wmask[ICH9_LPC_ACPI_CTRL] = 0x87;
    for (int p = 0; p < ICH9_NUM_PIRQS; p++) {
        c[pirq_route_reg(p)] = 0x80;            /* not routed */
        d->wmask[pirq_route_reg(p)] = 0x8f;
    }
    d->wmask[ICH9_LPC_RCBA] = 0x01;
    d->wmask[ICH9_LPC_RCBA + 1] = 0xc0;
    memcpy(d->reset_config, c, sizeof(d->config));
    device_init_gpio_out(dev, s->pirq_out, ICH9_NUM_PIRQS);
    d->config_write = ich9_config_write;
    d->reset = ich9_pci_reset;

    pci_bus_set_irq_route(d->bus, ich9_map_irq, ich9_set_pirq, s, ICH9_NUM_PIRQS);
    pci_host_set_cf9_handler(ich9_rst_cnt_read, ich9_rst_cnt_write, s);
    elcr_init(&s->elcr, s->pic);
    s->sci_in = irq_new(ich9_sci, s, 0);
    s->sci_irq = ACPI_SCI_IRQ;
    acpi_pm_init(&s->pm, s->sci_in, ICH9_PMIO_GPE0_LEN, "ich9-lpc");
    memory_region_init_io(&s->pm_io, &pm_io_ops, s, "ich9-pm", ICH9_PMIO_SIZE);
    isa_register_ioport(&s->apm_io, &apm_ops, s, "apm", ACPI_APM_CNT_PORT, 2);
    memory_region_init_ram(&s->rcba, "ich9-rcba", RCBA_SIZE);
    return true;
}

static const DeviceClass ich9_lpc_class = {
    .name = "ICH9-LPC",
    .desc = "Intel ICH9 LPC bridge",
    .bus = BUS_PCI,
    .instance_size = sizeof(ICH9LPCState),
    .user_creatable = false,
    .realize = ich9_realize,
    .reset = ich9_reset,
};
DEVICE_REGISTER(ich9_lpc_class)

PCIDevice *ich9_lpc_init(PCIBus *bus, Device *pic, IRQ smi)
{
    GError *err = NULL;
    Device *dev = device_new("ICH9-LPC", &err);
    if (dev) {
        DEVICE_CAST(ICH9LPCState, dev)->pic = pic;
        DEVICE_CAST(ICH9LPCState, dev)->smi = smi;
        DEVICE_CAST(PCIDevice, dev)->bus = bus;
        if (device_realize(dev, &err)) {
            return DEVICE_CAST(PCIDevice, dev);
        }
    }
    fatal("%s", err ? err->message : "ICH9-LPC: cannot create");
}

void ich9_lpc_power_button(PCIDevice *lpc)
{
    acpi_pm_power_button(&DEVICE_CAST(ICH9LPCState, lpc)->pm);
}

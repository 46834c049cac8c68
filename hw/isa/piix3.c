/*
 * PIIX3 PCI-to-ISA bridge, function 0.  Register facts from the 82371SB
 * datasheet: PIRQRC[A:D] at 0x60-0x63 (bit 7 = routing disabled, bits 3:0
 * = ISA IRQ; 0-2, 8 and 13 are reserved), ELCR1/ELCR2 at I/O 0x4d0/0x4d1
 * (IRQ 0, 1, 2, 8 and 13 are always edge), RC at I/O 0xcf9 (bit 2 RCPU
 * starts a reset, bit 1 SRST selects hard reset).
 *
 * PCI INTx of slot S pin P drive PIRQ[(S - 1 + P) & 3]: the swizzle the
 * BIOS' $PIR table and SeaBIOS' piix_pci_slot_get_irq assume.
 */
#include "hw/isa/piix3.h"

#include <string.h>

#include "hw/isa/elcr.h"
#include "hw/isa/isa.h"
#include "system/runstate.h"
#include "util/log.h"

#define PIIX_NUM_PIRQS  4
#define PIIX_RC_SRST    0x02
#define PIIX_RC_RCPU    0x04

typedef struct PIIX3State {
    PCIDevice pci;
    Device *pic;
    ELCRState elcr;
    uint8_t rc;
    uint16_t isa_levels;        /* ISA IRQ levels we drive, by IRQ number */
    IRQ pirq_out[PIIX_NUM_PIRQS];   /* gpio out 0..3: PIRQA-D as they are, for IOAPIC pins 16-19 */
    uint8_t pirq_levels;
} PIIX3State;

static int piix3_map_irq(PCIDevice *d, int pin)
{
    return (PCI_SLOT(d->devfn) - 1 + pin) & 3;
}

static bool piix3_pirq_valid(uint8_t route)
{
    int irq = route & 0x0f;
    return !(route & 0x80) && irq > 2 && irq != 8 && irq != 13;
}

/* Recompute every ISA IRQ the PIRQs drive: several PIRQs may share an IRQ,
 * and a PIRQ that was re-routed must release its old IRQ. */
static void piix3_update_irqs(PIIX3State *s)
{
    uint16_t levels = 0;
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        uint8_t route = s->pci.config[PIIX_PIRQRC + p];
        if (piix3_pirq_valid(route) && pci_bus_irq_level(s->pci.bus, p)) {
            levels |= 1u << (route & 0x0f);
        }
    }
    /* The PIRQ lines also reach IOAPIC pins 16-19 directly (as on QEMU's
     * pc), whatever the PIC routing registers say. */
    uint8_t pirqs = 0;
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        pirqs |= (pci_bus_irq_level(s->pci.bus, p) ? 1u : 0u) << p;
    }
    uint8_t pchanged = pirqs ^ s->pirq_levels;
    s->pirq_levels = pirqs;
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        if (pchanged & (1u << p)) {
            irq_set(s->pirq_out[p], (pirqs >> p) & 1);
        }
    }
    uint16_t changed = levels ^ s->isa_levels;
    s->isa_levels = levels;
    for (int irq = 0; irq < 16; irq++) {
        if (changed & (1u << irq)) {
            irq_set(isa_get_irq(irq), (levels >> irq) & 1);
        }
    }
}

static void piix3_set_pirq(void *opaque, int line, int level)
{
    piix3_update_irqs(opaque);
}

static void piix3_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    if (addr < PIIX_PIRQRC + PIIX_NUM_PIRQS && addr + len > PIIX_PIRQRC) {
        piix3_update_irqs(DEVICE_CAST(PIIX3State, d));
    }
}

/* ---- reset control (0xcf9) ---- */

static uint8_t piix3_rc_read(void *opaque)
{
    PIIX3State *s = opaque;
    return s->rc;
}

static void piix3_rc_write(void *opaque, uint8_t val)
{
    PIIX3State *s = opaque;
    /* A soft reset (SRST clear) would only INIT the CPU; with no INIT-only
     * path in the machine yet, both kinds reset the system, as QEMU does. */
    if (val & PIIX_RC_RCPU) {
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        return;
    }
    s->rc = val & PIIX_RC_SRST;
}

/* ---- life cycle ---- */

static void piix3_pci_reset(PCIDevice *d)
{
    PIIX3State *s = DEVICE_CAST(PIIX3State, d);
    s->rc = 0;
    elcr_reset(&s->elcr);
    piix3_update_irqs(s);
}

static void piix3_reset(Device *dev)
{
    pci_device_reset(DEVICE_CAST(PCIDevice, dev));
}

static bool piix3_realize(Device *dev, GError **errp)
{
    PIIX3State *s = DEVICE_CAST(PIIX3State, dev);
    PCIDevice *d = &s->pci;
    uint8_t *c = d->config;

    d->devfn = PCI_DEVFN(1, 0);
    if (!pci_device_init(d, d->bus, 0x8086, 0x7000, 0x0601, 0x00, errp)) {
        return false;
    }
    d->name = "PIIX3";
    /* Function 0 of a multi-function device (IDE, USB, PM follow). */
    c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI_FUNCTION;
    pci_set_word(c + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(c + PCI_STATUS, 0x0200);    /* medium DEVSEL */

    /* Datasheet power-on values of the function-specific registers. */
    c[0x4c] = 0x4d;                 /* IORT: ISA I/O recovery timer */
    c[0x4e] = 0x03;                 /* XBCS: BIOS/RTC/keyboard decode */
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        c[PIIX_PIRQRC + p] = 0x80;  /* routing disabled */
    }
    c[0x69] = 0x02;                 /* TOM: top of memory 1M */
    c[0x70] = 0x80;                 /* MBIRQ0 disabled */
    c[0x71] = 0x80;                 /* MBIRQ1 disabled */
    c[0x76] = 0x0c;                 /* MBDMA0 */
    c[0x77] = 0x0c;                 /* MBDMA1 */
    c[0x78] = 0x02;                 /* PCSC */
    c[0xa0] = 0x08;                 /* SMICNTL */
    c[0xa8] = 0x0f;                 /* SEE: system event enable */
    /* 0x4c-0xff are the bridge's configuration registers; hold them as
     * data except the read-only ones below. */
    for (int a = 0x4c; a < 0x100; a++) {
        d->wmask[a] = 0xff;
    }
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        d->wmask[PIIX_PIRQRC + p] = 0x8f;    /* bits 6:4 reserved */
    }
    memcpy(d->reset_config, c, sizeof(d->config));
    device_init_gpio_out(dev, s->pirq_out, PIIX_NUM_PIRQS);

    d->config_write = piix3_config_write;
    d->reset = piix3_pci_reset;
    pci_bus_set_irq_route(d->bus, piix3_map_irq, piix3_set_pirq, s, PIIX_NUM_PIRQS);
    pci_host_set_cf9_handler(piix3_rc_read, piix3_rc_write, s);
    elcr_init(&s->elcr, s->pic);
    return true;
}

static const DeviceClass piix3_class = {
    .name = "PIIX3",
    .desc = "Intel 82371SB PCI-to-ISA bridge",
    .bus = BUS_PCI,
    .instance_size = sizeof(PIIX3State),
    .user_creatable = false,
    .realize = piix3_realize,
    .reset = piix3_reset,
};
DEVICE_REGISTER(piix3_class)

PCIDevice *piix3_init(PCIBus *bus, Device *pic)
{
    GError *err = NULL;
    Device *dev = device_new("PIIX3", &err);
    if (dev) {
        DEVICE_CAST(PIIX3State, dev)->pic = pic;
        DEVICE_CAST(PCIDevice, dev)->bus = bus;
        if (device_realize(dev, &err)) {
            return DEVICE_CAST(PCIDevice, dev);
        }
    }
    fatal("%s", err ? err->message : "PIIX3: cannot create");
}

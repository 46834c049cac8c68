/*
 * I/O APIC (82093AA datasheet; version 0x20 adds the EOI register at 0x40,
 * as QEMU's default IOAPIC has).  IOREGSEL at 0x00 selects an indirect
 * register that IOWIN at 0x10 reads or writes: 0x00 ID, 0x01 version,
 * 0x02 arbitration ID, 0x10 + 2n / 0x11 + 2n the low/high halves of
 * redirection entry n.
 *
 * Edge-triggered pins deliver on a rising edge while unmasked.  A
 * level-triggered pin delivers while asserted and sets remote IRR; the
 * local APIC's EOI for that vector clears it, and a pin still asserted
 * then delivers again.
 */
#include "hw/intc/ioapic.h"

#include "hw/core/memory.h"
#include "hw/intc/apic.h"
#include "util/log.h"

#define IOAPIC_VERSION      0x20
#define IOAPIC_MMIO_SIZE    0x1000

#define RTE_VECTOR_MASK     0xffull
#define RTE_DEST_LOGICAL    (1ull << 11)
#define RTE_DELIV_STATUS    (1ull << 12)
#define RTE_POLARITY_LOW    (1ull << 13)
#define RTE_REMOTE_IRR      (1ull << 14)
#define RTE_LEVEL           (1ull << 15)
#define RTE_MASKED          (1ull << 16)
/* guest-writable bits: all but delivery status and remote IRR */
#define RTE_WRITABLE        (0xff00000000000000ull | 0x1afffull)
/* with interrupt remapping: the remappable format's index and format bit too */
#define RTE_WRITABLE_IR     (0xffff000000000000ull | 0x1afffull)

typedef struct IOAPICState {
    Device dev;
    uint32_t addr_prop;
    MemoryRegion mmio;
    uint8_t id;
    uint8_t regsel;
    uint32_t irr;                 /* pin levels (logical) */
    uint64_t rte[IOAPIC_NUM_PINS];
    IOAPICMSIFn msi_fn;           /* set behind an interrupt-remapping IOMMU */
    void *msi_opaque;
} IOAPICState;

void ioapic_set_msi_handler(Device *dev, IOAPICMSIFn fn, void *opaque)
{
    IOAPICState *s = DEVICE_CAST(IOAPICState, dev);
    s->msi_fn = fn;
    s->msi_opaque = opaque;
}

static void ioapic_deliver(IOAPICState *s, int pin)
{
    uint64_t e = s->rte[pin];
    bool level = e & RTE_LEVEL;
    int mode = (e >> 8) & 7;
    if (level) {
        s->rte[pin] |= RTE_REMOTE_IRR;
    }
    if (s->msi_fn) {
        /* bits 63:48 land in address bits 19:4 (the destination of the
         * compatibility format, or format bit + handle[14:0]), bit 11 in
         * bit 2 (destination mode, or handle[15]) */
        uint64_t addr = 0xfee00000ull | ((e >> 48) << 4) | (((e >> 11) & 1) << 2);
        uint32_t data = (e & RTE_VECTOR_MASK) | (mode << 8) | (level ? 1u << 15 : 0);
        s->msi_fn(s->msi_opaque, addr, data);
        return;
    }
    apic_bus_deliver(e >> 56, e & RTE_DEST_LOGICAL, mode, e & RTE_VECTOR_MASK, level);
}

/* Deliver every asserted, unmasked level pin whose remote IRR is clear. */
static void ioapic_service_level(IOAPICState *s)
{
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t e = s->rte[pin];
        if ((s->irr & (1u << pin)) && (e & RTE_LEVEL) &&
            !(e & (RTE_MASKED | RTE_REMOTE_IRR))) {
            ioapic_deliver(s, pin);
        }
    }
}

static void ioapic_set_irq(void *opaque, int pin, int level)
{
    IOAPICState *s = opaque;
    if (pin < 0 || pin >= IOAPIC_NUM_PINS) {
        return;
    }
    /* The PC board wires ISA IRQ0 to pin 2 (pin 0 would be the 8259's
     * ExtINT, which this machine does not route here); the line arrives
     * with its ISA number, as in QEMU's model. */
    if (pin == 0) {
        pin = 2;
    }
    uint32_t bit = 1u << pin;
    bool was = s->irr & bit;
    uint64_t e = s->rte[pin];
    if (level) {
        s->irr |= bit;
        if (e & RTE_MASKED) {
            return;
        }
        if (e & RTE_LEVEL) {
            if (!(e & RTE_REMOTE_IRR)) {
                ioapic_deliver(s, pin);
            }
        } else if (!was) {
            ioapic_deliver(s, pin);
        }
    } else {
        s->irr &= ~bit;
    }
}

/* Level-triggered EOI, from the local APIC's broadcast or the EOI register. */
static void ioapic_eoi(void *opaque, uint8_t vector)
{
    IOAPICState *s = opaque;
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        if ((s->rte[pin] & RTE_VECTOR_MASK) == vector) {
            s->rte[pin] &= ~RTE_REMOTE_IRR;
        }
    }
    ioapic_service_level(s);
}

static uint32_t ioapic_reg_read(IOAPICState *s)
{
    unsigned r = s->regsel;
    switch (r) {
    case 0x00:
    case 0x02:
        return (uint32_t)s->id << 24;
    case 0x01:
        return IOAPIC_VERSION | ((IOAPIC_NUM_PINS - 1) << 16);
    default:
        if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_NUM_PINS) {
            uint64_t e = s->rte[(r - 0x10) / 2];
            return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
        }
        vlog(LOG_GUEST_ERRORS, "ioapic: read of unknown register 0x%02x\n", r);
        return 0xffffffff;
    }
}

static void ioapic_reg_write(IOAPICState *s, uint32_t val)
{
    unsigned r = s->regsel;
    if (r == 0x00) {
        s->id = (val >> 24) & 0xf;
        return;
    }
    if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_NUM_PINS) {
        vlog(LOG_GUEST_ERRORS, "ioapic: write to read-only/unknown register 0x%02x\n", r);
        return;
    }
    int pin = (r - 0x10) / 2;
    uint64_t e = s->rte[pin];
    uint64_t nv = (r & 1) ? ((uint64_t)val << 32) | (uint32_t)e
                          : (e & 0xffffffff00000000ull) | val;
    uint64_t w = s->msi_fn ? RTE_WRITABLE_IR : RTE_WRITABLE;
    s->rte[pin] = (e & ~w) | (nv & w);
    if (!(s->rte[pin] & RTE_LEVEL)) {
        s->rte[pin] &= ~RTE_REMOTE_IRR;   /* remote IRR is undefined for edge: keep it 0 */
    }
    ioapic_service_level(s);
}

static uint64_t ioapic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IOAPICState *s = opaque;
    switch (addr) {
    case 0x00: return s->regsel;
    case 0x10: return ioapic_reg_read(s);
    default: return 0;
    }
}

static void ioapic_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    IOAPICState *s = opaque;
    switch (addr) {
    case 0x00: s->regsel = val & 0xff; break;
    case 0x10: ioapic_reg_write(s, (uint32_t)val); break;
    case 0x40: ioapic_eoi(s, val & 0xff); break;
    default:
        vlog(LOG_GUEST_ERRORS, "ioapic: write at offset 0x%x ignored\n", (unsigned)addr);
        break;
    }
}

static const MemoryRegionOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .min_access = 1,
    .max_access = 4,
};

static void ioapic_reset(Device *dev)
{
    IOAPICState *s = DEVICE_CAST(IOAPICState, dev);
    s->id = 0;
    s->regsel = 0;
    s->irr = 0;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->rte[i] = RTE_MASKED;
    }
}

static bool ioapic_realize(Device *dev, GError **errp)
{
    IOAPICState *s = DEVICE_CAST(IOAPICState, dev);
    memory_region_init_io(&s->mmio, &ioapic_mmio_ops, s, "ioapic", IOAPIC_MMIO_SIZE);
    memory_region_add_subregion_overlap(address_space_memory.root, s->addr_prop, &s->mmio, 1);
    device_init_gpio_in(dev, ioapic_set_irq, IOAPIC_NUM_PINS);
    apic_set_eoi_handler(ioapic_eoi, s);
    ioapic_reset(dev);
    return true;
}

void ioapic_print_info(Device *dev, GString *out)
{
    IOAPICState *s = DEVICE_CAST(IOAPICState, dev);
    g_string_append_printf(out, "ioapic: ver=0x%x id=0x%02x sel=0x%02x irr=%06x\n",
                           IOAPIC_VERSION, s->id, s->regsel, s->irr);
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        g_string_append_printf(out, "  pin %-2d 0x%016llx\n", i, (unsigned long long)s->rte[i]);
    }
}

static void ioapic_print_info_dev(Device *dev, GString *out)
{
    ioapic_print_info(dev, out);
}

static const Property ioapic_props[] = {
    DEFINE_PROP("addr", PROP_U32, IOAPICState, addr_prop, "0xfec00000"),
    DEFINE_PROP_END,
};

static const DeviceClass ioapic_class = {
    .name = "ioapic",
    .desc = "I/O APIC (82093AA, 24 pins)",
    .bus = BUS_SYSTEM,
    .instance_size = sizeof(IOAPICState),
    .props = ioapic_props,
    .realize = ioapic_realize,
    .reset = ioapic_reset,
    .print_info = ioapic_print_info_dev,
};

DEVICE_REGISTER(ioapic_class)

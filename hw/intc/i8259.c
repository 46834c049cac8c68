/*
 * Intel 8259A programmable interrupt controllers, master and slave
 * cascaded on IRQ2 as in every PC (8259A datasheet: ICW1-4, OCW1-3).
 */
#include "hw/intc/i8259.h"

#include <string.h>

#include "hw/isa/isa.h"
#include "util/log.h"

typedef struct PICChip {
    uint8_t irr, isr, imr;
    uint8_t last_level;      /* input levels, for edge detection */
    uint8_t elcr;            /* level-triggered inputs (ELCR) */
    uint8_t vector_base;
    uint8_t priority_add;    /* rotation: IRQ with highest priority */
    uint8_t init_state;      /* 0 ready, 1 wait ICW2, 2 wait ICW3, 3 wait ICW4 */
    bool need_icw4, single, ltim;
    bool auto_eoi, rotate_on_aeoi, sfnm;
    bool special_mask, poll, read_isr;
    uint8_t icw3;
    MemoryRegion io;
    struct PICState *owner;
} PICChip;

typedef struct PICState {
    Device dev;
    PICChip chip[2];
    IRQ intr;
} PICState;

/* Lowest priority number wins; priority_add rotates. */
static int pic_priority(const PICChip *c, uint8_t mask)
{
    if (!mask) {
        return 8;
    }
    int p = 0;
    while (!(mask & (1 << ((p + c->priority_add) & 7)))) {
        p++;
    }
    return p;
}

/* The IRQ this chip would request now, or -1. */
static int pic_pending(const PICChip *c, bool is_master)
{
    int p = pic_priority(c, c->irr & ~c->imr);
    if (p == 8) {
        return -1;
    }
    uint8_t in_service = c->isr;
    if (c->special_mask) {
        in_service &= ~c->imr;
    }
    /* In special fully nested mode the master lets a higher-priority
     * slave request through while the slave's cascade is in service. */
    if (is_master && c->sfnm) {
        in_service &= ~(1 << 2);
    }
    if (p < pic_priority(c, in_service)) {
        return (p + c->priority_add) & 7;
    }
    return -1;
}

static void pic_chip_set_input(PICChip *c, int n, int level)
{
    uint8_t mask = 1 << n;
    bool lvl = (c->elcr | (c->ltim ? 0xff : 0)) & mask;
    if (lvl) {
        if (level) {
            c->irr |= mask;
            c->last_level |= mask;
        } else {
            c->irr &= ~mask;
            c->last_level &= ~mask;
        }
    } else {
        if (level) {
            if (!(c->last_level & mask)) {
                c->irr |= mask;
            }
            c->last_level |= mask;
        } else {
            c->last_level &= ~mask;
        }
    }
}

static void pic_update(PICState *s)
{
    /* slave output feeds master input 2 */
    pic_chip_set_input(&s->chip[0], 2, pic_pending(&s->chip[1], false) >= 0);
    irq_set(s->intr, pic_pending(&s->chip[0], true) >= 0);
}

static void pic_set_irq(void *opaque, int n, int level)
{
    PICState *s = opaque;
    if (n < 0 || n >= 16) {
        return;
    }
    pic_chip_set_input(&s->chip[n >> 3], n & 7, level);
    pic_update(s);
}

/* Acknowledge irq on one chip: ISR set (unless AEOI), edge IRR cleared. */
static void pic_chip_ack(PICChip *c, int irq)
{
    uint8_t mask = 1 << irq;
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi) {
            c->priority_add = (irq + 1) & 7;
        }
    } else {
        c->isr |= mask;
    }
    if (!((c->elcr | (c->ltim ? 0xff : 0)) & mask)) {
        c->irr &= ~mask;
    }
}

int i8259_read_irq(Device *dev)
{
    PICState *s = DEVICE_CAST(PICState, dev);
    int vec;
    int irq = pic_pending(&s->chip[0], true);
    if (irq < 0) {
        vec = s->chip[0].vector_base + 7;           /* spurious IRQ7 */
    } else if (irq == 2) {
        int irq2 = pic_pending(&s->chip[1], false);
        if (irq2 < 0) {
            vec = s->chip[1].vector_base + 7;       /* spurious IRQ15 */
        } else {
            pic_chip_ack(&s->chip[1], irq2);
            vec = s->chip[1].vector_base + irq2;
        }
        pic_chip_ack(&s->chip[0], 2);
    } else {
        pic_chip_ack(&s->chip[0], irq);
        vec = s->chip[0].vector_base + irq;
    }
    pic_update(s);
    return vec;
}

void i8259_set_elcr(Device *dev, uint16_t elcr)
{
    PICState *s = DEVICE_CAST(PICState, dev);
    /* IRQ0, 1, 2, 8 and 13 are always edge on the PIIX (datasheet). */
    elcr &= ~0x2107;
    s->chip[0].elcr = elcr & 0xff;
    s->chip[1].elcr = elcr >> 8;
    pic_update(s);
}

static void pic_chip_reset(PICChip *c)
{
    /* ELCR belongs to the PIIX3 and survives.  Input levels are wires, not
     * state: keeping them means a line already high must go low and high
     * again to request (the edge sense circuit is reset, per ICW1), and
     * devices re-announcing an unchanged level do not fake an edge. */
    uint8_t elcr = c->elcr, levels = c->last_level;
    MemoryRegion io = c->io;
    struct PICState *owner = c->owner;
    memset(c, 0, sizeof(*c));
    c->elcr = elcr;
    c->last_level = levels;
    c->io = io;
    c->owner = owner;
}

static uint8_t pic_poll(PICState *s, PICChip *c)
{
    bool master = c == &s->chip[0];
    int irq = pic_pending(c, master);
    if (irq < 0) {
        return 0;
    }
    pic_chip_ack(c, irq);
    pic_update(s);
    return 0x80 | irq;
}



static uint64_t pic_read(void *opaque, hwaddr addr, unsigned size)
{
    PICChip *c = opaque;
    PICState *s = c->owner;
    if (c->poll) {
        c->poll = false;
        return pic_poll(s, c);
    }
    if (addr & 1) {
        return c->imr;
    }
    return c->read_isr ? c->isr : c->irr;
}

static void pic_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    PICChip *c = opaque;
    PICState *s = c->owner;
    uint8_t val = val64;

    if (!(addr & 1)) {
        if (val & 0x10) {                   /* ICW1 */
            pic_chip_reset(c);
            c->init_state = 1;
            c->need_icw4 = val & 1;
            c->single = val & 2;
            c->ltim = val & 8;
            /* level-sensitive IRR bits follow the lines that are high now */
            c->irr = c->last_level & (c->elcr | (c->ltim ? 0xff : 0));
            if (val & 4) {
                vlog(LOG_UNIMP, "i8259: call address interval 4 (MCS-80 mode) ignored\n");
            }
        } else if (val & 0x08) {            /* OCW3 */
            if (val & 0x04) {
                c->poll = true;
            }
            if (val & 0x02) {
                c->read_isr = val & 1;
            }
            if (val & 0x40) {
                c->special_mask = (val >> 5) & 1;
            }
        } else {                            /* OCW2 */
            int cmd = val >> 5;
            int pri;
            switch (cmd) {
            case 0:                         /* clear rotate in AEOI mode */
            case 4:                         /* set rotate in AEOI mode */
                c->rotate_on_aeoi = cmd >> 2;
                break;
            case 1:                         /* non-specific EOI */
            case 5:                         /* rotate on non-specific EOI */
                pri = pic_priority(c, c->isr);
                if (pri != 8) {
                    int irq = (pri + c->priority_add) & 7;
                    c->isr &= ~(1 << irq);
                    if (cmd == 5) {
                        c->priority_add = (irq + 1) & 7;
                    }
                }
                break;
            case 3:                         /* specific EOI */
                c->isr &= ~(1 << (val & 7));
                break;
            case 6:                         /* set priority */
                c->priority_add = (val + 1) & 7;
                break;
            case 7:                         /* rotate on specific EOI */
                c->isr &= ~(1 << (val & 7));
                c->priority_add = (val + 1) & 7;
                break;
            default:                        /* 2: no operation */
                break;
            }
        }
    } else {
        switch (c->init_state) {
        case 0:                             /* OCW1 */
            c->imr = val;
            break;
        case 1:                             /* ICW2 */
            c->vector_base = val & 0xf8;
            c->init_state = c->single ? (c->need_icw4 ? 3 : 0) : 2;
            break;
        case 2:                             /* ICW3 */
            c->icw3 = val;
            c->init_state = c->need_icw4 ? 3 : 0;
            break;
        case 3:                             /* ICW4 */
            c->auto_eoi = val & 2;
            c->sfnm = val & 0x10;
            if (!(val & 1)) {
                vlog(LOG_UNIMP, "i8259: MCS-80/85 mode ignored\n");
            }
            c->init_state = 0;
            break;
        }
    }
    pic_update(s);
}

static const MemoryRegionOps pic_ops = {
    .read = pic_read,
    .write = pic_write,
    .min_access = 1,
    .max_access = 1,
};

static void pic_reset(Device *dev);

static bool pic_realize(Device *dev, GError **errp)
{
    PICState *s = DEVICE_CAST(PICState, dev);
    s->chip[0].owner = s;
    s->chip[1].owner = s;
    device_init_gpio_in(dev, pic_set_irq, 16);
    /* gpio_in handlers receive the Device*, which is our PICState */
    device_init_gpio_out(dev, &s->intr, 1);
    isa_register_ioport(&s->chip[0].io, &pic_ops, &s->chip[0], "pic-master", 0x20, 2);
    isa_register_ioport(&s->chip[1].io, &pic_ops, &s->chip[1], "pic-slave", 0xa0, 2);
    pic_reset(dev);
    return true;
}

static void pic_reset(Device *dev)
{
    PICState *s = DEVICE_CAST(PICState, dev);
    pic_chip_reset(&s->chip[0]);
    pic_chip_reset(&s->chip[1]);
    pic_update(s);
}

void i8259_print_info(Device *dev, GString *out)
{
    PICState *s = DEVICE_CAST(PICState, dev);
    for (int i = 0; i < 2; i++) {
        PICChip *c = &s->chip[i];
        g_string_append_printf(out, "pic%d: irr=%02x imr=%02x isr=%02x hprio=%d irq_base=%02x "
                               "rr_sel=%d elcr=%02x fnm=%d\n", i, c->irr, c->imr, c->isr,
                               c->priority_add, c->vector_base, c->read_isr, c->elcr, c->sfnm);
    }
}

static void pic_print(Device *dev, GString *out)
{
    i8259_print_info(dev, out);
}

static const DeviceClass i8259_class = {
    .name = "i8259",
    .desc = "Intel 8259A PIC pair (master + slave)",
    .bus = BUS_ISA,
    .instance_size = sizeof(PICState),
    .realize = pic_realize,
    .reset = pic_reset,
    .print_info = pic_print,
};
DEVICE_REGISTER(i8259_class)

/*
 * PC parallel port (IBM SPP register set at 0x378, IRQ 7): data, status
 * and control registers.  A byte is printed to the chardev on the falling
 * edge of STROBE, as a printer latches it, and acknowledged with an nACK
 * pulse (IRQ 7 when enabled) once the chardev has taken it.  While the
 * chardev refuses output (a socket client that is not reading) the printer
 * is busy: the byte is held, the status register reads BUSY with nACK high,
 * and the byte goes out, with its acknowledge, on CHR_EVENT_WRITABLE.  A
 * strobe while busy is ignored, as a busy printer ignores it.
 */
#include "chardev/chardev.h"
#include "hw/core/device.h"
#include "hw/isa/isa.h"

#define CTRL_STROBE  0x01
#define CTRL_IRQ_EN  0x10
#define CTRL_INPUT   0x20      /* bidirectional ports: data lines as input */

/* status register, as the host reads it (BUSY is inverted on the wire) */
#define STAT_NOT_BUSY  0x80
#define STAT_NOT_ACK   0x40
#define STAT_SELECT    0x10
#define STAT_NOT_ERROR 0x08
#define STAT_IDLE (STAT_NOT_BUSY | STAT_NOT_ACK | STAT_SELECT | STAT_NOT_ERROR)

typedef struct ParallelState {
    Device dev;
    uint32_t index, iobase, irqnum;
    Chardev *chr;
    uint8_t data, control;
    bool busy;                  /* holding 'held' until the chardev takes it */
    uint8_t held;
    IRQ irq;
    MemoryRegion io;
} ParallelState;

static const uint32_t lpt_base[3] = { 0x378, 0x278, 0x3bc };
static const uint32_t lpt_irq[3] = { 7, 5, 7 };

static uint64_t parallel_read(void *opaque, hwaddr addr, unsigned size)
{
    ParallelState *s = opaque;
    switch (addr) {
    case 0:
        return s->data;
    case 1:
        return s->busy ? STAT_IDLE & ~STAT_NOT_BUSY : STAT_IDLE;
    default:
        return s->control | 0xc0;   /* bits 6-7 read as ones on SPP ports */
    }
}

/* Hand the held byte to the chardev; acknowledge it once taken. */
static void parallel_print(ParallelState *s)
{
    if (chardev_write(s->chr, &s->held, 1) == 0) {
        s->busy = true;             /* parallel_event retries */
        return;
    }
    s->busy = false;
    if (s->control & CTRL_IRQ_EN) {
        irq_pulse(s->irq);          /* one nACK pulse */
    }
}

static void parallel_event(void *opaque, int event)
{
    ParallelState *s = opaque;
    if (event == CHR_EVENT_WRITABLE && s->busy) {
        parallel_print(s);
    }
}

static void parallel_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ParallelState *s = opaque;
    switch (addr) {
    case 0:
        s->data = val;
        break;
    case 2: {
        uint8_t old = s->control;
        s->control = val & 0x3f;
        if ((old & CTRL_STROBE) && !(val & CTRL_STROBE) && !s->busy) {
            s->held = s->data;
            parallel_print(s);
        }
        break;
    }
    default:
        break;                      /* the status register is read-only */
    }
}

static const MemoryRegionOps parallel_ops = {
    .read = parallel_read,
    .write = parallel_write,
    .min_access = 1,
    .max_access = 1,
};

static bool parallel_realize(Device *dev, GError **errp)
{
    ParallelState *s = DEVICE_CAST(ParallelState, dev);
    if (s->index > 2) {
        vireo_set_error(errp, "isa-parallel: index %u out of range (0..2)", s->index);
        return false;
    }
    if (!s->iobase) {
        s->iobase = lpt_base[s->index];
    }
    if (!s->irqnum) {
        s->irqnum = lpt_irq[s->index];
    }
    if (s->iobase > 0xfffc || s->irqnum > 15) {
        vireo_set_error(errp, "isa-parallel: iobase 0x%x or irq %u out of range", s->iobase, s->irqnum);
        return false;
    }
    if (s->chr && !chardev_set_event_handler(s->chr, parallel_event, s, errp)) {
        return false;
    }
    s->irq = isa_get_irq(s->irqnum);
    isa_register_ioport(&s->io, &parallel_ops, s, "parallel", s->iobase, 3);
    return true;
}

static void parallel_reset(Device *dev)
{
    ParallelState *s = DEVICE_CAST(ParallelState, dev);
    s->data = 0;
    s->busy = false;                /* a held byte is lost, as the printer is reset */
    s->control = 0x0c;              /* INIT high (not resetting), SELECT IN */
}

static const Property parallel_props[] = {
    DEFINE_PROP("index", PROP_U32, ParallelState, index, "0"),
    DEFINE_PROP("iobase", PROP_U32, ParallelState, iobase, "0"),
    DEFINE_PROP("irq", PROP_U32, ParallelState, irqnum, "0"),
    DEFINE_PROP("chardev", PROP_CHARDEV, ParallelState, chr, NULL),
    DEFINE_PROP_END,
};

static const DeviceClass parallel_class = {
    .name = "isa-parallel",
    .desc = "PC parallel port (LPT1..LPT3)",
    .bus = BUS_ISA,
    .instance_size = sizeof(ParallelState),
    .props = parallel_props,
    .user_creatable = true,
    .realize = parallel_realize,
    .reset = parallel_reset,
};
DEVICE_REGISTER(parallel_class)

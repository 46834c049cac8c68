/*
 * National Semiconductor 16550A UART (PC16550D datasheet): divisor latch,
 * 16-byte receive FIFO with trigger levels and the character-timeout
 * interrupt, the interrupt priority scheme of IIR, modem control/status
 * with loopback, scratch register.
 *
 * Transmission is instantaneous while the chardev takes bytes: a byte
 * written to THR goes straight out, so THRE/TEMT stay set.  When the chardev
 * refuses output (a socket client that stopped reading), bytes wait in the
 * transmit FIFO (16 bytes, 1 without FIFOs) and THRE/TEMT read 0 until the
 * chardev says it is writable again, so a driver that waits for THRE waits
 * and nothing it sends is lost; a byte written to a full FIFO is lost, as
 * on the real part.  On
 * a PC the UART's interrupt reaches the ISA bus only while MCR.OUT2 is set
 * (the board gates it), which drivers rely on.
 */
#include "hw/char/serial.h"

#include <string.h>

#include "chardev/chardev.h"
#include "hw/core/timer.h"
#include "hw/isa/isa.h"
#include "util/log.h"

#define UART_FIFO 16

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI  0x08

#define IIR_NONE 0x01
#define IIR_MSI  0x00
#define IIR_THRI 0x02
#define IIR_RDI  0x04
#define IIR_RLSI 0x06
#define IIR_CTI  0x0c
#define IIR_FIFO 0xc0

#define LCR_DLAB 0x80
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERR  0x80
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80

static const uint32_t com_base[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const uint32_t com_irq[4] = { 4, 3, 4, 3 };

typedef struct SerialState {
    Device dev;
    uint32_t index, iobase, irqnum;
    Chardev *chr;

    uint16_t divisor;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    bool fifo_enabled;
    uint8_t rx[UART_FIFO];
    int rx_rd, rx_count;
    uint8_t tx[UART_FIFO];    /* output the chardev has not taken yet */
    int tx_rd, tx_count;
    bool thr_ipending;        /* THRE interrupt armed until IIR read or THR write */
    bool timeout_ipending;
    Timer *timeout_timer;
    IRQ irq;
    MemoryRegion io;
} SerialState;

static int serial_trigger(SerialState *s)
{
    static const int levels[4] = { 1, 4, 8, 14 };
    return s->fifo_enabled ? levels[s->fcr >> 6] : 1;
}

static uint8_t serial_iir(SerialState *s)
{
    uint8_t id = IIR_NONE;
    if ((s->ier & IER_RLSI) && (s->lsr & (LSR_OE | LSR_PE | LSR_FE | LSR_BI))) {
        id = IIR_RLSI;
    } else if ((s->ier & IER_RDI) && s->timeout_ipending) {
        id = IIR_CTI;
    } else if ((s->ier & IER_RDI) && s->rx_count >= serial_trigger(s)) {
        id = IIR_RDI;
    } else if ((s->ier & IER_THRI) && s->thr_ipending) {
        id = IIR_THRI;
    } else if ((s->ier & IER_MSI) && (s->msr & 0x0f)) {
        id = IIR_MSI;
    }
    return id | (s->fifo_enabled ? IIR_FIFO : 0);
}

static void serial_update_irq(SerialState *s)
{
    bool pending = !(serial_iir(s) & IIR_NONE);
    /* The PC board gates INTR with the OUT2 pin; loopback forces the pin
     * inactive, so no interrupt reaches the bus then. */
    irq_set(s->irq, pending && (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2);
}

/* Four character times at the programmed rate (10 bits a character). */
static int64_t serial_char_timeout_ns(SerialState *s)
{
    uint32_t div = s->divisor ? s->divisor : 1;
    return (int64_t)4 * 10 * NANOSECONDS_PER_SECOND / (115200 / div ? 115200 / div : 1);
}

static void serial_arm_timeout(SerialState *s)
{
    s->timeout_ipending = false;
    if (s->fifo_enabled && s->rx_count > 0 && s->rx_count < serial_trigger(s)) {
        timer_mod(s->timeout_timer, clock_get_ns(CLOCK_VIRTUAL) + serial_char_timeout_ns(s));
    } else {
        timer_del(s->timeout_timer);
    }
}

static void serial_timeout_cb(void *opaque)
{
    SerialState *s = opaque;
    if (s->rx_count > 0) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
}

static void serial_receive_byte(SerialState *s, uint8_t b)
{
    int cap = s->fifo_enabled ? UART_FIFO : 1;
    if (s->rx_count >= cap) {
        /* overrun: in FIFO mode the FIFO is kept and the new byte lost;
         * without FIFO the new byte overwrites RBR */
        s->lsr |= LSR_OE;
        if (!s->fifo_enabled) {
            s->rx[s->rx_rd] = b;
        }
    } else {
        s->rx[(s->rx_rd + s->rx_count++) % UART_FIFO] = b;
        s->lsr |= LSR_DR;
    }
    serial_arm_timeout(s);
    serial_update_irq(s);
}

static int serial_can_read(void *opaque)
{
    SerialState *s = opaque;
    if (s->mcr & MCR_LOOP) {
        return 0;                         /* the line is disconnected in loopback */
    }
    return (s->fifo_enabled ? UART_FIFO : 1) - s->rx_count;
}

static void serial_read_cb(void *opaque, const uint8_t *buf, int len)
{
    SerialState *s = opaque;
    for (int i = 0; i < len; i++) {
        serial_receive_byte(s, buf[i]);
    }
}

static uint8_t serial_modem_inputs(SerialState *s)
{
    if (s->mcr & MCR_LOOP) {
        /* loopback wires the outputs back: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
        return ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
               ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    }
    return MSR_CTS | MSR_DSR | MSR_DCD;   /* a connected, ready peer */
}

static void serial_update_msr(SerialState *s)
{
    uint8_t old = s->msr, now = serial_modem_inputs(s);
    uint8_t delta = 0;
    if ((old ^ now) & MSR_CTS) delta |= MSR_DCTS;
    if ((old ^ now) & MSR_DSR) delta |= MSR_DDSR;
    if ((old ^ now) & MSR_DCD) delta |= MSR_DDCD;
    if ((old & MSR_RI) && !(now & MSR_RI)) delta |= MSR_TERI;   /* trailing edge */
    s->msr = now | (old & 0x0f) | delta;
}

static uint64_t serial_read(void *opaque, hwaddr addr, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v;
    switch (addr & 7) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            return s->divisor & 0xff;
        }
        v = 0;
        if (s->rx_count) {
            v = s->rx[s->rx_rd];
            s->rx_rd = (s->rx_rd + 1) % UART_FIFO;
            if (--s->rx_count == 0) {
                s->lsr &= ~LSR_DR;
            }
        }
        serial_arm_timeout(s);
        serial_update_irq(s);
        return v;
    case 1:
        return (s->lcr & LCR_DLAB) ? s->divisor >> 8 : s->ier;
    case 2:
        v = serial_iir(s);
        if ((v & 0x0f) == IIR_THRI) {
            s->thr_ipending = false;      /* reading IIR clears a THRE source */
            serial_update_irq(s);
        }
        return v;
    case 3:
        return s->lcr;
    case 4:
        return s->mcr;
    case 5:
        v = s->lsr;
        s->lsr &= ~(LSR_OE | LSR_PE | LSR_FE | LSR_BI);
        serial_update_irq(s);
        return v;
    case 6:
        serial_update_msr(s);
        v = s->msr;
        s->msr &= 0xf0;
        serial_update_irq(s);
        return v;
    default:
        return s->scr;
    }
}

/* The transmit FIFO is empty (sent or cleared): THR and TSR are empty. */
static void serial_tx_empty(SerialState *s)
{
    if (!(s->lsr & LSR_THRE)) {
        s->lsr |= LSR_THRE | LSR_TEMT;
        s->thr_ipending = true;
        serial_update_irq(s);
    }
}

static void serial_tx_clear(SerialState *s)
{
    s->tx_rd = s->tx_count = 0;
    serial_tx_empty(s);
}

/* Send what the FIFO holds while the chardev takes it. */
static void serial_tx_drain(SerialState *s)
{
    while (s->tx_count) {
        if (chardev_write(s->chr, &s->tx[s->tx_rd], 1) == 0) {
            return;                        /* still full: wait for the next event */
        }
        s->tx_rd = (s->tx_rd + 1) % UART_FIFO;
        s->tx_count--;
    }
    serial_tx_empty(s);
}

static void serial_event(void *opaque, int event)
{
    if (event == CHR_EVENT_WRITABLE) {
        serial_tx_drain(opaque);
    }
}

static void serial_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    SerialState *s = opaque;
    uint8_t val = val64;
    switch (addr & 7) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (s->divisor & 0xff00) | val;
            return;
        }
        if (s->mcr & MCR_LOOP) {
            serial_receive_byte(s, val);
        } else if (s->tx_count || chardev_write(s->chr, &val, 1) == 0) {
            /* the chardev is full: hold the byte (serial_event sends it) */
            if (s->tx_count < (s->fifo_enabled ? UART_FIFO : 1)) {
                s->tx[(s->tx_rd + s->tx_count++) % UART_FIFO] = val;
            }
            s->lsr &= ~(LSR_THRE | LSR_TEMT);
            s->thr_ipending = false;
            serial_update_irq(s);
            return;
        }
        /* transmitted at once: THR is empty again */
        s->lsr |= LSR_THRE | LSR_TEMT;
        s->thr_ipending = true;
        serial_update_irq(s);
        return;
    case 1:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (s->divisor & 0xff) | (val << 8);
            return;
        }
        {
            uint8_t old = s->ier;
            s->ier = val & 0x0f;
            /* enabling THRI while THR is empty raises the interrupt */
            if ((s->ier & IER_THRI) && !(old & IER_THRI) && (s->lsr & LSR_THRE)) {
                s->thr_ipending = true;
            }
        }
        serial_update_irq(s);
        return;
    case 2: {
        bool en = val & 1;
        if (en != s->fifo_enabled || (val & 2)) {
            s->rx_count = 0;               /* FIFO mode changes clear the FIFOs */
            s->rx_rd = 0;
            s->lsr &= ~LSR_DR;
        }
        if (en != s->fifo_enabled || (val & 4)) {
            serial_tx_clear(s);            /* and the transmit FIFO */
        }
        s->fifo_enabled = en;
        s->fcr = en ? (val & 0xc9) : 0;
        serial_arm_timeout(s);
        serial_update_irq(s);
        return;
    }
    case 3:
        s->lcr = val;
        return;
    case 4:
        s->mcr = val & 0x1f;
        serial_update_msr(s);
        serial_update_irq(s);
        return;
    case 5:
    case 6:
        return;                            /* LSR/MSR writes: factory test only */
    default:
        s->scr = val;
        return;
    }
}

static const MemoryRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .min_access = 1,
    .max_access = 1,
};

static void serial_reset(Device *dev);

static bool serial_realize(Device *dev, GError **errp)
{
    SerialState *s = DEVICE_CAST(SerialState, dev);
    if (s->index > 3) {
        vireo_set_error(errp, "isa-serial: index %u out of range (0..3)", s->index);
        return false;
    }
    if (!s->iobase) {
        s->iobase = com_base[s->index];
    }
    if (!s->irqnum) {
        s->irqnum = com_irq[s->index];
    }
    if (s->iobase > 0xfff8 || s->irqnum > 15) {
        vireo_set_error(errp, "isa-serial: iobase 0x%x or irq %u out of range", s->iobase, s->irqnum);
        return false;
    }
    s->irq = isa_get_irq(s->irqnum);
    s->timeout_timer = timer_new(CLOCK_VIRTUAL, serial_timeout_cb, s);
    if (s->chr && (!chardev_set_handlers(s->chr, serial_can_read, serial_read_cb, s, errp) ||
                   !chardev_set_event_handler(s->chr, serial_event, s, errp))) {
        return false;
    }
    isa_register_ioport(&s->io, &serial_ops, s, "serial", s->iobase, 8);
    serial_reset(dev);
    return true;
}

static void serial_reset(Device *dev)
{
    SerialState *s = DEVICE_CAST(SerialState, dev);
    s->divisor = 12;                       /* 9600 baud */
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = serial_modem_inputs(s);
    s->scr = 0;
    s->fcr = 0;
    s->fifo_enabled = false;
    s->rx_rd = s->rx_count = 0;
    s->tx_rd = s->tx_count = 0;
    s->thr_ipending = false;
    s->timeout_ipending = false;
    timer_del(s->timeout_timer);
    irq_lower(s->irq);
}

static const Property serial_props[] = {
    DEFINE_PROP("index", PROP_U32, SerialState, index, "0"),
    DEFINE_PROP("iobase", PROP_U32, SerialState, iobase, "0"),
    DEFINE_PROP("irq", PROP_U32, SerialState, irqnum, "0"),
    DEFINE_PROP("chardev", PROP_CHARDEV, SerialState, chr, NULL),
    DEFINE_PROP_END,
};

static const DeviceClass serial_class = {
    .name = "isa-serial",
    .desc = "16550A UART (COM1..COM4)",
    .bus = BUS_ISA,
    .instance_size = sizeof(SerialState),
    .props = serial_props,
    .user_creatable = true,
    .realize = serial_realize,
    .reset = serial_reset,
};
DEVICE_REGISTER(serial_class)

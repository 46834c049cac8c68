/*
 * Intel 8254 programmable interval timer: three 16-bit down counters
 * clocked at 1.193182 MHz (8254 datasheet, modes 0-5, latch and read-back
 * commands).  Counts are not stepped: they are computed from the virtual
 * time elapsed since the count was loaded, and a timer is armed only for
 * the next edge of counter 0's OUT, which drives ISA IRQ 0.
 *
 * Port 0x61 (PC system control port B) lives here because its bits are the
 * gate and output of counter 2 (the speaker channel firmware uses to
 * calibrate delays) and the refresh toggle.
 */
#include "hw/timer/i8254.h"

#include <string.h>

#include "hw/core/timer.h"
#include "hw/isa/isa.h"
#include "util/log.h"

typedef struct PITChannel {
    uint32_t count;          /* reload value, 1..0x10000 */
    uint16_t latched_count;
    uint8_t count_latched;   /* 0 none, else rw mode of the pending latch */
    bool status_latched;
    uint8_t status;
    uint8_t rw_mode;         /* 1 LSB, 2 MSB, 3 LSB then MSB */
    uint8_t read_state, write_state;   /* lohi flip-flops */
    uint8_t write_latch;
    uint8_t mode;
    bool bcd;
    bool gate;
    bool null_count;
    bool loaded;             /* a count has been written since the mode */
    bool counting;           /* the count is in the counting element (triggered) */
    bool paused;             /* gate low froze the count at paused_ticks */
    int64_t paused_ticks;
    int64_t load_time;       /* virtual ns when counting (re)started */
    uint32_t gen;            /* bumped whenever counting (re)starts */
    uint32_t next_count;     /* modes 2/3: count written mid-period, 0 = none */
    int64_t next_time;       /* when it takes over (end of the period) */
} PITChannel;

typedef struct PITState {
    Device dev;
    PITChannel ch[3];
    Timer *irq_timer;
    IRQ irq;
    int irq_level;
    uint32_t irq_gen;        /* counter 0 start that irq_edges counts from */
    int64_t irq_edges;       /* OUT rising edges already signalled */
    uint8_t port61;          /* bits 0-3 as written: gate 2, speaker, parity/IOCHK enables */
    void (*port61_fn)(void *opaque, int64_t now, uint8_t val);
    void *port61_opaque;
    MemoryRegion io, port61_io;
} PITState;

static int64_t pit_ticks(const PITChannel *c, int64_t now)
{
    if (c->paused) {
        return c->paused_ticks;
    }
    if (now <= c->load_time) {
        return 0;
    }
    return (int64_t)muldiv64(now - c->load_time, PIT_FREQ, NANOSECONDS_PER_SECOND);
}

static int64_t pit_tick_to_ns(const PITChannel *c, int64_t ticks)
{
    return c->load_time + (int64_t)muldiv64(ticks, NANOSECONDS_PER_SECOND, PIT_FREQ) + 1;
}

/* Current counting element value (binary). */
static uint32_t pit_get_count(const PITChannel *c, int64_t now)
{
    if (!c->counting) {
        return c->count & 0xffff;
    }
    int64_t d = pit_ticks(c, now);
    uint32_t v;
    switch (c->mode) {
    case 0: case 1: case 4: case 5:
        v = (c->count - d) & 0xffff;
        break;
    case 3:
        /* decrements by two each clock, reloading every half period */
        v = c->count - ((2 * d) % c->count);
        break;
    default: /* 2 */
        v = c->count - (d % c->count);
        break;
    }
    return v & 0xffff;
}

static int pit_out(const PITChannel *c, int64_t now)
{
    if (!c->counting) {
        return c->mode != 0;      /* after the mode write: mode 0 low, others high */
    }
    if (!c->gate && (c->mode == 2 || c->mode == 3)) {
        return 1;                 /* a low gate forces OUT high at once in modes 2/3 */
    }
    int64_t d = pit_ticks(c, now);
    switch (c->mode) {
    case 0:
        return d >= c->count;
    case 1:
        return d >= c->count;
    case 2:
        return (d % c->count) != c->count - 1;
    case 3:
        return (d % c->count) < ((c->count + 1) >> 1);
    default: /* 4, 5: one-clock low pulse when the count expires */
        return d != c->count;
    }
}

/* Virtual time of the next OUT transition after now, or -1. */
static int64_t pit_next_edge(const PITChannel *c, int64_t now)
{
    if (!c->counting || c->paused) {
        return -1;
    }
    int64_t d = pit_ticks(c, now);
    int64_t next;
    switch (c->mode) {
    case 0: case 1:
        if (d >= c->count) {
            return -1;
        }
        next = c->count;
        break;
    case 2: {
        int64_t base = d - d % c->count;
        next = (d % c->count) < c->count - 1 ? base + c->count - 1 : base + c->count;
        break;
    }
    case 3: {
        int64_t base = d - d % c->count, half = (c->count + 1) >> 1;
        next = (d % c->count) < half ? base + half : base + c->count;
        break;
    }
    default:
        if (d < c->count) {
            next = c->count;
        } else if (d == c->count) {
            next = c->count + 1;
        } else {
            return -1;
        }
        break;
    }
    return pit_tick_to_ns(c, next);
}

static void pit_sync(PITState *s, PITChannel *c, int64_t now);

int i8254_get_out(Device *dev, int ch, int64_t now)
{
    PITState *s = DEVICE_CAST(PITState, dev);
    PITChannel *c = &s->ch[(ch >= 0 && ch < 3) ? ch : 0];
    pit_sync(s, c, now);
    return pit_out(c, now);
}

int i8254_out_at(Device *dev, int ch, int64_t t)
{
    PITState *s = DEVICE_CAST(PITState, dev);
    const PITChannel *c = &s->ch[(ch >= 0 && ch < 3) ? ch : 0];
    if (c->counting && t < c->load_time) {
        t = c->load_time;           /* before this count: as at its start */
    }
    return pit_out(c, t);
}

void i8254_set_port61_listener(Device *dev, void (*fn)(void *opaque, int64_t now, uint8_t val),
                               void *opaque)
{
    PITState *s = DEVICE_CAST(PITState, dev);
    s->port61_fn = fn;
    s->port61_opaque = opaque;
}

/* Rising edges of OUT since counting started.  IRQ 0 is edge-triggered
 * and mode 2's low pulse lasts one clock (838 ns): a timer that fires late
 * would sample OUT high on both sides of it, so edges are counted rather
 * than sampled. */
static int64_t pit_rising_edges(const PITChannel *c, int64_t now)
{
    if (!c->counting || (!c->gate && (c->mode == 2 || c->mode == 3))) {
        return 0;
    }
    int64_t d = pit_ticks(c, now);
    switch (c->mode) {
    case 0: case 1:
        return d >= c->count;
    case 2: case 3:
        return d / c->count;
    default:
        return d >= c->count + 1;
    }
}

static void pit_signal_edges(PITState *s, int64_t edges)
{
    if (edges > s->irq_edges) {
        /* at least one period ended since the last look: signal one edge
         * (several lost ones coalesce, as a busy PIC would see them) */
        if (s->irq_level) {
            irq_set(s->irq, 0);
        }
        irq_set(s->irq, 1);
        s->irq_level = 1;
        s->irq_edges = edges;
    }
}

/* A count written mid-period in mode 2/3 takes over at the period's end. */
static void pit_sync(PITState *s, PITChannel *c, int64_t now)
{
    if (!c->next_count || now < c->next_time) {
        return;
    }
    if (c == &s->ch[0] && c->gen == s->irq_gen) {
        pit_signal_edges(s, pit_rising_edges(c, c->next_time));
    }
    c->count = c->next_count;
    c->load_time = c->next_time;
    c->next_count = 0;
    c->gen++;
    if (c == &s->ch[0]) {
        s->irq_gen = c->gen;
        s->irq_edges = 0;
    }
}

static void pit_irq_update(PITState *s)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    PITChannel *c = &s->ch[0];
    pit_sync(s, c, now);
    int level = pit_out(c, now);
    int64_t edges = pit_rising_edges(c, now);
    if (c->gen != s->irq_gen) {
        s->irq_gen = c->gen;
        s->irq_edges = 0;
    }
    pit_signal_edges(s, edges);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq, level);
    }
    int64_t next = pit_next_edge(c, now);
    if (c->next_count && (next < 0 || c->next_time < next)) {
        next = c->next_time;
    }
    if (next >= 0) {
        timer_mod(s->irq_timer, next);
    } else {
        timer_del(s->irq_timer);
    }
}

static void pit_irq_timer(void *opaque)
{
    pit_irq_update(opaque);
}

static uint32_t to_bcd16(uint32_t v)
{
    return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000 % 10) << 12);
}

static uint32_t from_bcd16(uint32_t v)
{
    return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}

static void pit_load_count(PITState *s, PITChannel *c, uint32_t val)
{
    if (c->bcd) {
        val = from_bcd16(val);
    }
    if (val == 0) {
        val = c->bcd ? 10000 : 0x10000;
    }
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    pit_sync(s, c, now);
    c->null_count = false;
    c->loaded = true;
    if ((c->mode == 2 || c->mode == 3) && c->counting && !c->paused) {
        /* The current period finishes with the old count (datasheet; for
         * mode 3 the chip switches at the end of the half-cycle, we wait
         * for the whole period). */
        int64_t d = pit_ticks(c, now);
        c->next_count = val;
        c->next_time = pit_tick_to_ns(c, (d / c->count + 1) * c->count);
        if (c == &s->ch[0]) {
            pit_irq_update(s);
        }
        return;
    }
    c->count = val;
    c->next_count = 0;
    /* Modes 1 and 5 wait for a gate rising edge; the others start now, but
     * a low gate holds the count where it is (0/4) or delays the start
     * (2/3). */
    if (c->mode != 1 && c->mode != 5) {
        c->counting = true;
        c->gen++;
        c->load_time = clock_get_ns(CLOCK_VIRTUAL);
        c->paused = !c->gate;
        c->paused_ticks = 0;
    }
    if (c == &s->ch[0]) {
        pit_irq_update(s);
    }
}

static void pit_latch(PITChannel *c, int64_t now)
{
    if (!c->count_latched) {
        uint32_t v = pit_get_count(c, now);
        c->latched_count = c->bcd ? to_bcd16(v) : v;
        c->count_latched = c->rw_mode;
        c->read_state = 0;
    }
}

static uint64_t pit_read(void *opaque, hwaddr addr, unsigned size)
{
    PITState *s = opaque;
    if (addr == 3) {
        return 0xff;           /* control register is write-only */
    }
    PITChannel *c = &s->ch[addr];
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    pit_sync(s, c, now);
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    uint8_t mode = c->rw_mode;
    if (c->count_latched) {
        v = c->latched_count;
        mode = c->count_latched;
    } else {
        uint32_t n = pit_get_count(c, now);
        v = c->bcd ? to_bcd16(n) : n;
    }
    uint8_t ret;
    switch (mode) {
    case 1:
        ret = v & 0xff;
        c->count_latched = 0;
        break;
    case 2:
        ret = v >> 8;
        c->count_latched = 0;
        break;
    default:
        ret = c->read_state ? v >> 8 : v & 0xff;
        c->read_state ^= 1;
        if (!c->read_state) {
            c->count_latched = 0;
        }
        break;
    }
    return ret;
}

static void pit_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    PITState *s = opaque;
    uint8_t val = val64;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);

    if (addr == 3) {
        int sel = val >> 6;
        if (sel == 3) {                     /* read-back command */
            for (int i = 0; i < 3; i++) {
                if (!(val & (2 << i))) {
                    continue;
                }
                PITChannel *c = &s->ch[i];
                pit_sync(s, c, now);
                if (!(val & 0x20)) {
                    pit_latch(c, now);
                }
                if (!(val & 0x10) && !c->status_latched) {
                    c->status = (pit_out(c, now) << 7) | (c->null_count << 6) |
                                (c->rw_mode << 4) | (c->mode << 1) | c->bcd;
                    c->status_latched = true;
                }
            }
            return;
        }
        PITChannel *c = &s->ch[sel];
        int rw = (val >> 4) & 3;
        pit_sync(s, c, now);
        if (rw == 0) {                      /* counter latch command */
            pit_latch(c, now);
            return;
        }
        c->rw_mode = rw;
        c->mode = (val >> 1) & 7;
        if (c->mode > 5) {
            c->mode -= 4;                   /* 6, 7 are aliases of 2, 3 */
        }
        c->bcd = val & 1;
        c->read_state = c->write_state = 0;
        c->count_latched = 0;
        c->counting = false;
        c->gen++;
        c->next_count = 0;
        c->loaded = false;
        c->paused = false;
        c->null_count = true;
        if (sel == 0) {
            pit_irq_update(s);
        }
        return;
    }

    PITChannel *c = &s->ch[addr];
    switch (c->rw_mode) {
    case 1:
        pit_load_count(s, c, val);
        break;
    case 2:
        pit_load_count(s, c, val << 8);
        break;
    case 3:
        if (!c->write_state) {
            c->write_latch = val;
            c->write_state = 1;
        } else {
            c->write_state = 0;
            pit_load_count(s, c, c->write_latch | (val << 8));
        }
        break;
    default:
        vlog(LOG_GUEST_ERRORS, "i8254: count written to counter %d before its mode\n", (int)addr);
        break;
    }
}

static const MemoryRegionOps pit_ops = {
    .read = pit_read,
    .write = pit_write,
    .min_access = 1,
    .max_access = 1,
};

static void pit_set_gate(PITState *s, int ch, bool gate)
{
    PITChannel *c = &s->ch[ch];
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    if (gate == c->gate) {
        return;
    }
    pit_sync(s, c, now);
    if (c->next_count) {
        /* either edge ends the period early: the new count applies now */
        c->count = c->next_count;
        c->next_count = 0;
    }
    if (!gate) {
        /* modes 0, 2, 3, 4: a low gate suspends counting */
        if (c->counting && !c->paused && c->mode != 1 && c->mode != 5) {
            c->paused_ticks = pit_ticks(c, now);
            c->paused = true;
        }
    } else {
        switch (c->mode) {
        case 0: case 4:
            if (c->paused) {            /* resume where it stopped */
                c->load_time = now - (int64_t)muldiv64(c->paused_ticks, NANOSECONDS_PER_SECOND,
                                                       PIT_FREQ);
                c->paused = false;
            }
            break;
        default:
            /* 1, 5: trigger; 2, 3: the rising edge reloads the initial count */
            if (c->loaded) {
                c->counting = true;
                c->gen++;
                c->paused = false;
                c->load_time = now;
            }
            break;
        }
    }
    c->gate = gate;
    if (ch == 0) {
        pit_irq_update(s);
    }
}

static uint64_t port61_read(void *opaque, hwaddr addr, unsigned size)
{
    PITState *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    /* refresh request toggles every 15.085 us on a PC/AT */
    int refresh = (now / 15085) & 1;
    pit_sync(s, &s->ch[2], now);
    return (s->port61 & 0x0f) | (refresh << 4) | (pit_out(&s->ch[2], now) << 5);
}

static void port61_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PITState *s = opaque;
    s->port61 = val & 0x0f;
    pit_set_gate(s, 2, val & 1);
    if (s->port61_fn) {
        s->port61_fn(s->port61_opaque, clock_get_ns(CLOCK_VIRTUAL), s->port61);
    }
}

static const MemoryRegionOps port61_ops = {
    .read = port61_read,
    .write = port61_write,
    .min_access = 1,
    .max_access = 1,
};

static void pit_reset(Device *dev);

static bool pit_realize(Device *dev, GError **errp)
{
    PITState *s = DEVICE_CAST(PITState, dev);
    s->irq = isa_get_irq(0);
    s->irq_timer = timer_new(CLOCK_VIRTUAL, pit_irq_timer, s);
    isa_register_ioport(&s->io, &pit_ops, s, "pit", 0x40, 4);
    isa_register_ioport(&s->port61_io, &port61_ops, s, "port61", 0x61, 1);
    pit_reset(dev);
    return true;
}

static void pit_reset(Device *dev)
{
    PITState *s = DEVICE_CAST(PITState, dev);
    for (int i = 0; i < 3; i++) {
        PITChannel *c = &s->ch[i];
        memset(c, 0, sizeof(*c));
        c->gate = i != 2;       /* counters 0 and 1 are gated on; 2 by port 0x61 */
        c->count = 0x10000;
    }
    s->port61 = 0;
    s->irq_gen = 0;
    s->irq_edges = 0;
    s->irq_level = 0;
    irq_set(s->irq, 0);
    timer_del(s->irq_timer);
}

static void pit_print(Device *dev, GString *out)
{
    PITState *s = DEVICE_CAST(PITState, dev);
    for (int i = 0; i < 3; i++) {
        g_string_append_printf(out, "pit ch%d: mode %d count %u gate %d\n", i, s->ch[i].mode,
                               s->ch[i].count, s->ch[i].gate);
    }
}

static const DeviceClass i8254_class = {
    .name = "i8254",
    .desc = "Intel 8254 programmable interval timer",
    .bus = BUS_ISA,
    .instance_size = sizeof(PITState),
    .realize = pit_realize,
    .reset = pit_reset,
    .print_info = pit_print,
};
DEVICE_REGISTER(i8254_class)

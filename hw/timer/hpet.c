/*
 * HPET, IA-PC HPET specification 1.0a, with QEMU's pc parameters (see
 * hpet.h).  The main counter is derived from the virtual clock while
 * ENABLE_CNF is set and frozen while it is clear.  A timer fires when the
 * counter reaches its comparator (compared in 32 bits for a timer in
 * 32-bit mode); a periodic timer then adds its period to the comparator.
 *
 * Periodic comparator writes follow the spec's programming model (and
 * what Linux does): with VAL_SET_CNF the write sets comparator and
 * period; without it, only the period.
 */
#include "hw/timer/hpet.h"

#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "util/log.h"

#define HPET_MMIO_SIZE      0x400
#define HPET_PERIOD_FS      (HPET_CLK_PERIOD_NS * 1000000ull)
#define HPET_ROUTE_CAP      (1ull << 2)

/* general capabilities: rev 1, (timers-1) in 12:8, 64-bit counter,
 * legacy replacement capable, Intel vendor id, period in fs */
#define HPET_CAP  (0x01ull | ((HPET_NUM_TIMERS - 1ull) << 8) | (1ull << 13) | (1ull << 15) | \
                   (0x8086ull << 16) | (HPET_PERIOD_FS << 32))

#define CFG_ENABLE          (1ull << 0)
#define CFG_LEGACY          (1ull << 1)

#define TN_LEVEL            (1ull << 1)
#define TN_ENABLE           (1ull << 2)
#define TN_PERIODIC         (1ull << 3)
#define TN_PERIODIC_CAP     (1ull << 4)
#define TN_SIZE_CAP         (1ull << 5)
#define TN_SETVAL           (1ull << 6)
#define TN_32BIT            (1ull << 8)
#define TN_ROUTE_SHIFT      9
#define TN_ROUTE_MASK       (0x1full << TN_ROUTE_SHIFT)
#define TN_WRITABLE         (TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT | \
                             TN_ROUTE_MASK)

typedef struct HPETState HPETState;

typedef struct HPETTimer {
    HPETState *s;
    int n;
    uint64_t config;
    uint64_t cmp;
    uint64_t period;
    Timer *timer;
    int line_level;           /* level of the line this timer drives now */
    int line;                 /* gpio out index it drives, -1 none */
} HPETTimer;

struct HPETState {
    Device dev;
    uint32_t addr_prop;
    MemoryRegion mmio;
    IRQ out[HPET_NUM_OUTS];
    uint64_t config;
    uint64_t isr;
    uint64_t counter;         /* value when frozen / at counter_ns */
    int64_t counter_ns;       /* virtual time the counter last had 'counter' */
    HPETTimer t[HPET_NUM_TIMERS];
};

static uint64_t hpet_counter(HPETState *s)
{
    if (!(s->config & CFG_ENABLE)) {
        return s->counter;
    }
    int64_t d = clock_get_ns(CLOCK_VIRTUAL) - s->counter_ns;
    return s->counter + (d > 0 ? (uint64_t)d / HPET_CLK_PERIOD_NS : 0);
}

/* Freeze or restart the counter at its present value. */
static void hpet_rebase(HPETState *s)
{
    s->counter = hpet_counter(s);
    s->counter_ns = clock_get_ns(CLOCK_VIRTUAL);
}

/* The output a timer drives: legacy lines for timers 0/1, else its route. */
static int hpet_timer_line(HPETTimer *t)
{
    if ((t->s->config & CFG_LEGACY) && t->n < 2) {
        return t->n == 0 ? HPET_OUT_LEGACY_IRQ0 : HPET_OUT_LEGACY_IRQ8;
    }
    return (t->config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT;
}

/* Drive the level line of a level-triggered timer from its status bit. */
static void hpet_update_line(HPETTimer *t)
{
    HPETState *s = t->s;
    int line = hpet_timer_line(t);
    int level = (s->config & CFG_ENABLE) && (t->config & TN_ENABLE) &&
                (t->config & TN_LEVEL) && (s->isr & (1u << t->n));
    if (t->line >= 0 && (t->line != line || !level) && t->line_level) {
        irq_set(s->out[t->line], 0);
        t->line_level = 0;
    }
    t->line = line;
    if (level && !t->line_level) {
        irq_set(s->out[line], 1);
        t->line_level = 1;
    }
}

static void hpet_fire(HPETTimer *t)
{
    HPETState *s = t->s;
    if (t->config & TN_LEVEL) {
        s->isr |= 1u << t->n;
        hpet_update_line(t);
    } else if (t->config & TN_ENABLE) {
        irq_pulse(s->out[hpet_timer_line(t)]);
    }
}

/* after_fire: the comparator equals the counter because it just fired;
 * the next match is a whole counter wrap away. */
static void hpet_arm_next(HPETTimer *t, bool after_fire)
{
    HPETState *s = t->s;
    if (!(s->config & CFG_ENABLE)) {
        timer_del(t->timer);
        return;
    }
    uint64_t now = hpet_counter(s);
    uint64_t delta;
    if (t->config & TN_32BIT) {
        delta = (uint32_t)((uint32_t)t->cmp - (uint32_t)now);
    } else {
        delta = t->cmp - now;
    }
    if (delta == 0 && after_fire) {
        delta = (t->config & TN_32BIT) ? 1ull << 32 : ~0ull;
    }
    /* a comparator behind the counter is reached only after a wrap; cap
     * the wait so the ns arithmetic cannot overflow (that is ~58 years) */
    if (delta > (1ull << 57)) {
        delta = 1ull << 57;
    }
    timer_mod(t->timer, s->counter_ns + (int64_t)((now - s->counter + delta) *
                                                  HPET_CLK_PERIOD_NS));
}

static void hpet_arm(HPETTimer *t)
{
    hpet_arm_next(t, false);
}

static void hpet_timer_cb(void *opaque)
{
    HPETTimer *t = opaque;
    HPETState *s = t->s;
    uint64_t now = hpet_counter(s);
    bool due = (t->config & TN_32BIT) ? (uint32_t)now == (uint32_t)t->cmp ||
                                        (int32_t)((uint32_t)now - (uint32_t)t->cmp) >= 0
                                      : (int64_t)(now - t->cmp) >= 0;
    if (!due) {
        hpet_arm(t);
        return;
    }
    hpet_fire(t);
    if ((t->config & TN_PERIODIC) && t->period) {
        /* Catch up in one step after a long stall (no interrupt storm),
         * arithmetically: a huge period must not turn this into a loop. */
        if (t->config & TN_32BIT) {
            uint32_t p32 = (uint32_t)t->period ? (uint32_t)t->period : 1;
            uint32_t late = (uint32_t)now - (uint32_t)t->cmp;
            t->cmp = (uint32_t)((uint32_t)t->cmp + ((uint64_t)(late / p32) + 1) * p32);
        } else {
            uint64_t late = now - t->cmp;
            t->cmp += (late / t->period + 1) * t->period;
        }
        hpet_arm(t);
    } else if (t->config & TN_32BIT) {
        /* a one-shot 32-bit timer fires again after the counter wraps */
        hpet_arm_next(t, true);
    }
}

static void hpet_update_all(HPETState *s)
{
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        hpet_arm(&s->t[i]);
        hpet_update_line(&s->t[i]);
    }
    irq_set(s->out[HPET_OUT_LEGACY_ON], (s->config & CFG_LEGACY) ? 1 : 0);
}

static uint64_t hpet_read64(HPETState *s, hwaddr reg)
{
    if (reg >= 0x100 && reg < 0x100 + 0x20 * HPET_NUM_TIMERS) {
        HPETTimer *t = &s->t[(reg - 0x100) / 0x20];
        switch (reg & 0x1f) {
        case 0x00: return t->config;
        case 0x08: return t->cmp;
        default: return 0;            /* FSB route: no FSB delivery */
        }
    }
    switch (reg) {
    case 0x00: return HPET_CAP;
    case 0x10: return s->config;
    case 0x20: return s->isr;
    case 0xf0: return hpet_counter(s);
    default: return 0;
    }
}

static void hpet_timer_write(HPETTimer *t, hwaddr off, uint64_t val, uint64_t mask)
{
    HPETState *s = t->s;
    switch (off) {
    case 0x00: {
        uint64_t nv = (t->config & ~mask) | (val & mask);
        uint64_t old = t->config;
        t->config = (old & ~TN_WRITABLE) | (nv & TN_WRITABLE);
        if (((t->config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT) >= 32 ||
            !(HPET_ROUTE_CAP & (1ull << ((t->config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT)))) {
            vlog(LOG_GUEST_ERRORS, "hpet: timer %d route not in its capability; using pin 2\n",
                 t->n);
            t->config = (t->config & ~TN_ROUTE_MASK) | (2ull << TN_ROUTE_SHIFT);
        }
        if (t->config & TN_32BIT) {
            t->cmp = (uint32_t)t->cmp;
            t->period = (uint32_t)t->period;
        }
        if (!(t->config & TN_LEVEL)) {
            s->isr &= ~(1ull << t->n);    /* status is only kept for level mode */
        }
        hpet_update_line(t);
        hpet_arm(t);
        break;
    }
    case 0x08: {
        uint64_t nv = (t->cmp & ~mask) | (val & mask);
        if (t->config & TN_32BIT) {
            nv = (uint32_t)nv;
        }
        if (t->config & TN_PERIODIC) {
            t->period = (t->period & ~mask) | (val & mask);
            if (t->config & TN_32BIT) {
                t->period = (uint32_t)t->period;
            }
            if (t->config & TN_SETVAL) {
                t->cmp = nv;
            }
        } else {
            t->cmp = nv;
        }
        /* VAL_SET_CNF covers one comparator write; a 64-bit comparator
         * written as two dwords keeps it from the low half to the high one */
        if (!(mask == 0xffffffffull && !(t->config & TN_32BIT))) {
            t->config &= ~TN_SETVAL;
        }
        hpet_arm(t);
        break;
    }
    default:
        break;                            /* FSB route register: no FSB */
    }
}

static void hpet_write64(HPETState *s, hwaddr reg, uint64_t val, uint64_t mask)
{
    if (reg >= 0x100 && reg < 0x100 + 0x20 * HPET_NUM_TIMERS) {
        hpet_timer_write(&s->t[(reg - 0x100) / 0x20], reg & 0x18, val, mask);
        return;
    }
    switch (reg) {
    case 0x10: {
        uint64_t nv = ((s->config & ~mask) | (val & mask)) & (CFG_ENABLE | CFG_LEGACY);
        hpet_rebase(s);
        s->config = nv;
        s->counter_ns = clock_get_ns(CLOCK_VIRTUAL);
        hpet_update_all(s);
        break;
    }
    case 0x20:
        /* write 1 to clear a level-triggered status bit */
        s->isr &= ~(val & mask);
        for (int i = 0; i < HPET_NUM_TIMERS; i++) {
            hpet_update_line(&s->t[i]);
        }
        break;
    case 0xf0:
        if (s->config & CFG_ENABLE) {
            vlog(LOG_GUEST_ERRORS, "hpet: main counter written while running\n");
        }
        hpet_rebase(s);
        s->counter = (s->counter & ~mask) | (val & mask);
        hpet_update_all(s);
        break;
    default:
        break;                            /* capabilities and reserved: read-only */
    }
}

static uint64_t hpet_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    HPETState *s = opaque;
    uint64_t v = hpet_read64(s, addr & ~7ull);
    unsigned shift = (addr & 7) * 8;
    v >>= shift;
    return size == 8 ? v : v & ((1ull << (size * 8)) - 1);
}

static void hpet_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    HPETState *s = opaque;
    unsigned shift = (addr & 7) * 8;
    if (size < 4 || shift + size * 8 > 64) {
        vlog(LOG_GUEST_ERRORS, "hpet: %u-byte write at 0x%x ignored\n", size, (unsigned)addr);
        return;
    }
    uint64_t mask = (size == 8 ? ~0ull : ((1ull << (size * 8)) - 1)) << shift;
    hpet_write64(s, addr & ~7ull, val << shift, mask);
}

static const MemoryRegionOps hpet_mmio_ops = {
    .read = hpet_mmio_read,
    .write = hpet_mmio_write,
    .min_access = 1,
    .max_access = 8,
};

static void hpet_reset(Device *dev)
{
    HPETState *s = DEVICE_CAST(HPETState, dev);
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        HPETTimer *t = &s->t[i];
        timer_del(t->timer);
        if (t->line >= 0 && t->line_level) {
            irq_set(s->out[t->line], 0);
        }
        t->config = TN_PERIODIC_CAP | TN_SIZE_CAP | (HPET_ROUTE_CAP << 32);
        t->cmp = ~0ull;
        t->period = 0;
        t->line_level = 0;
        t->line = -1;
    }
    s->config = 0;
    s->isr = 0;
    s->counter = 0;
    s->counter_ns = clock_get_ns(CLOCK_VIRTUAL);
    irq_set(s->out[HPET_OUT_LEGACY_ON], 0);
}

static bool hpet_realize(Device *dev, GError **errp)
{
    HPETState *s = DEVICE_CAST(HPETState, dev);
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        s->t[i].s = s;
        s->t[i].n = i;
        s->t[i].line = -1;
        s->t[i].timer = timer_new(CLOCK_VIRTUAL, hpet_timer_cb, &s->t[i]);
    }
    device_init_gpio_out(dev, s->out, HPET_NUM_OUTS);
    memory_region_init_io(&s->mmio, &hpet_mmio_ops, s, "hpet", HPET_MMIO_SIZE);
    memory_region_add_subregion_overlap(address_space_memory.root, s->addr_prop, &s->mmio, 1);
    hpet_reset(dev);
    return true;
}

static void hpet_print_info(Device *dev, GString *out)
{
    HPETState *s = DEVICE_CAST(HPETState, dev);
    g_string_append_printf(out, "hpet: config=%#llx isr=%#llx counter=%llu\n",
                           (unsigned long long)s->config, (unsigned long long)s->isr,
                           (unsigned long long)hpet_counter(s));
}

static const Property hpet_props[] = {
    DEFINE_PROP("addr", PROP_U32, HPETState, addr_prop, "0xfed00000"),
    DEFINE_PROP_END,
};

static const DeviceClass hpet_class = {
    .name = "hpet",
    .desc = "HPET (3 timers, 100 MHz)",
    .bus = BUS_SYSTEM,
    .instance_size = sizeof(HPETState),
    .props = hpet_props,
    .realize = hpet_realize,
    .reset = hpet_reset,
    .print_info = hpet_print_info,
};

DEVICE_REGISTER(hpet_class)

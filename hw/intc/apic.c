/*
 * Local APIC, xAPIC mode (Intel SDM vol. 3, ch. 10), as QEMU's pc has it:
 * version 0x14 with 6 LVT entries (timer, thermal, performance, LINT0,
 * LINT1, error), a 1 GHz bus clock for the timer (no TSC-deadline mode),
 * MMIO at IA32_APIC_BASE (0xfee00000 after reset).
 *
 * Priorities: a vector's class is vector[7:4].  PPR = TPR if TPR[7:4] >=
 * ISRV[7:4], else ISRV & 0xf0 (ISRV = highest in-service vector); the
 * highest IRR vector is presented to the CPU only if its class is above
 * PPR[7:4] (SDM 10.8.3.1).
 */
#include "hw/intc/apic.h"

#include <string.h>

#include "hw/core/memory.h"
#include "hw/core/timer.h"
#include "util/log.h"

#define APIC_VERSION        0x14
#define APIC_LVT_NB         6
#define APIC_MMIO_SIZE      0x1000
#define APIC_MAX            255        /* APICs on the bus (one per CPU; xAPIC IDs 0..254) */

/* LVT indexes, in register order 0x32..0x37 */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };

#define LVT_MASKED          (1u << 16)
#define LVT_LEVEL           (1u << 15)
#define LVT_REMOTE_IRR      (1u << 14)
#define LVT_TIMER_PERIODIC  (1u << 17)
#define SVR_ENABLE          (1u << 8)
#define SVR_FOCUS_DISABLE   (1u << 9)

/* ESR bits */
#define ESR_SEND_ILLEGAL    (1u << 5)
#define ESR_RECV_ILLEGAL    (1u << 6)
#define ESR_ILLEGAL_REG     (1u << 7)

typedef struct APICState {
    Device dev;
    uint8_t id_prop;
    X86CPU *cpu;
    IRQ intr_out;
    MemoryRegion mmio;
    bool mapped;
    hwaddr mapped_at;

    uint64_t base;               /* IA32_APIC_BASE */
    uint8_t id;
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t isr[8], irr[8], tmr[8];
    uint32_t esr, esr_pending;
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[APIC_LVT_NB];
    uint32_t divide;             /* divide configuration register */
    uint32_t initial_count;
    int64_t count_start;         /* virtual-clock ns when the count (re)started */
    Timer *timer;
    int pic_level;               /* 8259 INTR at LINT0 */
} APICState;

static APICState *apics[APIC_MAX];
static int n_apics;
static void (*eoi_handler)(void *opaque, uint8_t vector);
static void *eoi_opaque;

static void apic_update(APICState *s);

/* ---- 256-bit vector sets ---- */

static inline void vset(uint32_t *v, int n) { v[n >> 5] |= 1u << (n & 31); }
static inline void vclr(uint32_t *v, int n) { v[n >> 5] &= ~(1u << (n & 31)); }
static inline bool vtest(const uint32_t *v, int n) { return v[n >> 5] & (1u << (n & 31)); }

static int vhighest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--) {
        if (v[i]) {
            return i * 32 + 31 - __builtin_clz(v[i]);
        }
    }
    return -1;
}

/* ---- priorities ---- */

static uint8_t apic_ppr(APICState *s)
{
    int isrv = vhighest(s->isr);
    if (isrv < 0) {
        isrv = 0;
    }
    if ((s->tpr >> 4) >= (isrv >> 4)) {
        return s->tpr;
    }
    return isrv & 0xf0;
}

/* APR: arbitration priority (for lowest-priority delivery and reads) */
static uint8_t apic_apr(APICState *s)
{
    int irrv = vhighest(s->irr);
    int isrv = vhighest(s->isr);
    if (irrv < 0) irrv = 0;
    if (isrv < 0) isrv = 0;
    int m = MAX(irrv, isrv) & 0xf0;
    if ((s->tpr & 0xf0) >= m) {
        return s->tpr;
    }
    return m;
}

static bool apic_sw_enabled(APICState *s)
{
    return (s->base & APIC_BASE_ENABLE) && (s->svr & SVR_ENABLE);
}

/* The highest IRR vector if it may interrupt now, else -1. */
static int apic_pending_vector(APICState *s)
{
    if (!apic_sw_enabled(s)) {
        return -1;
    }
    int v = vhighest(s->irr);
    if (v < 0 || (v >> 4) <= (apic_ppr(s) >> 4)) {
        return -1;
    }
    return v;
}

/* Whether the 8259's INTR reaches the CPU: APIC globally disabled (the
 * pin is then plain INTR) or LINT0 unmasked with ExtINT delivery. */
static bool apic_pic_passes(APICState *s)
{
    uint32_t lvt0 = s->lvt[LVT_LINT0];
    if (!(s->base & APIC_BASE_ENABLE)) {
        return true;
    }
    return !(lvt0 & LVT_MASKED) && ((lvt0 >> 8) & 7) == APIC_DM_EXTINT;
}

static void apic_update(APICState *s)
{
    int level = apic_pending_vector(s) >= 0 || (s->pic_level && apic_pic_passes(s));
    irq_set(s->intr_out, level);
}

/* ---- accepting interrupts ---- */

static void apic_error(APICState *s, uint32_t bits);

static void apic_accept_fixed(APICState *s, uint8_t vector, bool level)
{
    if (vector < 16) {
        apic_error(s, ESR_RECV_ILLEGAL);
        return;
    }
    vset(s->irr, vector);
    if (level) {
        vset(s->tmr, vector);
    } else {
        vclr(s->tmr, vector);
    }
    apic_update(s);
}

static void apic_do_init(APICState *s);

static void apic_accept(APICState *s, int mode, uint8_t vector, bool level)
{
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        apic_accept_fixed(s, vector, level);
        break;
    case APIC_DM_NMI:
        if (s->cpu) {
            x86_cpu_set_nmi(s->cpu);
        }
        break;
    case APIC_DM_SMI:
        /* the CPU enters SMM (dropped if the machine has none) */
        if (s->cpu) {
            x86_cpu_smi(s->cpu);
        }
        break;
    case APIC_DM_INIT:
        apic_do_init(s);
        if (s->cpu) {
            x86_cpu_init_request(s->cpu);
        }
        break;
    case APIC_DM_SIPI:
        /* only a CPU waiting for SIPI (an AP after RESET or INIT) starts */
        if (s->cpu) {
            x86_cpu_sipi(s->cpu, vector);
        }
        break;
    case APIC_DM_EXTINT:
        vlog(LOG_UNIMP, "apic: ExtINT message ignored (use LINT0)\n");
        break;
    default:
        vlog(LOG_GUEST_ERRORS, "apic: reserved delivery mode %d\n", mode);
        break;
    }
}

/* Deliver local interrupt source lvt (timer, LINTn, error...). */
static void apic_local_deliver(APICState *s, int lvt)
{
    uint32_t v = s->lvt[lvt];
    if (v & LVT_MASKED) {
        return;
    }
    int mode = (v >> 8) & 7;
    if (lvt == LVT_TIMER || lvt == LVT_ERROR) {
        mode = APIC_DM_FIXED;           /* no delivery-mode field */
    }
    switch (mode) {
    case APIC_DM_FIXED:
        apic_accept_fixed(s, v & 0xff, lvt >= LVT_LINT0 && lvt <= LVT_LINT1 && (v & LVT_LEVEL));
        break;
    case APIC_DM_EXTINT:
        apic_update(s);                 /* the 8259 answers the INTA */
        break;
    default:
        apic_accept(s, mode, v & 0xff, false);
        break;
    }
}

static void apic_error(APICState *s, uint32_t bits)
{
    bool first = !(s->esr_pending & bits);
    s->esr_pending |= bits;
    /* an illegal vector in the error LVT must not recurse */
    if (first && !(bits & ESR_RECV_ILLEGAL && (s->lvt[LVT_ERROR] & 0xff) < 16)) {
        apic_local_deliver(s, LVT_ERROR);
    }
}

/* ---- timer (1 GHz bus clock / divider) ---- */

static int apic_timer_shift(APICState *s)
{
    int v = (s->divide & 3) | ((s->divide >> 1) & 4);
    return (v + 1) & 7;                /* 0b111 divides by 1 */
}

static uint64_t apic_timer_ticks(APICState *s, int64_t now)
{
    int64_t d = now - s->count_start;
    return d > 0 ? (uint64_t)d >> apic_timer_shift(s) : 0;
}

static uint32_t apic_current_count(APICState *s)
{
    if (!s->initial_count) {
        return 0;
    }
    uint64_t t = apic_timer_ticks(s, clock_get_ns(CLOCK_VIRTUAL));
    if (s->lvt[LVT_TIMER] & LVT_TIMER_PERIODIC) {
        return s->initial_count - (uint32_t)(t % s->initial_count);
    }
    return t >= s->initial_count ? 0 : s->initial_count - (uint32_t)t;
}

/* Arm the timer for the next time the count reaches zero. */
static void apic_timer_arm(APICState *s)
{
    if (!s->initial_count) {
        timer_del(s->timer);
        return;
    }
    int shift = apic_timer_shift(s);
    uint64_t t = apic_timer_ticks(s, clock_get_ns(CLOCK_VIRTUAL));
    uint64_t next;
    if (s->lvt[LVT_TIMER] & LVT_TIMER_PERIODIC) {
        next = (t / s->initial_count + 1) * s->initial_count;
    } else {
        next = s->initial_count;
        if (t >= next) {
            timer_del(s->timer);       /* one-shot already expired */
            return;
        }
    }
    timer_mod(s->timer, s->count_start + (int64_t)(next << shift));
}

static void apic_timer_cb(void *opaque)
{
    APICState *s = opaque;
    apic_local_deliver(s, LVT_TIMER);
    if (s->lvt[LVT_TIMER] & LVT_TIMER_PERIODIC) {
        apic_timer_arm(s);
    }
}

/* ---- EOI ---- */

static void apic_eoi(APICState *s)
{
    int v = vhighest(s->isr);
    if (v < 0) {
        return;
    }
    vclr(s->isr, v);
    if (vtest(s->tmr, v) && eoi_handler) {
        eoi_handler(eoi_opaque, v);
    }
    apic_update(s);
}

/* ---- the APIC bus ---- */

static bool apic_match_logical(APICState *s, uint8_t dest)
{
    uint8_t ldr = s->ldr >> 24;
    if (dest == 0xff) {
        return true;
    }
    if ((s->dfr >> 28) == 0xf) {         /* flat */
        return ldr & dest;
    }
    /* cluster: high nibble is the cluster, low nibble a member bitmap */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

static bool apic_match(APICState *s, uint8_t dest, bool logical)
{
    if (!(s->base & APIC_BASE_ENABLE)) {
        return false;
    }
    if (logical) {
        return apic_match_logical(s, dest);
    }
    return dest == 0xff || dest == s->id;
}

void apic_bus_deliver(uint8_t dest, bool logical, int delivery_mode, uint8_t vector,
                      bool level_trig)
{
    if (delivery_mode == APIC_DM_LOWEST) {
        APICState *best = NULL;
        for (int i = 0; i < n_apics; i++) {
            APICState *s = apics[i];
            if (apic_match(s, dest, logical) &&
                (!best || apic_apr(s) < apic_apr(best))) {
                best = s;
            }
        }
        if (best) {
            apic_accept(best, APIC_DM_FIXED, vector, level_trig);
        }
        return;
    }
    for (int i = 0; i < n_apics; i++) {
        if (apic_match(apics[i], dest, logical)) {
            apic_accept(apics[i], delivery_mode, vector, level_trig);
        }
    }
}

void apic_set_eoi_handler(void (*fn)(void *opaque, uint8_t vector), void *opaque)
{
    eoi_handler = fn;
    eoi_opaque = opaque;
}

/* ICR write: send an IPI (always delivered at once: delivery status 0). */
static void apic_send_ipi(APICState *s)
{
    uint32_t lo = s->icr_lo;
    int mode = (lo >> 8) & 7;
    uint8_t vector = lo & 0xff;
    bool logical = lo & (1u << 11);
    bool level_assert = lo & (1u << 14);
    bool level_trig = lo & (1u << 15);
    int shorthand = (lo >> 18) & 3;
    uint8_t dest = s->icr_hi >> 24;

    /* INIT level de-assert only synchronises arbitration IDs */
    if (mode == APIC_DM_INIT && level_trig && !level_assert) {
        return;
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        apic_error(s, ESR_SEND_ILLEGAL);
    }
    switch (shorthand) {
    case 0:
        apic_bus_deliver(dest, logical, mode, vector, level_trig);
        break;
    case 1:                               /* self */
        apic_accept(s, mode == APIC_DM_LOWEST ? APIC_DM_FIXED : mode, vector, level_trig);
        break;
    case 2:                               /* all including self */
    case 3:                               /* all excluding self */
        for (int i = 0; i < n_apics; i++) {
            if (shorthand == 3 && apics[i] == s) {
                continue;
            }
            if (apics[i]->base & APIC_BASE_ENABLE) {
                apic_accept(apics[i], mode == APIC_DM_LOWEST ? APIC_DM_FIXED : mode, vector,
                            level_trig);
            }
        }
        break;
    }
}

/* ---- registers ---- */

static uint32_t apic_reg_read(APICState *s, unsigned reg)
{
    switch (reg) {
    case 0x02: return (uint32_t)s->id << 24;
    case 0x03: return APIC_VERSION | ((APIC_LVT_NB - 1) << 16);
    case 0x08: return s->tpr;
    case 0x09: return apic_apr(s);
    case 0x0a: return apic_ppr(s);
    case 0x0b: return 0;                  /* EOI is write-only */
    case 0x0d: return s->ldr;
    case 0x0e: return s->dfr | 0x0fffffff;
    case 0x0f: return s->svr;
    case 0x10 ... 0x17: return s->isr[reg - 0x10];
    case 0x18 ... 0x1f: return s->tmr[reg - 0x18];
    case 0x20 ... 0x27: return s->irr[reg - 0x20];
    case 0x28: return s->esr;
    case 0x30: return s->icr_lo;          /* delivery status always idle */
    case 0x31: return s->icr_hi;
    case 0x32 ... 0x37: return s->lvt[reg - 0x32];
    case 0x38: return s->initial_count;
    case 0x39: return apic_current_count(s);
    case 0x3e: return s->divide;
    default:
        apic_error(s, ESR_ILLEGAL_REG);
        return 0;
    }
}

/* Writable bits of each LVT (delivery status and remote IRR are read-only;
 * no TSC-deadline mode is advertised, so timer bit 18 is reserved). */
static const uint32_t lvt_mask[APIC_LVT_NB] = {
    [LVT_TIMER] = 0x300ff,
    [LVT_THERMAL] = 0x107ff,
    [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff,
    [LVT_LINT1] = 0x1a7ff,
    [LVT_ERROR] = 0x100ff,
};

static void apic_reg_write(APICState *s, unsigned reg, uint32_t val)
{
    switch (reg) {
    case 0x02:
        s->id = val >> 24;
        break;
    case 0x08:
        s->tpr = val & 0xff;
        apic_update(s);
        break;
    case 0x0b:
        apic_eoi(s);
        break;
    case 0x0d:
        s->ldr = val & 0xff000000;
        break;
    case 0x0e:
        s->dfr = val & 0xf0000000;
        break;
    case 0x0f:
        s->svr = val & 0x3ff;
        if (!(s->svr & SVR_ENABLE)) {
            /* software disable masks every LVT (SDM 10.4.7.2) */
            for (int i = 0; i < APIC_LVT_NB; i++) {
                s->lvt[i] |= LVT_MASKED;
            }
        }
        apic_update(s);
        break;
    case 0x28:
        /* a write latches the errors seen since the last write */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        break;
    case 0x30:
        s->icr_lo = val & 0x000ccfff;
        apic_send_ipi(s);
        break;
    case 0x31:
        s->icr_hi = val & 0xff000000;
        break;
    case 0x32 ... 0x37: {
        int n = reg - 0x32;
        uint32_t keep = s->lvt[n] & ~lvt_mask[n];
        s->lvt[n] = keep | (val & lvt_mask[n]);
        if (!(s->svr & SVR_ENABLE)) {
            s->lvt[n] |= LVT_MASKED;
        }
        if (n == LVT_TIMER) {
            apic_timer_arm(s);
        }
        apic_update(s);
        break;
    }
    case 0x38:
        s->initial_count = val;
        s->count_start = clock_get_ns(CLOCK_VIRTUAL);
        apic_timer_arm(s);
        break;
    case 0x3e: {
        /* keep the current count where it is under the new divider */
        uint32_t cur = apic_current_count(s);
        s->divide = val & 0xb;
        if (s->initial_count) {
            int64_t now = clock_get_ns(CLOCK_VIRTUAL);
            uint64_t done = cur ? s->initial_count - cur : s->initial_count;
            s->count_start = now - (int64_t)(done << apic_timer_shift(s));
            apic_timer_arm(s);
        }
        break;
    }
    case 0x03: case 0x09: case 0x0a: case 0x10 ... 0x27: case 0x39:
        break;                            /* read-only */
    default:
        apic_error(s, ESR_ILLEGAL_REG);
        break;
    }
}

/* Every CPU sees its own local APIC at its APIC base: the page answers
 * the CPU that accesses it (the BSP's APIC when no CPU runs, as for
 * qtest).  Each enabled APIC maps the page, so a base moved by one CPU
 * is claimed too. */
static APICState *apic_for_access(APICState *s)
{
    if (current_cpu && current_cpu->apic) {
        APICState *c = DEVICE_CAST(APICState, current_cpu->apic);
        if ((c->base & APIC_BASE_ENABLE) && c->mapped) {
            return c;
        }
    } else if (n_apics) {
        return apics[0];
    }
    return s;
}

static uint64_t apic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    APICState *s = apic_for_access(opaque);
    if (addr & 0xf) {
        /* registers are 16-byte aligned; only their first dword exists */
        vlog(LOG_GUEST_ERRORS, "apic: read at unaligned offset 0x%x\n", (unsigned)addr);
        return 0;
    }
    uint32_t v = apic_reg_read(s, (addr >> 4) & 0xff);
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void apic_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    APICState *s = apic_for_access(opaque);
    if ((addr & 0xf) || size != 4) {
        vlog(LOG_GUEST_ERRORS, "apic: %u-byte write at offset 0x%x ignored\n", size,
             (unsigned)addr);
        return;
    }
    apic_reg_write(s, (addr >> 4) & 0xff, (uint32_t)val);
}

static const MemoryRegionOps apic_mmio_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- base MSR and mapping ---- */

static void apic_remap(APICState *s)
{
    MemoryRegion *root = address_space_memory.root;
    bool want = s->base & APIC_BASE_ENABLE;
    hwaddr at = s->base & ~0xfffull;
    if (s->mapped && (!want || at != s->mapped_at)) {
        memory_region_del_subregion(root, &s->mmio);
        s->mapped = false;
    }
    if (want && !s->mapped && root) {
        memory_region_add_subregion_overlap(root, at, &s->mmio, 2);
        s->mapped = true;
        s->mapped_at = at;
    }
}

uint64_t apic_get_base(Device *dev)
{
    return DEVICE_CAST(APICState, dev)->base;
}

bool apic_set_base(Device *dev, uint64_t val)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    /* bits 0-7, 9-10 and above the 36-bit physical address width are reserved */
    if (val & (0xffull | (3ull << 9) | ~0xfffffffffull)) {
        return false;
    }
    /* Re-enabling after a global disable is allowed: only APICs on the
     * 3-wire APIC bus need a reset for that, FSB-delivery ones (everything
     * since the Pentium 4, and what CPUID describes) do not (SDM 10.4.3). */
    val = (val & ~(uint64_t)APIC_BASE_BSP) | (s->base & APIC_BASE_BSP);
    bool disabling = (s->base & APIC_BASE_ENABLE) && !(val & APIC_BASE_ENABLE);
    s->base = val;
    if (disabling) {
        /* globally disabled: registers to power-on state, like INIT */
        apic_do_init(s);
    }
    apic_remap(s);
    apic_update(s);
    return true;
}

void apic_set_tpr_cr8(Device *dev, uint8_t cr8)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    s->tpr = (cr8 & 0xf) << 4;
    apic_update(s);
}

uint8_t apic_get_tpr_cr8(Device *dev)
{
    return DEVICE_CAST(APICState, dev)->tpr >> 4;
}

/* ---- CPU side ---- */

void apic_attach_cpu(Device *dev, X86CPU *cpu)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    s->cpu = cpu;
    cpu->apic = dev;
}

void apic_set_pic_intr(Device *dev, int level)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    s->pic_level = level;
    apic_update(s);
}

int apic_get_interrupt(Device *dev, int (*pic_ack)(void *opaque), void *pic_opaque)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    int v = apic_pending_vector(s);
    if (v >= 0) {
        vclr(s->irr, v);
        vset(s->isr, v);
        apic_update(s);
        return v;
    }
    if (s->pic_level && apic_pic_passes(s) && pic_ack) {
        int pv = pic_ack(pic_opaque);
        apic_update(s);
        return pv;
    }
    apic_update(s);
    return -1;
}

void apic_deliver_nmi(Device *dev)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    if (!(s->base & APIC_BASE_ENABLE)) {
        if (s->cpu) {
            x86_cpu_set_nmi(s->cpu);
        }
        return;
    }
    apic_local_deliver(s, LVT_LINT1);
}

/* ---- reset ---- */

/* INIT: everything but the ID and the base MSR to power-on values
 * (SDM 10.4.7.3). */
static void apic_do_init(APICState *s)
{
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xf0000000;
    s->svr = 0xff;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->irr, 0, sizeof(s->irr));
    memset(s->tmr, 0, sizeof(s->tmr));
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = LVT_MASKED;
    }
    s->divide = 0;
    s->initial_count = 0;
    s->count_start = 0;
    if (s->timer) {
        timer_del(s->timer);
    }
}

static void apic_reset(Device *dev)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    s->id = s->id_prop;
    s->base = APIC_DEFAULT_ADDRESS | APIC_BASE_ENABLE | (s->id == 0 ? APIC_BASE_BSP : 0);
    apic_do_init(s);
    /* As QEMU's pc: the BSP's LINT0 comes up as ExtINT, so the 8259 reaches
     * the CPU through a software-disabled APIC, as firmware expects. */
    if (s->base & APIC_BASE_BSP) {
        s->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
    }
    apic_remap(s);
    apic_update(s);
}

static bool apic_realize(Device *dev, GError **errp)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    if (n_apics >= APIC_MAX) {
        vireo_set_error(errp, "apic: at most %d local APICs", APIC_MAX);
        return false;
    }
    apics[n_apics++] = s;
    memory_region_init_io(&s->mmio, &apic_mmio_ops, s, "apic-mmio", APIC_MMIO_SIZE);
    s->timer = timer_new(CLOCK_VIRTUAL, apic_timer_cb, s);
    device_init_gpio_out(dev, &s->intr_out, 1);
    apic_reset(dev);
    return true;
}

void apic_print_info(Device *dev, GString *out)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    g_string_append_printf(out, "apic %u: base=%#llx svr=%#x tpr=%#x ppr=%#x isr=%d irr=%d "
                           "lvt timer=%#x lint0=%#x lint1=%#x init=%u cur=%u div=%#x\n",
                           s->id, (unsigned long long)s->base, s->svr, s->tpr, apic_ppr(s),
                           vhighest(s->isr), vhighest(s->irr), s->lvt[LVT_TIMER],
                           s->lvt[LVT_LINT0], s->lvt[LVT_LINT1], s->initial_count,
                           apic_current_count(s), s->divide);
}

static void apic_print_info_dev(Device *dev, GString *out)
{
    apic_print_info(dev, out);
}

static const Property apic_props[] = {
    DEFINE_PROP("id", PROP_U8, APICState, id_prop, "0"),
    DEFINE_PROP_END,
};

static const DeviceClass apic_class = {
    .name = "apic",
    .desc = "local APIC (xAPIC)",
    .bus = BUS_SYSTEM,
    .instance_size = sizeof(APICState),
    .props = apic_props,
    .realize = apic_realize,
    .reset = apic_reset,
    .print_info = apic_print_info_dev,
};

DEVICE_REGISTER(apic_class)

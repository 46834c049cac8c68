/*
 * Local APIC (Intel SDM vol. 3, ch. 10), as QEMU's pc has it: version 0x14
 * with 6 LVT entries (timer, thermal, performance, LINT0, LINT1, error), a
 * 1 GHz bus clock for the timer, MMIO at IA32_APIC_BASE (0xfee00000 after
 * reset).  When the CPU's CPUID offers them: x2APIC mode (10.12: the
 * registers as MSRs 0x800-0x8ff, 32-bit IDs, cluster-only logical mode,
 * SELF IPI; the MMIO page is then gone) and the TSC-deadline timer mode
 * (10.5.4.1: IA32_TSC_DEADLINE, MSR 0x6e0).
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
#define LVT_TIMER_MODE      (3u << 17)
#define LVT_TIMER_DEADLINE  (2u << 17)
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
    uint8_t id;                  /* also the x2APIC ID (initial APIC ID, < 255) */
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t isr[8], irr[8], tmr[8];
    uint32_t esr, esr_pending;
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[APIC_LVT_NB];
    uint32_t divide;             /* divide configuration register */
    uint32_t initial_count;
    int64_t count_start;         /* virtual-clock ns when the count (re)started */
    uint64_t tsc_deadline;       /* IA32_TSC_DEADLINE: armed when non-zero */
    bool count_stopped;          /* a count that reached 0 in one-shot mode
                                  * stays 0 across a switch to periodic */
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

static bool apic_x2apic_mode(APICState *s)
{
    return s->base & APIC_BASE_EXTD;
}

/* x2APIC mode's logical ID, derived from the ID: cluster ID[19:4] in bits
 * 31:16, bit ID[3:0] set in 15:0 (SDM 10.12.10.2) */
static uint32_t apic_x2apic_ldr(APICState *s)
{
    return ((uint32_t)(s->id >> 4) << 16) | (1u << (s->id & 0xf));
}

/* CPUID.01H:ECX bits of the attached CPU */
static bool apic_cpu_has(APICState *s, uint32_t ecx_bit)
{
    return s->cpu && (s->cpu->cpuid_ext_features & ecx_bit);
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

static bool apic_timer_deadline_mode(APICState *s)
{
    return (s->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_DEADLINE;
}

static uint32_t apic_current_count(APICState *s)
{
    if (!s->initial_count || s->count_stopped || apic_timer_deadline_mode(s)) {
        return 0;
    }
    uint64_t t = apic_timer_ticks(s, clock_get_ns(CLOCK_VIRTUAL));
    if ((s->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC) {
        return s->initial_count - (uint32_t)(t % s->initial_count);
    }
    return t >= s->initial_count ? 0 : s->initial_count - (uint32_t)t;
}

/* Restart the count's clock so that it reads cur now (a divider or mode
 * change keeps the count where it is). */
static void apic_timer_rebase(APICState *s, uint32_t cur)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    uint64_t done = cur ? s->initial_count - cur : s->initial_count;
    s->count_start = now - (int64_t)(done << apic_timer_shift(s));
}

static void apic_timer_cb(void *opaque);

/* Arm the timer for the next time the count reaches zero (in TSC-deadline
 * mode: for the deadline, or fire now if it is already due). */
static void apic_timer_arm(APICState *s)
{
    if (apic_timer_deadline_mode(s)) {
        /* TSC = virtual ns + the CPU's offset (target/x86/misc_helper.c) */
        if (!s->tsc_deadline || !s->cpu) {
            timer_del(s->timer);
            return;
        }
        uint64_t ns = s->tsc_deadline - s->cpu->tsc_offset;
        if (ns <= (uint64_t)clock_get_ns(CLOCK_VIRTUAL)) {
            apic_timer_cb(s);             /* already due: before the next instruction */
        } else {
            timer_mod(s->timer, ns > INT64_MAX ? INT64_MAX : (int64_t)ns);
        }
        return;
    }
    if (!s->initial_count || s->count_stopped) {
        timer_del(s->timer);
        return;
    }
    int shift = apic_timer_shift(s);
    uint64_t t = apic_timer_ticks(s, clock_get_ns(CLOCK_VIRTUAL));
    uint64_t next;
    if ((s->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC) {
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
    if (apic_timer_deadline_mode(s)) {
        s->tsc_deadline = 0;           /* disarmed once it fires */
    }
    apic_local_deliver(s, LVT_TIMER);
    if ((s->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC) {
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

static bool apic_match_logical(APICState *s, uint32_t dest)
{
    if (dest == APIC_BROADCAST) {
        return true;
    }
    if (apic_x2apic_mode(s)) {
        /* cluster ID in [31:16], a bitmap of 16 members in [15:0] */
        return (dest >> 16) == (s->ldr >> 16) && (dest & s->ldr & 0xffff);
    }
    uint8_t ldr = s->ldr >> 24;
    if ((s->dfr >> 28) == 0xf) {         /* flat */
        return ldr & dest;
    }
    /* cluster: high nibble is the cluster, low nibble a member bitmap */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

static bool apic_match(APICState *s, uint32_t dest, bool logical)
{
    if (!(s->base & APIC_BASE_ENABLE)) {
        return false;
    }
    if (logical) {
        return apic_match_logical(s, dest);
    }
    return dest == APIC_BROADCAST || dest == s->id;
}

/* dest: a 32-bit x2APIC destination (APIC_BROADCAST: all) */
static void apic_bus_deliver32(uint32_t dest, bool logical, int delivery_mode, uint8_t vector,
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

/* An xAPIC-format message (8-bit destination, 0xff for all), as the IOAPIC
 * and MSI send: to an x2APIC, 0xff is the broadcast. */
void apic_bus_deliver(uint8_t dest, bool logical, int delivery_mode, uint8_t vector,
                      bool level_trig)
{
    apic_bus_deliver32(dest == 0xff ? APIC_BROADCAST : dest, logical, delivery_mode, vector,
                       level_trig);
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
    /* the destination: ICR[63:56] in xAPIC mode, ICR[63:32] in x2APIC mode */
    uint32_t dest = apic_x2apic_mode(s) ? s->icr_hi : s->icr_hi >> 24;
    if (!apic_x2apic_mode(s) && dest == 0xff) {
        dest = APIC_BROADCAST;
    }

    /* INIT level de-assert only synchronises arbitration IDs */
    if (mode == APIC_DM_INIT && level_trig && !level_assert) {
        return;
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        apic_error(s, ESR_SEND_ILLEGAL);
    }
    switch (shorthand) {
    case 0:
        apic_bus_deliver32(dest, logical, mode, vector, level_trig);
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
    case 0x02: return apic_x2apic_mode(s) ? s->id : (uint32_t)s->id << 24;
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
 * timer bit 18, TSC-deadline mode, only when CPUID offers it). */
static const uint32_t lvt_mask[APIC_LVT_NB] = {
    [LVT_TIMER] = 0x300ff,
    [LVT_THERMAL] = 0x107ff,
    [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff,
    [LVT_LINT1] = 0x1a7ff,
    [LVT_ERROR] = 0x100ff,
};

static uint32_t apic_lvt_mask(APICState *s, int n)
{
    if (n == LVT_TIMER && apic_cpu_has(s, CPUID_EXT_TSC_DEADLINE)) {
        return lvt_mask[n] | LVT_TIMER_MODE;
    }
    return lvt_mask[n];
}

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
        uint32_t mask = apic_lvt_mask(s, n);
        uint32_t old = s->lvt[n];
        uint32_t cur = n == LVT_TIMER ? apic_current_count(s) : 0;
        s->lvt[n] = (old & ~mask) | (val & mask);
        if (!(s->svr & SVR_ENABLE)) {
            s->lvt[n] |= LVT_MASKED;
        }
        if (n == LVT_TIMER && ((old ^ s->lvt[n]) & LVT_TIMER_MODE) &&
            (apic_timer_deadline_mode(s) || (old & LVT_TIMER_MODE) == LVT_TIMER_DEADLINE)) {
            /* a switch into or out of TSC-deadline mode disarms the timer
             * (SDM 10.5.4.1) */
            s->tsc_deadline = 0;
            s->initial_count = 0;
        } else if (n == LVT_TIMER && ((old ^ s->lvt[n]) & LVT_TIMER_MODE) && s->initial_count) {
            /* one-shot <-> periodic: the count goes on from where it is,
             * and one that reached 0 stays there */
            apic_timer_rebase(s, cur);
            s->count_stopped = !cur;
        }
        if (n == LVT_TIMER) {
            apic_timer_arm(s);
        }
        apic_update(s);
        break;
    }
    case 0x38:
        if (apic_timer_deadline_mode(s)) {
            break;                        /* ignored in TSC-deadline mode */
        }
        s->count_stopped = false;
        s->initial_count = val;
        s->count_start = clock_get_ns(CLOCK_VIRTUAL);
        apic_timer_arm(s);
        break;
    case 0x3e: {
        /* keep the current count where it is under the new divider */
        uint32_t cur = apic_current_count(s);
        s->divide = val & 0xb;
        if (s->initial_count) {
            apic_timer_rebase(s, cur);
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
 * is claimed too.  A CPU whose APIC is disabled, in x2APIC mode or based
 * elsewhere gets NULL: for it the page is not there (reads all ones,
 * writes dropped), whichever other CPU's APIC maps it. */
static APICState *apic_for_access(APICState *s)
{
    if (current_cpu && current_cpu->apic) {
        APICState *c = DEVICE_CAST(APICState, current_cpu->apic);
        return c->mapped && c->mapped_at == s->mapped_at ? c : NULL;
    }
    return n_apics ? apics[0] : s;
}

static uint64_t apic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    APICState *s = apic_for_access(opaque);
    if (!s) {
        return ~0ull;
    }
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
    if (!s) {
        return;
    }
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

/* ---- x2APIC registers and IA32_TSC_DEADLINE as MSRs ---- */

/* Registers an x2APIC has, by MMIO offset >> 4 (SDM table 10-6): no APR
 * (0x09), DFR (0x0e) or ICR high half (0x31); SELF IPI at 0x3f. */
static bool x2apic_readable(unsigned reg)
{
    switch (reg) {
    case 0x02: case 0x03: case 0x08: case 0x0a: case 0x0d: case 0x0f:
    case 0x10 ... 0x28: case 0x30: case 0x32 ... 0x39: case 0x3e:
        return true;
    default:
        return false;
    }
}

bool apic_msr_read(Device *dev, uint32_t msr, uint64_t *val)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    if (msr == MSR_TSC_DEADLINE) {
        if (!apic_cpu_has(s, CPUID_EXT_TSC_DEADLINE)) {
            return false;
        }
        *val = apic_timer_deadline_mode(s) ? s->tsc_deadline : 0;
        return true;
    }
    unsigned reg = msr - MSR_X2APIC_FIRST;
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !apic_x2apic_mode(s) ||
        !x2apic_readable(reg)) {
        return false;
    }
    *val = reg == 0x30 ? (uint64_t)s->icr_hi << 32 | s->icr_lo : apic_reg_read(s, reg);
    return true;
}

bool apic_msr_write(Device *dev, uint32_t msr, uint64_t val)
{
    APICState *s = DEVICE_CAST(APICState, dev);
    if (msr == MSR_TSC_DEADLINE) {
        if (!apic_cpu_has(s, CPUID_EXT_TSC_DEADLINE)) {
            return false;
        }
        if (apic_timer_deadline_mode(s)) {  /* ignored in the other modes */
            s->tsc_deadline = val;
            apic_timer_arm(s);
        }
        return true;
    }
    unsigned reg = msr - MSR_X2APIC_FIRST;
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !apic_x2apic_mode(s)) {
        return false;
    }
    if (reg == 0x30) {                    /* ICR: one 64-bit write sends */
        s->icr_hi = val >> 32;
        apic_reg_write(s, 0x30, (uint32_t)val);
        return true;
    }
    if (val >> 32) {
        return false;                     /* the other registers are 32-bit */
    }
    switch (reg) {
    case 0x08:                            /* TPR */
    case 0x3f:                            /* SELF IPI: a vector */
        if (val & ~0xffull) {
            return false;
        }
        if (reg == 0x3f) {
            apic_accept(s, APIC_DM_FIXED, val, false);
            return true;
        }
        break;
    case 0x0b:                            /* EOI and ESR take only 0 */
    case 0x28:
        if (val) {
            return false;
        }
        break;
    case 0x0f: case 0x32 ... 0x38: case 0x3e:
        break;
    default:                              /* read-only or absent */
        return false;
    }
    apic_reg_write(s, reg, (uint32_t)val);
    return true;
}

/* ---- base MSR and mapping ---- */

static void apic_remap(APICState *s)
{
    MemoryRegion *root = address_space_memory.root;
    /* x2APIC mode has no MMIO interface (SDM 10.12.1.2) */
    bool want = (s->base & APIC_BASE_ENABLE) && !apic_x2apic_mode(s);
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
    /* bits 0-7, 9, 10 without x2APIC, and above the 36-bit physical
     * address width are reserved */
    uint64_t reserved = 0xffull | (1ull << 9) | ~0xfffffffffull;
    if (!apic_cpu_has(s, CPUID_EXT_X2APIC)) {
        reserved |= APIC_BASE_EXTD;
    }
    if (val & reserved) {
        return false;
    }
    /* SDM 10.12.5, figure 10-27: EXTD without EN is invalid; x2APIC mode is
     * entered only from xAPIC mode and left only by disabling the APIC */
    bool en = val & APIC_BASE_ENABLE, extd = val & APIC_BASE_EXTD;
    if ((extd && !en) ||
        (extd && !(s->base & APIC_BASE_ENABLE)) ||
        (en && !extd && apic_x2apic_mode(s))) {
        return false;
    }
    if (extd && !apic_x2apic_mode(s)) {
        s->id = s->id_prop;               /* the x2APIC ID is the initial APIC ID */
        s->ldr = apic_x2apic_ldr(s);
    }
    /* Re-enabling after a global disable is allowed: only APICs on the
     * 3-wire APIC bus need a reset for that, FSB-delivery ones (everything
     * since the Pentium 4, and what CPUID describes) do not (SDM 10.4.3). */
    val = (val & ~(uint64_t)APIC_BASE_BSP) | (s->base & APIC_BASE_BSP);
    bool disabling = (s->base & APIC_BASE_ENABLE) && !(val & APIC_BASE_ENABLE);
    s->base = val;
    if (disabling) {
        /* globally disabled: registers to their power-up state, the ID
         * too (software may have changed the xAPIC ID) */
        s->id = s->id_prop;
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
    s->ldr = apic_x2apic_mode(s) ? apic_x2apic_ldr(s) : 0;
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
    s->tsc_deadline = 0;
    s->count_stopped = false;
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

/*
 * ACPI fixed hardware shared by the PIIX4 PM function (pc) and the ICH9
 * LPC bridge (q35): PM1 event/control registers, the 24-bit PM timer and
 * a GPE0 block, and the level SCI they raise (ACPI specification 4.8:
 * TMR_STS on every change of timer bit 23; status bits are write-1-to-
 * clear; SCI while SCI_EN and an enabled status bit is set).
 */
#include "hw/acpi/acpi.h"

#include <glib.h>
#include <string.h>

#include "hw/core/timer.h"
#include "system/runstate.h"
#include "util/log.h"

#define PM1_STS_MASK    (ACPI_BITMASK_TIMER | ACPI_BITMASK_BM | ACPI_BITMASK_GBL | \
                         ACPI_BITMASK_PWRBTN | ACPI_BITMASK_RTC | ACPI_BITMASK_WAK)
#define PM1_EN_MASK     (ACPI_BITMASK_TIMER | ACPI_BITMASK_GBL | ACPI_BITMASK_PWRBTN | \
                         ACPI_BITMASK_RTC)
#define PM1_CNT_MASK    (ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP)

/* Bit 23 of the timer changes every 2^23 ticks. */
#define PM_TMR_HALF     (1ull << (ACPI_PM_TIMER_BITS - 1))

static uint64_t pm_timer_ticks(int64_t ns)
{
    return muldiv64(ns, ACPI_PM_TIMER_FREQ, NANOSECONDS_PER_SECOND);
}

/* First time strictly after now at which bit 23 of the timer changes. */
static int64_t pm_timer_next_toggle(int64_t now)
{
    uint64_t next = (pm_timer_ticks(now) / PM_TMR_HALF + 1) * PM_TMR_HALF;
    /* ceil(next * 1e9 / freq): the first ns whose tick count reaches next */
    return (int64_t)(((unsigned __int128)next * NANOSECONDS_PER_SECOND + ACPI_PM_TIMER_FREQ - 1)
                     / ACPI_PM_TIMER_FREQ);
}

/* Latch TMR_STS if bit 23 changed since we last looked. */
static void pm_timer_update_status(AcpiPM *pm, int64_t now)
{
    if (now >= pm->tmr_next_ns) {
        pm->pm1_sts |= ACPI_BITMASK_TIMER;
        pm->tmr_next_ns = pm_timer_next_toggle(now);
    }
}

static bool gpe_pending(const AcpiPM *pm)
{
    for (unsigned i = 0; i < pm->gpe_len / 2; i++) {
        if (pm->gpe_sts[i] & pm->gpe_en[i]) {
            return true;
        }
    }
    return false;
}

void acpi_pm_update_sci(AcpiPM *pm)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    pm_timer_update_status(pm, now);

    /* With SCI_EN clear the events would go to SMI; as on QEMU's chipsets,
     * they raise nothing then. */
    bool level = (pm->pm1_cnt & ACPI_PM1_CNT_SCI_EN) &&
                 ((pm->pm1_sts & pm->pm1_en & PM1_EN_MASK) || gpe_pending(pm));
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_set(pm->sci, level);
    }

    /* Only an enabled timer event needs a wake-up; otherwise TMR_STS is
     * computed when read. */
    if ((pm->pm1_en & ACPI_BITMASK_TIMER) && !(pm->pm1_sts & ACPI_BITMASK_TIMER)) {
        timer_mod(pm->tmr_timer, pm->tmr_next_ns);
    } else {
        timer_del(pm->tmr_timer);
    }
}

static void pm_timer_cb(void *opaque)
{
    acpi_pm_update_sci(opaque);
}

static void pm_sleep(AcpiPM *pm, unsigned typ)
{
    if (typ == ACPI_SLP_TYP_S5) {
        /* Soft off: the main loop exits (or stops with -no-shutdown). */
        system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    } else {
        vlog(LOG_UNIMP, "%s: sleep type %u not supported, ignored\n", pm->owner, typ);
    }
}

bool acpi_pm1_owns(unsigned off)
{
    return off < ACPI_PM_TMR + ACPI_PM_TMR_LEN;
}

static uint8_t pm1_read_byte(AcpiPM *pm, unsigned off, uint32_t tmr)
{
    switch (off) {
    case ACPI_PM1_STS:      return pm->pm1_sts;
    case ACPI_PM1_STS + 1:  return pm->pm1_sts >> 8;
    case ACPI_PM1_EN:       return pm->pm1_en;
    case ACPI_PM1_EN + 1:   return pm->pm1_en >> 8;
    case ACPI_PM1_CNT:      return pm->pm1_cnt;
    case ACPI_PM1_CNT + 1:  return pm->pm1_cnt >> 8;
    case ACPI_PM_TMR ... ACPI_PM_TMR + 3:
        return tmr >> (8 * (off - ACPI_PM_TMR));
    default:
        return 0;           /* 0x06-0x07: reserved */
    }
}

uint64_t acpi_pm1_read(AcpiPM *pm, unsigned off, unsigned size)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    uint32_t tmr = pm_timer_ticks(now) & ((1u << ACPI_PM_TIMER_BITS) - 1);
    uint64_t val = 0;

    pm_timer_update_status(pm, now);
    for (unsigned i = 0; i < size && acpi_pm1_owns(off + i); i++) {
        val |= (uint64_t)pm1_read_byte(pm, off + i, tmr) << (8 * i);
    }
    return val;
}

void acpi_pm1_write(AcpiPM *pm, unsigned off0, uint64_t val, unsigned size)
{
    uint16_t sts_clear = 0, en = pm->pm1_en, cnt = pm->pm1_cnt;
    bool cnt_written = false;

    pm_timer_update_status(pm, clock_get_ns(CLOCK_VIRTUAL));
    for (unsigned i = 0; i < size && acpi_pm1_owns(off0 + i); i++) {
        unsigned off = off0 + i;
        uint8_t b = val >> (8 * i);
        unsigned sh = 8 * (off & 1);
        switch (off) {
        case ACPI_PM1_STS ... ACPI_PM1_STS + 1:
            sts_clear |= b << sh;
            break;
        case ACPI_PM1_EN ... ACPI_PM1_EN + 1:
            en = (en & ~(0xff << sh)) | (b << sh);
            break;
        case ACPI_PM1_CNT ... ACPI_PM1_CNT + 1:
            cnt = (cnt & ~(0xff << sh)) | (b << sh);
            cnt_written = true;
            break;
        case ACPI_PM_TMR ... ACPI_PM_TMR + 3:
            vlog(LOG_GUEST_ERRORS, "%s: write to the read-only PM timer\n", pm->owner);
            break;
        default:
            break;
        }
    }
    pm->pm1_sts &= ~(sts_clear & PM1_STS_MASK);
    pm->pm1_en = en & PM1_EN_MASK;
    if (cnt_written) {
        pm->pm1_cnt = cnt & PM1_CNT_MASK;
        if (cnt & ACPI_PM1_CNT_SLP_EN) {
            pm_sleep(pm, (cnt & ACPI_PM1_CNT_SLP_TYP) >> ACPI_PM1_CNT_SLP_TYP_SHIFT);
        }
    }
    acpi_pm_update_sci(pm);
}

uint64_t acpi_gpe_read(AcpiPM *pm, unsigned off, unsigned size)
{
    unsigned half = pm->gpe_len / 2;
    uint64_t val = 0;
    for (unsigned i = 0; i < size && off + i < pm->gpe_len; i++) {
        unsigned o = off + i;
        uint8_t b = o < half ? pm->gpe_sts[o] : pm->gpe_en[o - half];
        val |= (uint64_t)b << (8 * i);
    }
    return val;
}

void acpi_gpe_write(AcpiPM *pm, unsigned off, uint64_t val, unsigned size)
{
    unsigned half = pm->gpe_len / 2;
    for (unsigned i = 0; i < size && off + i < pm->gpe_len; i++) {
        unsigned o = off + i;
        uint8_t b = val >> (8 * i);
        if (o < half) {
            pm->gpe_sts[o] &= ~b;
        } else {
            pm->gpe_en[o - half] = b;
        }
    }
    acpi_pm_update_sci(pm);
}

void acpi_gpe_event(AcpiPM *pm, unsigned n)
{
    if (n / 8 < pm->gpe_len / 2) {
        pm->gpe_sts[n / 8] |= 1u << (n % 8);
    }
    acpi_pm_update_sci(pm);
}

void acpi_pm_power_button(AcpiPM *pm)
{
    pm->pm1_sts |= ACPI_BITMASK_PWRBTN;
    acpi_pm_update_sci(pm);
}

void acpi_pm_set_sci_en(AcpiPM *pm, bool on)
{
    if (on) {
        pm->pm1_cnt |= ACPI_PM1_CNT_SCI_EN;
    } else {
        pm->pm1_cnt &= ~ACPI_PM1_CNT_SCI_EN;
    }
    acpi_pm_update_sci(pm);
}

void acpi_pm_reset(AcpiPM *pm)
{
    pm->pm1_sts = pm->pm1_en = pm->pm1_cnt = 0;
    memset(pm->gpe_sts, 0, sizeof(pm->gpe_sts));
    memset(pm->gpe_en, 0, sizeof(pm->gpe_en));
    pm->tmr_next_ns = pm_timer_next_toggle(clock_get_ns(CLOCK_VIRTUAL));
    acpi_pm_update_sci(pm);
}

void acpi_pm_init(AcpiPM *pm, IRQ sci, unsigned gpe_len, const char *owner)
{
    g_assert(gpe_len <= ACPI_GPE0_MAX_LEN && !(gpe_len & 1));
    pm->sci = sci;
    pm->owner = owner;
    pm->gpe_len = gpe_len;
    pm->tmr_timer = timer_new(CLOCK_VIRTUAL, pm_timer_cb, pm);
    pm->tmr_next_ns = pm_timer_next_toggle(clock_get_ns(CLOCK_VIRTUAL));
}

/*
 * MC146818 real-time clock (Motorola datasheet): time of day in BCD or
 * binary, 12/24-hour format, SET and UIP, periodic/alarm/update-ended
 * interrupts on IRQ 8, and the CMOS RAM that firmware reads the memory size
 * and boot order from.
 *
 * Time is not ticked register by register: the clock is a base (seconds
 * since the epoch, UTC) plus the virtual time elapsed since it was set,
 * rendered into the registers on each read.
 */
#include "hw/timer/mc146818rtc.h"

#include <stdio.h>

#include <string.h>
#include <time.h>

#include "hw/core/timer.h"
#include "hw/isa/isa.h"
#include "util/log.h"

enum {
    RTC_SECONDS = 0, RTC_SECONDS_ALARM, RTC_MINUTES, RTC_MINUTES_ALARM, RTC_HOURS,
    RTC_HOURS_ALARM, RTC_DAY_OF_WEEK, RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR,
    RTC_REG_A = 10, RTC_REG_B, RTC_REG_C, RTC_REG_D,
    RTC_CENTURY = 0x32,
};
#define REG_A_UIP  0x80
#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_DM   0x04      /* binary */
#define REG_B_24H  0x02
#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10
/* UIP rises 8 periods of the 32.768 kHz base (244.14 us) before the update */
#define UIP_NS     (8 * NANOSECONDS_PER_SECOND / 32768)

typedef struct RTCState {
    Device dev;
    uint8_t cmos[128];
    uint8_t index;
    bool nmi_disabled;
    int64_t base_sec;        /* wall time at base_ns */
    int64_t base_ns;         /* virtual time of base_sec's start */
    int64_t last_periodic;   /* virtual time PF was last accounted */
    int64_t periodic_ns;     /* period the armed periodic timer runs at */
    bool halted;             /* register A divider held in reset: time stands at base_sec */
    Timer *second_timer, *periodic_timer;
    IRQ irq;
    MemoryRegion io;
    char *base;              /* "base" property: utc, localtime or a date */
} RTCState;

/*
 * The time the RTC starts from, in seconds since the epoch as the guest's
 * clock shows it (the RTC keeps no time zone: "localtime" shifts the value
 * by the host's UTC offset).  A date is "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS".
 */
static bool rtc_parse_base(const char *base, int64_t host_sec, int64_t *out, GError **errp)
{
    if (!base || !strcmp(base, "utc")) {
        *out = host_sec;
        return true;
    }
    if (!strcmp(base, "localtime")) {
        time_t t = host_sec;
        struct tm lt;
        localtime_r(&t, &lt);
        *out = host_sec + lt.tm_gmtoff;
        return true;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0;
    char tail;
    if ((sscanf(base, "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &sec, &tail) == 6 ||
         sscanf(base, "%d-%d-%d%c", &y, &mo, &d, &tail) == 3) &&
        y >= 1970 && y <= 2199 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
        h >= 0 && h < 24 && mi >= 0 && mi < 60 && sec >= 0 && sec < 60) {
        g_autoptr(GDateTime) dt = g_date_time_new_utc(y, mo, d, h, mi, sec);
        if (dt) {
            *out = g_date_time_to_unix(dt);
            return true;
        }
    }
    vireo_set_error(errp, "invalid date format '%s' (use utc, localtime or YYYY-MM-DD[THH:MM:SS])", base);
    return false;
}

static int64_t rtc_now_sec(RTCState *s, int64_t now, int64_t *frac_ns)
{
    if (s->halted) {
        if (frac_ns) {
            *frac_ns = 0;
        }
        return s->base_sec;
    }
    int64_t d = now - s->base_ns;
    int64_t sec = d >= 0 ? d / NANOSECONDS_PER_SECOND : -((-d + NANOSECONDS_PER_SECOND - 1) / NANOSECONDS_PER_SECOND);
    if (frac_ns) {
        *frac_ns = d - sec * NANOSECONDS_PER_SECOND;
    }
    return s->base_sec + sec;
}

static uint8_t to_reg(RTCState *s, int v)
{
    if (s->cmos[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return ((v / 10) << 4) | (v % 10);
}

static int from_reg(RTCState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return (v >> 4) * 10 + (v & 15);
}

static uint8_t hour_to_reg(RTCState *s, int h)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return to_reg(s, h);
    }
    int h12 = h % 12 ? h % 12 : 12;
    return to_reg(s, h12) | (h >= 12 ? 0x80 : 0);
}

static int hour_from_reg(RTCState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return from_reg(s, v);
    }
    int h = from_reg(s, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Render the current time into the time registers. */
static void rtc_render(RTCState *s, int64_t now)
{
    time_t t = rtc_now_sec(s, now, NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        memset(&tm, 0, sizeof(tm));         /* absurd base from guest garbage */
        tm.tm_mday = 1;
        tm.tm_year = 100;
    }
    /* guest-set garbage can put us outside 0..9999; keep fields renderable */
    int year = tm.tm_year + 1900;
    if (year < 0 || year > 9999) {
        year = 2000;
    }
    s->cmos[RTC_SECONDS] = to_reg(s, tm.tm_sec);
    s->cmos[RTC_MINUTES] = to_reg(s, tm.tm_min);
    s->cmos[RTC_HOURS] = hour_to_reg(s, tm.tm_hour);
    s->cmos[RTC_DAY_OF_WEEK] = to_reg(s, tm.tm_wday + 1);
    s->cmos[RTC_DAY_OF_MONTH] = to_reg(s, tm.tm_mday);
    s->cmos[RTC_MONTH] = to_reg(s, tm.tm_mon + 1);
    s->cmos[RTC_YEAR] = to_reg(s, year % 100);
    s->cmos[RTC_CENTURY] = to_reg(s, year / 100);
}

/* The guest set the time (SET cleared): take the registers as the new base. */
static void rtc_take_registers(RTCState *s, int64_t now)
{
    struct tm tm = { 0 };
    tm.tm_sec = from_reg(s, s->cmos[RTC_SECONDS]);
    tm.tm_min = from_reg(s, s->cmos[RTC_MINUTES]);
    tm.tm_hour = hour_from_reg(s, s->cmos[RTC_HOURS]);
    tm.tm_mday = from_reg(s, s->cmos[RTC_DAY_OF_MONTH]);
    tm.tm_mon = from_reg(s, s->cmos[RTC_MONTH]) - 1;
    int year = from_reg(s, s->cmos[RTC_YEAR]) + from_reg(s, s->cmos[RTC_CENTURY]) * 100;
    tm.tm_year = year - 1900;
    s->base_sec = timegm(&tm);
    s->base_ns = now;
}

static void rtc_update_irq(RTCState *s)
{
    uint8_t c = s->cmos[RTC_REG_C] & (REG_C_PF | REG_C_AF | REG_C_UF);
    uint8_t en = s->cmos[RTC_REG_B] & (REG_B_PIE | REG_B_AIE | REG_B_UIE);
    if (c & en) {
        s->cmos[RTC_REG_C] |= REG_C_IRQF;
        irq_raise(s->irq);
    }
}

/* Periodic rate from register A's RS bits, in ns; 0 = off. */
static int64_t rtc_period_ns(RTCState *s)
{
    int rs = s->cmos[RTC_REG_A] & 0x0f;
    if (!rs) {
        return 0;
    }
    if (rs <= 2) {
        rs += 7;             /* rates 1 and 2 repeat 8 and 9 with a 32 kHz base */
    }
    return (int64_t)muldiv64(1ULL << (rs - 1), NANOSECONDS_PER_SECOND, 32768);
}

/*
 * Arm the periodic interrupt.  As in QEMU's model (which its rtc-test pins),
 * the ticks run from the moment PIE/the rate was set rather than from the
 * divider chain's phase, and a rate change counts from the last tick: the
 * next one comes a new period after it (or at once if that is past), so
 * no tick is lost or doubled when the guest reprograms the rate.
 */
static void rtc_arm_periodic(RTCState *s, int64_t old_period)
{
    int64_t p = rtc_period_ns(s);
    if (!p || !(s->cmos[RTC_REG_B] & REG_B_PIE)) {
        timer_del(s->periodic_timer);
        s->periodic_ns = 0;
        return;
    }
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    int64_t next = now + p;
    if (timer_pending(s->periodic_timer)) {
        if (old_period == p) {
            return;                         /* running at this rate already */
        }
        int64_t last = timer_expire_time(s->periodic_timer) - old_period;
        /* an overdue tick comes 1 ns from now, as QEMU's: a timer due at
         * "now" would leave qtest's clock_step with no time to advance */
        next = MAX(now + 1, last + p);
    }
    s->periodic_ns = p;
    timer_mod(s->periodic_timer, next);
}

static void rtc_periodic_cb(void *opaque)
{
    RTCState *s = opaque;
    s->cmos[RTC_REG_C] |= REG_C_PF;
    s->last_periodic = clock_get_ns(CLOCK_VIRTUAL);
    rtc_update_irq(s);
    timer_mod(s->periodic_timer, s->last_periodic + s->periodic_ns);
}

static bool alarm_match(uint8_t alarm, uint8_t now)
{
    return (alarm & 0xc0) == 0xc0 || alarm == now;
}

static void rtc_arm_second(RTCState *s)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    int64_t frac;
    rtc_now_sec(s, now, &frac);
    timer_mod(s->second_timer, now - frac + NANOSECONDS_PER_SECOND);
}

static void rtc_second_cb(void *opaque)
{
    RTCState *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    if (s->halted) {
        return;                     /* re-armed when the divider runs again */
    }
    if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
        rtc_render(s, now);
        s->cmos[RTC_REG_C] |= REG_C_UF;
        if (alarm_match(s->cmos[RTC_SECONDS_ALARM], s->cmos[RTC_SECONDS]) &&
            alarm_match(s->cmos[RTC_MINUTES_ALARM], s->cmos[RTC_MINUTES]) &&
            alarm_match(s->cmos[RTC_HOURS_ALARM], s->cmos[RTC_HOURS])) {
            s->cmos[RTC_REG_C] |= REG_C_AF;
        }
        rtc_update_irq(s);
    }
    rtc_arm_second(s);
}

static uint64_t rtc_read(void *opaque, hwaddr addr, unsigned size)
{
    RTCState *s = opaque;
    if (addr == 0) {
        return 0xff;                /* index register is write-only */
    }
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    uint8_t idx = s->index;
    switch (idx) {
    case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
        if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
            rtc_render(s, now);
        }
        return s->cmos[idx];
    case RTC_REG_A: {
        int64_t frac;
        rtc_now_sec(s, now, &frac);
        uint8_t uip = (!(s->cmos[RTC_REG_B] & REG_B_SET) &&
                       frac >= NANOSECONDS_PER_SECOND - UIP_NS) ? REG_A_UIP : 0;
        return (s->cmos[RTC_REG_A] & 0x7f) | uip;
    }
    case RTC_REG_C: {
        /* PF is set at the periodic rate even with PIE off */
        int64_t p = rtc_period_ns(s);
        if (p && !(s->cmos[RTC_REG_B] & REG_B_PIE) && now - s->last_periodic >= p) {
            s->cmos[RTC_REG_C] |= REG_C_PF;
            s->last_periodic = now;
        }
        uint8_t v = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;
        irq_lower(s->irq);
        return v;
    }
    case RTC_REG_D:
        return 0x80;                /* VRT: the battery is fine */
    default:
        return s->cmos[idx];
    }
}

static void rtc_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    RTCState *s = opaque;
    uint8_t val = val64;
    if (addr == 0) {
        s->index = val & 0x7f;
        s->nmi_disabled = val & 0x80;
        return;
    }
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    switch (s->index) {
    case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
        if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
            /* a write outside SET mode: apply it immediately */
            rtc_render(s, now);
            s->cmos[s->index] = val;
            rtc_take_registers(s, now);
            rtc_arm_second(s);
        } else {
            s->cmos[s->index] = val;
        }
        break;
    case RTC_REG_A: {
        int64_t old_period = s->periodic_ns;
        /* DV2-0 = 11x holds the divider chain in reset (Linux does so while
         * setting the clock); leaving it, the first update comes 500 ms
         * later (datasheet) */
        bool halt = ((val >> 4) & 6) == 6;
        if (halt && !s->halted) {
            s->base_sec = rtc_now_sec(s, now, NULL);
            s->halted = true;
            timer_del(s->second_timer);
        } else if (!halt && s->halted) {
            s->halted = false;
            s->base_ns = now - NANOSECONDS_PER_SECOND / 2;
            rtc_arm_second(s);
        }
        s->cmos[RTC_REG_A] = (val & 0x7f) | (s->cmos[RTC_REG_A] & REG_A_UIP);
        rtc_arm_periodic(s, old_period);
        break;
    }
    case RTC_REG_B: {
        uint8_t old = s->cmos[RTC_REG_B];
        if ((val & REG_B_SET) && !(old & REG_B_SET)) {
            rtc_render(s, now);             /* freeze the registers as they are */
        }
        if (!(val & REG_B_SET) && (old & REG_B_SET)) {
            /* the time was written in the format in force under SET;
             * a format change in the same write applies from now on */
            rtc_take_registers(s, now);
            rtc_arm_second(s);
        }
        /* outside SET, a format change just renders later reads anew */
        s->cmos[RTC_REG_B] = (val & REG_B_SET) ? (val & ~REG_B_UIE) : val;
        rtc_arm_periodic(s, s->periodic_ns);
        rtc_update_irq(s);
        break;
    }
    case RTC_REG_C:
    case RTC_REG_D:
        break;                      /* read-only */
    default:
        s->cmos[s->index] = val;
        break;
    }
}

static const MemoryRegionOps rtc_ops = {
    .read = rtc_read,
    .write = rtc_write,
    .min_access = 1,
    .max_access = 1,
};

void rtc_set_cmos(Device *dev, int idx, uint8_t val)
{
    RTCState *s = DEVICE_CAST(RTCState, dev);
    if (idx >= 0 && idx < 128) {
        s->cmos[idx] = val;
    }
}

uint8_t rtc_get_cmos(Device *dev, int idx)
{
    RTCState *s = DEVICE_CAST(RTCState, dev);
    return idx >= 0 && idx < 128 ? s->cmos[idx] : 0xff;
}

static void rtc_reset(Device *dev);

static bool rtc_realize(Device *dev, GError **errp)
{
    RTCState *s = DEVICE_CAST(RTCState, dev);
    s->irq = isa_get_irq(8);
    s->second_timer = timer_new(CLOCK_VIRTUAL, rtc_second_cb, s);
    s->periodic_timer = timer_new(CLOCK_VIRTUAL, rtc_periodic_cb, s);
    int64_t host = clock_get_ns(CLOCK_HOST);
    if (!rtc_parse_base(s->base, host / NANOSECONDS_PER_SECOND, &s->base_sec, errp)) {
        return false;
    }
    s->base_ns = clock_get_ns(CLOCK_VIRTUAL) - host % NANOSECONDS_PER_SECOND;
    s->cmos[RTC_REG_A] = 0x26;      /* 32.768 kHz time base, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;
    isa_register_ioport(&s->io, &rtc_ops, s, "rtc", 0x70, 2);
    rtc_reset(dev);
    return true;
}

static void rtc_reset(Device *dev)
{
    RTCState *s = DEVICE_CAST(RTCState, dev);
    /* RESET clears the interrupt enables and flags; time and RAM survive. */
    s->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE);
    s->cmos[RTC_REG_C] = 0;
    irq_lower(s->irq);
    rtc_render(s, clock_get_ns(CLOCK_VIRTUAL));
    rtc_arm_second(s);
    rtc_arm_periodic(s, s->periodic_ns);
}

static const Property rtc_props[] = {
    DEFINE_PROP("base", PROP_STRING, RTCState, base, NULL),
    DEFINE_PROP_END,
};

static const DeviceClass rtc_class = {
    .name = "mc146818rtc",
    .desc = "MC146818 real-time clock and CMOS RAM",
    .bus = BUS_ISA,
    .instance_size = sizeof(RTCState),
    .props = rtc_props,
    .realize = rtc_realize,
    .reset = rtc_reset,
};
DEVICE_REGISTER(rtc_class)

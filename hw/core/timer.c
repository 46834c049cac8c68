/*
 * Clocks and timers: see timer.h.  One list per clock, sorted by deadline,
 * so the main loop's per-slice check looks at one head per clock.  Timers
 * are few (PIT, RTC, UART, later APIC/HPET), so insertion into a linked
 * list is plenty.
 */
#include "hw/core/timer.h"

#include <glib.h>
#include <time.h>

struct Timer {
    ClockType type;
    TimerCB cb;
    void *opaque;
    int64_t expire;
    bool pending;
};

static GList *active[CLOCK_MAX];       /* Timer*, sorted by deadline, ties in arming order */
static int64_t virt_paused_total;      /* ns the VM spent stopped */
static int64_t virt_paused_at = -1;    /* monotonic time of the pause, -1 running */
static bool virt_manual;
static int64_t virt_manual_now;

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

int64_t clock_get_ns(ClockType type)
{
    switch (type) {
    case CLOCK_VIRTUAL:
        if (virt_manual) {
            return virt_manual_now;
        }
        if (virt_paused_at >= 0) {
            return virt_paused_at - virt_paused_total;
        }
        return monotonic_ns() - virt_paused_total;
    case CLOCK_HOST: {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
    }
    default:
        return monotonic_ns();
    }
}

void clock_virtual_pause(void)
{
    if (!virt_manual && virt_paused_at < 0) {
        virt_paused_at = monotonic_ns();
    }
}

void clock_virtual_resume(void)
{
    if (!virt_manual && virt_paused_at >= 0) {
        virt_paused_total += monotonic_ns() - virt_paused_at;
        virt_paused_at = -1;
    }
}

void clock_virtual_set_manual(bool manual)
{
    if (manual && !virt_manual) {
        virt_manual_now = 0;
    }
    virt_manual = manual;
}

bool clock_virtual_is_manual(void)
{
    return virt_manual;
}

/* Move the manual clock forward, firing every timer on the way in order,
 * each with the clock set to its own deadline (as qtest expects). */
static void virt_advance_to(int64_t target)
{
    for (;;) {
        Timer *next = active[CLOCK_VIRTUAL] ? active[CLOCK_VIRTUAL]->data : NULL;
        if (!next || next->expire > target) {
            break;
        }
        if (next->expire > virt_manual_now) {
            virt_manual_now = next->expire;
        }
        timer_del(next);
        next->cb(next->opaque);
    }
    if (target > virt_manual_now) {
        virt_manual_now = target;
    }
}

int64_t clock_virtual_next_deadline(void)
{
    return active[CLOCK_VIRTUAL] ? ((Timer *)active[CLOCK_VIRTUAL]->data)->expire : -1;
}

/* The manual clock saturates here, far beyond any test (73 years), so
 * that it and the deadlines devices compute from it (now + period) never
 * overflow, whatever a qtest client asks for. */
#define VIRT_MANUAL_MAX (INT64_MAX / 4)

int64_t clock_virtual_step(int64_t ns)
{
    if (ns < 0) {
        ns = 0;
    }
    int64_t target = ns > VIRT_MANUAL_MAX - virt_manual_now ? VIRT_MANUAL_MAX : virt_manual_now + ns;
    virt_advance_to(target);
    return virt_manual_now;
}

int64_t clock_virtual_set(int64_t ns)
{
    virt_advance_to(MIN(ns, VIRT_MANUAL_MAX));
    return virt_manual_now;
}

Timer *timer_new(ClockType type, TimerCB cb, void *opaque)
{
    Timer *t = g_new0(Timer, 1);
    t->type = type;
    t->cb = cb;
    t->opaque = opaque;
    return t;
}

void timer_free(Timer *t)
{
    if (t) {
        timer_del(t);
        g_free(t);
    }
}

void timer_del(Timer *t)
{
    if (t->pending) {
        active[t->type] = g_list_remove(active[t->type], t);
        t->pending = false;
    }
}

static gint timer_cmp(gconstpointer a, gconstpointer b)
{
    const Timer *x = a, *y = b;
    /* equal deadlines return 1 so the newer timer goes after older ones */
    return x->expire < y->expire ? -1 : 1;
}

static void (*changed_hook)(void);

void timers_set_changed_hook(void (*fn)(void))
{
    changed_hook = fn;
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    timer_del(t);
    t->expire = expire_ns;
    t->pending = true;
    active[t->type] = g_list_insert_sorted(active[t->type], t, timer_cmp);
    if (changed_hook && active[t->type]->data == t) {
        changed_hook();     /* the earliest deadline moved closer */
    }
}

bool timer_pending(const Timer *t)
{
    return t->pending;
}

int64_t timer_expire_time(const Timer *t)
{
    return t->pending ? t->expire : -1;
}

bool timers_run_expired(void)
{
    bool ran = false;
    for (int c = 0; c < CLOCK_MAX; c++) {
        if (c == CLOCK_VIRTUAL && virt_manual) {
            continue;       /* only the test moves it */
        }
        if (!active[c]) {
            continue;
        }
        int64_t now = clock_get_ns(c);
        /* A callback may arm or cancel any timer, so re-read the head. */
        while (active[c] && ((Timer *)active[c]->data)->expire <= now) {
            Timer *due = active[c]->data;
            timer_del(due);
            due->cb(due->opaque);
            ran = true;
        }
    }
    return ran;
}

int64_t timers_next_deadline_ns(void)
{
    int64_t best = -1;
    for (int c = 0; c < CLOCK_MAX; c++) {
        if (!active[c] || (c == CLOCK_VIRTUAL && (virt_manual || virt_paused_at >= 0))) {
            continue;
        }
        int64_t d = ((Timer *)active[c]->data)->expire - clock_get_ns(c);
        if (d < 0) {
            d = 0;
        }
        if (best < 0 || d < best) {
            best = d;
        }
    }
    return best;
}

/*
 * Clocks and timers: see timer.h.  One sorted list for all clocks; timers
 * are few (PIT, RTC, UART, later APIC/HPET) so a linked list is plenty.
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

static GList *active;                  /* Timer*, sorted by (clock-relative) deadline */
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
        Timer *next = NULL;
        for (GList *l = active; l; l = l->next) {
            Timer *t = l->data;
            if (t->type == CLOCK_VIRTUAL && t->expire <= target) {
                if (!next || t->expire < next->expire) {
                    next = t;
                }
            }
        }
        if (!next) {
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

int64_t clock_virtual_step(int64_t ns)
{
    virt_advance_to(virt_manual_now + ns);
    return virt_manual_now;
}

int64_t clock_virtual_set(int64_t ns)
{
    virt_advance_to(ns);
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
        active = g_list_remove(active, t);
        t->pending = false;
    }
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    timer_del(t);
    t->expire = expire_ns;
    t->pending = true;
    active = g_list_prepend(active, t);
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
    for (;;) {
        Timer *due = NULL;
        int64_t now[CLOCK_MAX] = { clock_get_ns(CLOCK_VIRTUAL), -1, -1 };
        for (GList *l = active; l; l = l->next) {
            Timer *t = l->data;
            if (t->type == CLOCK_VIRTUAL && virt_manual) {
                continue;       /* only the test moves it */
            }
            if (now[t->type] < 0) {
                now[t->type] = clock_get_ns(t->type);
            }
            if (t->expire <= now[t->type] && (!due || t->expire < due->expire)) {
                due = t;
            }
        }
        if (!due) {
            return ran;
        }
        timer_del(due);
        due->cb(due->opaque);
        ran = true;
    }
}

int64_t timers_next_deadline_ns(void)
{
    int64_t best = -1;
    for (GList *l = active; l; l = l->next) {
        Timer *t = l->data;
        if (t->type == CLOCK_VIRTUAL && (virt_manual || virt_paused_at >= 0)) {
            continue;
        }
        int64_t d = t->expire - clock_get_ns(t->type);
        if (d < 0) {
            d = 0;
        }
        if (best < 0 || d < best) {
            best = d;
        }
    }
    return best;
}

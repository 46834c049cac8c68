/*
 * Clocks and timers.
 *
 * CLOCK_VIRTUAL: guest time.  Runs with the host monotonic clock while the VM
 *   runs, stops while it is stopped; under -accel qtest it moves only when
 *   the test steps it (clock_virtual_step / clock_virtual_set).
 *   Every device timer uses it.
 * CLOCK_HOST: wall-clock time (RTC base), ns since the Unix epoch.
 * CLOCK_RT: host monotonic time, for UI and housekeeping.
 *
 * Timers run from the main loop (main_loop.h) in the one thread that runs
 * devices; callbacks may re-arm their timer.
 */
#ifndef HW_CORE_TIMER_H
#define HW_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define NANOSECONDS_PER_SECOND 1000000000LL

typedef enum ClockType { CLOCK_VIRTUAL, CLOCK_HOST, CLOCK_RT, CLOCK_MAX } ClockType;

typedef struct Timer Timer;
typedef void (*TimerCB)(void *opaque);

int64_t clock_get_ns(ClockType type);

/* VM run state drives CLOCK_VIRTUAL (no-ops while qtest drives it). */
void clock_virtual_pause(void);
void clock_virtual_resume(void);
/* qtest mode: the virtual clock only moves through these; expired timers run. */
void clock_virtual_set_manual(bool manual);
bool clock_virtual_is_manual(void);
int64_t clock_virtual_step(int64_t ns);      /* returns new time; runs due timers */
int64_t clock_virtual_set(int64_t ns);
/* Absolute deadline of the earliest virtual-clock timer, or -1. */
int64_t clock_virtual_next_deadline(void);

Timer *timer_new(ClockType type, TimerCB cb, void *opaque);
void timer_free(Timer *t);
void timer_mod(Timer *t, int64_t expire_ns);   /* absolute time on the timer's clock */
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
int64_t timer_expire_time(const Timer *t);     /* -1 if not pending */

/* Run every expired timer (all clocks).  Returns true if any ran. */
bool timers_run_expired(void);
/* fn runs when timer_mod arms a timer that becomes the first of its
 * clock: the main loop, sleeping until the old first deadline, must wake
 * (vCPU threads arm timers while it sleeps). */
void timers_set_changed_hook(void (*fn)(void));
/* ns from now until the earliest pending timer (any clock), or -1 if none. */
int64_t timers_next_deadline_ns(void);

/* Helper: a * b / c without overflow (tick <-> ns conversions). */
static inline uint64_t muldiv64(uint64_t a, uint32_t b, uint32_t c)
{
    return (uint64_t)(((unsigned __int128)a * b) / c);
}

#endif

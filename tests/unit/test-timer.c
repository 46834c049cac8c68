/*
 * Virtual clock and timers under manual (qtest-style) control: timers
 * fire in deadline order, each seeing the clock at its own deadline;
 * equal deadlines fire in arming order; re-arming from a callback works;
 * deleted timers never fire.  The free-running virtual clock stops while
 * paused, and timers_run_expired/timers_next_deadline_ns see real clocks.
 */
#include <glib.h>

#include "hw/core/timer.h"

static GString *trace;

typedef struct T {
    Timer *t;
    const char *name;
    int64_t rearm;      /* >0: re-arm this far ahead, once */
} T;

static void cb(void *opaque)
{
    T *x = opaque;
    g_string_append_printf(trace, "%s@%" G_GINT64_FORMAT " ", x->name, clock_get_ns(CLOCK_VIRTUAL));
    if (x->rearm > 0) {
        int64_t d = x->rearm;
        x->rearm = 0;
        timer_mod(x->t, clock_get_ns(CLOCK_VIRTUAL) + d);
    }
}

static void test_order(void)
{
    clock_virtual_set_manual(true);
    trace = g_string_new(NULL);
    int64_t base = clock_get_ns(CLOCK_VIRTUAL);
    T a = { .name = "a" }, b = { .name = "b", .rearm = 50 }, c = { .name = "c" };
    a.t = timer_new(CLOCK_VIRTUAL, cb, &a);
    b.t = timer_new(CLOCK_VIRTUAL, cb, &b);
    c.t = timer_new(CLOCK_VIRTUAL, cb, &c);
    timer_mod(a.t, base + 300);
    timer_mod(b.t, base + 100);
    timer_mod(c.t, base + 120);
    timer_del(c.t);
    g_assert_false(timer_pending(c.t));
    g_assert_cmpint(timer_expire_time(a.t), ==, base + 300);
    clock_virtual_step(99);
    g_assert_cmpstr(trace->str, ==, "");
    clock_virtual_step(1000);
    char *want = g_strdup_printf("b@%" G_GINT64_FORMAT " b@%" G_GINT64_FORMAT " a@%" G_GINT64_FORMAT " ",
                                 base + 100, base + 150, base + 300);
    g_assert_cmpstr(trace->str, ==, want);
    g_assert_cmpint(clock_get_ns(CLOCK_VIRTUAL), ==, base + 1099);
    g_free(want);
    timer_free(a.t);
    timer_free(b.t);
    timer_free(c.t);
    g_string_free(trace, TRUE);
}

/* qtest clients may step by anything: the clock saturates, never wraps
 * (a signed overflow UBSan reported), and timers still fire in order. */
static void test_step_saturates(void)
{
    clock_virtual_set_manual(true);
    trace = g_string_new(NULL);
    T a = { .name = "a" };
    a.t = timer_new(CLOCK_VIRTUAL, cb, &a);
    timer_mod(a.t, clock_get_ns(CLOCK_VIRTUAL) + 1000);
    int64_t t1 = clock_virtual_step(INT64_MAX);
    g_assert_cmpint(t1, >, 0);
    g_assert_cmpstr(trace->str, !=, "");
    int64_t t2 = clock_virtual_step(INT64_MAX);
    g_assert_cmpint(t2, ==, t1);
    g_assert_cmpint(clock_virtual_step(-5), ==, t1);      /* never backwards */
    g_assert_cmpint(clock_virtual_set(INT64_MAX), ==, t1);
    timer_free(a.t);
    g_string_free(trace, TRUE);
}

static void test_set(void)
{
    clock_virtual_set_manual(true);
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    g_assert_cmpint(clock_virtual_set(now + 5000), ==, now + 5000);
    /* setting the clock backwards does not move it */
    g_assert_cmpint(clock_virtual_set(now), ==, now + 5000);
}

static void test_ties(void)
{
    clock_virtual_set_manual(true);
    trace = g_string_new(NULL);
    int64_t base = clock_get_ns(CLOCK_VIRTUAL);
    T a = { .name = "a" }, b = { .name = "b" }, c = { .name = "c" };
    a.t = timer_new(CLOCK_VIRTUAL, cb, &a);
    b.t = timer_new(CLOCK_VIRTUAL, cb, &b);
    c.t = timer_new(CLOCK_VIRTUAL, cb, &c);
    timer_mod(b.t, base + 10);
    timer_mod(a.t, base + 10);
    timer_mod(c.t, base + 5);
    /* re-arming moves b behind a even at the same deadline */
    timer_mod(b.t, base + 10);
    /* manual mode: only stepping fires virtual timers */
    g_assert_false(timers_run_expired());
    g_assert_cmpint(timers_next_deadline_ns(), ==, -1);
    clock_virtual_step(10);
    char *want = g_strdup_printf("c@%" G_GINT64_FORMAT " a@%" G_GINT64_FORMAT " b@%" G_GINT64_FORMAT " ",
                                 base + 5, base + 10, base + 10);
    g_assert_cmpstr(trace->str, ==, want);
    g_free(want);
    timer_free(a.t);
    timer_free(b.t);
    timer_free(c.t);
    g_string_free(trace, TRUE);
}

static int rt_fired;

static void rt_cb(void *opaque)
{
    rt_fired++;
}

static void test_realtime(void)
{
    clock_virtual_set_manual(false);
    /* paused: the virtual clock stands still and its timers have no deadline */
    clock_virtual_pause();
    int64_t v0 = clock_get_ns(CLOCK_VIRTUAL);
    Timer *vt = timer_new(CLOCK_VIRTUAL, rt_cb, NULL);
    timer_mod(vt, v0 + 1000);
    g_usleep(2000);
    g_assert_cmpint(clock_get_ns(CLOCK_VIRTUAL), ==, v0);
    g_assert_cmpint(timers_next_deadline_ns(), ==, -1);
    g_assert_false(timers_run_expired());
    clock_virtual_resume();
    g_assert_cmpint(clock_get_ns(CLOCK_VIRTUAL) - v0, <, 1000000);
    g_usleep(2000);
    g_assert_true(timers_run_expired());
    g_assert_cmpint(rt_fired, ==, 1);

    Timer *t = timer_new(CLOCK_RT, rt_cb, NULL);
    timer_mod(t, clock_get_ns(CLOCK_RT) + 50 * 1000 * 1000);
    int64_t d = timers_next_deadline_ns();
    g_assert_cmpint(d, >, 0);
    g_assert_cmpint(d, <=, 50 * 1000 * 1000);
    g_assert_false(timers_run_expired());
    timer_mod(t, clock_get_ns(CLOCK_RT) - 1);
    g_assert_cmpint(timers_next_deadline_ns(), ==, 0);
    g_assert_true(timers_run_expired());
    g_assert_cmpint(rt_fired, ==, 2);
    g_assert_false(timer_pending(t));
    timer_free(t);
    timer_free(vt);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/timer/order", test_order);
    g_test_add_func("/timer/set", test_set);
    g_test_add_func("/timer/ties", test_ties);
    g_test_add_func("/timer/realtime", test_realtime);
    g_test_add_func("/timer/step-saturates", test_step_saturates);   /* last: leaves the clock at its end */
    return g_test_run();
}

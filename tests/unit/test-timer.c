/*
 * Virtual clock and timers under manual (qtest-style) control: timers
 * fire in deadline order, each seeing the clock at its own deadline;
 * re-arming from a callback works; deleted timers never fire.
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

static void test_set(void)
{
    clock_virtual_set_manual(true);
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    g_assert_cmpint(clock_virtual_set(now + 5000), ==, now + 5000);
    /* setting the clock backwards does not move it */
    g_assert_cmpint(clock_virtual_set(now), ==, now + 5000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/timer/order", test_order);
    g_test_add_func("/timer/set", test_set);
    return g_test_run();
}

/*
 * Bottom halves: a BH scheduled from another thread runs once in the
 * thread that polls, a burst of schedules coalesces into one run, a
 * cancelled or deleted BH never runs, a BH may reschedule itself but
 * cannot starve the poller, and a sleeping GLib loop is woken.
 */
#include <glib.h>

#include "util/bh.h"

static int runs;
static GThread *ran_in;

static void count_cb(void *opaque)
{
    runs++;
    ran_in = g_thread_self();
}

static gpointer schedule_thread(gpointer bh)
{
    for (int i = 0; i < 100; i++) {
        bh_schedule(bh);
    }
    return NULL;
}

static void test_cross_thread_coalesce(void)
{
    runs = 0;
    BH *bh = bh_new(count_cb, NULL);
    GThread *t = g_thread_new("sched", schedule_thread, bh);
    g_thread_join(t);
    g_assert_true(bh_scheduled(bh));
    g_assert_true(bh_poll());
    g_assert_cmpint(runs, ==, 1);
    g_assert_true(ran_in == g_thread_self());
    g_assert_false(bh_poll());
    g_assert_cmpuint(bh_run_count(bh), ==, 1);
    bh_delete(bh);
}

static void test_cancel_delete(void)
{
    runs = 0;
    BH *a = bh_new(count_cb, NULL), *b = bh_new(count_cb, NULL);
    bh_schedule(a);
    bh_schedule(b);
    bh_cancel(a);
    bh_delete(b);
    g_assert_false(bh_poll());
    g_assert_cmpint(runs, ==, 0);
    g_assert_false(bh_pending());
    bh_delete(a);
}

static BH *self_bh;
static void resched_cb(void *opaque)
{
    runs++;
    bh_schedule(self_bh);
}

static void test_self_reschedule_bounded(void)
{
    runs = 0;
    self_bh = bh_new(resched_cb, NULL);
    bh_schedule(self_bh);
    g_assert_true(bh_poll());
    g_assert_cmpint(runs, >, 1);
    g_assert_cmpint(runs, <=, 1024);
    g_assert_true(bh_pending());
    bh_cancel(self_bh);
    bh_delete(self_bh);
}

static gpointer late_schedule(gpointer bh)
{
    g_usleep(50000);
    bh_schedule(bh);
    return NULL;
}

static void test_wakes_glib_loop(void)
{
    runs = 0;
    bh_attach_main_context();
    BH *bh = bh_new(count_cb, NULL);
    GThread *t = g_thread_new("late", late_schedule, bh);
    gint64 t0 = g_get_monotonic_time();
    while (runs == 0 && g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC) {
        g_main_context_iteration(NULL, TRUE);    /* blocks until woken */
    }
    g_thread_join(t);
    g_assert_cmpint(runs, ==, 1);
    bh_delete(bh);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bh/cross-thread-coalesce", test_cross_thread_coalesce);
    g_test_add_func("/bh/cancel-delete", test_cancel_delete);
    g_test_add_func("/bh/self-reschedule-bounded", test_self_reschedule_bounded);
    g_test_add_func("/bh/wakes-glib-loop", test_wakes_glib_loop);
    return g_test_run();
}

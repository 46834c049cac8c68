/*
 * MC146818 RTC through qtest: the time set through CMOS counts with the
 * virtual clock (exactly N updates in N seconds), and the update-ended,
 * alarm and periodic interrupts reach ISA IRQ 8 and are acknowledged by
 * reading register C.
 */
#include "tests/qtest/libqtest.h"

#define SEC 1000000000LL

static uint8_t cmos_read(QTestState *s, uint8_t reg)
{
    qtest_outb(s, 0x70, reg);
    return qtest_inb(s, 0x71);
}

static void cmos_write(QTestState *s, uint8_t reg, uint8_t v)
{
    qtest_outb(s, 0x70, reg);
    qtest_outb(s, 0x71, v);
}

/* binary, 24-hour mode; time 12:34:56 */
static QTestState *rtc_start(void)
{
    QTestState *s = qtest_start(NULL);
    cmos_write(s, 0x0b, 0x80 | 0x04 | 0x02);     /* SET, DM binary, 24h */
    cmos_write(s, 0x04, 12);
    cmos_write(s, 0x02, 34);
    cmos_write(s, 0x00, 56);
    cmos_write(s, 0x0b, 0x04 | 0x02);            /* run */
    cmos_read(s, 0x0c);                          /* clear stale flags */
    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

static void test_time_counts(void)
{
    QTestState *s = rtc_start();
    g_assert_cmpint(cmos_read(s, 0x00), ==, 56);
    qtest_clock_step(s, 10 * SEC);
    g_assert_cmpint(cmos_read(s, 0x04), ==, 12);
    g_assert_cmpint(cmos_read(s, 0x02), ==, 35);
    g_assert_cmpint(cmos_read(s, 0x00), ==, 6);
    /* SET freezes the time */
    cmos_write(s, 0x0b, 0x80 | 0x04 | 0x02);
    qtest_clock_step(s, 5 * SEC);
    g_assert_cmpint(cmos_read(s, 0x00), ==, 6);
    qtest_quit(s);
}

static void test_update_irq(void)
{
    QTestState *s = rtc_start();
    g_assert_false(qtest_get_irq(s, 8));
    cmos_write(s, 0x0b, 0x10 | 0x04 | 0x02);     /* UIE */
    qtest_clock_step(s, SEC);
    g_assert_true(qtest_get_irq(s, 8));
    /* PF follows the divider tap whatever PIE says: leave it out */
    g_assert_cmphex(cmos_read(s, 0x0c) & 0xb0, ==, 0x90);    /* IRQF | UF */
    g_assert_false(qtest_get_irq(s, 8));
    g_assert_cmphex(cmos_read(s, 0x0c) & 0xb0, ==, 0);       /* read clears */
    qtest_quit(s);
}

static void test_alarm_irq(void)
{
    QTestState *s = rtc_start();
    cmos_write(s, 0x05, 12);                     /* alarm 12:35:00 */
    cmos_write(s, 0x03, 35);
    cmos_write(s, 0x01, 0);
    cmos_write(s, 0x0b, 0x20 | 0x04 | 0x02);     /* AIE */
    qtest_clock_step(s, 3 * SEC);                /* 12:34:59 at most */
    g_assert_false(qtest_get_irq(s, 8));
    g_assert_cmphex(cmos_read(s, 0x0c) & 0x20, ==, 0);
    qtest_clock_step(s, 2 * SEC);                /* past 12:35:00 */
    g_assert_true(qtest_get_irq(s, 8));
    g_assert_cmphex(cmos_read(s, 0x0c) & 0xa0, ==, 0xa0);    /* IRQF | AF */
    g_assert_false(qtest_get_irq(s, 8));
    qtest_quit(s);
}

static void test_periodic_irq(void)
{
    QTestState *s = rtc_start();
    cmos_write(s, 0x0a, 0x20 | 0x0f);            /* 32 kHz base, RS=15: 2 Hz */
    cmos_write(s, 0x0b, 0x40 | 0x04 | 0x02);     /* PIE */
    qtest_clock_step(s, 600 * 1000 * 1000LL);
    g_assert_true(qtest_get_irq(s, 8));
    g_assert_cmphex(cmos_read(s, 0x0c) & 0xc0, ==, 0xc0);    /* IRQF | PF */
    /* disabled: no more interrupts however long we wait */
    cmos_write(s, 0x0b, 0x04 | 0x02);
    cmos_read(s, 0x0c);
    unsigned n = qtest_irq_raises(s, 8);
    qtest_clock_step(s, 3 * SEC);
    g_assert_cmpuint(qtest_irq_raises(s, 8), ==, n);
    qtest_quit(s);
}

/* UIP: set for the 8 time-base cycles (244140 ns) before an update, and
 * the first update comes 500 ms after the divider leaves reset */
static void test_uip_window(void)
{
    const int64_t uip = 8 * SEC / 32768;
    QTestState *s = rtc_start();
    cmos_write(s, 0x0a, 0x70);                   /* divider in reset */
    qtest_clock_step(s, 3 * SEC);
    g_assert_cmpint(cmos_read(s, 0x00), ==, 56); /* time stands still */
    cmos_write(s, 0x0a, 0x26);
    qtest_clock_step(s, SEC / 2 - uip - 1);
    g_assert_cmphex(cmos_read(s, 0x0a) & 0x80, ==, 0);
    qtest_clock_step(s, 1);
    g_assert_cmphex(cmos_read(s, 0x0a) & 0x80, ==, 0x80);
    g_assert_cmpint(cmos_read(s, 0x00), ==, 56);
    qtest_clock_step(s, uip);
    g_assert_cmphex(cmos_read(s, 0x0a) & 0x80, ==, 0);
    g_assert_cmpint(cmos_read(s, 0x00), ==, 57);
    qtest_quit(s);
}

/* Run until the next periodic interrupt; returns the virtual time then. */
static int64_t next_periodic(QTestState *s)
{
    int64_t now = 0;
    while (!qtest_get_irq(s, 8)) {
        now = qtest_clock_step(s, -1);
    }
    g_assert_cmphex(cmos_read(s, 0x0c) & 0x40, ==, 0x40);   /* PF; acks */
    return now;
}

/* A rate change counts the new period from the last tick (QEMU's rtc-test
 * switches 8 Hz <-> 2 Hz from each interrupt and checks the sum), and a
 * rewrite of the same rate does not disturb the phase. */
static void test_periodic_rate_change(void)
{
    QTestState *s = rtc_start();
    cmos_write(s, 0x0a, 0x20 | 13);              /* 8 Hz */
    cmos_write(s, 0x0b, 0x40 | 0x04 | 0x02);     /* PIE */
    int64_t t0 = next_periodic(s);
    cmos_write(s, 0x0a, 0x20 | 15);              /* 2 Hz */
    int64_t t1 = next_periodic(s);
    g_assert_cmpint(t1 - t0, ==, SEC / 2);
    qtest_clock_step(s, SEC / 4);
    cmos_write(s, 0x0a, 0x20 | 15);              /* same rate again */
    cmos_write(s, 0x0a, 0x20 | 13);              /* 8 Hz: 250 ms already passed */
    int64_t t2 = next_periodic(s);
    g_assert_cmpint(t2 - t1, <=, SEC / 4 + 1);
    int64_t t3 = next_periodic(s);
    g_assert_cmpint(t3 - t2, ==, SEC / 8);
    qtest_quit(s);
}

/* -rtc base=DATE: the CMOS shows that date (BCD, the power-on format) */
static void test_base_date(void)
{
    QTestState *s = qtest_start("-rtc base=2006-06-17T16:01:21,clock=vm");
    g_assert_cmphex(cmos_read(s, 0x32), ==, 0x20);   /* century */
    g_assert_cmphex(cmos_read(s, 0x09), ==, 0x06);
    g_assert_cmphex(cmos_read(s, 0x08), ==, 0x06);
    g_assert_cmphex(cmos_read(s, 0x07), ==, 0x17);
    g_assert_cmphex(cmos_read(s, 0x04), ==, 0x16);
    g_assert_cmphex(cmos_read(s, 0x02), ==, 0x01);
    g_assert_cmphex(cmos_read(s, 0x00), ==, 0x21);
    g_assert_cmphex(cmos_read(s, 0x06), ==, 0x07);   /* a Saturday: day of week 7 */
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/rtc/time-counts", test_time_counts);
    g_test_add_func("/qtest/rtc/update-irq", test_update_irq);
    g_test_add_func("/qtest/rtc/alarm-irq", test_alarm_irq);
    g_test_add_func("/qtest/rtc/periodic-irq", test_periodic_irq);
    g_test_add_func("/qtest/rtc/base-date", test_base_date);
    g_test_add_func("/qtest/rtc/uip-window", test_uip_window);
    g_test_add_func("/qtest/rtc/periodic-rate-change", test_periodic_rate_change);
    return g_test_run();
}

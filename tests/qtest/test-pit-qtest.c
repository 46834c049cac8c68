/*
 * 8254 PIT through qtest: channel 2 in mode 0 counts down at 1.193182 MHz
 * of virtual time (latched reads), its OUT shows in port 0x61 bit 5 at
 * terminal count and only while the gate (0x61 bit 0) is open; channel 0
 * in mode 2 raises ISA IRQ 0 once per period.
 */
#include "tests/qtest/libqtest.h"

#define PIT_HZ 1193182LL

static uint16_t latch_read(QTestState *s, int ch)
{
    qtest_outb(s, 0x43, ch << 6);                /* counter latch */
    uint8_t lo = qtest_inb(s, 0x40 + ch);
    uint8_t hi = qtest_inb(s, 0x40 + ch);
    return lo | hi << 8;
}

static void test_mode0_count(void)
{
    QTestState *s = qtest_start(NULL);
    qtest_outb(s, 0x61, (qtest_inb(s, 0x61) & ~0x02) | 0x01);   /* gate on, speaker off */
    qtest_outb(s, 0x43, 0xb0);                   /* ch2, lo/hi, mode 0, binary */
    qtest_outb(s, 0x42, 10000 & 0xff);
    qtest_outb(s, 0x42, 10000 >> 8);
    g_assert_cmphex(qtest_inb(s, 0x61) & 0x20, ==, 0);
    qtest_clock_step(s, 1000000);                /* 1 ms = 1193 ticks */
    int c = latch_read(s, 2);
    int expect = 10000 - (int)(PIT_HZ * 1000000 / 1000000000);
    g_assert_cmpint(c, >=, expect - 2);
    g_assert_cmpint(c, <=, expect + 1);
    g_assert_cmphex(qtest_inb(s, 0x61) & 0x20, ==, 0);
    qtest_clock_step(s, 8000000);                /* 9 ms total > 10000 ticks */
    g_assert_cmphex(qtest_inb(s, 0x61) & 0x20, ==, 0x20);
    qtest_quit(s);
}

static void test_gate_stops(void)
{
    QTestState *s = qtest_start(NULL);
    qtest_outb(s, 0x61, qtest_inb(s, 0x61) & ~0x03);            /* gate closed */
    qtest_outb(s, 0x43, 0xb0);
    qtest_outb(s, 0x42, 0x00);
    qtest_outb(s, 0x42, 0x10);                   /* 0x1000 */
    qtest_clock_step(s, 5000000);
    g_assert_cmpint(latch_read(s, 2), ==, 0x1000);               /* mode 0 waits for the gate */
    qtest_quit(s);
}

static void test_mode2_irq0(void)
{
    QTestState *s = qtest_start(NULL);
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outb(s, 0x43, 0x34);                   /* ch0, lo/hi, mode 2 */
    qtest_outb(s, 0x40, 11932 & 0xff);           /* ~10 ms */
    qtest_outb(s, 0x40, 11932 >> 8);
    unsigned n0 = qtest_irq_raises(s, 0);
    qtest_clock_step(s, 100000000);              /* 100 ms: 10 periods */
    unsigned n = qtest_irq_raises(s, 0) - n0;
    g_assert_cmpuint(n, >=, 9);
    g_assert_cmpuint(n, <=, 11);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/pit/mode0-count", test_mode0_count);
    g_test_add_func("/qtest/pit/gate", test_gate_stops);
    g_test_add_func("/qtest/pit/mode2-irq0", test_mode2_irq0);
    return g_test_run();
}

/*
 * MC146818 RTC: setting the time under SET, BCD vs binary and 12/24-hour
 * formats, calendar carries and the century byte, UIP timing, update-ended,
 * alarm and periodic interrupts on IRQ 8, register C clear-on-read,
 * register D VRT, and the CMOS RAM API (Motorola MC146818A datasheet).
 */
#include <glib.h>

#include "hw/timer/mc146818rtc.h"
#include "tests/unit/isa-test-util.h"

static Device *rtc;

static uint8_t cmos_read(uint8_t idx)
{
    outb_(0x70, idx);
    return inb_(0x71);
}

static void cmos_write(uint8_t idx, uint8_t val)
{
    outb_(0x70, idx);
    outb_(0x71, val);
}

/* Set 24-hour BCD time yyyy-mm-dd hh:mm:ss (all BCD bytes). */
static void set_time_bcd(uint8_t cent, uint8_t yy, uint8_t mo, uint8_t dd,
                         uint8_t hh, uint8_t mi, uint8_t ss)
{
    cmos_write(0x0b, 0x82);            /* SET, 24h, BCD */
    cmos_write(0x00, ss);
    cmos_write(0x02, mi);
    cmos_write(0x04, hh);
    cmos_write(0x07, dd);
    cmos_write(0x08, mo);
    cmos_write(0x09, yy);
    cmos_write(0x32, cent);
    cmos_write(0x0b, 0x02);            /* run */
    cmos_read(0x0c);
    isa_test_clear_edges();
}

static void test_set_and_carry(void)
{
    set_time_bcd(0x20, 0x24, 0x02, 0x29, 0x23, 0x59, 0x58);
    g_assert_cmpint(cmos_read(0x00), ==, 0x58);
    g_assert_cmpint(cmos_read(0x04), ==, 0x23);
    g_assert_cmpint(cmos_read(0x06), ==, 0x05);        /* Thursday (Sunday = 1) */
    clock_virtual_step(NANOSECONDS_PER_SECOND / 2);
    g_assert_cmpint(cmos_read(0x00), ==, 0x58);
    clock_virtual_step(NANOSECONDS_PER_SECOND * 2);
    /* leap day rolls into March */
    g_assert_cmpint(cmos_read(0x00), ==, 0x00);
    g_assert_cmpint(cmos_read(0x02), ==, 0x00);
    g_assert_cmpint(cmos_read(0x04), ==, 0x00);
    g_assert_cmpint(cmos_read(0x07), ==, 0x01);
    g_assert_cmpint(cmos_read(0x08), ==, 0x03);
    g_assert_cmpint(cmos_read(0x09), ==, 0x24);
    g_assert_cmpint(cmos_read(0x32), ==, 0x20);

    /* century carry is maintained by the clock */
    set_time_bcd(0x20, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59);
    clock_virtual_step(NANOSECONDS_PER_SECOND + 1000);
    g_assert_cmpint(cmos_read(0x09), ==, 0x00);
    g_assert_cmpint(cmos_read(0x32), ==, 0x21);
    g_assert_cmpint(rtc_get_cmos(rtc, 0x32), ==, 0x21);
}

static void test_set_freezes(void)
{
    set_time_bcd(0x20, 0x24, 0x06, 0x15, 0x12, 0x00, 0x00);
    cmos_write(0x0b, 0x82);
    clock_virtual_step(NANOSECONDS_PER_SECOND * 5);
    g_assert_cmpint(cmos_read(0x00), ==, 0x00);        /* no updates while SET */
    cmos_write(0x0b, 0x02);
    clock_virtual_step(NANOSECONDS_PER_SECOND + 1000);
    g_assert_cmpint(cmos_read(0x00), ==, 0x01);
}

/* Linux's mc146818_set_time: SET, divider reset, write, clear SET, then
 * release the divider; the first update is 500 ms after the release. */
static void test_divider_reset(void)
{
    cmos_write(0x0b, 0x82);
    cmos_write(0x0a, 0x26 | 0x70);
    cmos_write(0x00, 0x00);
    cmos_write(0x02, 0x00);
    cmos_write(0x04, 0x10);
    cmos_write(0x0b, 0x02);
    clock_virtual_step(NANOSECONDS_PER_SECOND * 3);
    g_assert_cmpint(cmos_read(0x00), ==, 0x00);        /* held while in reset */
    g_assert_cmpint(cmos_read(0x0a) & 0x80, ==, 0);
    cmos_write(0x0a, 0x26);
    clock_virtual_step(NANOSECONDS_PER_SECOND * 4 / 10);
    g_assert_cmpint(cmos_read(0x00), ==, 0x00);
    clock_virtual_step(NANOSECONDS_PER_SECOND * 2 / 10);
    g_assert_cmpint(cmos_read(0x00), ==, 0x01);
    g_assert_cmpint(cmos_read(0x04), ==, 0x10);
}

static void test_formats(void)
{
    set_time_bcd(0x20, 0x24, 0x06, 0x15, 0x23, 0x45, 0x30);
    cmos_write(0x0b, 0x06);            /* binary, 24h */
    g_assert_cmpint(cmos_read(0x00), ==, 30);
    g_assert_cmpint(cmos_read(0x02), ==, 45);
    g_assert_cmpint(cmos_read(0x04), ==, 23);
    g_assert_cmpint(cmos_read(0x09), ==, 24);
    g_assert_cmpint(cmos_read(0x32), ==, 20);
    cmos_write(0x0b, 0x00);            /* BCD, 12h: 23h = 11 PM */
    g_assert_cmpint(cmos_read(0x04), ==, 0x91);
    cmos_write(0x0b, 0x04);            /* binary, 12h */
    g_assert_cmpint(cmos_read(0x04), ==, 0x80 | 11);

    /* set midnight in 12h BCD: 12 AM */
    cmos_write(0x0b, 0x80);
    cmos_write(0x04, 0x12);
    cmos_write(0x0b, 0x02);
    g_assert_cmpint(cmos_read(0x04), ==, 0x00);
    cmos_write(0x0b, 0x80);
    cmos_write(0x04, 0x92);            /* 12 PM = noon */
    cmos_write(0x0b, 0x02);
    g_assert_cmpint(cmos_read(0x04), ==, 0x12);
}

static void test_uip(void)
{
    set_time_bcd(0x20, 0x24, 0x06, 0x15, 0x12, 0x00, 0x00);
    g_assert_cmpint(cmos_read(0x0a) & 0x80, ==, 0);
    clock_virtual_step(NANOSECONDS_PER_SECOND - 300000);
    g_assert_cmpint(cmos_read(0x0a) & 0x80, ==, 0);
    clock_virtual_step(100000);        /* 200 us before the update */
    g_assert_cmpint(cmos_read(0x0a) & 0x80, ==, 0x80);
    g_assert_cmpint(cmos_read(0x00), ==, 0x00);        /* old time during UIP */
    clock_virtual_step(200000 + 1000);
    g_assert_cmpint(cmos_read(0x0a) & 0x80, ==, 0);
    g_assert_cmpint(cmos_read(0x00), ==, 0x01);
    g_assert_cmpint(cmos_read(0x0a) & 0x7f, ==, 0x26);
}

static void test_update_irq(void)
{
    set_time_bcd(0x20, 0x24, 0x06, 0x15, 0x12, 0x00, 0x00);
    cmos_write(0x0b, 0x12);            /* UIE */
    clock_virtual_step(NANOSECONDS_PER_SECOND - 1000);
    g_assert_cmpint(isa_irq_edges[8], ==, 0);
    clock_virtual_step(2000);
    g_assert_cmpint(isa_irq_edges[8], ==, 1);
    g_assert_cmpint(isa_irq_level[8], ==, 1);
    /* IRQF | UF; PF runs at the register A rate whatever PIE says */
    g_assert_cmpint(cmos_read(0x0c) & 0xb0, ==, 0x90);
    g_assert_cmpint(isa_irq_level[8], ==, 0);
    g_assert_cmpint(cmos_read(0x0c), ==, 0x00);        /* cleared by the read */
    /* UF is set even with UIE off, but no IRQ */
    cmos_write(0x0b, 0x02);
    clock_virtual_step(NANOSECONDS_PER_SECOND);
    g_assert_cmpint(isa_irq_edges[8], ==, 1);
    g_assert_cmpint(cmos_read(0x0c) & 0xb0, ==, 0x10);
    /* SET clears UIE */
    cmos_write(0x0b, 0x12);
    cmos_write(0x0b, 0x92);
    g_assert_cmpint(cmos_read(0x0b) & 0x10, ==, 0);
    cmos_write(0x0b, 0x02);
}

static void test_alarm(void)
{
    set_time_bcd(0x20, 0x24, 0x06, 0x15, 0x12, 0x00, 0x00);
    cmos_write(0x01, 0x03);
    cmos_write(0x03, 0x00);
    cmos_write(0x05, 0x12);
    cmos_write(0x0b, 0x22);            /* AIE */
    clock_virtual_step(NANOSECONDS_PER_SECOND * 2 + 1000);
    g_assert_cmpint(isa_irq_edges[8], ==, 0);
    clock_virtual_step(NANOSECONDS_PER_SECOND);
    g_assert_cmpint(isa_irq_edges[8], ==, 1);
    g_assert_cmpint(cmos_read(0x0c) & 0xa0, ==, 0xa0);
    /* "don't care" hours and minutes (0xc0-0xff): alarm once a minute */
    cmos_write(0x03, 0xc0);
    cmos_write(0x05, 0xff);
    cmos_write(0x01, 0x10);
    clock_virtual_step(NANOSECONDS_PER_SECOND * 13);   /* 12:00:16 */
    g_assert_cmpint(isa_irq_edges[8], ==, 2);
    g_assert_cmpint(cmos_read(0x0c) & 0xa0, ==, 0xa0);
    /* all three don't care: every second */
    cmos_write(0x01, 0xc0);
    clock_virtual_step(NANOSECONDS_PER_SECOND);
    g_assert_cmpint(cmos_read(0x0c) & 0xa0, ==, 0xa0);
    cmos_write(0x0b, 0x02);
    cmos_read(0x0c);
}

static void test_periodic(void)
{
    set_time_bcd(0x20, 0x24, 0x06, 0x15, 0x12, 0x00, 0x00);
    cmos_write(0x0a, 0x26);            /* 1024 Hz */
    cmos_write(0x0b, 0x42);            /* PIE */
    int n = 0;
    int64_t end = clock_get_ns(CLOCK_VIRTUAL) + NANOSECONDS_PER_SECOND;
    while (clock_get_ns(CLOCK_VIRTUAL) < end) {
        clock_virtual_step(100000);
        if (isa_irq_level[8]) {
            g_assert_cmpint(cmos_read(0x0c) & 0xc0, ==, 0xc0);
            n++;
        }
    }
    g_assert_cmpint(n, >=, 1023);
    g_assert_cmpint(n, <=, 1025);
    /* rate 15: 2 Hz */
    cmos_write(0x0a, 0x2f);
    cmos_read(0x0c);
    isa_test_clear_edges();
    for (int i = 0; i < 20; i++) {
        clock_virtual_step(NANOSECONDS_PER_SECOND / 2);
        cmos_read(0x0c);
    }
    g_assert_cmpint(isa_irq_edges[8], >=, 19);
    g_assert_cmpint(isa_irq_edges[8], <=, 21);
    cmos_write(0x0a, 0x20);            /* rate 0: off */
    cmos_read(0x0c);
    isa_test_clear_edges();
    clock_virtual_step(NANOSECONDS_PER_SECOND);
    g_assert_cmpint(isa_irq_edges[8], ==, 0);
    cmos_write(0x0b, 0x02);
    cmos_write(0x0a, 0x26);
}

static void test_cmos_ram(void)
{
    g_assert_cmpint(cmos_read(0x0d), ==, 0x80);        /* VRT */
    cmos_write(0x0d, 0x00);
    g_assert_cmpint(cmos_read(0x0d), ==, 0x80);
    cmos_write(0x0c, 0xff);                            /* read-only */
    g_assert_cmpint(cmos_read(0x0c) & 0x0f, ==, 0);
    for (int i = 0x0e; i < 0x80; i++) {
        if (i == 0x32) {
            continue;
        }
        cmos_write(i, i ^ 0x5a);
    }
    for (int i = 0x0e; i < 0x80; i++) {
        if (i != 0x32) {
            g_assert_cmpint(cmos_read(i), ==, i ^ 0x5a);
        }
    }
    /* bit 7 of the index is the NMI mask, not part of the address */
    outb_(0x70, 0x80 | 0x40);
    g_assert_cmpint(inb_(0x71), ==, 0x40 ^ 0x5a);
    rtc_set_cmos(rtc, 0x34, 0x12);
    g_assert_cmpint(cmos_read(0x34), ==, 0x12);
    cmos_write(0x35, 0x77);
    g_assert_cmpint(rtc_get_cmos(rtc, 0x35), ==, 0x77);
    /* out of range indexes are ignored */
    rtc_set_cmos(rtc, 200, 1);
    rtc_set_cmos(rtc, -1, 1);
    g_assert_cmpint(rtc_get_cmos(rtc, 128), ==, 0xff);
}

static void test_reset_keeps_ram(void)
{
    cmos_write(0x40, 0xab);
    cmos_write(0x0b, 0x72);
    rtc->cls->reset(rtc);
    g_assert_cmpint(cmos_read(0x40), ==, 0xab);
    g_assert_cmpint(cmos_read(0x0b) & 0x70, ==, 0);    /* RESET clears the enables */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    isa_test_init();
    rtc = device_create("mc146818rtc", "");
    g_test_add_func("/rtc/set_and_carry", test_set_and_carry);
    g_test_add_func("/rtc/set_freezes", test_set_freezes);
    g_test_add_func("/rtc/divider_reset", test_divider_reset);
    g_test_add_func("/rtc/formats", test_formats);
    g_test_add_func("/rtc/uip", test_uip);
    g_test_add_func("/rtc/update_irq", test_update_irq);
    g_test_add_func("/rtc/alarm", test_alarm);
    g_test_add_func("/rtc/periodic", test_periodic);
    g_test_add_func("/rtc/cmos_ram", test_cmos_ram);
    g_test_add_func("/rtc/reset_keeps_ram", test_reset_keeps_ram);
    return g_test_run();
}

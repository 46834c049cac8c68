/*
 * 8254 PIT: modes 0-5 counts and OUT timing against the virtual clock,
 * counter latch and read-back, access modes, BCD, the counter 2 gate and
 * OUT on port 0x61 (SeaBIOS calibrates the TSC with them), and IRQ 0 edges.
 * Intel 8254 datasheet; one input clock is 1/1193182 s.
 */
#include <glib.h>

#include "hw/timer/i8254.h"
#include "tests/unit/isa-test-util.h"

static Device *pit;

/* ns of n PIT clocks from a start time, rounded up so the nth tick has passed */
static int64_t ticks_ns(int64_t n)
{
    return (n * NANOSECONDS_PER_SECOND + PIT_FREQ - 1) / PIT_FREQ;
}

static void step_ticks(double n)
{
    clock_virtual_step((int64_t)(n * NANOSECONDS_PER_SECOND / PIT_FREQ));
}

static uint16_t read_count_lohi(int ch)
{
    uint8_t lo = inb_(0x40 + ch);
    uint8_t hi = inb_(0x40 + ch);
    return lo | (hi << 8);
}

static uint16_t latch_count(int ch)
{
    outb_(0x43, ch << 6);
    return read_count_lohi(ch);
}

/* With the real-time virtual clock, timers fire late: far later than
 * mode 2's one-clock low pulse.  IRQ 0 edges must not be lost to that. */
static void test_late_timers(void)
{
    g_assert_false(clock_virtual_is_manual());
    outb_(0x43, 0x34);
    outb_(0x40, 100);                  /* 84 us period */
    outb_(0x40, 0);
    isa_test_clear_edges();
    for (int i = 0; i < 20; i++) {
        g_usleep(2000);
        timers_run_expired();
    }
    g_assert_cmpint(isa_irq_edges[0], >=, 10);
    outb_(0x43, 0x30);                 /* stop: mode 0 without a count */
    clock_virtual_set_manual(true);
}

static void test_mode2_rate(void)
{
    outb_(0x43, 0x34);                 /* ch0, lohi, mode 2, binary */
    outb_(0x40, 100);
    outb_(0x40, 0);
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    isa_test_clear_edges();            /* the mode write itself raised OUT */
    g_assert_cmpint(latch_count(0), ==, 100);
    step_ticks(10.5);
    g_assert_cmpint(latch_count(0), ==, 90);
    /* OUT goes low when the count reaches 1, for one clock */
    step_ticks(88);                    /* 98.5 ticks: count 2 */
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    g_assert_cmpint(latch_count(0), ==, 2);
    step_ticks(1);                     /* 99.5: count 1, OUT low */
    g_assert_cmpint(isa_irq_level[0], ==, 0);
    g_assert_cmpint(latch_count(0), ==, 1);
    g_assert_cmpint(isa_irq_edges[0], ==, 0);
    step_ticks(1);                     /* reload: OUT high, IRQ 0 edge */
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    g_assert_cmpint(isa_irq_edges[0], ==, 1);
    g_assert_cmpint(latch_count(0), ==, 100);
    step_ticks(100 * 1000);
    g_assert_cmpint(isa_irq_edges[0], ==, 1001);
}

static void test_default_18hz(void)
{
    /* the BIOS tick: count 0 = 65536, 18.2 Hz */
    outb_(0x43, 0x34);
    outb_(0x40, 0);
    outb_(0x40, 0);
    isa_test_clear_edges();
    clock_virtual_step(NANOSECONDS_PER_SECOND);
    g_assert_cmpint(isa_irq_edges[0], ==, 18);
    clock_virtual_step(NANOSECONDS_PER_SECOND * 9);
    g_assert_cmpint(isa_irq_edges[0], ==, 182);
}

/* Mode 2: a count written mid-period takes over when the period ends. */
static void test_mode2_deferred_reload(void)
{
    outb_(0x43, 0x34);
    outb_(0x40, 100);
    outb_(0x40, 0);
    isa_test_clear_edges();
    step_ticks(30.5);
    outb_(0x40, 50);                   /* no control word: reload later */
    outb_(0x40, 0);
    g_assert_cmpint(latch_count(0), ==, 70);
    step_ticks(69);                    /* 99.5: still the old period */
    g_assert_cmpint(latch_count(0), ==, 1);
    g_assert_cmpint(isa_irq_edges[0], ==, 0);
    step_ticks(1);                     /* 100.5: edge, new count loaded */
    g_assert_cmpint(isa_irq_edges[0], ==, 1);
    g_assert_cmpint(latch_count(0), ==, 50);
    step_ticks(50);
    g_assert_cmpint(isa_irq_edges[0], ==, 2);
    step_ticks(50 * 10);
    g_assert_cmpint(isa_irq_edges[0], ==, 12);
}

static void test_mode0_and_readback(void)
{
    isa_test_clear_edges();
    outb_(0x43, 0x30);                 /* ch0, lohi, mode 0 */
    g_assert_cmpint(isa_irq_level[0], ==, 0);   /* mode 0: OUT low after the mode write */
    outb_(0x43, 0xe2);                 /* read-back status of ch0 */
    g_assert_cmpint(inb_(0x40), ==, 0x70);      /* null count, lohi, mode 0 */
    outb_(0x40, 0xe8);
    outb_(0x40, 0x03);                 /* 1000 */
    outb_(0x43, 0xe2);
    g_assert_cmpint(inb_(0x40), ==, 0x30);
    step_ticks(999.5);
    g_assert_cmpint(isa_irq_level[0], ==, 0);
    step_ticks(1);
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    g_assert_cmpint(isa_irq_edges[0], ==, 1);
    /* status and count latched together: status comes first */
    outb_(0x43, 0xc2);
    g_assert_cmpint(inb_(0x40), ==, 0xb0);
    uint16_t c = read_count_lohi(0);
    g_assert_cmpint(c, ==, 0);         /* OUT rises as the count reaches 0 */
    step_ticks(1);
    g_assert_cmpint(latch_count(0), ==, 0xffff);  /* and it keeps counting, wrapped */
    step_ticks(5000);
    g_assert_cmpint(isa_irq_edges[0], ==, 1);   /* one-shot: no more edges */
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    /* writing a new count in mode 0 drops OUT and restarts */
    outb_(0x40, 10);
    outb_(0x40, 0);
    g_assert_cmpint(isa_irq_level[0], ==, 0);
    step_ticks(10.5);
    g_assert_cmpint(isa_irq_edges[0], ==, 2);
}

static void test_latch_holds(void)
{
    outb_(0x43, 0x34);
    outb_(0x40, 0x00);
    outb_(0x40, 0x10);                 /* 0x1000 */
    step_ticks(0x100 + 0.5);
    outb_(0x43, 0x00);                 /* latch */
    step_ticks(0x200);
    outb_(0x43, 0x00);                 /* a second latch before reading is ignored */
    g_assert_cmpint(read_count_lohi(0), ==, 0x0f00);
    /* the latch is released after both bytes: next read is live */
    g_assert_cmpint(read_count_lohi(0), ==, 0x0d00);
}

static void test_access_modes(void)
{
    outb_(0x43, 0x14);                 /* ch0, LSB only, mode 2 */
    outb_(0x40, 50);
    step_ticks(10.5);
    g_assert_cmpint(inb_(0x40), ==, 40);
    g_assert_cmpint(inb_(0x40), ==, 40);        /* LSB mode: no flip-flop */
    outb_(0x43, 0x24);                 /* MSB only */
    outb_(0x40, 0x02);                 /* 0x200 */
    step_ticks(0x100 + 0.5);
    g_assert_cmpint(inb_(0x40), ==, 0x01);
    outb_(0x43, 0x04);                 /* latch ch0 in MSB mode */
    step_ticks(0x80);
    g_assert_cmpint(inb_(0x40), ==, 0x01);
}

static void test_bcd(void)
{
    outb_(0x43, 0x31);                 /* mode 0, BCD */
    outb_(0x40, 0x00);
    outb_(0x40, 0x10);                 /* 1000 decimal */
    step_ticks(1.5);
    g_assert_cmpint(latch_count(0), ==, 0x0999);
    step_ticks(990);
    g_assert_cmpint(latch_count(0), ==, 0x0009);
    outb_(0x43, 0xe2);
    g_assert_cmpint(inb_(0x40), ==, 0x31);
    outb_(0x43, 0x34);
}

static void test_mode3_square(void)
{
    /* counter 2 through port 0x61: gate bit 0, OUT on bit 5 */
    outb_(0x61, 0x01);
    outb_(0x43, 0xb6);                 /* ch2, lohi, mode 3 */
    outb_(0x42, 0xe8);
    outb_(0x42, 0x03);                 /* 1000 */
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
    step_ticks(499.5);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
    /* decrements by two: 1000 - 2*499 */
    g_assert_cmpint(latch_count(2), ==, 2);
    step_ticks(1);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    g_assert_cmpint(latch_count(2), ==, 1000);
    step_ticks(499);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    step_ticks(1);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
    /* odd count 5: high for 3 clocks, low for 2 */
    outb_(0x43, 0xb6);
    outb_(0x42, 5);
    outb_(0x42, 0);
    step_ticks(2.5);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
    step_ticks(1);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    step_ticks(1);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    step_ticks(1);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
    /* gate low forces OUT high in mode 3 */
    step_ticks(3);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    outb_(0x61, 0x00);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
}

static void test_gate_mode0(void)
{
    outb_(0x61, 0x00);
    outb_(0x43, 0xb0);                 /* ch2, lohi, mode 0 */
    outb_(0x42, 100);
    outb_(0x42, 0);
    step_ticks(500);
    g_assert_cmpint(latch_count(2), ==, 100);   /* gate low: not counting */
    g_assert_cmpint(inb_(0x61) & 0x21, ==, 0);
    outb_(0x61, 0x01);
    step_ticks(40.5);
    g_assert_cmpint(latch_count(2), ==, 60);
    outb_(0x61, 0x00);                 /* suspend */
    step_ticks(1000);
    g_assert_cmpint(latch_count(2), ==, 60);
    outb_(0x61, 0x01);
    step_ticks(59);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    step_ticks(1.5);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
}

/* SeaBIOS's calibrate_tsc: gate on, speaker off, mode 0 on counter 2,
 * poll port 0x61 bit 5.  The time OUT takes to rise must be the count. */
static void test_seabios_calibration(void)
{
    const int count = 2 * 1193182 / 1000 * 2;  /* ~4 ms, the order SeaBIOS uses */
    outb_(0x61, (inb_(0x61) & ~0x02) | 0x01);
    outb_(0x43, 0xb0);
    outb_(0x42, count & 0xff);
    outb_(0x42, count >> 8);
    int64_t start = clock_get_ns(CLOCK_VIRTUAL);
    int64_t t = start;
    while (!(inb_(0x61) & 0x20)) {
        t = clock_virtual_step(100);
        g_assert_cmpint(t - start, <, 100 * 1000 * 1000);
    }
    int64_t want = ticks_ns(count);
    g_assert_cmpint(t - start, >=, want - 100);
    g_assert_cmpint(t - start, <=, want + 100);
}

static void test_mode1_5_trigger(void)
{
    outb_(0x61, 0x00);
    outb_(0x43, 0xb2);                 /* ch2 mode 1: hardware one-shot */
    outb_(0x42, 50);
    outb_(0x42, 0);
    step_ticks(100);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);  /* waits for the trigger */
    outb_(0x61, 0x01);                 /* rising gate: OUT low for 50 clocks */
    step_ticks(0.5);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    step_ticks(30);
    outb_(0x61, 0x00);                 /* gate low does not stop mode 1 */
    outb_(0x61, 0x01);                 /* re-trigger restarts the count */
    step_ticks(49);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);
    step_ticks(1.5);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);

    outb_(0x61, 0x00);
    outb_(0x43, 0xba);                 /* mode 5: hardware strobe */
    outb_(0x42, 20);
    outb_(0x42, 0);
    outb_(0x61, 0x01);
    step_ticks(19.5);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
    step_ticks(1);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0);  /* one-clock strobe */
    step_ticks(1);
    g_assert_cmpint(inb_(0x61) & 0x20, ==, 0x20);
}

static void test_mode4_strobe(void)
{
    outb_(0x43, 0x38);                 /* ch0 mode 4 */
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    isa_test_clear_edges();
    outb_(0x40, 30);
    outb_(0x40, 0);
    step_ticks(29.5);
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    step_ticks(1);
    g_assert_cmpint(i8254_get_out(pit, 0, clock_get_ns(CLOCK_VIRTUAL)), ==, 0);
    step_ticks(1);
    g_assert_cmpint(isa_irq_level[0], ==, 1);
    g_assert_cmpint(isa_irq_edges[0], ==, 1);
    step_ticks(100000);
    g_assert_cmpint(isa_irq_edges[0], ==, 1);
}

static void test_port61_bits(void)
{
    outb_(0x61, 0x0f);
    g_assert_cmpint(inb_(0x61) & 0x0f, ==, 0x0f);
    outb_(0x61, 0x01);
    g_assert_cmpint(inb_(0x61) & 0x0f, ==, 0x01);
    /* refresh request toggles about every 15 us */
    int a = inb_(0x61) & 0x10;
    clock_virtual_step(15085);
    int b = inb_(0x61) & 0x10;
    clock_virtual_step(15085);
    int c = inb_(0x61) & 0x10;
    g_assert_cmpint(a, !=, b);
    g_assert_cmpint(a, ==, c);
}

static void test_invalid(void)
{
    /* reading the control port and stray values must not crash */
    g_assert_cmpint(inb_(0x43), ==, 0xff);
    outb_(0x43, 0xfe);                 /* read-back with reserved bit 0 */
    outb_(0x43, 0x3e);                 /* mode 7 aliases mode 3 */
    outb_(0x43, 0xe2);
    g_assert_cmpint(inb_(0x40) & 0x0e, ==, 0x06);
    outb_(0x43, 0x34);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    isa_test_init();
    clock_virtual_set_manual(false);   /* the first test runs in real time */
    pit = device_create("i8254", "");
    g_test_add_func("/pit/late_timers", test_late_timers);
    g_test_add_func("/pit/mode2_rate", test_mode2_rate);
    g_test_add_func("/pit/default_18hz", test_default_18hz);
    g_test_add_func("/pit/mode2_deferred_reload", test_mode2_deferred_reload);
    g_test_add_func("/pit/mode0_and_readback", test_mode0_and_readback);
    g_test_add_func("/pit/latch_holds", test_latch_holds);
    g_test_add_func("/pit/access_modes", test_access_modes);
    g_test_add_func("/pit/bcd", test_bcd);
    g_test_add_func("/pit/mode3_square", test_mode3_square);
    g_test_add_func("/pit/gate_mode0", test_gate_mode0);
    g_test_add_func("/pit/seabios_calibration", test_seabios_calibration);
    g_test_add_func("/pit/mode1_5_trigger", test_mode1_5_trigger);
    g_test_add_func("/pit/mode4_strobe", test_mode4_strobe);
    g_test_add_func("/pit/port61_bits", test_port61_bits);
    g_test_add_func("/pit/invalid", test_invalid);
    return g_test_run();
}

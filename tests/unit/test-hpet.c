/*
 * HPET (hw/timer/hpet.c, IA-PC HPET spec 1.0a, QEMU's pc parameters):
 * capability registers as QEMU reports them, the 100 MHz main counter
 * (runs only while enabled, writable), one-shot and periodic timers on
 * the virtual clock, 32-bit mode, edge pulses and level status with
 * write-1-to-clear, routing, and legacy replacement (timer 0 -> IRQ0,
 * timer 1 -> IRQ8, and the line that cuts off the PIT and RTC).
 */
#include <glib.h>

#include "hw/timer/hpet.h"
#include "tests/unit/pc-test-util.h"
#include "hw/core/timer.h"

#define HPET 0xfed00000u

static Device *hpet;
static int levels[HPET_NUM_OUTS], edges[HPET_NUM_OUTS];

static void out_handler(void *opaque, int n, int level)
{
    if (level && !levels[n]) {
        edges[n]++;
    }
    levels[n] = level;
}

static uint64_t rd(unsigned off) { return address_space_ld(&address_space_memory, HPET + off, 8); }
static uint32_t rd32(unsigned off) { return address_space_ld(&address_space_memory, HPET + off, 4); }
static void wr(unsigned off, uint64_t v) { address_space_st(&address_space_memory, HPET + off, v, 8); }
static void wr32(unsigned off, uint32_t v) { address_space_st(&address_space_memory, HPET + off, v, 4); }

static void setup(void)
{
    devices_reset_all();
    memset(edges, 0, sizeof(edges));
}

static void test_capabilities(void)
{
    setup();
    g_assert_cmphex(rd32(0x00), ==, 0x8086a201);      /* rev 1, 3 timers, 64-bit, legacy */
    g_assert_cmphex(rd32(0x04), ==, 10000000);        /* 10 ns in fs */
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        g_assert_cmphex(rd(0x100 + 0x20 * i), ==, 0x0000000400000030ull);
        g_assert_cmphex(rd(0x108 + 0x20 * i), ==, ~0ull);
    }
    wr(0x00, 0);                                      /* read-only */
    g_assert_cmphex(rd32(0x00), ==, 0x8086a201);
    g_assert_cmphex(rd(0x10), ==, 0);
}

static void test_counter(void)
{
    setup();
    clock_virtual_step(1000);
    g_assert_cmpuint(rd(0xf0), ==, 0);                /* halted */
    wr(0x10, 1);
    clock_virtual_step(1000);
    g_assert_cmpuint(rd(0xf0), ==, 100);              /* 100 MHz */
    wr(0x10, 0);
    clock_virtual_step(1000);
    g_assert_cmpuint(rd(0xf0), ==, 100);              /* frozen */
    wr(0xf0, 0xfffffffffull);
    g_assert_cmpuint(rd(0xf0), ==, 0xfffffffffull);
    wr(0x10, 1);
    clock_virtual_step(50);
    g_assert_cmpuint(rd32(0xf0), ==, 4);              /* low half of 0x1000000004 */
    g_assert_cmpuint(rd32(0xf4), ==, 0x10);
    wr(0x10, 0);
}

static void test_oneshot_edge(void)
{
    setup();
    wr(0x100, (2 << 9) | (1 << 2));                   /* route pin 2, enabled, edge */
    wr(0x108, 500);
    wr(0x10, 1);
    clock_virtual_step(4990);
    g_assert_cmpint(edges[2], ==, 0);
    clock_virtual_step(10);
    g_assert_cmpint(edges[2], ==, 1);
    g_assert_cmpint(levels[2], ==, 0);                /* a pulse */
    g_assert_cmphex(rd(0x20), ==, 0);                 /* no status in edge mode */
    clock_virtual_step(100000);
    g_assert_cmpint(edges[2], ==, 1);                 /* one-shot 64-bit: once */
    wr(0x10, 0);
}

static void test_periodic(void)
{
    setup();
    /* Linux's sequence: SETVAL + periodic, comparator, then the period */
    wr32(0x100, (2 << 9) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 8));
    wr32(0x108, 1000);
    wr32(0x108, 1000);
    g_assert_false(rd32(0x100) & (1 << 6));           /* SETVAL self-clears */
    wr(0x10, 1);
    for (int i = 0; i < 10; i++) {
        clock_virtual_step(10000);
    }
    g_assert_cmpint(edges[2], ==, 10);
    g_assert_cmpuint(rd32(0x108), ==, 11000);         /* comparator advanced */
    /* periodic write without SETVAL changes only the period */
    wr32(0x108, 500);
    g_assert_cmpuint(rd32(0x108), ==, 11000);
    clock_virtual_step(10000);                        /* reaches 11000 */
    clock_virtual_step(5000);                         /* 11500 */
    g_assert_cmpint(edges[2], ==, 12);
    wr(0x10, 0);
}

static void test_32bit_wrap(void)
{
    setup();
    wr(0xf0, 0xfffffff0ull);
    wr(0x100, (2 << 9) | (1 << 2) | (1 << 8));        /* 32-bit one-shot */
    wr(0x108, 0x10);                                  /* after the 32-bit wrap */
    g_assert_cmphex(rd(0x108), ==, 0x10);
    wr(0x10, 1);
    clock_virtual_step(310);
    g_assert_cmpint(edges[2], ==, 0);
    clock_virtual_step(10);                           /* counter 0x100000010 */
    g_assert_cmpint(edges[2], ==, 1);
    wr(0x10, 0);
}

static void test_level(void)
{
    setup();
    wr(0x100, (2 << 9) | (1 << 2) | (1 << 1));        /* level */
    wr(0x108, 10);
    wr(0x10, 1);
    clock_virtual_step(100);
    g_assert_cmphex(rd(0x20), ==, 1);
    g_assert_cmpint(levels[2], ==, 1);
    wr(0x20, 2);                                      /* other bit: no effect */
    g_assert_cmpint(levels[2], ==, 1);
    wr(0x20, 1);                                      /* write 1 to clear */
    g_assert_cmphex(rd(0x20), ==, 0);
    g_assert_cmpint(levels[2], ==, 0);
    /* disabled interrupts still set the status in level mode, line stays low */
    wr(0x100, (2 << 9) | (1 << 1));
    wr(0x108, rd(0xf0) + 10);
    clock_virtual_step(100);
    g_assert_cmphex(rd(0x20), ==, 1);
    g_assert_cmpint(levels[2], ==, 0);
    wr(0x20, 1);
    wr(0x10, 0);
}

static void test_route_cap(void)
{
    setup();
    wr(0x100, (5 << 9) | (1 << 2));                   /* pin 5 not in the capability */
    g_assert_cmpuint((rd(0x100) >> 9) & 0x1f, ==, 2);
}

static void test_legacy(void)
{
    setup();
    wr(0x100, (2 << 9) | (1 << 2));
    wr(0x108, 100);
    wr(0x120, (2 << 9) | (1 << 2));
    wr(0x128, 200);
    wr(0x10, 3);                                      /* enable + legacy replacement */
    g_assert_cmpint(levels[HPET_OUT_LEGACY_ON], ==, 1);
    clock_virtual_step(3000);
    g_assert_cmpint(edges[HPET_OUT_LEGACY_IRQ0], ==, 1);
    g_assert_cmpint(edges[HPET_OUT_LEGACY_IRQ8], ==, 1);
    g_assert_cmpint(edges[2], ==, 0);                 /* not on their routes */
    wr(0x10, 1);
    g_assert_cmpint(levels[HPET_OUT_LEGACY_ON], ==, 0);
    wr(0x10, 0);
}

static void test_hostile(void)
{
    setup();
    for (unsigned off = 0; off < 0x400; off += 4) {
        wr32(off, 0xffffffff);
        (void)rd32(off);
    }
    address_space_st(&address_space_memory, HPET + 0x101, 0xff, 1);
    address_space_st(&address_space_memory, HPET + 0x10f, 0xffff, 2);
    clock_virtual_step(1000000);
    devices_reset_all();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_address_spaces_init();
    clock_virtual_set_manual(true);
    hpet = device_create("hpet", "");
    for (int i = 0; i < HPET_NUM_OUTS; i++) {
        device_connect_gpio_out(hpet, i, irq_new(out_handler, NULL, i));
    }
    g_test_add_func("/hpet/capabilities", test_capabilities);
    g_test_add_func("/hpet/counter", test_counter);
    g_test_add_func("/hpet/oneshot_edge", test_oneshot_edge);
    g_test_add_func("/hpet/periodic", test_periodic);
    g_test_add_func("/hpet/32bit_wrap", test_32bit_wrap);
    g_test_add_func("/hpet/level", test_level);
    g_test_add_func("/hpet/route_cap", test_route_cap);
    g_test_add_func("/hpet/legacy", test_legacy);
    g_test_add_func("/hpet/hostile", test_hostile);
    return g_test_run();
}

/*
 * Hostile-guest smoke test: random writes and reads over every port of the
 * PC's ISA devices, with time moving, must neither crash nor trip the
 * sanitizers (build with SAN_FLAGS to make that meaningful).  Resets, the
 * i8042 reset request and debug-exit are left out: they end the run.
 */
#include <glib.h>

#include "hw/input/i8042.h"
#include "hw/intc/i8259.h"
#include "hw/timer/i8254.h"
#include "hw/timer/mc146818rtc.h"
#include "tests/unit/isa-test-util.h"
#include "ui/input.h"

static const struct { uint16_t base, len; } ranges[] = {
    { 0x00, 0x10 }, { 0x20, 2 }, { 0x40, 4 }, { 0x60, 2 }, { 0x64, 1 }, { 0x70, 2 },
    { 0x80, 0x10 }, { 0xa0, 2 }, { 0xc0, 0x20 }, { 0x3f8, 8 },
};

static void test_random_io(void)
{
    GRand *r = g_rand_new_with_seed(0x5eed);
    Device *pic = device_create("i8259", "");
    isa_set_irqs(pic->gpio_in);
    device_create("i8254", "");
    Device *rtc = device_create("mc146818rtc", "");
    device_create("i8042", "");
    device_create("i8257", "");
    device_create("isa-serial", "index=0");
    for (int i = 0; i < 200000; i++) {
        int k = g_rand_int_range(r, 0, G_N_ELEMENTS(ranges));
        uint16_t port = ranges[k].base + g_rand_int_range(r, 0, ranges[k].len);
        uint8_t val = g_rand_int_range(r, 0, 256);
        if (port == 0x64 && (val >= 0xf0 || val == 0xd1)) {
            continue;                      /* reset pulses / output port writes */
        }
        if (g_rand_boolean(r)) {
            outb_(port, val);
        } else {
            inb_(port);
        }
        if ((i & 63) == 0) {
            clock_virtual_step(g_rand_int_range(r, 0, 2000000));
            i8259_read_irq(pic);
            input_send_key(g_rand_int_range(r, -2, 258), g_rand_boolean(r));
            input_send_rel(g_rand_int_range(r, 0, 2), g_rand_int_range(r, -100000, 100000));
            input_send_button(g_rand_int_range(r, 0, INPUT_BUTTON__MAX), g_rand_boolean(r));
            input_event_sync();
            rtc_get_cmos(rtc, g_rand_int_range(r, -5, 140));
        }
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    test_address_spaces_init();
    clock_virtual_set_manual(true);
    g_test_add_func("/isa/random_io", test_random_io);
    return g_test_run();
}

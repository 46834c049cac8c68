/*
 * i8042 controller with PS/2 keyboard and mouse, driven the way SeaBIOS's
 * ps2port.c drives it, plus the A20/reset outputs of the i8042 and of
 * port 0x92.
 */
#include <glib.h>
#include <string.h>

#include "hw/input/i8042.h"
#include "system/runstate.h"
#include "ui/input.h"
#include "tests/unit/isa-test-util.h"

extern ShutdownCause runstate_reset_req;

static Device *kbc, *p92;
static int a20_kbc = -1, a20_p92 = -1;

static void a20_handler(void *opaque, int n, int level)
{
    *(int *)opaque = level;
}

static int read_byte(void)
{
    for (int i = 0; i < 10; i++) {
        if (inb_(0x64) & 0x01) {
            return inb_(0x60);
        }
    }
    return -1;
}

static void ctrl_cmd(uint8_t cmd)
{
    g_assert_cmpint(inb_(0x64) & 0x02, ==, 0);      /* IBF never stays set */
    outb_(0x64, cmd);
}

static void test_controller(void)
{
    ctrl_cmd(0xad);                     /* disable keyboard */
    ctrl_cmd(0xa7);                     /* disable aux */
    g_assert_cmpint(read_byte(), ==, -1);
    ctrl_cmd(0xaa);
    g_assert_cmpint(read_byte(), ==, 0x55);
    g_assert_cmpint(inb_(0x64) & 0x04, ==, 0x04);   /* SYS flag after self-test */
    ctrl_cmd(0xab);
    g_assert_cmpint(read_byte(), ==, 0x00);
    ctrl_cmd(0xa9);
    g_assert_cmpint(read_byte(), ==, 0x00);
    ctrl_cmd(0x20);
    int ctr = read_byte();
    g_assert_cmpint(ctr & 0x30, ==, 0x30);          /* both interfaces disabled */
    ctrl_cmd(0x60);
    outb_(0x60, 0x61);
    ctrl_cmd(0x20);
    g_assert_cmpint(read_byte(), ==, 0x61);
}

static void test_keyboard(void)
{
    ctrl_cmd(0x60);
    outb_(0x60, 0x30);                  /* ints off, both disabled */
    outb_(0x60, 0xff);                  /* reset through a disabled interface */
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0xaa);
    outb_(0x60, 0xf5);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    outb_(0x60, 0xf0);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    outb_(0x60, 0x02);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    outb_(0x60, 0xf0);
    outb_(0x60, 0x00);                  /* query scancode set */
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0x02);
    ctrl_cmd(0x60);
    outb_(0x60, 0x61);                  /* translation + KBDINT */
    outb_(0x60, 0xf2);
    g_assert_cmpint(isa_irq_level[1], ==, 1);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0xab);
    g_assert_cmpint(read_byte(), ==, 0x41);
    g_assert_cmpint(isa_irq_level[1], ==, 0);
    outb_(0x60, 0xed);
    outb_(0x60, 0x07);                  /* LEDs */
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    outb_(0x60, 0xee);
    g_assert_cmpint(read_byte(), ==, 0xee);
    outb_(0x60, 0xf4);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    /* a key with translation on arrives as set 1 */
    input_send_key(0x1e, true);
    input_send_key(0x1e, false);
    g_assert_cmpint(inb_(0x64) & 0x21, ==, 0x01);   /* keyboard data, not AUXB */
    g_assert_cmpint(read_byte(), ==, 0x1e);
    g_assert_cmpint(read_byte(), ==, 0x9e);
    g_assert_cmpint(read_byte(), ==, -1);
}

/* Keys through the input layer's queue (what sendkey uses): pressed in
 * order, released in reverse, each event held for 100 ms of virtual time
 * (set 1 with the controller's translation, as left by test_keyboard). */
static void test_sendkey(void)
{
    /* each step of 100 ms lets the bytes of one more key event through */
    static const int steps[6][3] = {
        { 0x1d }, { 0x38 }, { 0xe0, 0x53 }, { 0xe0, 0xd3 }, { 0xb8 }, { 0x9d },
    };
    static const char *const names[] = { "ctrl", "alt", "delete" };
    int q[3];
    clock_virtual_set_manual(true);
    for (int i = 0; i < 3; i++) {
        q[i] = input_qnum_from_name(names[i]);
        g_assert_cmpint(q[i], >, 0);
    }
    for (int i = 0; i < 3; i++) {
        input_queue_key(q[i], true);
        input_queue_delay(100);
    }
    for (int i = 2; i >= 0; i--) {
        input_queue_key(q[i], false);
        input_queue_delay(100);
    }
    for (int st = 0; st < 6; st++) {
        for (int j = 0; j < 3 && steps[st][j]; j++) {
            g_assert_cmpint(read_byte(), ==, steps[st][j]);
        }
        g_assert_cmpint(read_byte(), ==, -1);
        clock_virtual_step(99 * 1000000LL);
        g_assert_cmpint(read_byte(), ==, -1);           /* not before the hold time */
        clock_virtual_step(1 * 1000000LL);
    }
    g_assert_cmpint(read_byte(), ==, -1);
    g_assert_false(input_queue_busy());
    g_assert_cmpint(input_qnum_from_name("nosuchkey"), ==, -1);
    g_assert_cmpint(input_qnum_from_name("Ctrl"), ==, -1);    /* names are case-sensitive */
}

static void test_mouse(void)
{
    ctrl_cmd(0x60);
    outb_(0x60, 0x23);                  /* AUX disabled, both ints on */
    ctrl_cmd(0xd4);
    outb_(0x60, 0xff);                  /* reset */
    g_assert_cmpint(inb_(0x64) & 0x21, ==, 0x21);   /* AUXB */
    g_assert_cmpint(isa_irq_level[12], ==, 1);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0xaa);
    g_assert_cmpint(read_byte(), ==, 0x00);
    g_assert_cmpint(isa_irq_level[12], ==, 0);
    ctrl_cmd(0xd4);
    outb_(0x60, 0xf2);
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0x00);
    ctrl_cmd(0xd4);
    outb_(0x60, 0xf3);
    ctrl_cmd(0xd4);
    outb_(0x60, 40);
    ctrl_cmd(0xd4);
    outb_(0x60, 0xe8);
    ctrl_cmd(0xd4);
    outb_(0x60, 3);
    ctrl_cmd(0xd4);
    outb_(0x60, 0xf4);
    for (int i = 0; i < 5; i++) {
        g_assert_cmpint(read_byte(), ==, 0xfa);
    }
    ctrl_cmd(0xd4);
    outb_(0x60, 0xe9);                  /* status: streaming, res 3, rate 40 */
    g_assert_cmpint(read_byte(), ==, 0xfa);
    g_assert_cmpint(read_byte(), ==, 0x20);
    g_assert_cmpint(read_byte(), ==, 3);
    g_assert_cmpint(read_byte(), ==, 40);
    /* 0xd3 writes the aux output buffer, 0xd2 the keyboard one, even with
     * the interfaces disabled (Linux's AUX loopback probe) */
    ctrl_cmd(0x60);
    outb_(0x60, 0x33);
    ctrl_cmd(0xd3);
    outb_(0x60, 0x42);
    g_assert_cmpint(inb_(0x64) & 0x20, ==, 0x20);
    g_assert_cmpint(read_byte(), ==, 0x42);
    ctrl_cmd(0xd2);
    outb_(0x60, 0x43);
    g_assert_cmpint(inb_(0x64) & 0x20, ==, 0);
    g_assert_cmpint(read_byte(), ==, 0x43);
}

static void test_output_port(void)
{
    runstate_reset_req = SHUTDOWN_CAUSE_NONE;
    ctrl_cmd(0xd0);
    int op = read_byte();
    g_assert_cmpint(op & 0x03, ==, 0x03);
    ctrl_cmd(0xd1);
    outb_(0x60, op & ~0x02);            /* A20 off */
    g_assert_cmpint(a20_kbc, ==, 0);
    ctrl_cmd(0xd1);
    outb_(0x60, op | 0x02);
    g_assert_cmpint(a20_kbc, ==, 1);
    g_assert_cmpint(runstate_reset_req, ==, SHUTDOWN_CAUSE_NONE);
    ctrl_cmd(0xfe);                     /* pulse reset */
    g_assert_cmpint(runstate_reset_req, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    runstate_reset_req = SHUTDOWN_CAUSE_NONE;
    ctrl_cmd(0xff);                     /* pulse nothing */
    g_assert_cmpint(runstate_reset_req, ==, SHUTDOWN_CAUSE_NONE);
}

static void test_port92(void)
{
    runstate_reset_req = SHUTDOWN_CAUSE_NONE;
    outb_(0x92, 0x02);
    g_assert_cmpint(a20_p92, ==, 1);
    g_assert_cmpint(inb_(0x92) & 0x03, ==, 0x02);
    outb_(0x92, 0x00);
    g_assert_cmpint(a20_p92, ==, 0);
    g_assert_cmpint(runstate_reset_req, ==, SHUTDOWN_CAUSE_NONE);
    outb_(0x92, 0x01);
    g_assert_cmpint(runstate_reset_req, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    runstate_reset_req = SHUTDOWN_CAUSE_NONE;
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    isa_test_init();
    kbc = device_create("i8042", "");
    p92 = device_create("port92", "");
    device_connect_gpio_out(kbc, 0, irq_new(a20_handler, &a20_kbc, 0));
    device_connect_gpio_out(p92, 0, irq_new(a20_handler, &a20_p92, 0));
    g_test_add_func("/kbc/controller", test_controller);
    g_test_add_func("/kbc/keyboard", test_keyboard);
    g_test_add_func("/kbc/sendkey", test_sendkey);
    g_test_add_func("/kbc/mouse", test_mouse);
    g_test_add_func("/kbc/output_port", test_output_port);
    g_test_add_func("/kbc/port92", test_port92);
    return g_test_run();
}

/*
 * i8042 with its PS/2 keyboard and mouse through qtest, driven as a guest
 * driver would (ports 0x60/0x64, IRQ 1 and 12 at the IOAPIC) with input
 * coming in through QMP send-key / input-send-event and HMP, as a test
 * harness or a management tool sends it.  Expected bytes are the
 * architected ones: scancode sets 1/2/3, controller replies, PS/2 mouse
 * packets.
 */
#include <string.h>

#include "tests/qtest/libqtest.h"

#define MS 1000000LL

#define STAT_OBF  0x01
#define STAT_SYS  0x04
#define STAT_CMD  0x08
#define STAT_AUXB 0x20

static QTestState *kbc_start(void)
{
    QTestState *s = qtest_start(NULL);
    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

/* The next output byte, or -1 when the buffer stays empty. */
static int rd(QTestState *s)
{
    if (!(qtest_inb(s, 0x64) & STAT_OBF)) {
        return -1;
    }
    return qtest_inb(s, 0x60);
}

static void expect(QTestState *s, const int *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        int b = rd(s);
        if (b != bytes[i]) {
            g_test_message("byte %d of %d: got 0x%x, expected 0x%x", i, n, b, bytes[i]);
        }
        g_assert_cmphex(b, ==, bytes[i]);
    }
}
#define EXPECT(s, ...) do { \
        const int e_[] = { __VA_ARGS__ }; \
        expect(s, e_, G_N_ELEMENTS(e_)); \
    } while (0)

static void drain(QTestState *s)
{
    for (int i = 0; i < 64 && rd(s) >= 0; i++) {
    }
}

static void ctrl(QTestState *s, uint8_t cmd)
{
    qtest_outb(s, 0x64, cmd);
}

static void set_cmd_byte(QTestState *s, uint8_t v)
{
    ctrl(s, 0x60);
    qtest_outb(s, 0x60, v);
}

static void kbd(QTestState *s, uint8_t v)
{
    qtest_outb(s, 0x60, v);
}

static void aux(QTestState *s, uint8_t v)
{
    ctrl(s, 0xd4);
    qtest_outb(s, 0x60, v);
}

static void qmp_ok(QTestState *s, const char *json)
{
    g_autofree char *r = qtest_qmp(s, json);
    if (!strstr(r, "\"return\"")) {
        g_test_message("QMP %s -> %s", json, r);
    }
    g_assert_nonnull(strstr(r, "\"return\""));
}

static char *qmp_err(QTestState *s, const char *json)
{
    char *r = qtest_qmp(s, json);
    g_assert_nonnull(strstr(r, "\"error\""));
    return r;
}

static void send_key(QTestState *s, const char *qcode, int hold_ms)
{
    g_autofree char *j = g_strdup_printf(
        "{'execute':'send-key','arguments':{'keys':[{'type':'qcode','data':'%s'}],"
        "'hold-time':%d}}", qcode, hold_ms);
    qmp_ok(s, j);
}

/* Press (and release) a key through input-send-event, which has no delay. */
static void key_event(QTestState *s, const char *qcode, bool down)
{
    g_autofree char *j = g_strdup_printf(
        "{'execute':'input-send-event','arguments':{'events':[{'type':'key','data':"
        "{'down':%s,'key':{'type':'qcode','data':'%s'}}}]}}", down ? "true" : "false", qcode);
    qmp_ok(s, j);
}

static void tap(QTestState *s, const char *qcode)
{
    key_event(s, qcode, true);
    key_event(s, qcode, false);
}

static void test_controller(void)
{
    QTestState *s = kbc_start();
    ctrl(s, 0xad);
    ctrl(s, 0xa7);
    g_assert_cmphex(qtest_inb(s, 0x64) & (STAT_CMD | 0x02), ==, STAT_CMD);   /* IBF never stays */
    drain(s);
    ctrl(s, 0xaa);
    EXPECT(s, 0x55);
    g_assert_cmphex(qtest_inb(s, 0x64) & STAT_SYS, ==, STAT_SYS);
    ctrl(s, 0xab);
    EXPECT(s, 0x00);
    ctrl(s, 0xa9);
    EXPECT(s, 0x00);
    ctrl(s, 0x20);
    int cb = rd(s);
    g_assert_cmphex(cb & 0x30, ==, 0x30);                   /* AD/A7 set the disable bits */
    ctrl(s, 0xae);
    ctrl(s, 0xa8);
    ctrl(s, 0x20);
    g_assert_cmphex(rd(s) & 0x30, ==, 0);
    /* command byte, and the SYS flag follows its bit 2 */
    set_cmd_byte(s, 0x00);
    g_assert_cmphex(qtest_inb(s, 0x64) & (STAT_SYS | STAT_CMD), ==, 0);    /* last write: data */
    ctrl(s, 0x20);
    EXPECT(s, 0x00);
    set_cmd_byte(s, 0x47);
    g_assert_cmphex(qtest_inb(s, 0x64) & STAT_SYS, ==, STAT_SYS);
    ctrl(s, 0x20);
    EXPECT(s, 0x47);
    /* the rest of the controller RAM */
    ctrl(s, 0x65);
    qtest_outb(s, 0x60, 0x5a);
    ctrl(s, 0x25);
    EXPECT(s, 0x5a);
    ctrl(s, 0x20);
    EXPECT(s, 0x47);
    /* D2/D3: bytes as if from keyboard / mouse, with IRQ 1 / 12 */
    set_cmd_byte(s, 0x03);
    unsigned r1 = qtest_irq_raises(s, 1), r12 = qtest_irq_raises(s, 12);
    ctrl(s, 0xd2);
    qtest_outb(s, 0x60, 0x42);
    g_assert_cmphex(qtest_inb(s, 0x64) & (STAT_OBF | STAT_AUXB), ==, STAT_OBF);
    g_assert_true(qtest_get_irq(s, 1));
    EXPECT(s, 0x42);
    g_assert_false(qtest_get_irq(s, 1));
    ctrl(s, 0xd3);
    qtest_outb(s, 0x60, 0x43);
    g_assert_cmphex(qtest_inb(s, 0x64) & (STAT_OBF | STAT_AUXB), ==, STAT_OBF | STAT_AUXB);
    g_assert_true(qtest_get_irq(s, 12));
    EXPECT(s, 0x43);
    g_assert_false(qtest_get_irq(s, 12));
    g_assert_cmpuint(qtest_irq_raises(s, 1), ==, r1 + 1);
    g_assert_cmpuint(qtest_irq_raises(s, 12), ==, r12 + 1);
    /* interrupts off: data, no IRQ */
    set_cmd_byte(s, 0x00);
    ctrl(s, 0xd2);
    qtest_outb(s, 0x60, 0x44);
    g_assert_false(qtest_get_irq(s, 1));
    EXPECT(s, 0x44);
    /* output port: A20 (bit 1) and reset (bit 0) high */
    ctrl(s, 0xd0);
    int op = rd(s);
    g_assert_cmphex(op & 0x03, ==, 0x03);
    ctrl(s, 0xd1);
    qtest_outb(s, 0x60, op & ~0x02);
    ctrl(s, 0xd0);
    g_assert_cmphex(rd(s) & 0x03, ==, 0x01);
    ctrl(s, 0xd1);
    qtest_outb(s, 0x60, op | 0x02);
    /* the input port reads; unknown commands neither answer nor hang */
    ctrl(s, 0xc0);
    g_assert_cmpint(rd(s), >=, 0);
    ctrl(s, 0xc8);
    g_assert_cmpint(rd(s), ==, -1);
    ctrl(s, 0xff);                          /* pulse nothing */
    ctrl(s, 0x20);
    EXPECT(s, 0x00);
    qtest_quit(s);
}

static void test_reset_pulse(void)
{
    QTestState *s = qtest_start("-no-reboot");
    /* FE pulses the CPU reset line; -no-reboot turns the reset into exit */
    g_assert_cmpint(qtest_cmd_expect_exit(s, "outb 0x64 0xfe"), ==, 0);
}

static void test_keyboard_commands(void)
{
    QTestState *s = kbc_start();
    set_cmd_byte(s, 0x01);                  /* KBD IRQ, no translation */
    kbd(s, 0xee);
    EXPECT(s, 0xee);
    kbd(s, 0xf2);
    EXPECT(s, 0xfa, 0xab, 0x83);
    set_cmd_byte(s, 0x41);                  /* translated: 83 -> 41 */
    kbd(s, 0xf2);
    EXPECT(s, 0xfa, 0xab, 0x41);
    kbd(s, 0xf0);
    kbd(s, 0x00);
    EXPECT(s, 0xfa, 0xfa, 0x41);            /* set 2, translated */
    set_cmd_byte(s, 0x01);
    kbd(s, 0xf0);
    kbd(s, 0x00);
    EXPECT(s, 0xfa, 0xfa, 0x02);
    kbd(s, 0xf0);
    kbd(s, 0x03);
    EXPECT(s, 0xfa, 0xfa);
    kbd(s, 0xf0);
    kbd(s, 0x00);
    EXPECT(s, 0xfa, 0xfa, 0x03);
    kbd(s, 0xf0);
    kbd(s, 0x07);                           /* no set 7 */
    EXPECT(s, 0xfa, 0xfe);
    kbd(s, 0xed);
    kbd(s, 0x07);
    EXPECT(s, 0xfa, 0xfa);
    /* a command where an argument was due is a command */
    kbd(s, 0xed);
    kbd(s, 0xee);
    EXPECT(s, 0xfa, 0xee);
    kbd(s, 0xf3);
    kbd(s, 0x20);
    EXPECT(s, 0xfa, 0xfa);
    kbd(s, 0x01);                           /* unknown */
    EXPECT(s, 0xfe);
    kbd(s, 0xee);
    EXPECT(s, 0xee);
    kbd(s, 0xfe);                           /* resend */
    EXPECT(s, 0xee);
    kbd(s, 0xff);                           /* reset: back to set 2 */
    EXPECT(s, 0xfa, 0xaa);
    kbd(s, 0xf0);
    kbd(s, 0x00);
    EXPECT(s, 0xfa, 0xfa, 0x02);
    g_assert_cmpint(rd(s), ==, -1);
    /* scanning off drops keys; on again, they come */
    kbd(s, 0xf5);
    EXPECT(s, 0xfa);
    tap(s, "a");
    g_assert_cmpint(rd(s), ==, -1);
    kbd(s, 0xf4);
    EXPECT(s, 0xfa);
    tap(s, "a");
    EXPECT(s, 0x1c, 0xf0, 0x1c);
    /* keyboard interface disabled (AD): keys wait, AE lets them out */
    ctrl(s, 0xad);
    tap(s, "b");
    g_assert_cmpint(rd(s), ==, -1);
    ctrl(s, 0xae);
    EXPECT(s, 0x32, 0xf0, 0x32);
    qtest_quit(s);
}

/* send-key: set 1 through the controller's translation, IRQ 1 per byte,
 * release after the hold time of virtual time. */
static void test_sendkey_translated(void)
{
    QTestState *s = kbc_start();
    set_cmd_byte(s, 0x41);
    unsigned r1 = qtest_irq_raises(s, 1);
    send_key(s, "a", 50);
    g_assert_true(qtest_get_irq(s, 1));
    EXPECT(s, 0x1e);
    g_assert_cmpint(rd(s), ==, -1);
    qtest_clock_step(s, 49 * MS);
    g_assert_cmpint(rd(s), ==, -1);
    qtest_clock_step(s, 1 * MS);
    EXPECT(s, 0x9e);
    g_assert_cmpuint(qtest_irq_raises(s, 1), ==, r1 + 2);
    qtest_clock_step(s, 100 * MS);

    /* ctrl-alt-delete, default hold time (100 ms) after every event */
    qmp_ok(s, "{'execute':'send-key','arguments':{'keys':[{'type':'qcode','data':'ctrl'},"
              "{'type':'qcode','data':'alt'},{'type':'qcode','data':'delete'}]}}");
    static const int steps[6][3] = {
        { 0x1d }, { 0x38 }, { 0xe0, 0x53 }, { 0xe0, 0xd3 }, { 0xb8 }, { 0x9d },
    };
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 3 && steps[i][j]; j++) {
            EXPECT(s, steps[i][j]);
        }
        g_assert_cmpint(rd(s), ==, -1);
        qtest_clock_step(s, 100 * MS);
    }
    /* a number key is a qnum */
    qmp_ok(s, "{'execute':'send-key','arguments':{'keys':[{'type':'number','data':200}],"
              "'hold-time':10}}");
    EXPECT(s, 0xe0, 0x48);
    qtest_clock_step(s, 10 * MS);
    EXPECT(s, 0xe0, 0xc8);
    /* Pause and PrintScreen: the set-2 sequences come out translated */
    tap(s, "pause");
    EXPECT(s, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
    tap(s, "print");
    EXPECT(s, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa);
    g_assert_cmpint(rd(s), ==, -1);
    qtest_quit(s);
}

static void test_sendkey_set2(void)
{
    QTestState *s = kbc_start();
    set_cmd_byte(s, 0x01);
    send_key(s, "up", 20);
    EXPECT(s, 0xe0, 0x75);
    qtest_clock_step(s, 20 * MS);
    EXPECT(s, 0xe0, 0xf0, 0x75);
    tap(s, "f7");
    EXPECT(s, 0x83, 0xf0, 0x83);
    tap(s, "kp_divide");
    EXPECT(s, 0xe0, 0x4a, 0xe0, 0xf0, 0x4a);
    tap(s, "pause");
    EXPECT(s, 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);
    tap(s, "print");
    EXPECT(s, 0xe0, 0x12, 0xe0, 0x7c, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12);
    /* with alt held, PrintScreen is SysRq */
    key_event(s, "alt", true);
    tap(s, "print");
    key_event(s, "alt", false);
    EXPECT(s, 0x11, 0x84, 0xf0, 0x84, 0xf0, 0x11);
    /* with ctrl held, Pause is Break */
    key_event(s, "ctrl", true);
    tap(s, "pause");
    key_event(s, "ctrl", false);
    EXPECT(s, 0x14, 0xe0, 0x7e, 0xe0, 0xf0, 0x7e, 0xf0, 0x14);
    g_assert_cmpint(rd(s), ==, -1);

    /* set 1 selected in the keyboard, no translation */
    kbd(s, 0xf0);
    kbd(s, 0x01);
    EXPECT(s, 0xfa, 0xfa);
    tap(s, "right");
    EXPECT(s, 0xe0, 0x4d, 0xe0, 0xcd);
    /* set 3: one byte per key, F0 for the break, no E0 */
    kbd(s, 0xf0);
    kbd(s, 0x03);
    EXPECT(s, 0xfa, 0xfa);
    tap(s, "a");
    tap(s, "up");
    tap(s, "ctrl");
    EXPECT(s, 0x1c, 0xf0, 0x1c, 0x63, 0xf0, 0x63, 0x11, 0xf0, 0x11);
    g_assert_cmpint(rd(s), ==, -1);
    qtest_quit(s);
}

/* The keyboard's buffer holds 16 bytes; a key that does not fit is
 * replaced by the overrun code (0x00 in set 2, translated 0xFF). */
static void test_overrun(void)
{
    for (int xl = 0; xl < 2; xl++) {
        QTestState *s = kbc_start();
        set_cmd_byte(s, xl ? 0x40 : 0x00);
        ctrl(s, 0xad);                      /* hold the keys in the keyboard */
        for (int i = 0; i < 20; i++) {
            key_event(s, "a", true);
        }
        ctrl(s, 0xae);
        for (int i = 0; i < 16; i++) {
            EXPECT(s, xl ? 0x1e : 0x1c);
        }
        EXPECT(s, xl ? 0xff : 0x00);
        g_assert_cmpint(rd(s), ==, -1);
        /* drained: keys flow again */
        key_event(s, "a", false);
        if (xl) {
            EXPECT(s, 0x9e);
        } else {
            EXPECT(s, 0xf0, 0x1c);
        }
        qtest_quit(s);
    }
}

static void mouse_events(QTestState *s, const char *events)
{
    g_autofree char *j = g_strdup_printf(
        "{'execute':'input-send-event','arguments':{'events':[%s]}}", events);
    qmp_ok(s, j);
}

static QTestState *mouse_start(void)
{
    QTestState *s = kbc_start();
    set_cmd_byte(s, 0x03);                  /* both IRQs, no translation */
    aux(s, 0xff);
    EXPECT(s, 0xfa, 0xaa, 0x00);
    return s;
}

static void test_mouse_stream(void)
{
    QTestState *s = mouse_start();
    /* not enabled yet: movement is not reported */
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':10}}");
    g_assert_cmpint(rd(s), ==, -1);
    unsigned r12 = qtest_irq_raises(s, 12);
    aux(s, 0xf4);
    g_assert_cmphex(qtest_inb(s, 0x64) & STAT_AUXB, ==, STAT_AUXB);
    EXPECT(s, 0xfa);
    g_assert_cmpuint(qtest_irq_raises(s, 12), ==, r12 + 1);
    /* right 10, up 5 (screen y -5), left button down */
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':10}},"
                    "{'type':'rel','data':{'axis':'y','value':-5}},"
                    "{'type':'btn','data':{'down':true,'button':'left'}}");
    g_assert_true(qtest_get_irq(s, 12));
    EXPECT(s, 0x09, 10, 5);
    g_assert_cmpuint(qtest_irq_raises(s, 12), ==, r12 + 4);
    /* left 3, down 4, still holding left; then right button alone */
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':-3}},"
                    "{'type':'rel','data':{'axis':'y','value':4}}");
    EXPECT(s, 0x39, 0xfd, 0xfc);
    mouse_events(s, "{'type':'btn','data':{'down':false,'button':'left'}},"
                    "{'type':'btn','data':{'down':true,'button':'right'}}");
    EXPECT(s, 0x0a, 0, 0);
    /* large movement: 9-bit deltas, several packets */
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':600}},"
                    "{'type':'btn','data':{'down':false,'button':'right'}}");
    EXPECT(s, 0x08, 0xff, 0x00, 0x08, 0xff, 0x00, 0x08, 90, 0x00);
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':-300}}");
    EXPECT(s, 0x18, 0x00, 0x00, 0x18, 0xd4, 0x00);      /* -256, then -44 */
    g_assert_cmpint(rd(s), ==, -1);
    /* more than the 16-byte buffer holds: the movement is not lost, it
     * follows as the guest reads (5 packets fit, then the rest) */
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':2000}}");
    int total = 0, packets = 0;
    for (int i = 0; i < 64; i++) {
        int b0 = rd(s);
        if (b0 < 0) {
            break;
        }
        g_assert_cmphex(b0 & 0xc8, ==, 0x08);           /* no overflow, bit 3 */
        int x = rd(s), y = rd(s);
        g_assert_cmpint(y, ==, 0);
        total += (b0 & 0x10) ? x - 256 : x;
        packets++;
    }
    g_assert_cmpint(total, ==, 2000);
    g_assert_cmpint(packets, ==, 8);                    /* 7 x 255 + 215 */
    /* status: stream, enabled, 1:1; 2:1 sets bit 4 */
    aux(s, 0xe7);
    EXPECT(s, 0xfa);
    aux(s, 0xe8);
    aux(s, 0x03);
    aux(s, 0xf3);
    aux(s, 40);
    EXPECT(s, 0xfa, 0xfa, 0xfa, 0xfa);
    aux(s, 0xe9);
    EXPECT(s, 0xfa, 0x30, 0x03, 40);
    aux(s, 0xe8);
    aux(s, 0x09);                           /* no resolution 9 */
    EXPECT(s, 0xfa, 0xfe);
    /* 2:1 scaling doubles a move of 8 */
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':8}}");
    EXPECT(s, 0x08, 16, 0);
    aux(s, 0xe6);
    EXPECT(s, 0xfa);
    /* F5: reporting off */
    aux(s, 0xf5);
    EXPECT(s, 0xfa);
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':8}}");
    g_assert_cmpint(rd(s), ==, -1);
    /* absolute events: no device takes them here */
    g_autofree char *e = qmp_err(s, "{'execute':'input-send-event','arguments':{'events':"
                                    "[{'type':'abs','data':{'axis':'x','value':100}}]}}");
    g_assert_nonnull(strstr(e, "Input handler not found"));
    qtest_quit(s);
}

static void test_mouse_intellimouse(void)
{
    QTestState *s = mouse_start();
    aux(s, 0xf2);
    EXPECT(s, 0xfa, 0x00);
    /* 200, 100, 80: IntelliMouse */
    static const int rates[3] = { 200, 100, 80 };
    for (int i = 0; i < 3; i++) {
        aux(s, 0xf3);
        aux(s, rates[i]);
        EXPECT(s, 0xfa, 0xfa);
    }
    aux(s, 0xf2);
    EXPECT(s, 0xfa, 0x03);
    aux(s, 0xf4);
    EXPECT(s, 0xfa);
    mouse_events(s, "{'type':'btn','data':{'down':true,'button':'wheel-down'}},"
                    "{'type':'rel','data':{'axis':'x','value':1}}");
    EXPECT(s, 0x08, 1, 0, 0x01);
    mouse_events(s, "{'type':'btn','data':{'down':false,'button':'wheel-down'}},"
                    "{'type':'btn','data':{'down':true,'button':'wheel-up'}}");
    EXPECT(s, 0x08, 0, 0, 0xff);
    /* 200, 200, 80: Explorer, buttons 4 and 5 in the fourth byte */
    static const int rates2[3] = { 200, 200, 80 };
    for (int i = 0; i < 3; i++) {
        aux(s, 0xf3);
        aux(s, rates2[i]);
        EXPECT(s, 0xfa, 0xfa);
    }
    aux(s, 0xf2);
    EXPECT(s, 0xfa, 0x04);
    mouse_events(s, "{'type':'btn','data':{'down':false,'button':'wheel-up'}},"
                    "{'type':'btn','data':{'down':true,'button':'side'}}");
    EXPECT(s, 0x08, 0, 0, 0x10);
    mouse_events(s, "{'type':'btn','data':{'down':true,'button':'extra'}},"
                    "{'type':'btn','data':{'down':true,'button':'wheel-down'}}");
    EXPECT(s, 0x08, 0, 0, 0x31);
    /* reset: a plain mouse again */
    aux(s, 0xff);
    EXPECT(s, 0xfa, 0xaa, 0x00);
    aux(s, 0xf2);
    EXPECT(s, 0xfa, 0x00);
    qtest_quit(s);
}

static void test_mouse_remote_wrap_resend(void)
{
    QTestState *s = mouse_start();
    aux(s, 0xf0);                           /* remote mode */
    EXPECT(s, 0xfa);
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':5}},"
                    "{'type':'rel','data':{'axis':'y','value':2}}");
    g_assert_cmpint(rd(s), ==, -1);         /* no packet until asked */
    aux(s, 0xeb);
    EXPECT(s, 0xfa, 0x28, 5, 0xfe);
    aux(s, 0xfe);                           /* resend: the same packet */
    EXPECT(s, 0x28, 5, 0xfe);
    aux(s, 0xeb);                           /* counters were reset */
    EXPECT(s, 0xfa, 0x08, 0, 0);
    /* beyond 9 bits: clamped, overflow bit set, excess lost */
    mouse_events(s, "{'type':'rel','data':{'axis':'x','value':300}}");
    aux(s, 0xeb);
    EXPECT(s, 0xfa, 0x48, 0xff, 0);
    aux(s, 0xeb);
    EXPECT(s, 0xfa, 0x08, 0, 0);
    aux(s, 0xe9);
    EXPECT(s, 0xfa, 0x40, 0x02, 100);       /* remote, defaults */
    /* wrap mode echoes until EC */
    aux(s, 0xee);
    EXPECT(s, 0xfa);
    aux(s, 0x55);
    aux(s, 0xf2);
    EXPECT(s, 0x55, 0xf2);
    aux(s, 0xec);
    EXPECT(s, 0xfa);
    aux(s, 0xf2);
    EXPECT(s, 0xfa, 0x00);
    aux(s, 0x01);                           /* unknown */
    EXPECT(s, 0xfe);
    qtest_quit(s);
}

static void test_monitor(void)
{
    QTestState *s = kbc_start();
    set_cmd_byte(s, 0x41);
    g_autofree char *e1 = qmp_err(s, "{'execute':'send-key','arguments':{'keys':"
                                     "[{'type':'qcode','data':'nosuchkey'}]}}");
    g_assert_nonnull(strstr(e1, "Invalid parameter 'nosuchkey'"));
    g_autofree char *e2 = qmp_err(s, "{'execute':'send-key','arguments':{'keys':"
                                     "[{'type':'qcode'}]}}");
    g_assert_nonnull(strstr(e2, "Parameter 'keys[0].data' is missing"));
    g_assert_cmpint(rd(s), ==, -1);         /* nothing half-sent */
    /* HMP, through human-monitor-command */
    g_autofree char *r1 = qtest_qmp(s, "{'execute':'human-monitor-command','arguments':"
                                       "{'command-line':'sendkey ctrl-nosuchkey'}}");
    g_assert_nonnull(strstr(r1, "invalid parameter: nosuchkey"));
    g_assert_cmpint(rd(s), ==, -1);
    qmp_ok(s, "{'execute':'human-monitor-command','arguments':"
              "{'command-line':'sendkey shift-0x1e 30'}}");
    EXPECT(s, 0x2a);
    qtest_clock_step(s, 30 * MS);
    EXPECT(s, 0x1e);
    qtest_clock_step(s, 30 * MS);
    EXPECT(s, 0x9e);
    qtest_clock_step(s, 30 * MS);
    EXPECT(s, 0xaa);
    qtest_clock_step(s, 30 * MS);
    g_assert_cmpint(rd(s), ==, -1);
    /* stopped: no virtual time passes, so send-key does not wait; and
     * input-send-event refuses, as QEMU */
    qmp_ok(s, "{'execute':'stop'}");
    send_key(s, "b", 100);
    EXPECT(s, 0x30, 0xb0);
    g_autofree char *e3 = qmp_err(s, "{'execute':'input-send-event','arguments':{'events':"
                                     "[{'type':'key','data':{'down':true,'key':"
                                     "{'type':'qcode','data':'a'}}}]}}");
    g_assert_nonnull(strstr(e3, "VM not running"));
    qmp_ok(s, "{'execute':'cont'}");
    /* mouse_move / mouse_button */
    set_cmd_byte(s, 0x03);
    aux(s, 0xf4);
    EXPECT(s, 0xfa);
    qmp_ok(s, "{'execute':'human-monitor-command','arguments':"
              "{'command-line':'mouse_move 7 -3'}}");
    EXPECT(s, 0x08, 7, 3);
    qmp_ok(s, "{'execute':'human-monitor-command','arguments':"
              "{'command-line':'mouse_button 5'}}");
    EXPECT(s, 0x0d, 0, 0);                  /* left + middle */
    qmp_ok(s, "{'execute':'human-monitor-command','arguments':"
              "{'command-line':'mouse_button 0'}}");
    EXPECT(s, 0x08, 0, 0);
    g_assert_cmpint(rd(s), ==, -1);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8042/controller", test_controller);
    g_test_add_func("/i8042/reset_pulse", test_reset_pulse);
    g_test_add_func("/i8042/keyboard_commands", test_keyboard_commands);
    g_test_add_func("/i8042/sendkey_translated", test_sendkey_translated);
    g_test_add_func("/i8042/sendkey_set2_set1_set3", test_sendkey_set2);
    g_test_add_func("/i8042/overrun", test_overrun);
    g_test_add_func("/i8042/mouse_stream", test_mouse_stream);
    g_test_add_func("/i8042/mouse_intellimouse", test_mouse_intellimouse);
    g_test_add_func("/i8042/mouse_remote_wrap_resend", test_mouse_remote_wrap_resend);
    g_test_add_func("/i8042/monitor", test_monitor);
    return g_test_run();
}

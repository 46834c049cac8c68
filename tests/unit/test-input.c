/*
 * The input layer alone (ui/input.c): which handler gets an event, who
 * gets a sync, absolute scaling, QEMU's key and button names, and the
 * delayed-key queue on the virtual clock.
 */
#include <glib.h>

#include "hw/core/timer.h"
#include "ui/input.h"

typedef struct Rec {
    GString *log;
    const char *tag;
} Rec;

static void rec_event(void *opaque, const InputEvent *ev)
{
    Rec *r = opaque;
    switch (ev->kind) {
    case INPUT_EVENT_KEY:
        g_string_append_printf(r->log, "%s:key%x%c ", r->tag, ev->key.qnum,
                               ev->key.down ? 'd' : 'u');
        break;
    case INPUT_EVENT_BTN:
        g_string_append_printf(r->log, "%s:btn%d%c ", r->tag, ev->btn.button,
                               ev->btn.down ? 'd' : 'u');
        break;
    case INPUT_EVENT_REL:
    case INPUT_EVENT_ABS:
        g_string_append_printf(r->log, "%s:%s%c=%" G_GINT64_FORMAT " ", r->tag,
                               ev->kind == INPUT_EVENT_REL ? "rel" : "abs",
                               ev->move.axis == INPUT_AXIS_X ? 'x' : 'y', ev->move.value);
        break;
    }
}

static void rec_sync(void *opaque)
{
    Rec *r = opaque;
    g_string_append_printf(r->log, "%s:sync ", r->tag);
}

static GString *logbuf;

static const char *take_log(void)
{
    static char *last;
    g_free(last);
    last = g_strdup(g_strstrip(logbuf->str));
    g_string_truncate(logbuf, 0);
    return last;
}

static void test_routing(void)
{
    Rec kbd = { logbuf, "kbd" }, mouse = { logbuf, "mouse" }, tablet = { logbuf, "tablet" };
    InputHandler hk = { "kbd", INPUT_MASK_KEY, rec_event, NULL };
    InputHandler hm = { "mouse", INPUT_MASK_BTN | INPUT_MASK_REL, rec_event, rec_sync };
    InputHandler ht = { "tablet", INPUT_MASK_BTN | INPUT_MASK_ABS, rec_event, rec_sync };

    g_assert_false(input_has_handler(INPUT_EVENT_KEY));
    input_send_key(0x1e, true);                     /* nobody: dropped */
    input_event_sync();
    g_assert_cmpstr(take_log(), ==, "");

    InputHandlerEntry *ek = input_handler_register(&hk, &kbd);
    InputHandlerEntry *em = input_handler_register(&hm, &mouse);
    g_assert_true(input_has_handler(INPUT_EVENT_KEY));
    g_assert_false(input_has_handler(INPUT_EVENT_ABS));
    input_send_key(0x1e, true);
    input_send_rel(INPUT_AXIS_X, -4);
    input_send_button(INPUT_BUTTON_LEFT, true);
    input_event_sync();
    /* the keyboard has no sync hook; the mouse gets one sync */
    g_assert_cmpstr(take_log(), ==, "kbd:key1ed mouse:relx=-4 mouse:btn0d mouse:sync");
    input_event_sync();                             /* nothing new: no sync */
    g_assert_cmpstr(take_log(), ==, "");

    /* the newest handler of a kind takes it; the others keep theirs (syncs
     * go newest first) */
    InputHandlerEntry *et = input_handler_register(&ht, &tablet);
    input_send_button(INPUT_BUTTON_RIGHT, true);
    input_send_rel(INPUT_AXIS_Y, 3);
    input_send_abs(INPUT_AXIS_X, 50, 0, 100);
    input_event_sync();
    g_assert_cmpstr(take_log(), ==,
                    "tablet:btn2d mouse:rely=3 tablet:absx=16383 tablet:sync mouse:sync");
    input_send_abs(INPUT_AXIS_Y, 200, 0, 100);      /* clamped to the range */
    input_send_abs(INPUT_AXIS_Y, -5, -5, 5);
    input_send_abs(INPUT_AXIS_Y, 1, 1, 1);          /* empty range */
    g_assert_cmpstr(take_log(), ==, "tablet:absy=32767 tablet:absy=0 tablet:absy=0");
    input_event_sync();
    take_log();

    /* unplugged: the older handler gets buttons again */
    input_handler_unregister(et);
    input_send_button(INPUT_BUTTON_RIGHT, false);
    input_event_sync();
    g_assert_cmpstr(take_log(), ==, "mouse:btn2u mouse:sync");
    input_handler_unregister(em);
    input_handler_unregister(ek);
    g_assert_false(input_has_handler(INPUT_EVENT_KEY));
}

static void test_names(void)
{
    /* the set-1 make codes of QEMU's qcodes, E0 keys with 0x80 */
    g_assert_cmpint(input_qnum_from_name("a"), ==, 0x1e);
    g_assert_cmpint(input_qnum_from_name("esc"), ==, 0x01);
    g_assert_cmpint(input_qnum_from_name("ctrl_r"), ==, 0x9d);
    g_assert_cmpint(input_qnum_from_name("kp_enter"), ==, 0x9c);
    g_assert_cmpint(input_qnum_from_name("up"), ==, 0xc8);
    g_assert_cmpint(input_qnum_from_name("meta_l"), ==, 0xdb);
    g_assert_cmpint(input_qnum_from_name("f12"), ==, 0x58);
    g_assert_cmpint(input_qnum_from_name("sysrq"), ==, input_qnum_from_name("print"));
    g_assert_cmpint(input_qnum_from_name("unmapped"), ==, 0);
    g_assert_cmpint(input_qnum_from_name("f24"), >, 0);
    g_assert_cmpint(input_qnum_from_name("lang1"), >, 0);
    g_assert_cmpint(input_qnum_from_name("A"), ==, -1);
    g_assert_cmpint(input_qnum_from_name(""), ==, -1);
    g_assert_cmpint(input_qnum_from_name("0x1e"), ==, -1);
    g_assert_cmpint(input_button_from_name("left"), ==, INPUT_BUTTON_LEFT);
    g_assert_cmpint(input_button_from_name("wheel-down"), ==, INPUT_BUTTON_WHEEL_DOWN);
    g_assert_cmpint(input_button_from_name("extra"), ==, INPUT_BUTTON_EXTRA);
    g_assert_cmpint(input_button_from_name("wheel_down"), ==, -1);
}

static void test_key_queue(void)
{
    Rec kbd = { logbuf, "k" };
    InputHandler hk = { "kbd", INPUT_MASK_KEY, rec_event, NULL };
    InputHandlerEntry *ek = input_handler_register(&hk, &kbd);
    clock_virtual_set_manual(true);

    input_queue_key(0x10, true);                    /* empty queue: at once */
    input_queue_delay(20);
    input_queue_key(0x10, false);
    input_queue_key(0x11, true);                    /* no delay between these */
    input_queue_delay(30);
    input_queue_key(0x11, false);
    g_assert_cmpstr(take_log(), ==, "k:key10d");
    g_assert_true(input_queue_busy());
    clock_virtual_step(19 * 1000000LL);
    g_assert_cmpstr(take_log(), ==, "");
    clock_virtual_step(1 * 1000000LL);
    g_assert_cmpstr(take_log(), ==, "k:key10u k:key11d");
    clock_virtual_step(29 * 1000000LL);
    g_assert_cmpstr(take_log(), ==, "");
    clock_virtual_step(1 * 1000000LL);
    g_assert_cmpstr(take_log(), ==, "k:key11u");
    g_assert_false(input_queue_busy());

    /* bounded: a flood is cut at the queue's limit, not grown */
    input_queue_delay(1);
    for (int i = 0; i < 5000; i++) {
        input_queue_key(0x20, i & 1);
    }
    clock_virtual_step(1000000LL);
    g_assert_cmpuint(logbuf->len, <, 1100 * 9);
    g_assert_false(input_queue_busy());
    take_log();
    input_handler_unregister(ek);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    logbuf = g_string_new(NULL);
    g_test_add_func("/input/routing", test_routing);
    g_test_add_func("/input/names", test_names);
    g_test_add_func("/input/key_queue", test_key_queue);
    return g_test_run();
}

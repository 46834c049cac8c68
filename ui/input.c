/*
 * Input layer: routes events from front ends and monitor commands to the
 * emulated input devices.  See ui/input.h.
 *
 * Routing is "newest handler wins" per event kind, as QEMU does, so a
 * device added later (a USB tablet) takes the pointer from the PS/2 mouse
 * without either knowing about the other.  Sync is delivered to every
 * handler that received an event since the previous sync, so a mouse that
 * got only buttons still closes its packet.
 */
#include "ui/input.h"

#include <glib.h>
#include <string.h>

#include "hw/core/timer.h"
#include "system/runstate.h"

struct InputHandlerEntry {
    InputHandler h;
    void *opaque;
    bool needs_sync;
};

/* Newest first. */
static GList *input_handlers;

InputHandlerEntry *input_handler_register(const InputHandler *h, void *opaque)
{
    InputHandlerEntry *e = g_new0(InputHandlerEntry, 1);
    e->h = *h;
    e->opaque = opaque;
    input_handlers = g_list_prepend(input_handlers, e);
    return e;
}

void input_handler_unregister(InputHandlerEntry *e)
{
    if (e) {
        input_handlers = g_list_remove(input_handlers, e);
        g_free(e);
    }
}

void input_event_send(const InputEvent *ev)
{
    if ((unsigned)ev->kind > INPUT_EVENT_ABS) {
        return;
    }
    unsigned bit = 1u << ev->kind;
    for (GList *l = input_handlers; l; l = l->next) {
        InputHandlerEntry *e = l->data;
        if (e->h.mask & bit) {
            e->needs_sync = true;
            if (e->h.event) {
                e->h.event(e->opaque, ev);
            }
            return;
        }
    }
}

bool input_has_handler(InputEventKind kind)
{
    for (GList *l = input_handlers; l; l = l->next) {
        InputHandlerEntry *e = l->data;
        if ((unsigned)kind <= INPUT_EVENT_ABS && (e->h.mask & (1u << kind))) {
            return true;
        }
    }
    return false;
}

void input_event_sync(void)
{
    /* A handler's sync may unregister handlers (device unplug): walk a copy. */
    GList *copy = g_list_copy(input_handlers);
    for (GList *l = copy; l; l = l->next) {
        InputHandlerEntry *e = l->data;
        if (g_list_find(input_handlers, e) && e->needs_sync) {
            e->needs_sync = false;
            if (e->h.sync) {
                e->h.sync(e->opaque);
            }
        }
    }
    g_list_free(copy);
}

void input_send_key(int qnum, bool down)
{
    InputEvent ev = { .kind = INPUT_EVENT_KEY, .key = { .qnum = qnum, .down = down } };
    input_event_send(&ev);
}

void input_send_button(InputButton b, bool down)
{
    InputEvent ev = { .kind = INPUT_EVENT_BTN, .btn = { .button = b, .down = down } };
    input_event_send(&ev);
}

void input_send_rel(InputAxis axis, int value)
{
    InputEvent ev = { .kind = INPUT_EVENT_REL, .move = { .axis = axis, .value = value } };
    input_event_send(&ev);
}

void input_send_abs(InputAxis axis, int value, int min, int max)
{
    int64_t scaled = 0;
    if (max > min) {
        int64_t v = value < min ? min : value > max ? max : value;
        scaled = (v - min) * INPUT_ABS_MAX / ((int64_t)max - min);
    }
    InputEvent ev = { .kind = INPUT_EVENT_ABS, .move = { .axis = axis, .value = scaled } };
    input_event_send(&ev);
}

/* ---- delayed keys (send-key's hold time) ---- */

/* Like QEMU's: at most this many queued entries; more are dropped, so a
 * script that floods send-key cannot grow the process without bound. */
#define KEY_QUEUE_LIMIT 1024

typedef struct KeyQueueItem {
    bool is_delay;
    int qnum;
    bool down;
    int ms;
} KeyQueueItem;

static GQueue key_queue = G_QUEUE_INIT;
static Timer *key_timer;

static void key_queue_push(KeyQueueItem it)
{
    if (key_queue.length < KEY_QUEUE_LIMIT) {
        g_queue_push_tail(&key_queue, g_memdup2(&it, sizeof(it)));
    }
}

/* Send queued keys up to the next delay, then wait for it. */
static void key_queue_run(void *opaque)
{
    KeyQueueItem *it;
    bool first = true;
    while ((it = g_queue_peek_head(&key_queue))) {
        if (it->is_delay) {
            if (!first) {
                timer_mod(key_timer, clock_get_ns(CLOCK_VIRTUAL) + it->ms * 1000000LL);
                return;
            }
            /* the delay that armed this run has expired */
        } else {
            input_send_key(it->qnum, it->down);
            input_event_sync();
        }
        first = false;
        g_free(g_queue_pop_head(&key_queue));
    }
}

void input_queue_key(int qnum, bool down)
{
    if (g_queue_is_empty(&key_queue)) {
        input_send_key(qnum, down);
        input_event_sync();
    } else {
        key_queue_push((KeyQueueItem){ .qnum = qnum, .down = down });
    }
}

void input_queue_delay(int ms)
{
    /* A stopped VM's virtual clock does not move: delaying would hold the
     * keys until "cont".  QEMU sends them at once then, and so do we. */
    if (!vm_running() || ms <= 0) {
        return;
    }
    if (!key_timer) {
        key_timer = timer_new(CLOCK_VIRTUAL, key_queue_run, NULL);
    }
    bool was_empty = g_queue_is_empty(&key_queue);
    key_queue_push((KeyQueueItem){ .is_delay = true, .ms = ms });
    if (was_empty && !g_queue_is_empty(&key_queue)) {
        timer_mod(key_timer, clock_get_ns(CLOCK_VIRTUAL) + ms * 1000000LL);
    }
}

bool input_queue_busy(void)
{
    return !g_queue_is_empty(&key_queue);
}

/* ---- names ---- */

/*
 * QEMU's QKeyCode names with the qnum QEMU maps each to (from the AT set-1
 * column of keycodemapdb).  "unmapped" is a valid name with no key (0);
 * "sysrq" is QEMU's synonym of "print".  lang1/lang2 are the Korean keys,
 * whose set-1 codes 0xf2/0xf1 are sent without a break code.
 */
static const struct { const char *name; uint8_t qnum; } qcode_names[] = {
    { "unmapped", 0x00 },
    { "shift", 0x2a }, { "shift_r", 0x36 }, { "alt", 0x38 }, { "alt_r", 0xb8 },
    { "ctrl", 0x1d }, { "ctrl_r", 0x9d }, { "menu", 0x9e }, { "esc", 0x01 },
    { "1", 0x02 }, { "2", 0x03 }, { "3", 0x04 }, { "4", 0x05 }, { "5", 0x06 },
    { "6", 0x07 }, { "7", 0x08 }, { "8", 0x09 }, { "9", 0x0a }, { "0", 0x0b },
    { "minus", 0x0c }, { "equal", 0x0d }, { "backspace", 0x0e }, { "tab", 0x0f },
    { "q", 0x10 }, { "w", 0x11 }, { "e", 0x12 }, { "r", 0x13 }, { "t", 0x14 },
    { "y", 0x15 }, { "u", 0x16 }, { "i", 0x17 }, { "o", 0x18 }, { "p", 0x19 },
    { "bracket_left", 0x1a }, { "bracket_right", 0x1b }, { "ret", 0x1c },
    { "a", 0x1e }, { "s", 0x1f }, { "d", 0x20 }, { "f", 0x21 }, { "g", 0x22 },
    { "h", 0x23 }, { "j", 0x24 }, { "k", 0x25 }, { "l", 0x26 },
    { "semicolon", 0x27 }, { "apostrophe", 0x28 }, { "grave_accent", 0x29 },
    { "backslash", 0x2b }, { "z", 0x2c }, { "x", 0x2d }, { "c", 0x2e }, { "v", 0x2f },
    { "b", 0x30 }, { "n", 0x31 }, { "m", 0x32 }, { "comma", 0x33 }, { "dot", 0x34 },
    { "slash", 0x35 }, { "asterisk", 0x37 }, { "spc", 0x39 }, { "caps_lock", 0x3a },
    { "f1", 0x3b }, { "f2", 0x3c }, { "f3", 0x3d }, { "f4", 0x3e }, { "f5", 0x3f },
    { "f6", 0x40 }, { "f7", 0x41 }, { "f8", 0x42 }, { "f9", 0x43 }, { "f10", 0x44 },
    { "num_lock", 0x45 }, { "scroll_lock", 0x46 }, { "kp_divide", 0xb5 },
    { "kp_multiply", 0x37 }, { "kp_subtract", 0x4a }, { "kp_add", 0x4e },
    { "kp_enter", 0x9c }, { "kp_decimal", 0x53 }, { "sysrq", 0x54 },
    { "kp_0", 0x52 }, { "kp_1", 0x4f }, { "kp_2", 0x50 }, { "kp_3", 0x51 },
    { "kp_4", 0x4b }, { "kp_5", 0x4c }, { "kp_6", 0x4d }, { "kp_7", 0x47 },
    { "kp_8", 0x48 }, { "kp_9", 0x49 }, { "less", 0x56 }, { "f11", 0x57 },
    { "f12", 0x58 }, { "print", 0x54 }, { "home", 0xc7 }, { "pgup", 0xc9 },
    { "pgdn", 0xd1 }, { "end", 0xcf }, { "left", 0xcb }, { "up", 0xc8 },
    { "down", 0xd0 }, { "right", 0xcd }, { "insert", 0xd2 }, { "delete", 0xd3 },
    { "stop", 0xe8 }, { "again", 0x85 }, { "props", 0x86 }, { "undo", 0x87 },
    { "front", 0x8c }, { "copy", 0xf8 }, { "open", 0x64 }, { "paste", 0x65 },
    { "find", 0xc1 }, { "cut", 0xbc }, { "lf", 0x5b }, { "help", 0xf5 },
    { "meta_l", 0xdb }, { "meta_r", 0xdc }, { "compose", 0xdd }, { "pause", 0xc6 },
    { "ro", 0x73 }, { "hiragana", 0x77 }, { "henkan", 0x79 }, { "yen", 0x7d },
    { "muhenkan", 0x7b }, { "katakanahiragana", 0x70 }, { "kp_comma", 0x7e },
    { "kp_equals", 0x59 }, { "power", 0xde }, { "sleep", 0xdf }, { "wake", 0xe3 },
    { "audionext", 0x99 }, { "audioprev", 0x90 }, { "audiostop", 0xa4 },
    { "audioplay", 0xa2 }, { "audiomute", 0xa0 }, { "volumeup", 0xb0 },
    { "volumedown", 0xae }, { "mediaselect", 0xed }, { "mail", 0xec },
    { "calculator", 0xa1 }, { "computer", 0xeb }, { "ac_home", 0xb2 },
    { "ac_back", 0xea }, { "ac_forward", 0xe9 }, { "ac_refresh", 0xe7 },
    { "ac_bookmarks", 0xe6 }, { "lang1", 0xf2 }, { "lang2", 0xf1 },
    { "f13", 0x5d }, { "f14", 0x5e }, { "f15", 0x5f }, { "f16", 0x55 },
    { "f17", 0x83 }, { "f18", 0xf7 }, { "f19", 0x84 }, { "f20", 0x5a },
    { "f21", 0x74 }, { "f22", 0xf9 }, { "f23", 0x6d }, { "f24", 0x6f },
};

/* Case-sensitive, as QEMU's enum parsing. */
int input_qnum_from_name(const char *name)
{
    if (!name) {
        return -1;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(qcode_names); i++) {
        if (!strcmp(qcode_names[i].name, name)) {
            return qcode_names[i].qnum;
        }
    }
    return -1;
}

static const char *const button_names[INPUT_BUTTON__MAX] = {
    [INPUT_BUTTON_LEFT] = "left", [INPUT_BUTTON_MIDDLE] = "middle",
    [INPUT_BUTTON_RIGHT] = "right", [INPUT_BUTTON_WHEEL_UP] = "wheel-up",
    [INPUT_BUTTON_WHEEL_DOWN] = "wheel-down", [INPUT_BUTTON_SIDE] = "side",
    [INPUT_BUTTON_EXTRA] = "extra",
};

int input_button_from_name(const char *name)
{
    for (int i = 0; name && i < INPUT_BUTTON__MAX; i++) {
        if (!strcmp(button_names[i], name)) {
            return i;
        }
    }
    return -1;
}

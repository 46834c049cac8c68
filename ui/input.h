/*
 * Input layer.  Front ends (SDL, VNC, curses, HMP sendkey, QMP send-key and
 * input-send-event) send events here; the emulated devices (the PS/2
 * keyboard and mouse of the i8042, later USB tablet) register as handlers
 * and receive them.  Keys travel as "qnum" codes: the PC set-1 make code,
 * 0x01..0x7f, with 0x80 added for E0-prefixed keys (right ctrl 0x9d, up
 * arrow 0xc8, ...), as QEMU's "number" keys.
 *
 * Runs on the main-loop thread with the big lock held.
 */
#ifndef UI_INPUT_H
#define UI_INPUT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum InputEventKind {
    INPUT_EVENT_KEY, INPUT_EVENT_BTN, INPUT_EVENT_REL, INPUT_EVENT_ABS,
} InputEventKind;

#define INPUT_MASK_KEY (1u << INPUT_EVENT_KEY)
#define INPUT_MASK_BTN (1u << INPUT_EVENT_BTN)
#define INPUT_MASK_REL (1u << INPUT_EVENT_REL)
#define INPUT_MASK_ABS (1u << INPUT_EVENT_ABS)

typedef enum InputButton {
    INPUT_BUTTON_LEFT, INPUT_BUTTON_MIDDLE, INPUT_BUTTON_RIGHT,
    INPUT_BUTTON_WHEEL_UP, INPUT_BUTTON_WHEEL_DOWN,
    INPUT_BUTTON_SIDE, INPUT_BUTTON_EXTRA, INPUT_BUTTON__MAX,
} InputButton;

typedef enum InputAxis { INPUT_AXIS_X, INPUT_AXIS_Y, INPUT_AXIS__MAX } InputAxis;

#define INPUT_ABS_MAX 0x7fff    /* absolute positions are scaled to 0..INPUT_ABS_MAX */

typedef struct InputEvent {
    InputEventKind kind;
    union {
        struct { int qnum; bool down; } key;
        struct { InputButton button; bool down; } btn;
        struct { InputAxis axis; int64_t value; } move;   /* REL and ABS */
    };
} InputEvent;

typedef struct InputHandler {
    const char *name;
    unsigned mask;                               /* INPUT_MASK_* it accepts */
    void (*event)(void *opaque, const InputEvent *ev);
    void (*sync)(void *opaque);                  /* end of a group of events (one mouse packet) */
} InputHandler;

typedef struct InputHandlerEntry InputHandlerEntry;

/* The newest handler accepting an event kind receives it. */
InputHandlerEntry *input_handler_register(const InputHandler *h, void *opaque);
void input_handler_unregister(InputHandlerEntry *e);

void input_event_send(const InputEvent *ev);
/* Some handler accepts this kind (QMP input-send-event refuses events no
 * device would get).  (Added by the PS/2 branch.) */
bool input_has_handler(InputEventKind kind);
void input_event_sync(void);

/* Conveniences over input_event_send.  None of them syncs: a front end
 * ends each group of pointer events (one host mouse motion with its
 * buttons) with input_event_sync(), which is when a PS/2 mouse queues its
 * packet.  Keys need no sync. */
void input_send_key(int qnum, bool down);
void input_send_button(InputButton b, bool down);
void input_send_rel(InputAxis axis, int value);
/* VALUE in MIN..MAX is scaled to 0..INPUT_ABS_MAX. */
void input_send_abs(InputAxis axis, int value, int min, int max);

/* Keys with delays between them (QMP send-key's hold time), on the virtual
 * clock as QEMU does: a key is sent at once (with a sync) unless earlier
 * queued keys still wait, then it waits behind them.  A delay while the VM
 * is stopped is skipped, since the virtual clock would not move.  At most
 * 1024 entries wait; more are dropped.  (Added by the PS/2 branch.) */
void input_queue_key(int qnum, bool down);
void input_queue_delay(int ms);
bool input_queue_busy(void);

/* QEMU's QKeyCode names ("a", "ctrl", "alt_r", "delete", "f1", "ret",
 * "spc", "kp_enter", ...) -> qnum, or -1. */
int input_qnum_from_name(const char *name);
/* QEMU's InputButton names ("left", "middle", "right", "wheel-up",
 * "wheel-down", "side", "extra") -> button, or -1. */
int input_button_from_name(const char *name);

#endif

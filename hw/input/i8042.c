/*
 * 8042 keyboard controller, PS/2 keyboard and PS/2 mouse.
 *
 * The controller has a command byte (RAM byte 0), an output port (A20 gate,
 * reset line) and one output buffer shared by keyboard and mouse data.
 * The keyboard and the mouse are separate devices on the controller's two
 * serial links: each has its own small buffer of bytes not yet clocked to
 * the controller, and the controller moves one byte at a time into its
 * output buffer, raising IRQ 1 or 12 if the command byte enables it.
 *
 * The keyboard always produces its own scancode set (2 by default); the
 * controller translates set 2 to set 1 on the way when the command byte's
 * XLATE bit is set, as the real part does -- which is also why a translated
 * keyboard ID reads AB 41 and a translated "get set" reply reads 0x41.
 *
 * Keys arrive from the input layer as qnums (set-1 make codes, 0x80 for
 * E0 keys); mouse movement and buttons likewise.  Everything the guest
 * writes is bounded: queues never grow, every command byte has an answer.
 */
#include "hw/input/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "hw/isa/isa.h"
#include "system/runstate.h"
#include "ui/input.h"
#include "util/log.h"

#define STAT_OBF     0x01
#define STAT_IBF     0x02
#define STAT_SYS     0x04
#define STAT_CMD     0x08      /* last write was to 0x64 */
#define STAT_UNLOCK  0x10      /* keyboard not inhibited (key lock switch) */
#define STAT_AUXB    0x20      /* output buffer holds mouse data */

#define CB_KBD_INT   0x01
#define CB_AUX_INT   0x02
#define CB_SYS       0x04
#define CB_KBD_DIS   0x10
#define CB_AUX_DIS   0x20
#define CB_XLATE     0x40

/* A device's buffer: scancodes/packets may fill PS2_DATA_MAX bytes (the
 * 16 bytes of a real keyboard's buffer); command replies may use the rest,
 * so an ACK is never lost behind a full buffer of keys. */
#define PS2_QSIZE    32
#define PS2_DATA_MAX 16

typedef struct ByteQueue {
    uint8_t data[PS2_QSIZE];
    int rd, count;
} ByteQueue;

typedef struct PS2Kbd {
    ByteQueue q;
    bool scanning;
    bool overrun;              /* overrun code queued; cleared when drained */
    int scancode_set;
    uint8_t pending_cmd;       /* command awaiting its argument, 0 = none */
    uint8_t leds;
    uint8_t typematic;         /* F3 argument: rate (bits 0-4), delay (5-6) */
    uint8_t last;              /* last byte sent to the controller, for FE */
    bool shift, ctrl, alt;     /* modifiers held: PrintScreen/Pause vary */
} PS2Kbd;

typedef struct PS2Mouse {
    ByteQueue q;
    bool enabled;              /* data reporting (F4/F5) */
    bool remote;               /* remote mode: packets only on EB */
    bool wrap;
    bool scale21;
    uint8_t rate, resolution;
    uint8_t type;              /* ID: 0 PS/2, 3 IntelliMouse, 4 Explorer */
    uint8_t rates[3];          /* last three sample rates, for the magic knocks */
    uint8_t pending_cmd;
    int dx, dy, dz;            /* movement not yet reported (PS/2 axes: +y up) */
    uint8_t buttons;           /* bit 0 left, 1 right, 2 middle, 3 side, 4 extra */
    uint8_t reported_buttons;
    uint8_t last[4];           /* last packet or reply, for FE (resend) */
    int last_len;
} PS2Mouse;

typedef struct KBCState {
    Device dev;
    uint8_t status;
    uint8_t ram[32];           /* ram[0] is the command byte */
    uint8_t out_port;
    uint8_t obuf;
    uint8_t pending;           /* controller command awaiting data on 0x60 */
    bool xlate_f0;             /* translating: a set-2 break prefix was seen */
    ByteQueue ctrl_q;          /* controller's own replies and 0xD2 bytes */
    ByteQueue ctrl_aux_q;      /* 0xD3 bytes: look like mouse data, never gated */
    PS2Kbd kbd;
    PS2Mouse mouse;
    IRQ a20;
    IRQ irq_kbd, irq_mouse;
    MemoryRegion io_data, io_cmd;
    InputHandlerEntry *kbd_handler, *mouse_handler;
} KBCState;

#define CMD_BYTE(s) ((s)->ram[0])

/* The 8042's set-2 -> set-1 translation (codes 0x80 and up pass through,
 * but for F7 0x83 and Alt+SysRq 0x84). */
static const uint8_t kbc_xlate[256] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
    0x80, 0x81, 0x82, 0x41, 0x54, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};
/* qnum -> set-2 code (E0 prefix for qnum 0x80 and up), 0 = no key.  The
 * architected set-2 codes; keys only set 1 knows get the set-2 code the
 * controller translates back to them. */
static const uint8_t qnum_to_set2[256] = {
    0x00, 0x76, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45, 0x4e, 0x55, 0x66, 0x0d,
    0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d, 0x54, 0x5b, 0x5a, 0x14, 0x1c, 0x1b,
    0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b, 0x4c, 0x52, 0x0e, 0x12, 0x5d, 0x1a, 0x22, 0x21, 0x2a,
    0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x7c, 0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0c, 0x03,
    0x0b, 0x83, 0x0a, 0x01, 0x09, 0x77, 0x7e, 0x6c, 0x75, 0x7d, 0x7b, 0x6b, 0x73, 0x74, 0x79, 0x69,
    0x72, 0x7a, 0x70, 0x71, 0x7f, 0x60, 0x61, 0x78, 0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f,
    0x00, 0x00, 0x00, 0x5e, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x40, 0x48, 0x50, 0x00, 0x6f,
    0x13, 0x00, 0x00, 0x51, 0x53, 0x5c, 0x5f, 0x62, 0x63, 0x64, 0x00, 0x67, 0x00, 0x6a, 0x6d, 0x00,
    0x00, 0x76, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45, 0x4e, 0x00, 0x66, 0x0d,
    0x15, 0x00, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d, 0x54, 0x5b, 0x5a, 0x14, 0x1c, 0x1b,
    0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b, 0x4c, 0x52, 0x0e, 0x00, 0x5d, 0x1a, 0x22, 0x21, 0x2a,
    0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x00, 0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0c, 0x03,
    0x0b, 0x02, 0x0a, 0x01, 0x09, 0x77, 0x77, 0x6c, 0x75, 0x7d, 0x7b, 0x6b, 0x73, 0x74, 0x79, 0x69,
    0x72, 0x7a, 0x70, 0x71, 0x7f, 0x60, 0x61, 0x78, 0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f,
    0x00, 0x00, 0x00, 0x5e, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x40, 0x48, 0x50, 0x00, 0x6f,
    0x13, 0x19, 0x39, 0x51, 0x53, 0x5c, 0x5f, 0x62, 0x63, 0x64, 0x00, 0x67, 0x00, 0x6a, 0x00, 0x00,
};
/* qnum -> set-3 code (never prefixed), 0 = no key in set 3. */
static const uint8_t qnum_to_set3[256] = {
    0x00, 0x08, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45, 0x4e, 0x55, 0x66, 0x0d,
    0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d, 0x54, 0x5b, 0x5a, 0x11, 0x1c, 0x1b,
    0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b, 0x4c, 0x52, 0x0e, 0x12, 0x5c, 0x1a, 0x22, 0x21, 0x2a,
    0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x7e, 0x19, 0x29, 0x14, 0x07, 0x0f, 0x17, 0x1f, 0x27,
    0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x76, 0x5f, 0x6c, 0x75, 0x7d, 0x4e, 0x6b, 0x73, 0x74, 0x7c, 0x69,
    0x72, 0x7a, 0x70, 0x71, 0x57, 0x82, 0x13, 0x56, 0x5e, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x80, 0x81,
    0x00, 0x00, 0x00, 0x00, 0x20, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x87, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x87, 0x00, 0x86, 0x00, 0x85, 0x00, 0x5d, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x83, 0x00, 0x0b, 0x0c, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x94, 0x00, 0x96, 0xa2, 0x00, 0x00, 0x00, 0xa1, 0x9f, 0x93, 0x00, 0x00, 0x79, 0x58, 0x91, 0xa0,
    0x9c, 0xa3, 0x00, 0x9a, 0x98, 0x00, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9d, 0x00,
    0x95, 0x9e, 0x97, 0x00, 0x00, 0x4a, 0x00, 0x00, 0x39, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,
    0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x62, 0x6e, 0x63, 0x6f, 0x00, 0x61, 0x00, 0x6a, 0x00, 0x65,
    0x60, 0x6d, 0x67, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8b, 0x8c, 0x8d, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8e,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void q_put(ByteQueue *q, uint8_t b)
{
    if (q->count < PS2_QSIZE) {
        q->data[(q->rd + q->count++) % PS2_QSIZE] = b;
    }
}

static int q_get(ByteQueue *q)
{
    if (!q->count) {
        return -1;
    }
    uint8_t b = q->data[q->rd];
    q->rd = (q->rd + 1) % PS2_QSIZE;
    q->count--;
    return b;
}

static void q_clear(ByteQueue *q)
{
    q->rd = q->count = 0;
}

static void kbc_update_irq(KBCState *s)
{
    bool kbd = false, aux = false;
    if (s->status & STAT_OBF) {
        if (s->status & STAT_AUXB) {
            aux = CMD_BYTE(s) & CB_AUX_INT;
        } else {
            kbd = CMD_BYTE(s) & CB_KBD_INT;
        }
    }
    irq_set(s->irq_kbd, kbd);
    irq_set(s->irq_mouse, aux);
}

/* One byte from the keyboard link, translated to set 1 if XLATE is on.
 * Returns -1 when nothing (complete) is available. */
static int kbc_take_kbd_byte(KBCState *s)
{
    PS2Kbd *k = &s->kbd;
    for (;;) {
        int b = q_get(&k->q);
        if (b < 0) {
            return -1;
        }
        k->last = b;
        if (!k->q.count) {
            k->overrun = false;
        }
        if (!(CMD_BYTE(s) & CB_XLATE)) {
            return b;
        }
        if (b == 0xf0) {
            /* the break prefix folds into bit 7 of the next byte */
            s->xlate_f0 = true;
            continue;
        }
        int out = kbc_xlate[b];
        if (s->xlate_f0) {
            s->xlate_f0 = false;
            out |= 0x80;
        }
        return out;
    }
}

/* Move the next byte into the output buffer if it is free. */
static void kbc_refill(KBCState *s)
{
    if (!(s->status & STAT_OBF)) {
        int b;
        if ((b = q_get(&s->ctrl_q)) >= 0) {
            s->obuf = b;
            s->status = (s->status & ~STAT_AUXB) | STAT_OBF;
        } else if ((b = q_get(&s->ctrl_aux_q)) >= 0) {
            s->obuf = b;
            s->status |= STAT_OBF | STAT_AUXB;
        } else if (!(CMD_BYTE(s) & CB_KBD_DIS) && (b = kbc_take_kbd_byte(s)) >= 0) {
            s->obuf = b;
            s->status = (s->status & ~STAT_AUXB) | STAT_OBF;
        } else if (!(CMD_BYTE(s) & CB_AUX_DIS) && (b = q_get(&s->mouse.q)) >= 0) {
            s->obuf = b;
            s->status |= STAT_OBF | STAT_AUXB;
        }
    }
    kbc_update_irq(s);
}

/* ---------------- keyboard ---------------- */

static void kbd_reply(PS2Kbd *k, uint8_t b)
{
    q_put(&k->q, b);
}

static void kbd_defaults(PS2Kbd *k)
{
    k->scanning = true;
    k->scancode_set = 2;
    k->pending_cmd = 0;
    k->leds = 0;
    k->typematic = 0x2b;        /* 10.9 cps, 500 ms: the power-on default */
}

/*
 * Queue one key's bytes, or nothing and an overrun code if they do not
 * fit in the keyboard's buffer (a key is never half sent).  The overrun
 * code is 0x00 in sets 2 and 3 and 0xFF in set 1; translated, 0x00
 * becomes 0xFF as well.
 */
static void kbd_queue_key(PS2Kbd *k, const uint8_t *b, int n)
{
    if (!n) {
        return;
    }
    if (k->q.count + n > PS2_DATA_MAX) {
        /* the overrun code takes the slot after the last key's */
        if (!k->overrun) {
            q_put(&k->q, k->scancode_set == 1 ? 0xff : 0x00);
            k->overrun = true;
        }
        return;
    }
    for (int i = 0; i < n; i++) {
        q_put(&k->q, b[i]);
    }
}

/* The bytes a key's press or release sends in the current set. */
static int kbd_key_bytes(PS2Kbd *k, int qnum, bool down, uint8_t *b)
{
    int n = 0;
    int set = k->scancode_set;
    bool e0 = qnum & 0x80;

    if (qnum == 0xf1 || qnum == 0xf2) {         /* Hanja / Hangul: press only */
        if (down && set != 3) {
            b[n++] = qnum;
        }
        return n;
    }
    if (qnum == 0xc6) {                         /* Pause: make only */
        if (set == 3) {
            if (!down) {
                b[n++] = 0xf0;
            }
            b[n++] = 0x62;
            return n;
        }
        if (!down) {
            return 0;
        }
        if (k->ctrl) {                          /* Ctrl+Pause is Break */
            static const uint8_t brk1[] = { 0xe0, 0x46, 0xe0, 0xc6 };
            static const uint8_t brk2[] = { 0xe0, 0x7e, 0xe0, 0xf0, 0x7e };
            memcpy(b, set == 1 ? brk1 : brk2, set == 1 ? sizeof(brk1) : sizeof(brk2));
            return set == 1 ? sizeof(brk1) : sizeof(brk2);
        }
        static const uint8_t p1[] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
        static const uint8_t p2[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
        memcpy(b, set == 1 ? p1 : p2, set == 1 ? sizeof(p1) : sizeof(p2));
        return set == 1 ? sizeof(p1) : sizeof(p2);
    }
    if (qnum == 0x54 || qnum == 0xb7) {         /* PrintScreen / SysRq */
        if (set == 3) {
            if (!down) {
                b[n++] = 0xf0;
            }
            b[n++] = 0x57;
            return n;
        }
        if (k->alt) {                           /* Alt+PrintScreen is SysRq */
            if (set == 1) {
                b[n++] = down ? 0x54 : 0xd4;
            } else {
                if (!down) {
                    b[n++] = 0xf0;
                }
                b[n++] = 0x84;
            }
            return n;
        }
        /* alone it comes with a fake left shift press/release around it;
         * with shift or ctrl already held, without */
        bool fake = !k->shift && !k->ctrl;
        if (set == 1) {
            if (down && fake) {
                b[n++] = 0xe0; b[n++] = 0x2a;
            }
            b[n++] = 0xe0; b[n++] = down ? 0x37 : 0xb7;
            if (!down && fake) {
                b[n++] = 0xe0; b[n++] = 0xaa;
            }
        } else {
            if (down && fake) {
                b[n++] = 0xe0; b[n++] = 0x12;
            }
            b[n++] = 0xe0;
            if (!down) {
                b[n++] = 0xf0;
            }
            b[n++] = 0x7c;
            if (!down && fake) {
                b[n++] = 0xe0; b[n++] = 0xf0; b[n++] = 0x12;
            }
        }
        return n;
    }

    if (set == 1) {
        if (e0) {
            b[n++] = 0xe0;
        }
        b[n++] = (qnum & 0x7f) | (down ? 0 : 0x80);
        return n;
    }
    if (set == 3) {
        uint8_t c = qnum_to_set3[qnum & 0xff];
        if (c) {
            if (!down) {
                b[n++] = 0xf0;
            }
            b[n++] = c;
        }
        return n;
    }
    uint8_t c = qnum_to_set2[qnum & 0xff];
    if (c) {
        if (e0) {
            b[n++] = 0xe0;
        }
        if (!down) {
            b[n++] = 0xf0;
        }
        b[n++] = c;
    }
    return n;
}

static void kbd_event(void *opaque, const InputEvent *ev)
{
    KBCState *s = opaque;
    PS2Kbd *k = &s->kbd;
    int qnum = ev->key.qnum;
    bool down = ev->key.down;

    if (ev->kind != INPUT_EVENT_KEY || qnum <= 0 || qnum > 0xff) {
        return;
    }
    switch (qnum) {
    case 0x2a: case 0x36: k->shift = down; break;
    case 0x1d: case 0x9d: k->ctrl = down; break;
    case 0x38: case 0xb8: k->alt = down; break;
    }
    if (!k->scanning) {
        return;
    }
    uint8_t b[8];
    kbd_queue_key(k, b, kbd_key_bytes(k, qnum, down, b));
    kbc_refill(s);
}

/* Commands whose next byte is an argument. */
static bool kbd_takes_arg(uint8_t cmd)
{
    return cmd == 0xed || cmd == 0xf0 || cmd == 0xf3 ||
           cmd == 0xfb || cmd == 0xfc || cmd == 0xfd;
}

static void kbd_command(PS2Kbd *k, uint8_t val)
{
    switch (val) {
    case 0xed: case 0xf0: case 0xf3:
    case 0xfb: case 0xfc: case 0xfd:            /* set-3 per-key modes: key list */
        k->pending_cmd = val;
        kbd_reply(k, 0xfa);
        break;
    case 0xee:                                  /* echo */
        kbd_reply(k, 0xee);
        break;
    case 0xf2:                                  /* identify: MF2 keyboard */
        kbd_reply(k, 0xfa);
        kbd_reply(k, 0xab);
        kbd_reply(k, 0x83);                     /* the controller may translate it */
        break;
    case 0xf4:                                  /* enable: buffer cleared */
        q_clear(&k->q);
        k->overrun = false;
        k->scanning = true;
        kbd_reply(k, 0xfa);
        break;
    case 0xf5:                                  /* disable, restore defaults */
        q_clear(&k->q);
        k->overrun = false;
        kbd_defaults(k);
        k->scanning = false;
        kbd_reply(k, 0xfa);
        break;
    case 0xf6:                                  /* defaults, keep scanning */
        q_clear(&k->q);
        k->overrun = false;
        kbd_defaults(k);
        kbd_reply(k, 0xfa);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa: /* set-3 all-key modes */
        kbd_reply(k, 0xfa);
        break;
    case 0xfe:                                  /* resend the last byte */
        kbd_reply(k, k->last);
        break;
    case 0xff:                                  /* reset, BAT passed */
        q_clear(&k->q);
        k->overrun = false;
        kbd_defaults(k);
        kbd_reply(k, 0xfa);
        kbd_reply(k, 0xaa);
        break;
    default:
        kbd_reply(k, 0xfe);                     /* unknown: resend */
        break;
    }
}

static void kbd_write(KBCState *s, uint8_t val)
{
    PS2Kbd *k = &s->kbd;
    uint8_t cmd = k->pending_cmd;

    if (cmd && kbd_takes_arg(cmd)) {
        /* LED bits, set numbers and typematic values are all below 0x80,
         * so a byte with bit 7 set where one was due is a new command, as
         * a real keyboard takes it: a lost argument cannot wedge it.  The
         * set-3 key lists of FB-FD (key numbers reach 0x9f) run until a
         * command byte (0xED and up). */
        bool is_cmd = (cmd >= 0xfb) ? val >= 0xed : (val & 0x80);
        if (!is_cmd) {
            if (cmd < 0xfb) {
                k->pending_cmd = 0;
            }
            switch (cmd) {
            case 0xed:
                k->leds = val & 7;
                kbd_reply(k, 0xfa);
                break;
            case 0xf3:
                k->typematic = val & 0x7f;
                kbd_reply(k, 0xfa);
                break;
            case 0xf0:
                if (val == 0) {
                    kbd_reply(k, 0xfa);
                    kbd_reply(k, k->scancode_set);
                } else if (val <= 3) {
                    k->scancode_set = val;
                    kbd_reply(k, 0xfa);
                } else {
                    kbd_reply(k, 0xfe);
                }
                break;
            default:                            /* a key of the FB/FC/FD list */
                kbd_reply(k, 0xfa);
                break;
            }
            return;
        }
        k->pending_cmd = 0;
    }
    kbd_command(k, val);
}

/* ---------------- mouse ---------------- */

static void mouse_reply(PS2Mouse *m, uint8_t b)
{
    q_put(&m->q, b);
    m->last[0] = b;
    m->last_len = 1;
}

static void mouse_clear_motion(PS2Mouse *m)
{
    m->dx = m->dy = m->dz = 0;
}

static void mouse_defaults(PS2Mouse *m)
{
    m->enabled = false;
    m->remote = false;
    m->scale21 = false;
    m->rate = 100;
    m->resolution = 2;
    m->pending_cmd = 0;
    memset(m->rates, 0, sizeof(m->rates));
    mouse_clear_motion(m);
}

static int packet_len(const PS2Mouse *m)
{
    return m->type ? 4 : 3;
}

/* 2:1 scaling, applied to stream reports only (as the PS/2 mouse spec says). */
static int scale21(int d)
{
    static const int small[6] = { 0, 1, 1, 3, 6, 9 };
    int a = d < 0 ? -d : d;
    int r = a < 6 ? small[a] : 2 * a;
    return d < 0 ? -r : r;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Build one packet from the pending movement and take what it reports off
 * the counters.  Movement beyond the 9-bit range stays pending for the
 * next packet unless DROP_EXCESS, in which case the overflow bit says it
 * was lost (remote-mode reads, which clear the counters).  2:1 scaling is
 * meant for small moves: a scaled report that overflows drops the excess
 * too.
 */
static int mouse_make_packet(PS2Mouse *m, uint8_t *p, bool stream, bool drop_excess)
{
    int dx = m->dx, dy = m->dy, dz = m->dz;
    if (stream && m->scale21) {
        dx = scale21(clampi(dx, -256, 255));
        dy = scale21(clampi(dy, -256, 255));
    }
    int x = clampi(dx, -256, 255), y = clampi(dy, -256, 255);
    int z = clampi(dz, -8, 7);
    bool ovx = x != dx, ovy = y != dy;
    drop_excess |= stream && m->scale21;

    p[0] = 0x08 | (m->buttons & 7) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0) |
           ((ovx && drop_excess) ? 0x40 : 0) | ((ovy && drop_excess) ? 0x80 : 0);
    p[1] = x & 0xff;
    p[2] = y & 0xff;
    int n = 3;
    if (m->type == 3) {
        p[n++] = z & 0xff;
    } else if (m->type == 4) {
        p[n++] = (z & 0x0f) | ((m->buttons & 0x18) << 1);
    }
    if (drop_excess) {
        m->dx = m->dy = 0;
    } else {
        m->dx -= x;
        m->dy -= y;
    }
    m->dz = m->type ? m->dz - z : 0;
    if (drop_excess) {
        m->dz = 0;
    }
    m->reported_buttons = m->buttons;
    memcpy(m->last, p, n);
    m->last_len = n;
    return n;
}

/* Stream mode: report what changed, in as many packets as it takes and as
 * fit the buffer; the rest waits until the guest has read the buffer
 * empty (kbc_read), so large movement is delayed, never lost. */
static void mouse_stream(KBCState *s)
{
    PS2Mouse *m = &s->mouse;
    if (!m->enabled || m->remote || m->wrap) {
        return;
    }
    for (int i = 0; i < 64; i++) {
        if (!m->dx && !m->dy && !m->dz && m->buttons == m->reported_buttons) {
            break;
        }
        int n = packet_len(m);
        if (m->q.count + n > PS2_DATA_MAX) {
            break;                              /* keep it for later */
        }
        uint8_t p[4];
        mouse_make_packet(m, p, true, false);
        for (int j = 0; j < n; j++) {
            q_put(&m->q, p[j]);
        }
    }
    kbc_refill(s);
}

static void mouse_event(void *opaque, const InputEvent *ev)
{
    KBCState *s = opaque;
    PS2Mouse *m = &s->mouse;
    /* a disabled stream-mode mouse does not count; remote mode always does */
    if (!m->enabled && !m->remote) {
        return;
    }
    /* bounded so a hostile or buggy front end cannot overflow the sums */
    const int lim = 1 << 20;
    switch (ev->kind) {
    case INPUT_EVENT_REL: {
        int64_t v64 = ev->move.value;
        int v = v64 > lim ? lim : v64 < -lim ? -lim : (int)v64;
        if (ev->move.axis == INPUT_AXIS_X) {
            m->dx = clampi(m->dx + v, -lim, lim);
        } else if (ev->move.axis == INPUT_AXIS_Y) {
            m->dy = clampi(m->dy - v, -lim, lim);       /* PS/2 counts up as positive */
        }
        break;
    }
    case INPUT_EVENT_BTN: {
        static const uint8_t bit[INPUT_BUTTON__MAX] = {
            [INPUT_BUTTON_LEFT] = 0x01, [INPUT_BUTTON_RIGHT] = 0x02,
            [INPUT_BUTTON_MIDDLE] = 0x04, [INPUT_BUTTON_SIDE] = 0x08,
            [INPUT_BUTTON_EXTRA] = 0x10,
        };
        if ((unsigned)ev->btn.button >= INPUT_BUTTON__MAX) {
            break;
        }
        if (ev->btn.down) {
            m->buttons |= bit[ev->btn.button];
            /* the wheel counts toward the user as positive z, so up is -1 */
            if (ev->btn.button == INPUT_BUTTON_WHEEL_UP) {
                m->dz = clampi(m->dz - 1, -lim, lim);
            } else if (ev->btn.button == INPUT_BUTTON_WHEEL_DOWN) {
                m->dz = clampi(m->dz + 1, -lim, lim);
            }
        } else {
            m->buttons &= ~bit[ev->btn.button];
        }
        break;
    }
    default:
        break;                                  /* a PS/2 mouse has no absolute axes */
    }
}

static void mouse_sync(void *opaque)
{
    mouse_stream(opaque);
}

/* The knock sequences of sample rates that switch the ID. */
static void mouse_note_rate(PS2Mouse *m, uint8_t rate)
{
    m->rates[0] = m->rates[1];
    m->rates[1] = m->rates[2];
    m->rates[2] = rate;
    if (m->rates[0] == 200 && m->rates[1] == 100 && m->rates[2] == 80 && m->type == 0) {
        m->type = 3;
    } else if (m->rates[0] == 200 && m->rates[1] == 200 && m->rates[2] == 80 && m->type == 3) {
        m->type = 4;
    }
}

static void mouse_write(KBCState *s, uint8_t val)
{
    PS2Mouse *m = &s->mouse;
    if (m->pending_cmd) {
        uint8_t cmd = m->pending_cmd;
        m->pending_cmd = 0;
        if (cmd == 0xf3) {
            m->rate = val;
            mouse_note_rate(m, val);
            mouse_reply(m, 0xfa);
        } else {                                /* 0xe8 */
            if (val <= 3) {
                m->resolution = val;
                mouse_reply(m, 0xfa);
            } else {
                mouse_reply(m, 0xfe);
            }
        }
        return;
    }
    if (m->wrap && val != 0xec && val != 0xff) {
        mouse_reply(m, val);                    /* wrap mode echoes */
        return;
    }
    uint8_t p[4];
    switch (val) {
    case 0xe6: m->scale21 = false; mouse_reply(m, 0xfa); break;
    case 0xe7: m->scale21 = true; mouse_reply(m, 0xfa); break;
    case 0xe8: case 0xf3:
        m->pending_cmd = val;
        mouse_reply(m, 0xfa);
        break;
    case 0xe9: {                                /* status request */
        uint8_t b = (m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) |
                    (m->scale21 ? 0x10 : 0) | ((m->buttons & 1) << 2) |
                    ((m->buttons & 4) >> 1) | ((m->buttons & 2) >> 1);
        mouse_reply(m, 0xfa);
        q_put(&m->q, b);
        q_put(&m->q, m->resolution);
        q_put(&m->q, m->rate);
        break;
    }
    case 0xea:                                  /* stream mode */
        m->remote = false;
        mouse_clear_motion(m);
        mouse_reply(m, 0xfa);
        break;
    case 0xeb: {                                /* read data: one packet, always */
        mouse_reply(m, 0xfa);
        int n = mouse_make_packet(m, p, false, true);
        for (int i = 0; i < n; i++) {
            q_put(&m->q, p[i]);
        }
        break;
    }
    case 0xec: m->wrap = false; mouse_reply(m, 0xfa); break;
    case 0xee: m->wrap = true; mouse_clear_motion(m); mouse_reply(m, 0xfa); break;
    case 0xf0:                                  /* remote mode */
        m->remote = true;
        mouse_clear_motion(m);
        mouse_reply(m, 0xfa);
        break;
    case 0xf2:
        mouse_reply(m, 0xfa);
        q_put(&m->q, m->type);
        break;
    case 0xf4:
        m->enabled = true;
        mouse_clear_motion(m);
        mouse_reply(m, 0xfa);
        break;
    case 0xf5:
        m->enabled = false;
        mouse_clear_motion(m);
        mouse_reply(m, 0xfa);
        break;
    case 0xf6:
        mouse_defaults(m);
        mouse_reply(m, 0xfa);
        break;
    case 0xfe: {                                /* resend */
        uint8_t last[4];
        int n = m->last_len;
        memcpy(last, m->last, sizeof(last));
        for (int i = 0; i < n; i++) {
            q_put(&m->q, last[i]);
        }
        break;
    }
    case 0xff:
        q_clear(&m->q);
        mouse_defaults(m);
        m->wrap = false;
        m->type = 0;
        mouse_reply(m, 0xfa);
        q_put(&m->q, 0xaa);
        q_put(&m->q, 0x00);
        break;
    default:
        mouse_reply(m, 0xfe);
        break;
    }
}

/* ---------------- controller ---------------- */

static void kbc_set_out_port(KBCState *s, uint8_t val)
{
    s->out_port = val;
    irq_set(s->a20, (val >> 1) & 1);
    if (!(val & 1)) {
        system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static uint64_t kbc_read(void *opaque, hwaddr addr, unsigned size)
{
    KBCState *s = opaque;
    if (addr == 4) {
        return s->status;
    }
    /* an empty buffer reads as the last byte again (EMM386 relies on it) */
    uint8_t v = s->obuf;
    s->status &= ~(STAT_OBF | STAT_AUXB);
    /* lower the line before the next byte raises it: an edge per byte */
    kbc_update_irq(s);
    if (!s->mouse.q.count) {
        /* movement kept back while the mouse's buffer was full goes now,
         * as the real mouse would report it at its next sample */
        mouse_stream(s);
    }
    kbc_refill(s);
    return v;
}

static void kbc_write_cmd(KBCState *s, uint8_t val)
{
    if (val >= 0x20 && val <= 0x3f) {           /* read controller RAM */
        q_put(&s->ctrl_q, s->ram[val & 0x1f]);
        return;
    }
    if (val >= 0x60 && val <= 0x7f) {           /* write controller RAM */
        s->pending = val;
        return;
    }
    if (val >= 0xf0) {
        /* pulse the output port lines whose bits are 0 for ~6 us: bit 0
         * is the CPU reset */
        if (!(val & 1)) {
            system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        }
        return;
    }
    switch (val) {
    case 0xa7: CMD_BYTE(s) |= CB_AUX_DIS; break;
    case 0xa8: CMD_BYTE(s) &= ~CB_AUX_DIS; break;
    case 0xa9: q_put(&s->ctrl_q, 0x00); break;   /* aux interface test: OK */
    case 0xaa:                                  /* self-test */
        s->status |= STAT_SYS;
        q_put(&s->ctrl_q, 0x55);
        break;
    case 0xab: q_put(&s->ctrl_q, 0x00); break;   /* keyboard interface test: OK */
    case 0xad: CMD_BYTE(s) |= CB_KBD_DIS; break;
    case 0xae: CMD_BYTE(s) &= ~CB_KBD_DIS; break;
    case 0xc0: q_put(&s->ctrl_q, 0x80); break;   /* input port: keyboard not locked */
    case 0xd0:
        /* bits 4/5 mirror the output buffer full lines (IRQ 1 / IRQ 12) */
        q_put(&s->ctrl_q, (s->out_port & 0xcf) |
                          ((s->status & STAT_OBF) && !(s->status & STAT_AUXB) ? 0x10 : 0) |
                          ((s->status & STAT_OBF) && (s->status & STAT_AUXB) ? 0x20 : 0));
        break;
    case 0xd1: case 0xd2: case 0xd3: case 0xd4:
        s->pending = val;
        break;
    case 0xdd: kbc_set_out_port(s, s->out_port & ~2); break;    /* A20 off (HP) */
    case 0xdf: kbc_set_out_port(s, s->out_port | 2); break;     /* A20 on (HP) */
    case 0xe0: q_put(&s->ctrl_q, 0x00); break;   /* test inputs (clock/data lines) */
    default:
        vlog(LOG_UNIMP, "i8042: unknown controller command 0x%02x\n", val);
        break;
    }
}

static void kbc_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    KBCState *s = opaque;
    uint8_t val = val64;
    if (addr == 4) {
        s->status |= STAT_CMD;
        s->pending = 0;
        kbc_write_cmd(s, val);
    } else {
        s->status &= ~STAT_CMD;
        uint8_t p = s->pending;
        s->pending = 0;
        if (p == 0x60) {
            CMD_BYTE(s) = val;
            s->status = (s->status & ~STAT_SYS) | (val & CB_SYS);
        } else if (p > 0x60 && p <= 0x7f) {
            s->ram[p & 0x1f] = val;
        } else if (p == 0xd1) {
            kbc_set_out_port(s, val);
        } else if (p == 0xd2) {
            /* the controller fills its own output buffer: interface
             * disable bits do not apply (Linux's AUX loopback probe) */
            q_put(&s->ctrl_q, val);
        } else if (p == 0xd3) {
            q_put(&s->ctrl_aux_q, val);
        } else if (p == 0xd4) {
            /* like a keyboard write, sending to the mouse clocks its
             * interface, so the reply gets through even with AUX disabled
             * (SeaBIOS resets the mouse that way) */
            CMD_BYTE(s) &= ~CB_AUX_DIS;
            mouse_write(s, val);
        } else {
            /* data to the keyboard re-enables its interface */
            CMD_BYTE(s) &= ~CB_KBD_DIS;
            kbd_write(s, val);
        }
    }
    kbc_refill(s);
}

static uint64_t kbc_data_read(void *opaque, hwaddr addr, unsigned size)
{
    return kbc_read(opaque, 0, size);
}

static void kbc_data_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    kbc_write(opaque, 0, val, size);
}

static uint64_t kbc_cmd_read(void *opaque, hwaddr addr, unsigned size)
{
    return kbc_read(opaque, 4, size);
}

static void kbc_cmd_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    kbc_write(opaque, 4, val, size);
}

static const MemoryRegionOps kbc_data_ops = {
    .read = kbc_data_read,
    .write = kbc_data_write,
    .min_access = 1,
    .max_access = 1,
};

static const MemoryRegionOps kbc_cmd_ops = {
    .read = kbc_cmd_read,
    .write = kbc_cmd_write,
    .min_access = 1,
    .max_access = 1,
};

static const InputHandler kbd_input_handler = {
    .name = "PS/2 keyboard",
    .mask = INPUT_MASK_KEY,
    .event = kbd_event,
};

static const InputHandler mouse_input_handler = {
    .name = "PS/2 mouse",
    .mask = INPUT_MASK_BTN | INPUT_MASK_REL,
    .event = mouse_event,
    .sync = mouse_sync,
};

static void kbc_reset(Device *dev);

static bool kbc_realize(Device *dev, GError **errp)
{
    KBCState *s = DEVICE_CAST(KBCState, dev);
    s->irq_kbd = isa_get_irq(1);
    s->irq_mouse = isa_get_irq(12);
    device_init_gpio_out(dev, &s->a20, 1);
    isa_register_ioport(&s->io_data, &kbc_data_ops, s, "i8042-data", 0x60, 1);
    isa_register_ioport(&s->io_cmd, &kbc_cmd_ops, s, "i8042-cmd", 0x64, 1);
    s->kbd_handler = input_handler_register(&kbd_input_handler, s);
    s->mouse_handler = input_handler_register(&mouse_input_handler, s);
    kbc_reset(dev);
    return true;
}

static void kbc_reset(Device *dev)
{
    KBCState *s = DEVICE_CAST(KBCState, dev);
    s->status = STAT_UNLOCK;
    memset(s->ram, 0, sizeof(s->ram));
    CMD_BYTE(s) = CB_KBD_INT | CB_AUX_INT | CB_XLATE;
    s->out_port = 0x03;         /* reset line high (inactive), A20 on */
    s->pending = 0;
    s->xlate_f0 = false;
    q_clear(&s->ctrl_q);
    q_clear(&s->ctrl_aux_q);
    memset(&s->kbd, 0, sizeof(s->kbd));
    memset(&s->mouse, 0, sizeof(s->mouse));
    kbd_defaults(&s->kbd);
    mouse_defaults(&s->mouse);
    irq_set(s->a20, 1);
    kbc_update_irq(s);
}

static const DeviceClass i8042_class = {
    .name = "i8042",
    .desc = "i8042 keyboard controller with PS/2 keyboard and mouse",
    .bus = BUS_ISA,
    .instance_size = sizeof(KBCState),
    .realize = kbc_realize,
    .reset = kbc_reset,
};
DEVICE_REGISTER(i8042_class)

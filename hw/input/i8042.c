/*
 * 8042 keyboard controller, PS/2 keyboard and PS/2 mouse.
 *
 * The controller has a command byte (RAM byte 0), an output port (A20 gate,
 * reset line) and one output buffer shared by keyboard and mouse data.
 * Devices queue bytes; the controller moves one at a time into the output
 * buffer and raises IRQ 1 or 12 if the command byte enables it.
 */
#include "hw/input/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "hw/isa/isa.h"
#include "system/runstate.h"
#include "util/log.h"

#define STAT_OBF     0x01
#define STAT_IBF     0x02
#define STAT_SYS     0x04
#define STAT_CMD     0x08      /* last write was to 0x64 */
#define STAT_UNLOCK  0x10      /* keyboard not inhibited */
#define STAT_AUXB    0x20      /* output buffer holds mouse data */

#define CB_KBD_INT   0x01
#define CB_AUX_INT   0x02
#define CB_SYS       0x04
#define CB_KBD_DIS   0x10
#define CB_AUX_DIS   0x20
#define CB_XLATE     0x40

#define QSIZE 256

typedef struct ByteQueue {
    uint8_t data[QSIZE];
    int rd, count;
} ByteQueue;

typedef struct PS2Kbd {
    ByteQueue q;
    bool scanning;
    int scancode_set;
    uint8_t pending_cmd;       /* command awaiting its argument, 0 = none */
} PS2Kbd;

typedef struct PS2Mouse {
    ByteQueue q;
    bool streaming;
    uint8_t rate, resolution, scaling;
    uint8_t pending_cmd;
    bool wrap;
} PS2Mouse;

typedef struct KBCState {
    Device dev;
    uint8_t status;
    uint8_t cmd_byte;
    uint8_t out_port;
    uint8_t obuf;
    uint8_t pending;           /* controller command awaiting data on 0x60 */
    ByteQueue ctrl_q;          /* controller's own replies and 0xD2 bytes */
    ByteQueue ctrl_aux_q;      /* 0xD3 bytes: look like mouse data, never gated */
    PS2Kbd kbd;
    PS2Mouse mouse;
    IRQ a20;
    IRQ irq_kbd, irq_mouse;
    MemoryRegion io_data, io_cmd;
} KBCState;

static void q_put(ByteQueue *q, uint8_t b)
{
    if (q->count < QSIZE) {
        q->data[(q->rd + q->count++) % QSIZE] = b;
    }
}

static int q_get(ByteQueue *q)
{
    if (!q->count) {
        return -1;
    }
    uint8_t b = q->data[q->rd];
    q->rd = (q->rd + 1) % QSIZE;
    q->count--;
    return b;
}

static void kbc_update_irq(KBCState *s)
{
    bool kbd = false, aux = false;
    if (s->status & STAT_OBF) {
        if (s->status & STAT_AUXB) {
            aux = s->cmd_byte & CB_AUX_INT;
        } else {
            kbd = s->cmd_byte & CB_KBD_INT;
        }
    }
    irq_set(s->irq_kbd, kbd);
    irq_set(s->irq_mouse, aux);
}

/* Move the next queued byte into the output buffer if it is free. */
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
        } else if (!(s->cmd_byte & CB_KBD_DIS) && (b = q_get(&s->kbd.q)) >= 0) {
            s->obuf = b;
            s->status = (s->status & ~STAT_AUXB) | STAT_OBF;
        } else if (!(s->cmd_byte & CB_AUX_DIS) && (b = q_get(&s->mouse.q)) >= 0) {
            s->obuf = b;
            s->status |= STAT_OBF | STAT_AUXB;
        }
    }
    kbc_update_irq(s);
}

static void kbd_reset_state(PS2Kbd *k)
{
    k->scanning = true;
    k->scancode_set = 2;
    k->pending_cmd = 0;
}

static void kbd_write(KBCState *s, uint8_t val)
{
    PS2Kbd *k = &s->kbd;
    if (k->pending_cmd) {
        uint8_t cmd = k->pending_cmd;
        k->pending_cmd = 0;
        if (cmd == 0xf0) {
            if (val == 0) {
                q_put(&k->q, 0xfa);
                q_put(&k->q, k->scancode_set);
                return;
            }
            if (val >= 1 && val <= 3) {
                k->scancode_set = val;
            }
        }
        /* 0xed (LEDs), 0xf3 (typematic): argument accepted */
        q_put(&k->q, 0xfa);
        return;
    }
    switch (val) {
    case 0xed: case 0xf3: case 0xf0:
        k->pending_cmd = val;
        q_put(&k->q, 0xfa);
        break;
    case 0xee:                                  /* echo */
        q_put(&k->q, 0xee);
        break;
    case 0xf2:                                  /* identify: MF2 keyboard */
        q_put(&k->q, 0xfa);
        q_put(&k->q, 0xab);
        q_put(&k->q, (s->cmd_byte & CB_XLATE) ? 0x41 : 0x83);
        break;
    case 0xf4:
        k->scanning = true;
        q_put(&k->q, 0xfa);
        break;
    case 0xf5:                                  /* disable, restore defaults */
        kbd_reset_state(k);
        k->scanning = false;
        q_put(&k->q, 0xfa);
        break;
    case 0xf6:
        kbd_reset_state(k);
        q_put(&k->q, 0xfa);
        break;
    case 0xff:                                  /* reset + BAT passed */
        kbd_reset_state(k);
        q_put(&k->q, 0xfa);
        q_put(&k->q, 0xaa);
        break;
    default:
        /* typematic/make-break mode commands F7-FD: acknowledge */
        if (val >= 0xf7 && val <= 0xfd) {
            q_put(&k->q, 0xfa);
        } else {
            q_put(&k->q, 0xfe);                 /* resend: unknown */
        }
        break;
    }
}

static void mouse_defaults(PS2Mouse *m)
{
    m->streaming = false;
    m->rate = 100;
    m->resolution = 2;
    m->scaling = 1;
    m->pending_cmd = 0;
    m->wrap = false;
}

static void mouse_write(KBCState *s, uint8_t val)
{
    PS2Mouse *m = &s->mouse;
    if (m->pending_cmd) {
        uint8_t cmd = m->pending_cmd;
        m->pending_cmd = 0;
        if (cmd == 0xf3) {
            m->rate = val;
        } else if (cmd == 0xe8) {
            m->resolution = val & 3;
        }
        q_put(&m->q, 0xfa);
        return;
    }
    if (m->wrap && val != 0xec && val != 0xff) {
        q_put(&m->q, val);
        return;
    }
    switch (val) {
    case 0xe6: m->scaling = 1; q_put(&m->q, 0xfa); break;
    case 0xe7: m->scaling = 2; q_put(&m->q, 0xfa); break;
    case 0xe8: case 0xf3:
        m->pending_cmd = val;
        q_put(&m->q, 0xfa);
        break;
    case 0xe9:                                  /* status request */
        q_put(&m->q, 0xfa);
        q_put(&m->q, (m->streaming ? 0x20 : 0) | (m->scaling == 2 ? 0x10 : 0));
        q_put(&m->q, m->resolution);
        q_put(&m->q, m->rate);
        break;
    case 0xea: case 0xf0: q_put(&m->q, 0xfa); break;
    case 0xeb:                                  /* read data: no motion */
        q_put(&m->q, 0xfa);
        q_put(&m->q, 0x08);
        q_put(&m->q, 0);
        q_put(&m->q, 0);
        break;
    case 0xec: m->wrap = false; q_put(&m->q, 0xfa); break;
    case 0xee: m->wrap = true; q_put(&m->q, 0xfa); break;
    case 0xf2:                                  /* identify: standard mouse */
        q_put(&m->q, 0xfa);
        q_put(&m->q, 0x00);
        break;
    case 0xf4: m->streaming = true; q_put(&m->q, 0xfa); break;
    case 0xf5: m->streaming = false; q_put(&m->q, 0xfa); break;
    case 0xf6: mouse_defaults(m); q_put(&m->q, 0xfa); break;
    case 0xff:
        mouse_defaults(m);
        q_put(&m->q, 0xfa);
        q_put(&m->q, 0xaa);
        q_put(&m->q, 0x00);
        break;
    default:
        q_put(&m->q, 0xfe);
        break;
    }
}

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
    uint8_t v = s->obuf;
    s->status &= ~(STAT_OBF | STAT_AUXB);
    kbc_refill(s);
    return v;
}

static void kbc_write_cmd(KBCState *s, uint8_t val)
{
    if (val >= 0x20 && val <= 0x3f) {           /* read controller RAM */
        q_put(&s->ctrl_q, val == 0x20 ? s->cmd_byte : 0);
        return;
    }
    if (val >= 0x60 && val <= 0x7f) {           /* write controller RAM */
        s->pending = val;
        return;
    }
    if (val >= 0xf0) {                          /* pulse output lines */
        if (!(val & 1)) {
            system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        }
        return;
    }
    switch (val) {
    case 0xa7: s->cmd_byte |= CB_AUX_DIS; break;
    case 0xa8: s->cmd_byte &= ~CB_AUX_DIS; break;
    case 0xa9: q_put(&s->ctrl_q, 0x00); break;   /* aux interface test: OK */
    case 0xaa:                                  /* self-test */
        s->status |= STAT_SYS;
        q_put(&s->ctrl_q, 0x55);
        break;
    case 0xab: q_put(&s->ctrl_q, 0x00); break;   /* keyboard interface test: OK */
    case 0xad: s->cmd_byte |= CB_KBD_DIS; break;
    case 0xae: s->cmd_byte &= ~CB_KBD_DIS; break;
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
            s->cmd_byte = val;
            s->status = (s->status & ~STAT_SYS) | (val & CB_SYS);
        } else if (p > 0x60 && p <= 0x7f) {
            /* other controller RAM bytes: nothing reads them back */
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
            s->cmd_byte &= ~CB_AUX_DIS;
            mouse_write(s, val);
        } else {
            /* data to the keyboard re-enables its interface */
            s->cmd_byte &= ~CB_KBD_DIS;
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

/* set 1 make code -> set 2 make code, for the keys a UI sends */
static const uint8_t set1_to_set2[128] = {
    0x00, 0x76, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45, 0x4e, 0x55, 0x66, 0x0d,
    0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d, 0x54, 0x5b, 0x5a, 0x14, 0x1c, 0x1b,
    0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b, 0x4c, 0x52, 0x0e, 0x12, 0x5d, 0x1a, 0x22, 0x21, 0x2a,
    0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x7c, 0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0c, 0x03,
    0x0b, 0x83, 0x0a, 0x01, 0x09, 0x77, 0x7e, 0x6c, 0x75, 0x7d, 0x7b, 0x6b, 0x73, 0x74, 0x79, 0x69,
    0x72, 0x7a, 0x70, 0x71, 0x84, 0x00, 0x61, 0x78, 0x07,
};

void i8042_put_keycode(Device *dev, int keycode, bool down)
{
    KBCState *s = DEVICE_CAST(KBCState, dev);
    PS2Kbd *k = &s->kbd;
    if (!k->scanning) {
        return;
    }
    bool e0 = keycode & 0x80;
    int code = keycode & 0x7f;
    if (e0) {
        q_put(&k->q, 0xe0);
    }
    if (s->cmd_byte & CB_XLATE || k->scancode_set == 1) {
        /* the controller translates set 2 back to set 1 for the host */
        q_put(&k->q, code | (down ? 0 : 0x80));
    } else {
        if (!down) {
            q_put(&k->q, 0xf0);
        }
        q_put(&k->q, set1_to_set2[code]);
    }
    kbc_refill(s);
}

/* Set-1 make codes (0x80 = E0-prefixed) by the key names QEMU's sendkey uses. */
static const struct { const char *name; uint8_t code; } key_names[] = {
    { "esc", 0x01 }, { "1", 0x02 }, { "2", 0x03 }, { "3", 0x04 }, { "4", 0x05 },
    { "5", 0x06 }, { "6", 0x07 }, { "7", 0x08 }, { "8", 0x09 }, { "9", 0x0a },
    { "0", 0x0b }, { "minus", 0x0c }, { "equal", 0x0d }, { "backspace", 0x0e },
    { "tab", 0x0f }, { "q", 0x10 }, { "w", 0x11 }, { "e", 0x12 }, { "r", 0x13 },
    { "t", 0x14 }, { "y", 0x15 }, { "u", 0x16 }, { "i", 0x17 }, { "o", 0x18 },
    { "p", 0x19 }, { "bracket_left", 0x1a }, { "bracket_right", 0x1b }, { "ret", 0x1c },
    { "ctrl", 0x1d }, { "a", 0x1e }, { "s", 0x1f }, { "d", 0x20 }, { "f", 0x21 },
    { "g", 0x22 }, { "h", 0x23 }, { "j", 0x24 }, { "k", 0x25 }, { "l", 0x26 },
    { "semicolon", 0x27 }, { "apostrophe", 0x28 }, { "grave_accent", 0x29 },
    { "shift", 0x2a }, { "backslash", 0x2b }, { "z", 0x2c }, { "x", 0x2d }, { "c", 0x2e },
    { "v", 0x2f }, { "b", 0x30 }, { "n", 0x31 }, { "m", 0x32 }, { "comma", 0x33 },
    { "dot", 0x34 }, { "slash", 0x35 }, { "shift_r", 0x36 }, { "kp_multiply", 0x37 },
    { "alt", 0x38 }, { "spc", 0x39 }, { "caps_lock", 0x3a }, { "f1", 0x3b }, { "f2", 0x3c },
    { "f3", 0x3d }, { "f4", 0x3e }, { "f5", 0x3f }, { "f6", 0x40 }, { "f7", 0x41 },
    { "f8", 0x42 }, { "f9", 0x43 }, { "f10", 0x44 }, { "num_lock", 0x45 },
    { "scroll_lock", 0x46 }, { "kp_7", 0x47 }, { "kp_8", 0x48 }, { "kp_9", 0x49 },
    { "kp_subtract", 0x4a }, { "kp_4", 0x4b }, { "kp_5", 0x4c }, { "kp_6", 0x4d },
    { "kp_add", 0x4e }, { "kp_1", 0x4f }, { "kp_2", 0x50 }, { "kp_3", 0x51 },
    { "kp_0", 0x52 }, { "kp_decimal", 0x53 }, { "less", 0x56 }, { "f11", 0x57 },
    { "f12", 0x58 }, { "kp_enter", 0x9c }, { "ctrl_r", 0x9d }, { "kp_divide", 0xb5 },
    { "alt_r", 0xb8 }, { "home", 0xc7 }, { "up", 0xc8 }, { "pgup", 0xc9 }, { "left", 0xcb },
    { "right", 0xcd }, { "end", 0xcf }, { "down", 0xd0 }, { "pgdn", 0xd1 },
    { "insert", 0xd2 }, { "delete", 0xd3 }, { "meta_l", 0xdb }, { "meta_r", 0xdc },
    { "menu", 0xdd },
};

int i8042_keycode_from_name(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(key_names); i++) {
        if (!g_ascii_strcasecmp(key_names[i].name, name)) {
            return key_names[i].code;
        }
    }
    if (name[0] == '0' && (name[1] == 'x' || name[1] == 'X') && name[2]) {
        char *end;
        unsigned long v = strtoul(name + 2, &end, 16);
        if (!*end && v > 0 && v < 0x100 && (v & 0x7f)) {
            return (int)v;
        }
    }
    return -1;
}

static void find_kbc(Device *dev, void *opaque)
{
    if (!strcmp(dev->cls->name, "i8042")) {
        *(Device **)opaque = dev;
    }
}

bool i8042_send_key_combo(const char *combo, GError **errp)
{
    Device *kbc = NULL;
    device_foreach(find_kbc, &kbc);
    if (!kbc) {
        vireo_set_error(errp, "no i8042 keyboard controller in this machine");
        return false;
    }
    gchar **keys = g_strsplit(combo, "-", -1);
    int codes[16], n = 0;
    bool ok = true;
    for (gchar **k = keys; *k && ok; k++) {
        int c = i8042_keycode_from_name(*k);
        if (c < 0) {
            vireo_set_error(errp, "invalid parameter: %s", *k);
            ok = false;
        } else if (n == (int)G_N_ELEMENTS(codes)) {
            vireo_set_error(errp, "too many keys");
            ok = false;
        } else {
            codes[n++] = c;
        }
    }
    g_strfreev(keys);
    if (!ok || !n) {
        if (ok) {
            vireo_set_error(errp, "no key given");
        }
        return false;
    }
    /* The queue holds 256 bytes: a whole combo's press and release fit, so
     * the release is queued at once rather than after a hold time. */
    for (int i = 0; i < n; i++) {
        i8042_put_keycode(kbc, codes[i], true);
    }
    for (int i = n - 1; i >= 0; i--) {
        i8042_put_keycode(kbc, codes[i], false);
    }
    return true;
}

static void kbc_reset(Device *dev);

static bool kbc_realize(Device *dev, GError **errp)
{
    KBCState *s = DEVICE_CAST(KBCState, dev);
    s->irq_kbd = isa_get_irq(1);
    s->irq_mouse = isa_get_irq(12);
    device_init_gpio_out(dev, &s->a20, 1);
    isa_register_ioport(&s->io_data, &kbc_data_ops, s, "i8042-data", 0x60, 1);
    isa_register_ioport(&s->io_cmd, &kbc_cmd_ops, s, "i8042-cmd", 0x64, 1);
    kbc_reset(dev);
    return true;
}

static void kbc_reset(Device *dev)
{
    KBCState *s = DEVICE_CAST(KBCState, dev);
    s->status = STAT_UNLOCK;
    s->cmd_byte = CB_KBD_INT | CB_AUX_INT | CB_XLATE;
    s->out_port = 0x03;         /* reset line high (inactive), A20 on */
    s->pending = 0;
    memset(&s->ctrl_q, 0, sizeof(s->ctrl_q));
    memset(&s->ctrl_aux_q, 0, sizeof(s->ctrl_aux_q));
    memset(&s->kbd.q, 0, sizeof(s->kbd.q));
    memset(&s->mouse.q, 0, sizeof(s->mouse.q));
    kbd_reset_state(&s->kbd);
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

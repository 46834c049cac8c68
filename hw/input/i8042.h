/* i8042 keyboard controller with PS/2 keyboard and mouse (device "i8042").
 * Ports 0x60/0x64, IRQ 1 and 12; gpio out 0 = A20 gate (output port bit 1). */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include <stdbool.h>
#include "hw/core/device.h"

/* Queue a set-2 scancode sequence for a key (UI, sendkey); keycode is a set-1
 * make code (0x01..0x7f, 0x80|code for E0-prefixed keys). */
void i8042_put_keycode(Device *kbc, int keycode, bool down);

/* Key name (QMP/HMP sendkey names: "a", "ctrl", "alt_r", "delete", "f1",
 * "ret", "spc", ... or a hex code "0x1d") -> keycode for i8042_put_keycode,
 * or -1 if unknown. */
int i8042_keycode_from_name(const char *name);
/* sendkey "ctrl-alt-delete": press the keys in order and release them in
 * reverse on the machine's i8042.  False with *errp naming a bad key or a
 * missing controller. */
bool i8042_send_key_combo(const char *combo, GError **errp);

#endif

/* i8042 keyboard controller with PS/2 keyboard and mouse (device "i8042").
 * Ports 0x60/0x64, IRQ 1 and 12; gpio out 0 = A20 gate (output port bit 1). */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include <stdbool.h>
#include "hw/core/device.h"

/* Queue a set-2 scancode sequence for a key (UI, sendkey); keycode is a set-1
 * make code (0x01..0x7f, 0x80|code for E0-prefixed keys). */
void i8042_put_keycode(Device *kbc, int keycode, bool down);

#endif

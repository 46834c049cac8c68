/* i8042 keyboard controller with PS/2 keyboard and mouse (device "i8042").
 * Ports 0x60/0x64, IRQ 1 and 12; gpio out 0 = A20 gate (output port bit 1).
 * The keyboard and the mouse take their events from the input layer
 * (ui/input.h): nothing else needs to call into this device. */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include "hw/core/device.h"

#endif

/*
 * 16550A UART (device "isa-serial").  The machine creates COM ports with
 * device_create("isa-serial", "index=N,chardev=ID"): index 0..3 picks
 * COM1..COM4's port and IRQ (0x3f8/4, 0x2f8/3, 0x3e8/4, 0x2e8/3); iobase=
 * and irq= override them.  Nothing else is needed from outside.
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "hw/core/device.h"

#define SERIAL_MAX_PORTS 4

#endif

/* 16550A UART (device "isa-serial"): index 0..3 = COM1..COM4. */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H
#include "hw/core/device.h"
#endif

/*
 * I/O APIC (Intel 82093AA, version 0x20 as QEMU's pc has it) as device
 * "ioapic" at 0xfec00000: 24 input pins (gpio in 0..23, logical levels:
 * the polarity bit is kept for the guest but, as on QEMU, lines are not
 * inverted), delivering to the local APICs over the APIC bus.
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "hw/core/device.h"

#define IOAPIC_DEFAULT_ADDRESS  0xfec00000u
#define IOAPIC_NUM_PINS         24

/* For "info pic". */
void ioapic_print_info(Device *ioapic, GString *out);

#endif

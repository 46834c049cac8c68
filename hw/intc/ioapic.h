/*
 * I/O APIC (Intel 82093AA, version 0x20 as QEMU's pc has it) as device
 * "ioapic" at 0xfec00000: 24 input pins (gpio in 0..23, logical levels:
 * the polarity bit is kept for the guest but, as on QEMU, lines are not
 * inverted), delivering to the local APICs over the APIC bus.
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "hw/core/device.h"

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_DEFAULT_ADDRESS  0xfec00000u
#define IOAPIC_NUM_PINS         24

/*
 * Behind an interrupt-remapping IOMMU (VT-d 5.1.5.1) the I/O APIC sends
 * each interrupt as the MSI its redirection entry describes, and fn (the
 * machine: the IOMMU, then the APIC bus) decides where it goes.  Entry
 * bits 63:48 are then all writable, so a remappable-format entry (bit 48
 * set, interrupt index in bits 63:49 and 11) keeps its index: address
 * 0xfee00000 | bits 63:48 << 4 | bit 11 << 2, data = vector, delivery mode
 * and trigger mode as in the entry.  A compatibility-format entry becomes
 * the usual message to its destination.  Without a handler nothing
 * changes (82093AA reserved bits stay 0).
 */
typedef bool (*IOAPICMSIFn)(void *opaque, uint64_t addr, uint32_t data);
void ioapic_set_msi_handler(Device *ioapic, IOAPICMSIFn fn, void *opaque);

/* For "info pic". */
void ioapic_print_info(Device *ioapic, GString *out);

#endif

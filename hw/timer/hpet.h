/*
 * HPET (IA-PC HPET specification 1.0a) as device "hpet" at 0xfed00000, as
 * QEMU's pc has it: 3 timers, 64-bit main counter at 100 MHz (period
 * 10 ns), legacy replacement capable, each timer routable to IOAPIC pin 2
 * only (route capability 0x4), no FSB delivery.
 *
 * gpio out 0..23: IOAPIC pins (Tn_INT_ROUTE_CNF); 24: legacy IRQ0
 * (timer 0), 25: legacy IRQ8 (timer 1); 26: level 1 while legacy
 * replacement is on (the machine disconnects the PIT and RTC lines).
 */
#ifndef HW_TIMER_HPET_H
#define HW_TIMER_HPET_H

#include "hw/core/device.h"

#define HPET_DEFAULT_ADDRESS 0xfed00000u
#define HPET_NUM_TIMERS      3
#define HPET_CLK_PERIOD_NS   10
#define HPET_OUT_LEGACY_IRQ0 24
#define HPET_OUT_LEGACY_IRQ8 25
#define HPET_OUT_LEGACY_ON   26
#define HPET_NUM_OUTS        27

#endif

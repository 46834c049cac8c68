/* Motorola MC146818 RTC + 128 bytes of CMOS at 0x70/0x71, IRQ 8
 * (device "mc146818rtc").  CMOS contents survive a machine reset, like
 * battery-backed RAM. */
#ifndef HW_TIMER_MC146818RTC_H
#define HW_TIMER_MC146818RTC_H

#include <stdint.h>
#include "hw/core/device.h"

void rtc_set_cmos(Device *rtc, int idx, uint8_t val);
uint8_t rtc_get_cmos(Device *rtc, int idx);

#endif

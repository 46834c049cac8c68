/* Intel 8254 PIT at 0x40-0x43 (device "i8254"), plus port 0x61. */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include <stdint.h>
#include "hw/core/device.h"

#define PIT_FREQ 1193182

/* OUT pin of counter ch at virtual time now (for HPET legacy mode, port 0x61). */
int i8254_get_out(Device *pit, int ch, int64_t now);
/* OUT of counter ch at virtual time t from the counter's current
 * programming, without advancing it (the speaker samples the recent past). */
int i8254_out_at(Device *pit, int ch, int64_t t);
/* fn(opaque, now, value) after every guest write to port 0x61 (the PC
 * speaker listens); one listener. */
void i8254_set_port61_listener(Device *pit, void (*fn)(void *opaque, int64_t now, uint8_t val),
                               void *opaque);

#endif
